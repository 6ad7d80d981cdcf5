//go:build amd64 || arm64

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/testenv"
)

// hangingDriver builds testdata/fakecl/hang.c, an OpenCL library whose
// clGetPlatformIDs never returns (fakeDriver), and returns its path.
func hangingDriver(t *testing.T) string { return fakeDriver(t, "hang") }

// fakeDriver builds testdata/fakecl/NAME.c, a fake OpenCL library, with
// clang, and returns its path. It skips without clang, and fails under
// CI=true (.ci/run installs clang).
func fakeDriver(t *testing.T, name string) string {
	t.Helper()
	clang, err := exec.LookPath("clang")
	if err != nil {
		if testenv.CI() {
			t.Fatalf("CI=true but no clang: %v", err)
		}
		t.Skip("no clang")
	}
	lib := filepath.Join(t.TempDir(), "lib"+name+".so")
	if out, err := exec.Command(clang, "-shared", "-fPIC", "-o", lib, filepath.Join("testdata", "fakecl", name+".c")).CombinedOutput(); err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
	return lib
}

// TestRefusalHangingDriver: a refused --device or --engines value is
// refused with exit 2 within engines.ListWait (2 s) and a little, its
// devices not listed, under a driver that hangs in clGetPlatformIDs: the
// refusal listed the devices first and waited for ever (SIGINT: 130).
// --engine serial --device -1 loaded the driver too; bench --engines
// bogus and an empty --engines listed every engine's devices to name the
// valid ones, --engines opencl,bogus listed opencl's before it refused
// bogus, and --engines opencl, listed them before it refused the empty
// entry; these name the engines' forms (opencl:N), which need no driver,
// where they waited engines.ListWait to say the devices were not listed.
// A bad --python, which names no device, is refused at once: bench listed
// the engines' devices before it checked it. A device named by its index
// before the bad entry (opencl:9,bogus) is checked first, as the first bad
// entry is the one named: ListWait, and the hint that the devices were
// not listed. A value refused by its form alone (-1, x, 0,0, opencl:x),
// which no driver could take, says nothing of the driver, which it does
// not ask (TestFormRefusalNoDriver): it read "the OpenCL driver ... did
// not answer in 2 s, so its devices are not listed", as of a broken one.
func TestRefusalHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	const (
		listForms    = " (valid: a device's index, a list N,M,... or all; gpusim devices lists them)\n"
		enginesForms = " (valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)\n"
	)
	byForm := map[string]string{
		"run --device -1":                  `--device: invalid value "-1": -1 is negative` + listForms,
		"run --device x":                   `--device: invalid value "x": not a device index` + listForms,
		"run --device 0,0":                 `--device: invalid value "0,0": device 0 is listed twice` + listForms,
		"run --engine serial --device -1":  `--device: invalid value "-1": -1 is negative` + listForms,
		"selftest --device x":              `--device: invalid value "x": not a device index` + listForms,
		"bench --engines opencl:x":         `--engines: invalid value "opencl:x": not a device index` + enginesForms,
		"bench --engines serial,opencl:-1": `--engines: invalid value "opencl:-1": -1 is negative` + enginesForms,
	}
	refused := map[string]string{}
	for line, want := range byForm {
		refused[line] = want
	}
	const forms = "(valid: serial, parallel, simd, opencl, opencl:N, processes)\n"
	for _, args := range [][]string{
		{"bench", "--engines", "bogus"},
		{"bench", "--engines", "opencl,bogus"},
		{"bench", "--engines="},
		{"bench", "--engines", "opencl,"},
		{"bench", "--engines", "bogus,opencl:9"},
	} {
		refused[strings.Join(args, " ")] = forms
	}
	// A device named by an index before the bad entry is checked first
	// (the first bad entry is named), ListWait at most: then the bad
	// entry is named, with the hint that the devices were not listed.
	afterWait := map[string]bool{}
	for _, args := range [][]string{
		{"bench", "--engines", "opencl:0,simd,cuda"},
		{"bench", "--engines", "opencl:0,,serial"},
		{"bench", "--engines", "opencl:9,bogus"},
	} {
		refused[strings.Join(args, " ")] = forms
		afterWait[strings.Join(args, " ")] = true
	}
	const noPython = `gpusim: error: --python: "/nonexistent" cannot import numpy`
	refused["bench --engines opencl --python /nonexistent"] = noPython
	refused["bench --python /nonexistent"] = noPython
	for line, want := range refused {
		args := strings.Fields(line)
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			stderr := refusedWithin(t, lib, args, "gpusim: error: --", want)
			if afterWait[line] || byForm[line] != "" {
				// A refusal of the devices not listed says so
				// itself, once; the bad entry after a device's
				// index in the hint; a refusal by form not at
				// all.
				wantNotListedHint(t, stderr, afterWait[line])
			}
			if byForm[line] != "" && stderr != "gpusim: error: "+byForm[line] {
				t.Errorf("stderr %q: a refusal by form alone, want %q alone, with no word of the driver", stderr, byForm[line])
			}
		})
	}
}

