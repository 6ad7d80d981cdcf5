package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// run runs the CLI in-process and returns its exit status, stdout and stderr.
func run(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := runContext(ctx, args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("a failed run left %s", e.Name())
	}
}

// TestOutCancelled checks that a run cancelled before or during the
// simulation (Ctrl-C) exits 1 and writes neither --out nor a temporary file.
func TestOutCancelled(t *testing.T) {
	for _, backend := range []string{"serial", "parallel"} {
		t.Run(backend+"/before", func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			code, stdout, stderr := run(ctx, "run", "--lanes", "100000", "--engine", backend, "--out", filepath.Join(dir, "finals.npy"))
			if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "gpusim: error: "+backend+" run cancelled: context canceled") {
				t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and a cancellation error", code, stdout, stderr)
			}
			assertEmptyDir(t, dir)
		})
		t.Run(backend+"/during", func(t *testing.T) {
			dir := t.TempDir()
			// 5e6 lanes x 10 steps take a second or more; the deadline
			// falls inside the run.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			start := time.Now()
			code, _, stderr := run(ctx, "run", "--lanes", "5e6", "--engine", backend, "--out", filepath.Join(dir, "finals.csv"))
			if code != exitFailure || !strings.Contains(stderr, "run cancelled: context deadline exceeded") {
				t.Errorf("got exit %d, stderr %q after %v; want exit 1 and a cancellation error", code, stderr, time.Since(start))
			}
			assertEmptyDir(t, dir)
		})
	}
}

// TestOutFinalsAreTheModel checks --out against the reference, lane by lane,
// for a job whose steps are not a multiple of the Philox block.
func TestOutFinalsAreTheModel(t *testing.T) {
	const lanes, steps, seed = 3001, 7, 99
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = lanes, steps, seed
	m := p.Model()
	for _, backend := range []string{"serial", "parallel"} {
		path := filepath.Join(t.TempDir(), "finals.f32")
		code, _, stderr := run(context.Background(), "run", "--lanes", "3001", "--steps", "7", "--seed", "99", "--engine", backend, "--out", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", backend, code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 4*lanes {
			t.Fatalf("%s: %d bytes, want %d", backend, len(b), 4*lanes)
		}
		for lane := range uint64(lanes) {
			got := binary.LittleEndian.Uint32(b[4*lane:])
			if want := math.Float32bits(m.Final(lane)); got != want {
				t.Fatalf("%s #%d: got %#x, want %#x", backend, lane, got, want)
			}
		}
	}
}

// TestPrintError: each of several joined errors (two outputs that failed to
// write) gets the "gpusim: error:" prefix, not only the first; indented
// lines continue the error above.
func TestPrintError(t *testing.T) {
	var b strings.Builder
	printError(&b, errors.Join(errors.New("write --out: a.npy: no space left on device"), errors.New("2 of 3 part files cannot be merged:\n  cut.json: truncated")))
	want := "gpusim: error: write --out: a.npy: no space left on device\ngpusim: error: 2 of 3 part files cannot be merged:\n  cut.json: truncated\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestNoStepsFloor: auto's floor is that of the engine it runs on: with
// --steps 0 it runs simd (no device is started), and --lanes 2^64-1
// --steps 0, floored at a device's 2e12 lane-steps/s (107 days), started
// and ran for millennia on the cores. Refused, it leaves no file.
func TestNoStepsFloor(t *testing.T) {
	dir := t.TempDir()
	// The old floor let the job start: it is stopped here rather than run.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	code, stdout, stderr := run(ctx, "run", "--lanes", "2^64-1", "--steps", "0", "--plot", filepath.Join(dir, "final.png"))
	if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: --lanes: 18446744073709551615 lanes x 0 steps") ||
		!strings.Contains(stderr, " years, at ") || !strings.Contains(stderr, "--timeout") || strings.Contains(stderr, "2e+12") || stdout != "" {
		t.Errorf("run --lanes 2^64-1 --steps 0: exit %d, stdout %q, stderr %q; want exit 2 and the floor on the cores", code, stdout, stderr)
	}
	assertEmptyDir(t, dir)
}

// cpuDevice is the index of an OpenCL device that computes on the
// machine's cores (pocl's), its compute units and the devices listed; the test is skipped
// where there is none (a GPU machine without pocl), as it fails where
// OpenCL cannot run under CI (cltest.RequireDevice).
func cpuDevice(t *testing.T) (index, units int, ds []gpu.DeviceDesc) {
	t.Helper()
	cltest.RequireDevice(t)
	ds, err := gpu.Devices()
	if err != nil {
		cltest.Unavailable(t, err)
	}
	c := slices.IndexFunc(ds, func(d gpu.DeviceDesc) bool { return d.Type == "CPU" })
	if c < 0 {
		t.Skip("no CPU device here")
	}
	return c, ds[c].ComputeUnits, ds
}

// TestListingAfterRun: a command run in the process after Run has
// returned still waits for the driver to list its devices: Run's stop
// for the listing's wait was its context's end, closed as Run returned,
// so that every later listing read "not answered" at once and pocl's
// device was taken for a GPU ("at 2e+12 lane-steps/s for opencl on 1
// device taken for a GPU"); TestCPUDeviceFloor failed so in a whole run
// of the package.
func TestListingAfterRun(t *testing.T) {
	keepExits(t)
	c, units, _ := cpuDevice(t)
	if code := Run([]string{"version"}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatalf("version: exit %d", code)
	}
	want := fmt.Sprintf("for opencl on 1 CPU device with %s", count.Noun(units, "compute unit"))
	for _, steps := range []string{"1", "10"} {
		code, _, stderr := run(context.Background(), "run", "--device", strconv.Itoa(c), "--lanes", "2^64-1", "--steps", steps)
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("run --device %d --lanes 2^64-1 --steps %s after Run: exit %d, stderr %q; want exit 2, %q", c, steps, code, stderr, want)
		}
	}
}

