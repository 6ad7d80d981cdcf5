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
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// TestMain makes the test binary double as gpusim, so scripts and tests exec
// the CLI without a go build, set up as main sets gpusim up (setUp).
// gpusim-tty is gpusim with stderr taken for a
// terminal and a progress bar that appears at once and redraws every 10ms.
func TestMain(m *testing.M) {
	if name := filepath.Base(os.Args[0]); name != "gpusim" && name != "gpusim-tty" {
		// The test binary, not a gpusim it starts: those must start with
		// the stop signals' default action, whatever this process got.
		testenv.UnignoreStopSignals()
	}
	testscript.Main(ownCaches{m}, map[string]func(){
		"gpusim": func() {
			setUp()
			earlyDevices, interrupt.HoldAtExit = true, true
			exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
		// gpusim whose temporary files are named from the start, as on a
		// file system without unnamed ones (NFS before 4.2, FAT)
		// (TestCrashOutputs).
		"gpusim-named": func() {
			setUp()
			atomicfile.Anonymous = false
			earlyDevices, interrupt.HoldAtExit = true, true
			exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
		"gpusim-tty": func() {
			setUp()
			fakeTerminal()
			marked := markForcedExits()
			earlyDevices, interrupt.HoldAtExit = true, true
			code := Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			if marked {
				fmt.Fprintf(os.Stderr, leftInFlightLine, gpu.LeftInFlight())
			}
			exit(code)
		},
		// gpusim that waits slowExit between Run's return and the exit,
		// where a signal used to find the default action back
		// (TestSignalAfterReturn).
		"gpusim-slow-exit": func() {
			setUp()
			earlyDevices, interrupt.HoldAtExit = true, true
			code := Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			time.Sleep(slowExit)
			exit(code)
		},
		// gpusim that sends itself SIGTERM as the early load starts
		// (startDevices), where the signal used to find the default
		// action (TestSignalAtEarlyLoad).
		"gpusim-signal-early": func() {
			setUp()
			earlyDevices, interrupt.HoldAtExit = true, true
			startDevices = func() {
				engines.StartDevices()
				if p, err := os.FindProcess(os.Getpid()); err == nil {
					p.Signal(syscall.SIGTERM)
				}
				time.Sleep(slowExit)
			}
			exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
		// gpusim that sends itself SIGTERM as the early load starts and
		// is then held there past the stop's grace, as by a load that no
		// call can cut, so that the forced exit ends it (interrupt.Exit);
		// with GPUSIM_TEST_SECOND_SIGNAL set it sends SIGINT too, past
		// the duplicate window, which ends it at once (interrupt.Now)
		// (TestForcedExitNotIntoPart).
		"gpusim-stuck-early": func() {
			setUp()
			earlyDevices, interrupt.HoldAtExit = true, true
			startDevices = func() {
				p, err := os.FindProcess(os.Getpid())
				if err != nil {
					return
				}
				p.Signal(syscall.SIGTERM)
				if os.Getenv("GPUSIM_TEST_SECOND_SIGNAL") != "" {
					time.Sleep(interrupt.StopGrace / 2)
					p.Signal(syscall.SIGINT)
				}
				time.Sleep(2 * interrupt.StopGrace)
			}
			exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
		// gpusim whose bench engines, stopped, hold on past the stop's
		// grace before they return (stopIgnorer), so that the forced exit
		// ends it while bench.Run has not returned
		// (TestBenchForcedExitPrintsReport).
		"gpusim-stuck-bench": func() {
			benchWrapped(func(e sim.Engine) sim.Engine { return stopIgnorer{e} })
		},
		// gpusim whose bench engines never see a stop (deafEngine), so
		// that the forced exit ends it while an engine runs: the
		// processes engine's children and folder of parts then are
		// the forced exit's to end (TestBenchForcedExitRemovesParts).
		"gpusim-deaf-bench": func() {
			benchWrapped(func(e sim.Engine) sim.Engine { return deafEngine{e} })
		},
		// gpusim whose stdout fails every write (fullWriter), which it
		// cannot see before it writes: not /dev/full, which is refused
		// first (TestCouldNotRunReportLost).
		"gpusim-failing-stdout": func() {
			setUp()
			earlyDevices, interrupt.HoldAtExit = true, true
			exit(Run(os.Args[1:], os.Stdin, fullWriter{}, os.Stderr))
		},
	})
}

// benchWrapped runs gpusim, set up as main sets it up, with every bench
// engine wrapped in wrap (stopIgnorer, deafEngine): the test variants
// whose engines see a stop late or never, so that the forced exit ends
// them.
func benchWrapped(wrap func(sim.Engine) sim.Engine) {
	setUp()
	earlyDevices, interrupt.HoldAtExit = true, true
	benchRun = func(ctx context.Context, cfg bench.Config, specs []bench.EngineSpec) (*bench.Report, error) {
		for i := range specs {
			newEngine := specs[i].New
			specs[i].New = func(n int, note func(string)) sim.Engine { return wrap(newEngine(n, note)) }
		}
		return bench.Run(ctx, cfg, specs)
	}
	exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// stopIgnorer is an engine that, stopped, holds on for 4 stop graces
// before it returns, as an engine in a call no stop can cut (a cold
// start's compile) does.
type stopIgnorer struct{ sim.Engine }

func (e stopIgnorer) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	res, err := e.Engine.Run(ctx, job)
	if ctx.Err() != nil {
		time.Sleep(4 * interrupt.StopGrace)
	}
	return res, err
}

// deafEngine is an engine whose runs never see a stop: its run goes on
// to its end, as one in a call that no stop cuts does.
type deafEngine struct{ sim.Engine }

func (e deafEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	return e.Engine.Run(context.WithoutCancel(ctx), job)
}

// fullWriter fails every write as /dev/full does, where gpusim cannot see
// it is full (not an *os.File): a file system that fills as the command runs.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// slowExit is how long gpusim-slow-exit waits between Run's return and the
// process's exit.
const slowExit = 300 * time.Millisecond

// ownCaches runs the test binary's tests (not a gpusim it starts) with
// caches of their own (cltest.Run): the Go tests' gpusim runs, in process
// and as child processes, left compiled programs and self-test passes in
// ~/.cache/gpusim and could read the user's calibration of auto there.
// Scripts get testscript's environment (HOME=/no-home) and set their own.
type ownCaches struct{ m *testing.M }

func (o ownCaches) Run() int {
	// Not cltest's long wait on the driver (cltest.DriverWait): the tests
	// of fake drivers that hang here assert the default's "did not answer
	// in 10 s", and would each wait 60 s. The scripts set 60 (above).
	if os.Getenv("GPUSIM_DRIVER_WAIT") == "" {
		os.Setenv("GPUSIM_DRIVER_WAIT", "10")
	}
	return cltest.Run(o.m)
}

// TestOwnCaches: the tests' runs use caches of their own, not the user's.
func TestOwnCaches(t *testing.T) { cltest.CheckOwnCaches(t) }

// stopGraceEnv, set in a gpusim-tty child's environment to a duration
// (time.ParseDuration), makes the forced exit that a stop arms
// (interrupt.ExitLater) wait that long instead of its grace and write
// forcedExitMark before its message, and the child write leftInFlightLine
// last, where its Run returned: the stop tests then tell a stop that came
// through the clean path, however long a loaded machine made it take, from
// one that the forced exit ended, and an OpenCL run that returned at once
// from one that waited for its launches (stopOutcome).
const stopGraceEnv = "GPUSIM_TEST_STOP_GRACE"

// forcedExitMark is the line a forced exit writes before its message in a
// gpusim-tty child with stopGraceEnv set.
const forcedExitMark = "gpusim-test: forced exit\n"

// leftInFlightLine is the line a gpusim-tty child with stopGraceEnv set
// writes after its Run returned: how many cancelled OpenCL runs returned
// with their launches in flight (gpu.LeftInFlight).
const leftInFlightLine = "gpusim-test: runs left in flight: %d\n"

// markForcedExits makes the forced exits of this process wait
// stopGraceEnv's duration and write forcedExitMark, and reports whether
// it did: stopGraceEnv is set to a duration.
func markForcedExits() bool {
	grace, err := time.ParseDuration(os.Getenv(stopGraceEnv))
	if err != nil {
		return false
	}
	exitLater = func(w io.Writer) func(int, string, time.Duration) func() {
		exit := interrupt.Exit(w)
		return func(status int, msg string, _ time.Duration) func() {
			return exit(status, forcedExitMark+msg, grace)
		}
	}
	return true
}

// fakeTerminal makes stderr count as a terminal and the progress bar draw at
// once and often, and returns a function that undoes it.
func fakeTerminal() (restore func()) {
	is, delay, every := isTerminal, progressDelay, progressInterval
	isTerminal = func(io.Writer) bool { return true }
	progressDelay, progressInterval = -1, 10*time.Millisecond
	return func() { isTerminal, progressDelay, progressInterval = is, delay, every }
}

// TestScript runs testdata/script/*.txtar, one behaviour each. Besides
// testscript's commands they have:
//
//	exit N cmd args...          run cmd, which must exit with status N
//	json FILE PATH[=V|~RE]...   FILE (or stdout) is JSON whose value at the
//	                            dotted PATH (numbers index arrays) exists,
//	                            equals V (strings unquoted, other values as
//	                            compact JSON) or matches RE
//	jsonenv FILE PATH VAR       set $VAR to the value at PATH
//	lines FILE N                FILE has N lines
//	png FILE...                 each FILE is a PNG image that decodes
//	replace FILE OLD NEW        replace the first OLD in FILE with NEW
//	trunc FILE N                cut FILE to its first N bytes
//	size FILE N                 FILE has N bytes
//	image FILE                  FILE decodes as a PNG or parses as an SVG,
//	                            by its extension
//
// the variable $OVERCPU, one more than the CPUs (runtime.NumCPU), and the
// conditions [numpy] (a python3 with numpy is $PYTHON), [opencl]
// (an OpenCL device exists), [jq] (jq is on PATH) and [race] (gpusim is
// built with the race detector, make race). Under CI=true the absence of
// numpy, OpenCL or jq fails the script instead of skipping that part.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PYTHON", testenv.Python())
			env.Setenv("OVERCPU", strconv.Itoa(runtime.NumCPU()+1))
			// Each script's OpenCL runs get their own pocl kernel cache, so
			// scripts running at once never share one.
			env.Setenv("POCL_CACHE_DIR", filepath.Join(env.WorkDir, ".pocl-cache"))
			// The scripts' driver is the real one (pocl), which answers:
			// a machine under load must not turn its slow answer into
			// "did not answer in 10 s" (GPUSIM_DRIVER_WAIT). A script
			// that means a short wait sets its own.
			env.Setenv("GPUSIM_DRIVER_WAIT", "60")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "numpy":
				if testenv.Python() == "" && testenv.CI() {
					return false, errors.New("CI=true but no python3 with numpy was found (.ci/run installs python3-numpy)")
				}
				return testenv.Python() != "", nil
			case "jq":
				_, err := exec.LookPath("jq")
				if err != nil && testenv.CI() {
					return false, errors.New("CI=true but no jq was found (.ci/run installs jq)")
				}
				return err == nil, nil
			case "race":
				return raceEnabled, nil
			case "opencl":
				_, err := gpu.Devices()
				if err != nil && testenv.CI() {
					return false, fmt.Errorf("CI=true but no OpenCL device (.ci/run installs pocl): %w", err)
				}
				return err == nil, nil
			case "pocl":
				// Device 0 is pocl's (its variables apply).
				ds, err := gpu.Devices()
				return err == nil && len(ds) > 0 && ds[0].PlatformName == "Portable Computing Language", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exit":    cmdExit,
			"json":    cmdJSON,
			"jsonenv": cmdJSONEnv,
			"lines":   cmdLines,
			"png":     cmdPNG,
			"replace": cmdReplace,
			"trunc":   cmdTrunc,
			"size":    cmdSize,
			"image":   cmdImage,
		},
	})
}