// TestFormRefusalNoDriver: a device value its form refuses (--device -1,
// x, 1.5, 0,0; selftest --device; bench --engines opencl:N) is refused,
// exit 2 with its valid forms alone, without asking the driver anything:
// the forwarding driver, told to hang in clGetPlatformIDs, makes the file
// FAKECL_HUNG names where any process reaches that call (gpusim or the
// probe's child). The refusal listed the devices first, waiting for them
// 1 s (GPUSIM_DRIVER_WAIT=5) to 2 s, the early load of run --device -1
// loaded the driver too, and its words differed by whether the listing
// answered in time ("valid range 0..0 ...; devices:").
func TestFormRefusalNoDriver(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	const (
		listForms    = " (valid: a device's index, a list N,M,... or all; gpusim devices lists them)\n"
		enginesForms = " (valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)\n"
	)
	for line, want := range map[string]string{
		"run --device -1 --lanes 1e4 --steps 10":      `--device: invalid value "-1": -1 is negative` + listForms,
		"run --device abc --lanes 1e4 --steps 10":     `--device: invalid value "abc": not a device index` + listForms,
		"run --device 1.5 --lanes 1e4 --steps 10":     `--device: invalid value "1.5": 1.5 is not a whole number` + listForms,
		"run --engine opencl --device 0,0":            `--device: invalid value "0,0": device 0 is listed twice` + listForms,
		"run --engine auto --device 0,,1":             `--device: invalid value "0,,1": entry 2 of 3 is empty` + listForms,
		"selftest --device -1":                        `--device: invalid value "-1": -1 is negative` + listForms,
		"selftest --device x":                         `--device: invalid value "x": not a device index` + listForms,
		"bench --engines opencl:-1 --lanes 1e4":       `--engines: invalid value "opencl:-1": -1 is negative` + enginesForms,
		"bench --engines serial,opencl:1.5":           `--engines: invalid value "opencl:1.5": 1.5 is not a whole number` + enginesForms,
		"run --device 2147483648 --lanes 1e4":         `--device: invalid value "2147483648": 2147483648 is out of range` + listForms,
		"bench --engines opencl:2^64 --baseline none": `--engines: invalid value "opencl:2^64": 2^64 is out of range` + enginesForms,
	} {
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			hung := filepath.Join(t.TempDir(), "hung")
			cmd := exec.Command("gpusim", strings.Fields(line)...)
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib, "FAKECL_REAL="+real,
				"FAKECL_FAULT=hang:clGetPlatformIDs", "FAKECL_HUNG="+hung, "GPUSIM_DRIVER_WAIT=5")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			kill := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
			defer kill.Stop()
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || stdout.Len() != 0 || stderr.String() != "gpusim: error: "+want {
				t.Errorf("%v, stdout %q, stderr %q; want exit %d with %q alone", err, stdout.String(), stderr.String(), exitUsage, "gpusim: error: "+want)
			}
			if _, err := os.Stat(hung); err == nil {
				t.Errorf("the refusal asked the driver for its platforms (%s made)", hung)
			}
		})
	}
}

