package gpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// oclgrindLibrary is Oclgrind's OpenCL runtime (Debian package oclgrind),
// loaded through GPUSIM_OPENCL_LIBRARY: the oclgrind wrapper's LD_PRELOAD
// does not reach symbols purego looks up itself.
const oclgrindLibrary = "/usr/lib/oclgrind/liboclgrind-rt.so"

// oclgrindLocalMem are the local memory sizes the device is given: 48 KiB
// as on NVIDIA GPUs, and 32 and 64 KiB (below 32 KiB plus a little the
// histogram leaves local memory for global atomics).
var oclgrindLocalMem = []int{48 << 10, 32 << 10, 64 << 10}

// TestOclgrind runs the GPU layout (vector width 1) on Oclgrind, a second
// OpenCL implementation that simulates a device and checks every access:
// data races, API misuse and uninitialized memory (issue 12, item 7). Each
// kernel (plain, kept finals, daily), in one launch and in parts, must give
// the serial engine's digests, the self-test must pass, and Oclgrind must
// report nothing: it prints diagnostics on stderr, which
// must stay empty. Each local memory size runs in a child process, since
// the library is loaded once per process. Without Oclgrind the test is
// skipped, except under CI=true, where .ci/run installs it.
func TestOclgrind(t *testing.T) {
	if os.Getenv(childEnv) == "oclgrind" {
		oclgrindChild(t)
		return
	}
	if _, err := os.Stat(oclgrindLibrary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Oclgrind is required when CI=true (apt-get install oclgrind): %v", err)
		}
		t.Skipf("Oclgrind not installed: %v", err)
	}
	for _, local := range oclgrindLocalMem {
		for _, jobs := range []string{"plain", "daily"} {
			t.Run(fmt.Sprintf("%s/local=%dKiB", jobs, local>>10), func(t *testing.T) {
				oclgrindRun(t, local, jobs)
			})
		}
	}
	// A device that takes work-groups of 16 at most: below a warp, and
	// below the 64 reduce_daily took on every GPU, which failed every
	// --daily run there with CL_INVALID_WORK_ITEM_SIZE.
	t.Run("daily/maxwg=16", func(t *testing.T) {
		oclgrindRun(t, oclgrindLocalMem[0], "daily", "OCLGRIND_MAX_WGSIZE=16")
	})
}

// oclgrindRun runs the jobs on Oclgrind in a child process, with its
// data-race, API and uninitialized-memory checks, and fails on any
// diagnostic. (The daily kernel's records are written empty by the host:
// Oclgrind 21.10 took the rec_init of the kernel that used to reset them
// for uninitialized memory, and reported every rec_add. The parts' buffer
// of temperatures is written by the host under Oclgrind: cl.NeedsHostInit.)
func oclgrindRun(t *testing.T, local int, jobs string, env ...string) {
	cmd := testCommand(t, "^TestOclgrind$")
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, childEnv+"=oclgrind", cl.EnvLibrary+"="+oclgrindLibrary,
		"OCLGRIND_LOCAL_MEM_SIZE="+strconv.Itoa(local), "GPUSIM_OCLGRIND_JOBS="+jobs,
		"OCLGRIND_DATA_RACES=1", "OCLGRIND_CHECK_API=1", "OCLGRIND_UNINITIALIZED=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("%s", stdout.Bytes())
	if err != nil || !strings.Contains(stdout.String(), "child-checked:") {
		t.Errorf("child: %v\n%s", err, stderr.Bytes())
	} else if stderr.Len() > 0 {
		t.Errorf("Oclgrind reported:\n%s", stderr.Bytes())
	}
}