func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit N cmd args...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// jsonAt returns the value at a dotted path in the JSON document; a number
// in the path indexes an array.
func jsonAt(doc any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[k]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(d) {
				return nil, false
			}
			doc = d[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

func readJSON(ts *testscript.TestScript, file string) any {
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(file)), &doc); err != nil {
		ts.Fatalf("%s is not JSON: %v", file, err)
	}
	return doc
}

// jsonText is v as the json and jsonenv commands compare it.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: json FILE PATH[=V|~RE]...")
	}
	doc := readJSON(ts, args[0])
	var failed error
	for _, a := range args[1:] {
		path, want, op := a, "", byte(0)
		if i := strings.IndexAny(a, "=~"); i >= 0 {
			path, want, op = a[:i], a[i+1:], a[i]
		}
		v, ok := jsonAt(doc, path)
		got := jsonText(v)
		switch {
		case !ok:
			failed = fmt.Errorf("%s: no %s", args[0], path)
		case op == '=' && got != want:
			failed = fmt.Errorf("%s: %s is %s, want %s", args[0], path, got, want)
		case op == '~':
			re, err := regexp.Compile(want)
			ts.Check(err)
			if !re.MatchString(got) {
				failed = fmt.Errorf("%s: %s is %s, which does not match %s", args[0], path, got, want)
			}
		}
		if failed != nil {
			break
		}
	}
	if neg && failed == nil {
		ts.Fatalf("%s: unexpected match of %q", args[0], args[1:])
	}
	if !neg && failed != nil {
		ts.Fatalf("%v", failed)
	}
}

func cmdJSONEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonenv FILE PATH VAR")
	}
	v, ok := jsonAt(readJSON(ts, args[0]), args[1])
	if !ok {
		ts.Fatalf("%s: no %s", args[0], args[1])
	}
	ts.Setenv(args[2], jsonText(v))
}

func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	got := strings.Count(ts.ReadFile(args[0]), "\n")
	if strconv.Itoa(got) != args[1] {
		ts.Fatalf("%s has %d lines, want %s", args[0], got, args[1])
	}
}

func cmdSize(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: size FILE N")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if strconv.FormatInt(st.Size(), 10) != args[1] {
		ts.Fatalf("%s has %d bytes, want %s", args[0], st.Size(), args[1])
	}
}

// cmdImage checks that each FILE is a chart, PNG or SVG by its extension
// (testenv.CheckImage).
func cmdImage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: image FILE...")
	}
	for _, a := range args {
		if err := testenv.CheckImage(ts.MkAbs(a)); err != nil {
			ts.Fatalf("%v", err)
		}
	}
}

// cmdPNG is cmdImage for files that must be PNG.
func cmdPNG(ts *testscript.TestScript, neg bool, args []string) {
	for _, a := range args {
		if strings.ToLower(filepath.Ext(a)) != ".png" {
			ts.Fatalf("%s: not a .png file", a)
		}
	}
	cmdImage(ts, neg, args)
}