// TestAutoDeviceHangingDriver: run --engine auto --device N under a
// driver that hangs listing its devices (the forwarding driver's
// hang:clGetDeviceIDs) runs, where auto's check of the list (engines.Check)
// waited for the listing for ever: the check waits engines.ListWait, and
// auto, which chose simd for a job this small without the driver, says
// that --device did not apply and that it was not checked, the driver
// named: --device 9 ran with the first alone, no word that 9 was never
// checked nor that the driver did not answer. The kill at 60 s only ends
// a hang.
func TestAutoDeviceHangingDriver(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	for _, dev := range []string{"0", "9"} {
		t.Run(dev, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("gpusim", "run", "--engine", "auto", "--device", dev, "--lanes", "1e4", "--steps", "10")
			cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib, "FAKECL_REAL="+real,
				"FAKECL_FAULT=hang:clGetDeviceIDs", "GPUSIM_DRIVER_WAIT=5")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			kill := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
			defer kill.Stop()
			err := cmd.Wait()
			note := "gpusim: note: auto chose simd, which does not take --device: it does not apply to this run (--engine picks the engine); the OpenCL driver " + lib + " did not answer in 2 s, so --device " + dev + " was not checked against its devices: gpusim devices says which there are\n"
			if err != nil || !strings.Contains(stdout.String(), "lanes") || stderr.String() != note {
				t.Errorf("%v, stdout %q, stderr %q; want the run on simd with %q", err, stdout.String(), stderr.String(), note)
			}
		})
	}
}

// TestFloorHangingDriver: a job or benchmark past a year at a GPU's
// ceiling is refused within engines.ListWait (2 s), once for bench too
// (its two listings waited 2 s each: 4 s), and a little, at that
// ceiling, under a driver that hangs in clGetPlatformIDs: the floor on its time listed the devices to count a
// CPU device at its own ceiling (547780c) and waited for ever, where the
// refusal came at once before. Its last line is the hint that the driver
// did not answer (wantNotListedHint): the refusal said "taken for a GPU"
// with no word of why.
func TestFloorHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--lanes", "2^64-1"}, "for auto on 1 device taken for a GPU"},
		{[]string{"run", "--engine", "opencl", "--lanes", "2^64-1"}, "for opencl on 1 device taken for a GPU"},
		{[]string{"run", "--device", "0", "--lanes", "2^64-1"}, "for opencl on 1 device taken for a GPU"},
		{[]string{"bench", "--engines", "opencl", "--lanes", "1e12", "--steps", "1e9"}, "(opencl on 1 device taken for a GPU)"},
		{[]string{"bench", "--engines", "serial,opencl:1", "--lanes", "1e12", "--steps", "1e9"}, "(opencl:1 on 1 device taken for a GPU, serial on 1 core)"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			stderr := refusedWithin(t, lib, c.args, "gpusim: error: --lanes: ", c.want)
			wantNotListedHint(t, stderr, true)
		})
	}
}

// TestPlanHangingDriver: a benchmark refused for its processes engine's
// children at once (here the descriptors they hold, under ulimit -n 200)
// is refused within engines.ListWait (2 s) and a little under a driver
// that hangs in clGetPlatformIDs, with its --engines naming a device
// engine or left out (every engine): the refusal came after the listing
// of the devices and waited for ever. Its last line is the hint that the
// driver did not answer (wantNotListedHint): it came 2 s late with no word
// of the driver.
func TestPlanHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	const want = "the 256 the processes engine's 64 children at once hold (4 each)"
	for _, line := range []string{
		"bench --engines opencl,processes --workers 64",
		"bench --engines processes,opencl:0 --workers 64 --lanes 1e6",
		"bench --workers 64",
	} {
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			_, stderr := refusedWithinRun(t, lib, "sh", []string{"-c", "ulimit -n 200 && exec gpusim " + line}, "gpusim: error: ulimit -n: ", want)
			wantNotListedHint(t, stderr, true)
		})
	}
}