func oclgrindChild(t *testing.T) {
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.Atoi(os.Getenv("OCLGRIND_LOCAL_MEM_SIZE"))
	if len(ds) != 1 || ds[0].PlatformName != "Oclgrind" || ds[0].LocalMemBytes != uint64(want) {
		t.Fatalf("devices %+v, want one Oclgrind device with %d bytes of local memory", ds, want)
	}
	// One Philox block per launch: jobs of 8 steps or more run in parts
	// that pass temperatures on through a buffer.
	e, err := Open(Options{Device: 0, VectorWidth: 1, maxBlocks: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if limit, _ := strconv.Atoi(os.Getenv("OCLGRIND_MAX_WGSIZE")); limit > 0 && max(e.main.wg, e.daily.wg, e.redWG) > limit {
		t.Errorf("work-groups of %d, %d and %d (weather, weather_daily, reduce_daily): past the device's %d", e.main.wg, e.daily.wg, e.redWG, limit)
	}
	p := sim.Default()
	// Lanes that fill no whole work-group, and few steps: Oclgrind
	// interprets every instruction. Five steps run in one launch, nine in
	// three parts.
	p.Lanes, p.Steps = 300, 5
	split := p
	split.Steps = 9
	jobs := []sim.Job{{Params: p}, {Params: p, KeepFinals: true}, {Params: split, KeepFinals: true}}
	if os.Getenv("GPUSIM_OCLGRIND_JOBS") == "daily" {
		jobs = []sim.Job{{Params: p, Daily: true}, {Params: split, Daily: true}}
	}
	for _, j := range jobs {
		name := fmt.Sprintf("steps=%d finals=%v daily=%v", j.Params.Steps, j.KeepFinals, j.Daily)
		got, err := e.Run(context.Background(), &j)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref, err := cpu.Serial{}.Run(context.Background(), &j)
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary.Digest != ref.Summary.Digest || !slices.Equal(got.Finals, ref.Finals) {
			t.Errorf("%s: digest %#016x, want %#016x (finals equal: %v)", name, got.Summary.Digest, ref.Summary.Digest, slices.Equal(got.Finals, ref.Finals))
		}
		if len(got.Daily) != len(ref.Daily) {
			t.Fatalf("%s: %d days, want %d", name, len(got.Daily), len(ref.Daily))
		}
		for d := range got.Daily {
			g, w := got.Daily[d], ref.Daily[d]
			if g.Digest != w.Digest || g.Count != w.Count || g.Min != w.Min || g.Max != w.Max {
				t.Errorf("%s: day %d digest %#016x count %d min %v max %v, want %#016x %d %v %v",
					name, d+1, g.Digest, g.Count, g.Min, g.Max, w.Digest, w.Count, w.Min, w.Max)
			}
		}
	}
	if os.Getenv("GPUSIM_OCLGRIND_JOBS") == "daily" {
		// The whole self-test, whose jobs (517 lanes x 9 steps) run in
		// parts, under the same checks.
		st, err := RunSelfTest(context.Background(), Options{Device: 0, VectorWidth: 1})
		if err != nil {
			t.Fatal(err)
		}
		if c := st.Failed(); c != nil {
			t.Errorf("self-test on Oclgrind: %s: got %s, want %s (%s)", c.Name, c.Got, c.Want, c.Note)
		}
	}
	fmt.Println("child-checked:", e.Name(), "local memory", want)
}

// TestOclgrindCancel: a run on Oclgrind's simulator (100,000 times
// slower than pocl) returns soon after its context ends: its first launch
// is a small pilot and later ones aim at 100 ms. Before, the first launch
// was 2^24 lane-steps whatever the device (10 s on Oclgrind) and the run
// returned only after it. Skipped without Oclgrind, except under CI=true.
func TestOclgrindCancel(t *testing.T) {
	if os.Getenv(childEnv) == "oclgrind-cancel" {
		oclgrindCancelChild(t)
		return
	}
	requireOclgrind(t, oclgrindLibrary)
	cmd := testCommand(t, "^TestOclgrindCancel$")
	cmd.Env = append(cmd.Env, childEnv+"=oclgrind-cancel", cl.EnvLibrary+"="+oclgrindLibrary)
	oclgrindChildRun(t, cmd)
}

// stallBound is how long an Oclgrind run may take past its cancel, and a
// two-device run with Oclgrind in all: a few of its 100 ms launches, with
// slack for a loaded machine.
const stallBound = 3 * time.Second

func oclgrindCancelChild(t *testing.T) {
	e, err := Open(Options{Device: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p := sim.Default()
	p.Lanes, p.Steps = 100_000, 10
	deadline := time.Now().Add(200 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err = e.Run(ctx, &sim.Job{Params: p})
	late := time.Since(deadline)
	if !errors.Is(err, context.DeadlineExceeded) || late > stallBound {
		t.Errorf("%s: a run cancelled after 200 ms returned %v after %v more, want the deadline's error within %v", e.Label(), err, late, stallBound)
	}
	fmt.Printf("child-checked: %s: returned %v after the deadline\n", e.Label(), late)
}

// requireOclgrind skips the test unless the files exist, or fails it under
// CI=true, where .ci/run installs Oclgrind.
func requireOclgrind(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("Oclgrind is required when CI=true: %v", err)
			}
			t.Skipf("no Oclgrind: %v", err)
		}
	}
}

// oclgrindChildRun runs cmd, a child process of this test binary, and
// fails the test unless it reports it checked.
func oclgrindChildRun(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil || !bytes.Contains(out, []byte("child-checked:")) {
		t.Errorf("child: %v", err)
	}
}

// oclgrindICD is Oclgrind's runtime as an ICD loader's driver, and
// poclICD the .icd file of pocl's.
const (
	oclgrindICD = "/usr/lib/oclgrind/liboclgrind-rt-icd.so"
	poclICD     = "/etc/OpenCL/vendors/pocl.icd"
)

// TestOclgrindStraggler: Oclgrind's simulator beside pocl through the ICD
// loader, as `--device all` runs them with both installed: the run takes
// about pocl's time, and Close its cancelled attempt's launch in flight.
// Before, the run waited for that attempt (7 to 11 s against pocl's
// 0.04 s). Skipped without Oclgrind or pocl, except under CI=true.
func TestOclgrindStraggler(t *testing.T) {
	if os.Getenv(childEnv) == "oclgrind-straggler" {
		oclgrindStragglerChild(t)
		return
	}
	requireOclgrind(t, oclgrindICD, poclICD)
	dir := t.TempDir()
	pocl, err := os.ReadFile(poclICD)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/pocl.icd", pocl, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/oclgrind.icd", []byte(oclgrindICD+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := testCommand(t, "^TestOclgrindStraggler$")
	cmd.Env = append(cmd.Env, childEnv+"=oclgrind-straggler", cl.EnvVendors+"="+dir, cl.EnvLibrary+"=")
	oclgrindChildRun(t, cmd)
}

func oclgrindStragglerChild(t *testing.T) {
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	og, pc := -1, -1
	for _, d := range ds {
		switch {
		case d.PlatformName == "Oclgrind" && og < 0:
			og = d.Index
		case platformShort(d.PlatformName) == "pocl" && pc < 0:
			pc = d.Index
		}
	}
	if og < 0 || pc < 0 {
		t.Fatalf("devices %v, want Oclgrind's and pocl's", ds)
	}
	// pocl runs the pieces and a copy of Oclgrind's.
	m, err := OpenMulti([]int{og, pc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := sim.Default()
	p.Lanes, p.Steps = 1_600_000, 10
	want, err := m.engines[1].Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	got, lanes, took := runCounted(t, m, p)
	if got.Summary.Digest != want.Summary.Digest || !slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins) || lanes != p.Lanes*uint64(p.Steps) {
		t.Errorf("digest %x, want pocl's %x (histograms equal: %v); progress %d lane-steps of %d", got.Summary.Digest, want.Summary.Digest,
			slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins), lanes, p.Lanes*uint64(p.Steps))
	}
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	closed := time.Since(start)
	if took > stallBound || closed > stallBound {
		t.Errorf("Oclgrind and pocl: the run took %v and Close %v more, want each within %v (pocl alone: %v)", took, closed, stallBound, want.Timing.Wall)
	}
	fmt.Printf("child-checked: run %v, close %v (pocl alone %v)\n", took, closed, want.Timing.Wall)
}