// TestCPUDeviceFloor: an OpenCL device that computes on the machine's
// cores (pocl's CPU device) is floored at 2e9 lane-steps/s a compute unit,
// as the cores are, not at a GPU's 2e12: --engine opencl --lanes 2^64-1
// --steps 1, centuries on pocl, was let through as 107 days and ran. The
// refusal comes before the job, names the device's kind and leaves no
// file; a job of 1000 lanes still runs there.
func TestCPUDeviceFloor(t *testing.T) {
	c, units, ds := cpuDevice(t)
	if units >= 290 {
		t.Skipf("%d compute units finish 2^64-1 lane-steps within a year at the ceiling", units)
	}
	dev := strconv.Itoa(c)
	want := fmt.Sprintf("at %s lane-steps/s for opencl on 1 CPU device with %s, faster than any measured", count.SI(2e9*float64(units), 3), count.Noun(units, "compute unit"))
	cases := [][]string{{"--device", dev}}
	if gpu.PickDefault() == c {
		cases = append(cases, []string{"--engine", "opencl"})
	}
	if len(ds) == 1 {
		cases = append(cases, []string{"--device", "all"})
	}
	// At 10 steps a GPU's ceiling refuses the job too (2.92 years), and
	// the refusal quoted it: "at 2e+12 lane-steps/s for opencl on 1 device
	// taken for a GPU" (auto's alike) where the device is pocl's.
	for _, steps := range []string{"1", "10"} {
		for _, args := range cases {
			dir := t.TempDir()
			// The old floor let the job start: it is stopped here rather than run.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			code, stdout, stderr := run(ctx, append([]string{"run", "--lanes", "2^64-1", "--steps", steps, "--plot", filepath.Join(dir, "final.png")}, args...)...)
			cancel()
			if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: --lanes: 18446744073709551615 lanes x "+steps+" step") || !strings.Contains(stderr, want) || stdout != "" {
				t.Errorf("run %s --lanes 2^64-1 --steps %s: exit %d, stdout %q, stderr %q; want exit 2, %q", strings.Join(args, " "), steps, code, stdout, stderr, want)
			}
			assertEmptyDir(t, dir)
		}
	}
	if len(ds) == 1 {
		// auto, on the one device here, pocl's, or the cores.
		code, _, stderr := run(context.Background(), "run", "--lanes", "2^64-1")
		if code != exitUsage || !strings.Contains(stderr, " lane-steps/s for auto on ") || strings.Contains(stderr, "GPU") {
			t.Errorf("run --lanes 2^64-1: exit %d, stderr %q; want exit 2, auto's floor on what is here", code, stderr)
		}
	}
	dir := t.TempDir()
	plot := filepath.Join(dir, "final.png")
	if code, _, stderr := run(context.Background(), "run", "--device", dev, "--lanes", "1000", "-q", "--plot", plot); code != 0 {
		t.Fatalf("run --device %s --lanes 1000: exit %d, stderr %q", dev, code, stderr)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Error(err)
	}
}

// TestDeviceAllFloor: the floor on a job's time counts --device all as 64
// devices before they are listed, and as the devices here, each at its
// kind's ceiling, once they are listed or open, before the job runs:
// --device all --lanes 2^64-1, at least 2.92 years on the one device here
// at a GPU's ceiling, ran with an ETA of ages where --device 0 is refused.
// The job takes about 2 years at the ceiling on the devices here, well
// under one on 64 GPUs.
func TestDeviceAllFloor(t *testing.T) {
	cltest.RequireDevice(t)
	ds, err := gpu.Devices()
	if err != nil {
		cltest.Unavailable(t, err)
	}
	rate := 0.0
	for _, d := range ds {
		if slices.Contains(strings.Split(d.Type, "|"), "CPU") {
			rate += 2e9 * float64(d.ComputeUnits)
		} else {
			rate += 2e12
		}
	}
	const secs = 6.5e7 // 2.06 years
	if rate*secs/100 > math.MaxUint64 {
		t.Skipf("%d devices: the job would not fit in --lanes", len(ds))
	}
	lanes := strconv.FormatUint(uint64(rate*secs/100), 10)
	// The old floor let the job start: it is stopped here rather than run.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code, stdout, stderr := run(ctx, "run", "--device", "all", "--lanes", lanes, "--steps", "100", "-q")
	want := fmt.Sprintf("would take at least 2.06 years, at %s lane-steps/s for opencl on ", count.SI(rate, 3))
	if code != exitUsage || !strings.Contains(stderr, "gpusim: error: --lanes: ") || !strings.Contains(stderr, want) || stdout != "" {
		t.Errorf("run --device all --lanes %s --steps 100: exit %d, stdout %q, stderr %q; want exit 2, %q", lanes, code, stdout, stderr, want)
	}
}