// TestRoomHangingDriver: a benchmark whose outputs (--html, --plot,
// --update-doc) or report on stdout cannot fit on their file system even
// with each device engine on one device is refused within
// engines.ListWait (2 s) and a little under a driver that hangs in
// clGetPlatformIDs, with the hint that the driver did not answer: the
// refusal, which bounds them on the devices listed, waited for ever for
// the listing.
func TestRoomHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	full := testenv.SmallDisk(t, "64k", false, map[string]string{"b.md": benchDoc})
	for _, c := range []struct{ line, prefix string }{
		{"bench --engines opencl --html FULL/b.html", "gpusim: error: --html: "},
		{"bench --plot FULL/img", "gpusim: error: --plot: "},
		{"bench --engines serial,opencl:1 --update-doc FULL/b.md", "gpusim: error: --update-doc: "},
		{"bench --engines opencl --format json >FULL/r.json", "gpusim: error: stdout: "},
	} {
		t.Run(c.line, func(t *testing.T) {
			t.Parallel()
			line := strings.ReplaceAll(c.line, "FULL", full) + " --lanes 1000 --steps 10"
			_, stderr := refusedWithinRun(t, lib, "sh", []string{"-c", "exec gpusim " + line}, c.prefix, " of disk space")
			wantNotListedHint(t, stderr, true)
		})
	}
	t.Cleanup(func() { // after the subtests, before the disk's unmount
		if b, _ := os.ReadFile(full + "/b.md"); string(b) != benchDoc {
			t.Errorf("the document was changed:\n%s", b)
		}
	})
}

// TestDeviceOfNoneHangingDriver: a device named after an engine that runs
// on none (processes:x, serial:0) is refused at once under a driver that
// hangs in clGetPlatformIDs, the devices named by their form: no driver
// need answer, and the refusal waited engines.ListWait (2 s) to list the
// valid names (processes:x), or for ever (serial:0,opencl; opencl,simd:1).
func TestDeviceOfNoneHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	const forms = "(valid: serial, parallel, simd, opencl, opencl:N, processes)"
	for _, line := range []string{"bench --engines processes:x", "bench --engines serial:0,opencl", "bench --engines opencl,simd:1"} {
		t.Run(line, func(t *testing.T) {
			t.Parallel()
			if took, _ := refusedWithinRun(t, lib, "gpusim", strings.Fields(line), "gpusim: error: --engines: unknown engine ", forms); took > time.Second {
				t.Errorf("the refusal took %v, want it at once", took)
			}
		})
	}
}

// TestAnswerHangingDriver: the commands whose answer is the devices end
// within engines' answer wait (10 s) and a little under a driver that
// hangs in clGetPlatformIDs, where they waited for ever (only a signal
// ended them): selftest and devices exit 1 saying the driver did not
// answer, with the hint, and their JSON is a whole document saying so;
// run's auto, which lists the devices to choose, runs on simd with the
// same words in its note; run on a device named (--engine opencl,
// --device N or all) exits 1 with them, its stdout empty; bench leaves
// opencl out with that note, or refuses it where --engines names it. An
// index past the devices (7), which cannot be checked, is no different:
// run --device 7 waited for ever where selftest --device 7 and bench
// --engines opencl:7 ended. Each waits once: selftest
// --device all to a file, whose room is checked on the devices listed,
// then listed them again for its checks, 20 s. The words name the
// library, as a context's hang does: they named none.
func TestAnswerHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	said := "the OpenCL driver " + lib + " did not answer in 10 s when asked for its devices"
	const hint = "gpusim: hint: a driver that hangs as it starts: clinfo -l says whether it answers"
	// failed and failedStart are the error of a command that needs the
	// devices (selftest, devices) and of a run on a device named.
	failed := "gpusim: error: " + said + "\n" + hint
	failedStart := "gpusim: error: start opencl: " + said + "\n" + hint
	for _, c := range []struct {
		line string
		code int
		want string
	}{
		{"selftest --device 0", 1, failed},
		{"selftest", 1, failed},
		{"selftest --device all --format json", 1, failed},
		{"devices", 1, failed},
		{"devices --format json", 1, failed},
		{"run --format json", 0, "gpusim: note: opencl failed, running on simd: " + said + "\n"},
		// A device named: exit 1 as selftest's, nothing on stdout (its
		// report) with --format json, as run's other errors.
		{"run --engine opencl --lanes 1000 --steps 10", 1, failedStart},
		{"run --device 0 --lanes 1000 --steps 10", 1, failedStart},
		{"run --device all --lanes 1000 --steps 10", 1, failedStart},
		{"run --engine opencl --lanes 1000 --steps 10 --format json", 1, failedStart},
		// An index the driver would refuse (exit 2 with the valid
		// range where it answers) cannot be checked: each command ends
		// as on a device that is there, exit 1 and its own words.
		{"run --device 7 --lanes 1000 --steps 10", 1, failedStart},
		{"selftest --device 7", 1, failed},
		{"bench --engines opencl:7 --lanes 100 --steps 2", 1, "gpusim: error: --engines: opencl:7 cannot run here: " + said + "\n" + hint},
		{"selftest --format json >file", 1, failed},
		{"selftest --device all >file", 1, failed},
		// A device engine named is an error, exit 1 as a driver's
		// failure; left out of every engine with a note in the report.
		{"bench --engines opencl --lanes 100 --steps 2", 1, "gpusim: error: --engines: opencl cannot run here: " + said + "\n" + hint},
		{"bench --lanes 100 --steps 2 --reps 1 --warmup 0 --baseline none --workers 1 --sweep 100 --sweep-reps 1 -q", 0, "note: opencl left out: " + said + "\n"},
	} {
		t.Run(c.line, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			args, toFile := strings.CutSuffix(c.line, " >file")
			out := filepath.Join(t.TempDir(), "out")
			// command is the case's command, stdout a regular file
			// where toFile: its room is checked (checkStdoutFits).
			command := func(ctx context.Context, stdout io.Writer) *exec.Cmd {
				cmd := exec.CommandContext(ctx, "gpusim", strings.Fields(args)...)
				cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
				cmd.Stdout = stdout
				if toFile {
					f, err := os.Create(out)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { f.Close() })
					cmd.Stdout = f
				}
				return cmd
			}
			var stdout, stderr strings.Builder
			cmd := command(ctx, &stdout)
			cmd.Stderr = &stderr
			t0 := time.Now()
			err := cmd.Run()
			took := time.Since(t0)
			if ctx.Err() != nil {
				t.Fatalf("still waiting after %v, on a driver that hangs: %q", took, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != c.code {
				t.Errorf("%v, want exit status %d (stderr %q)", err, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String()+stdout.String(), c.want) {
				t.Errorf("stderr %q, stdout %q: want %q", stderr.String(), stdout.String(), c.want)
			}
			// One wait of 10 s, and a tiny benchmark: two waits
			// (selftest's room, then its checks) took 20 s.
			quickestOf(t, took, 17*time.Second, func() time.Duration {
				cmd := command(context.Background(), nil)
				t0 := time.Now()
				_ = cmd.Run() // checked above: only its time now
				return time.Since(t0)
			})
			if strings.HasPrefix(c.line, "run ") && c.code != 0 {
				if stdout.Len() != 0 {
					t.Errorf("stdout %q, want nothing: run's error has no report", stdout.String())
				}
				return
			}
			if !strings.Contains(c.line, "json") {
				return
			}
			text := stdout.String()
			if toFile {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				text = string(b)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(text), &doc); err != nil {
				t.Fatalf("stdout %q is not one JSON document: %v", text, err)
			}
			if c.code != 0 && (doc["error"] != said || !strings.HasPrefix(fmt.Sprint(doc["hint"]), "a driver that hangs")) {
				t.Errorf("document %v, want its error %q and the hint", doc, said)
			}
		})
	}
}

// refusedWithin runs gpusim args with the OpenCL library lib and wants
// exit 2 within 10 s, nothing on stdout and a stderr that begins with
// prefix and holds want.
func refusedWithin(t *testing.T, lib string, args []string, prefix, want string) (stderr string) {
	t.Helper()
	_, stderr = refusedWithinRun(t, lib, "gpusim", args, prefix, want)
	return stderr
}

// notListedHintHead and notListedHintTail are the hint of a refusal that
// came without the devices' listing (engines.NotListedHint), the driver's
// path between them (it named none).
const (
	notListedHintHead = "\ngpusim: hint: the OpenCL driver /"
	notListedHintTail = " did not answer in 2 s, so this refusal did not wait for its devices' listing: gpusim devices says whether it answers, and GPUSIM_DRIVER_WAIT=SECONDS (now 10) gives a driver that is only slow longer\n"
)

// wantNotListedHint checks that stderr, a refusal's, ends with the hint
// that the devices were not listed, naming the driver, where want, and has
// none where not.
func wantNotListedHint(t *testing.T, stderr string, want bool) {
	t.Helper()
	got := strings.Contains(stderr, "so this refusal did not wait for its devices' listing")
	last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
	if got != want || got && (!strings.HasSuffix(stderr, notListedHintTail) || !strings.HasPrefix("\n"+last, notListedHintHead)) {
		t.Errorf("stderr %q: want the hint that the driver did not answer, naming it: %v, last", stderr, want)
	}
}

// refusedWithinRun is refusedWithin of the program name with args: sh, for
// a limit set before gpusim starts.
func refusedWithinRun(t *testing.T, lib, name string, args []string, prefix, want string) (took time.Duration, stderrText string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	took = time.Since(t0)
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("still waiting after %v, on a driver that hangs: %q", took, stderr.String())
	case !errors.As(err, &ee) || ee.ExitCode() != 2:
		t.Errorf("%v, want exit status 2", err)
	}
	if got := stderr.String(); !strings.HasPrefix(got, prefix) || !strings.Contains(got, want) || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q: want a refusal beginning %q with %q", stdout.String(), got, prefix, want)
	}
	// One wait of engines.ListWait (2 s) at most: a second (bench
	// --engines opencl --lanes 1e12 --steps 1e9 listed the devices twice)
	// made it 4 s.
	took = quickestOf(t, took, 3500*time.Millisecond, func() time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
		t0 := time.Now()
		_ = cmd.Run() // checked above: only its time now
		return time.Since(t0)
	})
	return took, stderr.String()
}

// quickestOf is took, a command's time, where it is within limit; else the
// command timed again by again, 3 tries in all, the quickest: a wait too
// many takes its time every try, a loaded machine not each (the tests
// beside it start gpusims of their own). It fails the test where every try
// took longer than limit.
func quickestOf(t *testing.T, took, limit time.Duration, again func() time.Duration) time.Duration {
	t.Helper()
	for try := 2; took > limit && try <= 3; try++ {
		t.Logf("try %d: took %v, over %v", try-1, took, limit)
		took = min(took, again())
	}
	if took > limit {
		t.Errorf("took %v at the quickest of 3 tries, want %v at most", took, limit)
	}
	return took
}

// TestStopHangingDriver: a SIGINT or SIGTERM during a refusal's wait for a
// driver that hangs in clGetPlatformIDs ends it at once with the signal's
// status and message, as it ends run --device 0's wait on the driver: the
// wait went on and the forced exit ended it StopGrace (0.6 s) after the
// signal. An exit at StopGrace or later is the forced exit's or a loaded
// machine's, and is tried again, 3 tries at most: the wait that goes on
// exits at StopGrace every time.
func TestStopHangingDriver(t *testing.T) {
	lib := hangingDriver(t)
	for _, c := range []struct {
		args []string
		sig  syscall.Signal
		want int
	}{
		// Refused for opencl:9's bogus after the wait for the devices:
		// a value refused by its form (run --device -1) waits no more.
		{[]string{"bench", "--engines", "opencl:9,bogus"}, syscall.SIGINT, 130},
		// Refused for its years, after the 2 s wait for the devices.
		{[]string{"bench", "--engines", "opencl", "--lanes", "1e12", "--steps", "1e9"}, syscall.SIGTERM, 143},
		{[]string{"run", "--device", "0"}, syscall.SIGINT, 130},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			var took time.Duration
			for try := 1; try <= 3; try++ {
				if took = stopInWait(t, lib, c.args, c.sig, c.want); took < interrupt.StopGrace {
					return
				}
				t.Logf("try %d: exited %v after the signal", try, took)
			}
			t.Errorf("exited %v after the signal in each of 3 tries, want before the forced exit (%v)", took, interrupt.StopGrace)
		})
	}
}

// stopInWait starts gpusim args with the OpenCL library lib, sends it sig
// 0.5 s later (inside the 2 s wait for the driver), and wants exit status
// want with the stop's message alone on stderr: how long after the signal
// it exited.
func stopInWait(t *testing.T, lib string, args []string, sig syscall.Signal, want int) time.Duration {
	t.Helper()
	cmd := exec.Command("gpusim", args...)
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // inside the 2 s wait
	t0 := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(10*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	err := cmd.Wait()
	took := time.Since(t0)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != want {
		t.Errorf("%v (stderr %q), want exit status %d", err, stderr.String(), want)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "gpusim: interrupted") && !strings.HasPrefix(got, "gpusim: terminated") {
		t.Errorf("stderr %q, want the stop's message alone", got)
	}
	return took
}

// TestCalibratedHangingDriver: a plain run whose calibration chose the
// OpenCL device runs on simd in engines' answer wait (10 s) and a little,
// with auto's note that the driver did not answer, and keeps the
// calibration, where its start of the device waited for ever. The driver
// hangs after the calibration: the library GPUSIM_OPENCL_LIBRARY names (a
// copy of the ICD loader this process loaded) is replaced by one whose
// clGetPlatformIDs never returns, of the same size and modification time,
// so that the calibration's key is the same. The calibration keeps no
// program file for the device (one an older gpusim wrote), whose look-up
// listed the devices too.
func TestCalibratedHangingDriver(t *testing.T) {
	hang := hangingDriver(t)
	loader := loadedOpenCL(t)
	dir := t.TempDir()
	lib, cache := filepath.Join(dir, "libOpenCL.so.1"), filepath.Join(dir, "cache")
	copyFile(t, loader, lib)
	run := func(timeout time.Duration, args ...string) (stderr string, took time.Duration, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "gpusim", args...)
		cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+cache, "GPUSIM_OPENCL_LIBRARY="+lib)
		var out strings.Builder
		cmd.Stderr = &out
		t0 := time.Now()
		err = cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("gpusim %s still waiting after %v: %q", strings.Join(args, " "), time.Since(t0), out.String())
		}
		return out.String(), time.Since(t0), err
	}
	job := []string{"run", "--lanes", "1e7", "--steps", "100"}
	if stderr, _, err := run(2*time.Minute, job...); err != nil {
		t.Fatalf("calibrating: %v (stderr %q)", err, stderr)
	}
	// The device predicted far faster than simd, with no program file.
	file := filepath.Join(cache, "auto.json")
	var cals map[string]map[string]any
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &cals)
	}
	if err != nil || len(cals) == 0 {
		t.Fatalf("no calibration: %v (%s)", err, b)
	}
	for _, c := range cals {
		delete(c, "cold")
		delete(c, "unstarted_under_s")
		c["devices"] = []map[string]any{{"index": 0, "label": "0: fake (pocl, CPU)", "startup_s": 0.04, "fixed_s": 0.0005, "ns_per_lane_step": 0.001}}
	}
	if b, err = json.Marshal(cals); err == nil {
		err = os.WriteFile(file, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The hanging library in its place, as it was to the key.
	st, err := os.Stat(lib)
	if err != nil {
		t.Fatal(err)
	}
	if hs, err := os.Stat(hang); err != nil || hs.Size() > st.Size() {
		t.Skipf("the hanging library is larger than %s (%d bytes), or not there: %v", loader, st.Size(), err)
	}
	copyFile(t, hang, lib)
	if err := os.Truncate(lib, st.Size()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(lib, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	stderr, took, err := run(40*time.Second, job...)
	said := "gpusim: note: opencl failed, running on simd: the OpenCL driver " + lib + " did not answer in 10 s when asked for its devices\n"
	if err != nil || !strings.HasPrefix(stderr, said) {
		t.Errorf("%v, stderr %q: want exit 0 and first %q", err, stderr, said)
	}
	if took > 25*time.Second {
		t.Errorf("took %v, want the 10 s wait and simd's job", took)
	}
	if after, err := os.ReadFile(file); err != nil || string(after) != string(b) {
		t.Errorf("the calibration was changed: %s (%v)", after, err)
	}
}

// loadedOpenCL is the file of the OpenCL library this process loads for its
// devices (/proc/self/maps), skipping where there is no OpenCL device
// (failing under CI=true).
func loadedOpenCL(t *testing.T) string {
	t.Helper()
	if _, err := gpu.Devices(); err != nil {
		if testenv.CI() {
			t.Fatalf("CI=true but no OpenCL device: %v", err)
		}
		t.Skipf("no OpenCL device: %v", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(maps)) {
		if f := strings.Fields(line); len(f) == 6 && strings.Contains(filepath.Base(f[5]), "libOpenCL.so") {
			return f[5]
		}
	}
	t.Skip("no libOpenCL.so among this process's libraries (GPUSIM_OPENCL_LIBRARY names a driver's own)")
	return ""
}

// copyFile copies the file src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err == nil {
		err = os.WriteFile(dst, b, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestHungProbeChildEnded: an auto run that fell back to simd after the
// 10 s wait on a driver that hangs in clGetPlatformIDs keeps no probe's
// child (none live, none a zombie) and has not loaded the driver itself:
// the child, hung in the driver, lived on until the run ended, holding
// the driver's memory and threads.
func TestHungProbeChildEnded(t *testing.T) {
	lib := hangingDriver(t)
	errFile := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(errFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Some 50 s on simd: ended below once it is seen.
	cmd := exec.Command("gpusim", "run", "--lanes", "2e7", "--steps", "3000")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	said := "running on simd: the OpenCL driver " + lib + " did not answer in 10 s"
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, _ := os.ReadFile(errFile); strings.Contains(string(b), said) {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(errFile)
			t.Fatalf("no note %q after 30 s: stderr %q", said, b)
		}
	}
	// The kill came before the note; the reap just after.
	var kids []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if kids = childrenOf(cmd.Process.Pid); len(kids) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(kids) != 0 {
		t.Errorf("the run on simd keeps children: %q", kids)
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(maps), lib) {
		t.Errorf("the run loaded the driver that hangs itself (%s in its maps)", lib)
	}
}

// childrenOf lists the processes whose parent is pid, zombies too, each
// as /proc/PID/stat gives it.
func childrenOf(pid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []string
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces.
		_, rest, ok := strings.Cut(string(b), ") ")
		if f := strings.Fields(rest); ok && len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, strings.TrimSpace(string(b)))
		}
	}
	return out
}

// TestProbeChildNamed: the probe's child, held by a driver that hangs as it
// lists its platforms, bears its parent's name in ps, top and pgrep -x
// (comm), it and each of its threads, where the kernel named it after the
// file it executes, /proc/self/exe: "exe".
func TestProbeChildNamed(t *testing.T) {
	lib := hangingDriver(t)
	cmd := exec.Command("gpusim", "devices")
	cmd.Env = append(os.Environ(), "GPUSIM_CACHE_DIR="+t.TempDir(), "GPUSIM_OPENCL_LIBRARY="+lib)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	parent, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for deadline := time.Now().Add(8 * time.Second); len(kids) == 0; time.Sleep(50 * time.Millisecond) {
		if kids = childrenOf(cmd.Process.Pid); len(kids) == 0 && time.Now().After(deadline) {
			t.Fatal("no probe child within 8 s")
		}
	}
	// The child names itself as it starts: it has 5 s to.
	pid, _, _ := strings.Cut(kids[0], " ")
	var wrong []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		tasks, _ := filepath.Glob("/proc/" + pid + "/task/*/comm")
		wrong = nil
		for _, p := range tasks {
			if b, err := os.ReadFile(p); err == nil && string(b) != string(parent) {
				wrong = append(wrong, fmt.Sprintf("%s reads %q", p, b))
			}
		}
		if len(tasks) > 0 && len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe's child %s (%d threads): %q; want its parent's name %q", pid, len(tasks), wrong, parent)
		}
	}
}
