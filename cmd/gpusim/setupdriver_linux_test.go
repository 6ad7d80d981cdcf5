//go:build amd64 || arm64

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// setUpCase is a command run under the forwarding driver
// (testdata/fakecl/fwd.c) with FAKECL_FAULT=fault: its exit status and
// what its stderr holds. record says whether the cache holds the probe's
// record (the driver is loaded at once, no child).
type setUpCase struct {
	fault  string
	record bool
	line   string
	code   int
	want   string
}

// TestSetUpFaultingDriver: a driver that lists its devices and then hangs
// or crashes creating a device's context or queue, or hangs creating a
// kernel or a buffer or asked for a kernel's work-group limits, ends the
// commands that open the device: run --device 0, run --engine opencl, selftest and bench
// --engines opencl exit 1 with an error that names the step, the device
// and the driver, and the driver's hint; auto (a plain run) runs on simd
// with it in its note, exit 0. A hang is bounded as the listing is, 10 s,
// in gpusim itself and in the probe's child, whose wait names the step
// the child is in; a crash is the probe child's, which creates a context
// and a queue on each device. Each hang waited for ever, each crash
// printed Go's trace (200 to 250 lines) and exited 2. The crashes run at
// once, then the hangs (checkSetUpCases): a hang waits the 10 s, asleep. gpusim devices, which creates
// nothing itself, says so too where the probe's child runs (it listed the
// devices, exit 0). The hint of a hang here said "a driver that hangs as
// it starts", where clinfo -l, which lists the devices, answers.
func TestSetUpFaultingDriver(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	ctxSaid := "the OpenCL driver " + lib + " did not answer in 10 s when asked for a context for device 0 ("
	queueSaid := strings.Replace(ctxSaid, "a context for", "a queue on", 1)
	crashCtx := "the OpenCL driver " + lib + " crashed (SIGSEGV) when asked for a context for device 0 ("
	crashQueue := strings.Replace(crashCtx, "a context for", "a queue on", 1)
	// auto's job is one simd takes some 5 s on (2e9 lane-steps: 1.3 s,
	// where auto measured for 3.4 s under load and, deciding longer than
	// the job, left opencl's devices unstarted, stderr empty): it starts
	// the device, as the case means to test.
	const auto = "run --lanes 2e7 --steps 400"
	cases := []setUpCase{
		{"hang:clCreateContext", true, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + ctxSaid},
		{"hang:clCreateContext", true, "run --engine opencl --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + ctxSaid},
		{"hang:clCreateContext", true, "selftest", 1, ctxSaid},
		{"hang:clCreateContext", true, "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none", 1, ctxSaid},
		{"hang:clCreateContext", true, auto, 0, "gpusim: note: opencl"},
		{"hang:clCreateCommandQueue", true, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + queueSaid},
		// selftest opens the device twice (its two programs): one wait.
		{"hang:clCreateCommandQueue", true, "selftest", 1, queueSaid},
		// No record: the probe's child hangs, and its wait names the step.
		{"hang:clCreateContext", false, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + ctxSaid},
		{"hang:clCreateCommandQueue", false, auto, 0, "gpusim: note: opencl failed, running on simd: " + queueSaid},
		// The child's release of its queue, named as such: it read "a
		// queue on device 0".
		{"hang:clReleaseCommandQueue", false, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + strings.Replace(ctxSaid, "a context for", "the release of the queue on", 1)},
		// devices, which creates nothing, says so too, where it listed
		// the devices a run then crashed on or waited for ever on.
		{"hang:clCreateCommandQueue", false, "devices", 1, "gpusim: error: " + queueSaid},
		{"crash:clCreateContext", false, "devices", 1, "gpusim: error: " + crashCtx},
		{"crash:clCreateContext", false, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + crashCtx},
		{"crash:clCreateContext", false, "selftest", 1, "gpusim: error: " + crashCtx},
		{"crash:clCreateContext", false, auto, 0, "gpusim: note: opencl failed, running on simd: " + crashCtx},
		{"crash:clCreateCommandQueue", false, "run --engine opencl --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + crashQueue},
		{"crash:clCreateCommandQueue", false, "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none", 1, crashQueue},
	}
	checkSetUpCases(t, warm, env, cases)
}

// TestHangAfterQueue: a driver that lists its devices, creates a context
// and a queue and then hangs creating a kernel (clCreateKernel) or a
// buffer (clCreateBuffer) or asked for a kernel's work-group limits
// (clGetKernelWorkGroupInfo) ends run, selftest and bench in 10 s, exit
// 1, naming the call, the device and the driver, with the hint of a
// driver that hangs setting a device up: each waited for ever. A hang in
// the listing itself, in gpusim (the record: no child), names the
// library, as these do, where it named none. Apart from
// TestSetUpFaultingDriver, whose probe's children a loaded machine slows.
func TestHangAfterQueue(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	said := "the OpenCL driver " + lib + " did not answer in 10 s when asked for "
	const dev = " device 0 ("
	checkSetUpCases(t, warm, env, []setUpCase{
		{"hang:clCreateKernel", true, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + said + "the kernel weather for" + dev},
		{"hang:clCreateKernel", true, "selftest", 1, said + "the kernel weather for" + dev},
		{"hang:clCreateBuffer", true, "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none", 1, said + "a buffer of 64 bytes on" + dev},
		{"hang:clGetKernelWorkGroupInfo", true, "run --engine opencl --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + said + "the work-group limits of kernel weather on" + dev},
		{"hang:clGetPlatformIDs", true, "run --device 0 --lanes 1000 --steps 10", 1, "gpusim: error: start opencl: " + said + "its devices\n"},
	})
}

// forwardingDriver builds the forwarding driver (testdata/fakecl/fwd.c)
// and a cache whose programs are built and whose probe's record is made
// under it, without a fault: the library, the cache and the environment
// that loads the driver (its copy: cases append to it).
func forwardingDriver(t *testing.T) (lib, warm string, env []string) {
	t.Helper()
	lib = fakeDriver(t, "fwd")
	real := loadedOpenCL(t)
	warm = filepath.Join(t.TempDir(), "cache")
	env = slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + real})
	cmd := exec.Command("gpusim", "selftest")
	cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + warm})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("selftest under the forwarding driver: %v\n%s", err, out)
	}
	return lib, warm, env
}

// checkSetUpCases runs the cases at once, each on a copy of the cache
// warm (less the probe's record where the case has none) with env and its
// fault, and checks each: its status, its words, the hint of its fault,
// no Go trace, and one wait of 10 s at most besides simd's job.
func checkSetUpCases(t *testing.T, warm string, env []string, cases []setUpCase) {
	t.Helper()
	const hangHint = "\ngpusim: hint: a driver that lists its devices and then hangs setting one up (clinfo -l lists them all the same): GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so"
	const startHint = "\ngpusim: hint: a driver that hangs as it starts: clinfo -l says whether it answers, and GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so"
	const crashHint = "\ngpusim: hint: a driver that lists its devices and then crashes setting one up (clinfo -l lists them all the same): GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so"
	results := make([]setUpResult, len(cases))
	// The crashes first, all at once, then the hangs, all at once: a
	// crash must reach its verdict within the 10 s wait, which 16
	// processes at once (auto's simd jobs among them) beside a loaded
	// machine's other tests did not always leave it (a load of 19: the
	// crashes read "did not answer in 10 s").
	for _, crashes := range []bool{true, false} {
		var wg sync.WaitGroup
		for i, c := range cases {
			if strings.HasPrefix(c.fault, "crash:") != crashes {
				continue
			}
			cache := filepath.Join(t.TempDir(), "cache")
			if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
			if !c.record {
				if err := os.Remove(filepath.Join(cache, "opencl-probe")); err != nil {
					t.Fatal(err)
				}
			}
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
			wg.Go(func() { results[i] = runSetUpCase(c, caseEnv) })
		}
		wg.Wait()
	}
	for i, c := range cases {
		r := results[i]
		name := c.fault + " probed " + c.line
		if c.record {
			name = c.fault + " recorded " + c.line
		}
		t.Run(name, func(t *testing.T) {
			hint := hangHint
			switch {
			case strings.HasPrefix(c.fault, "crash"):
				hint = crashHint
			case c.fault == "hang:clGetPlatformIDs":
				hint = startHint
			}
			if c.code == 0 {
				hint = strings.Replace(hint, "gpusim: hint: ", "gpusim: note: hint for opencl: ", 1)
			}
			switch {
			case r.hung:
				t.Fatalf("still waiting after %v: %q", r.took, r.stderr)
			case r.code != c.code || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, hint):
				// stdout too: auto's report says why it chose what it did.
				t.Errorf("exit status %d, stderr %q (stdout %q): want exit status %d, %q and the hint %q", r.code, r.stderr, r.stdout, c.code, c.want, hint)
			case strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "SIGSEGV: ") || strings.Contains(r.stderr, "SIGABRT: "):
				t.Errorf("stderr %q: Go's trace", r.stderr)
			}
			// One wait of 10 s, and simd's job for auto: its wall time,
			// which the report gives, left out, as on a loaded machine
			// the job alone took 5 to 20 s (29.8 s in all against a
			// bound of 25 s with the job in it); two waits take 20 s.
			if job := reportedWall(r.stdout); r.took > 25*time.Second && r.took-job > 19500*time.Millisecond {
				t.Errorf("took %v, %v of it the job (the report's wall time): want the 10 s wait at most and the job", r.took, job)
			}
		})
	}
}

// setUpResult is how a setUpCase's command ended.
type setUpResult struct {
	hung   bool // still running at runSetUpCase's bound
	code   int
	took   time.Duration
	stdout string
	stderr string
}

// wallLine is the report's time line, "time      4.352 s wall, ..."
// (report.FmtDuration's units: count.Seconds).
var wallLine = regexp.MustCompile(`(?m)^time +([0-9.]+) (ns|µs|ms|s) wall`)

// reportedWall is the job's wall time that the text report in stdout
// gives, or 0 where there is none (the command ended without a report).
func reportedWall(stdout string) time.Duration {
	m := wallLine.FindStringSubmatch(stdout)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0
	}
	unit := map[string]time.Duration{"ns": time.Nanosecond, "µs": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
	return time.Duration(v * float64(unit))
}

// runSetUpCase runs c's command with env, 90 s at most (auto's job on
// simd, after the 10 s wait, on a loaded machine).
func runSetUpCase(c setUpCase, env []string) setUpResult {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpusim", strings.Fields(c.line)...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	_ = cmd.Run()
	return setUpResult{hung: ctx.Err() != nil, code: cmd.ProcessState.ExitCode(), took: time.Since(t0), stdout: stdout.String(), stderr: stderr.String()}
}

// TestStopFaultingDriver: a stop (SIGINT, SIGTERM) or --timeout while the
// driver hangs in a call that cannot be cut short, a build, the load of a
// cached program or a first launch, ends the command with the stop's
// status and message, after a note naming what it waited for
// (interrupt.WaitingNote): "gpusim: interrupted" alone did not say the
// driver had hung, nor in what. A stop in a bounded call's wait (a kernel)
// names that call, where it said "to start device 0", and so does one in
// the log of a failed build (clGetProgramBuildInfo), where it named the
// build. A stop while the driver hangs setting a later launch's arguments
// (clSetKernelArg, past the start's calls) names that, where it named
// nothing, and one in the release of the device's context (bench, between
// its measurements) names the context, where it named the release of the
// queue and kernels.
// The --timeout cases are timeoutInHang's: a loaded machine's cold path
// to the hung call passed a fixed 2 s.
func TestStopFaultingDriver(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const note = "gpusim: note: stopped while waiting for the OpenCL driver to "
	const cut = ", which a stop cannot cut short: it was left to end with the process\n"
	run := "run --device 0 --lanes 1000 --steps 10"
	for _, c := range []struct {
		fault string
		warm  bool
		line  string
		sig   syscall.Signal // 0: --timeout (timeoutInHang)
		code  int
		want  string // the note's step, before " device 0 ("
		last  string // "" for --timeout: timeoutInHang's limit says it
	}{
		{"hang:clBuildProgram", false, run, syscall.SIGINT, 130, "build the program for", "gpusim: interrupted\n"},
		{"hang:clBuildProgram", false, "selftest", syscall.SIGTERM, 143, "build the program for", "gpusim: terminated\n"},
		{"hang:clBuildProgram", false, run, 0, 124, "build the program for", ""},
		{"hang:clCreateProgramWithBinary", true, run, syscall.SIGINT, 130, "load the program for", "gpusim: interrupted\n"},
		{"hang:clFinish", true, run, 0, 124, "finish the first launch's commands on", ""},
		{"hang:clCreateKernel", true, run, syscall.SIGINT, 130, "answer when asked for the kernel weather for", "gpusim: interrupted\n"},
		// The log of a failed build, named so: it named the build.
		{"fail:clBuildProgram,hang:clGetProgramBuildInfo", false, run, syscall.SIGINT, 130, "answer when asked for the log of the failed build for", "gpusim: interrupted\n"},
		// The 100th call: the start's warm-up launch sets 28, the run's
		// launches (more than 4 here) as many each.
		{"hang:clSetKernelArg@100", true, "run --device 0 --lanes 1e6 --steps 1000", syscall.SIGINT, 130, "set a launch's arguments on", "gpusim: interrupted\n"},
		{"hang:clReleaseContext", true, "bench --engines opencl:0 --lanes 1000 --steps 10,20 --reps 1 --warmup 0 --no-sweep --baseline none", syscall.SIGTERM, 143, "answer when asked for the release of the context for", "gpusim: terminated\n"},
	} {
		t.Run(c.fault+" "+c.line+stopName(c.sig), func(t *testing.T) {
			t.Parallel()
			cache := filepath.Join(t.TempDir(), "cache")
			if c.warm {
				if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
					t.Fatal(err)
				}
			}
			// A copy: the subtests run at once, and an append to env would
			// write them all into its spare capacity (each case took another's
			// cache and fault in CI).
			code, got, last := stopOrTimeout(t, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault}), c.line, c.sig, c.last)
			_, step, _ := strings.Cut(got, note)
			if code != c.code || !strings.HasPrefix(step, c.want+" device 0 (") || !strings.HasSuffix(got, cut+last) {
				t.Errorf("exit status %d, stderr %q: want %d, the note that it waited for the driver to %s device 0, and last %q", code, got, c.code, c.want, last)
			}
		})
	}
}

// TestHangReleasing: a driver that hangs releasing the queue once the run
// is done (clReleaseCommandQueue, in the engine's Close) ends the run in
// the 10 s wait of the driver's cheap calls, exit 0 with its report: the
// process waited for ever after its report. A note says why it waited,
// after the report: the 10 s passed without a word. (A stop in that wait:
// TestStopReleasingAfterReport.)
func TestHangReleasing(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	cmd := exec.Command("gpusim", "run", "--device", "0", "--lanes", "1000", "--steps", "10")
	cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + warm, "FAKECL_FAULT=hang:clReleaseCommandQueue"})
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(40*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	t0 := time.Now()
	err := cmd.Wait()
	if took := time.Since(t0); err != nil || !strings.Contains(stdout.String(), "digest") || took > 30*time.Second {
		t.Errorf("%v after %v, stdout %q, stderr %q: want exit 0 with the report within the 10 s wait", err, took, stdout.String(), stderr.String())
	}
	const note = " did not answer in 10 s when asked for the release of the queue and kernels on device 0 ("
	const left = "; the job's report is whole, and the engine was left to end with the process\n"
	if got := stderr.String(); !strings.Contains(got, "gpusim: note: the OpenCL driver ") || !strings.Contains(got, note) || !strings.HasSuffix(got, left) {
		t.Errorf("stderr %q: want the note that the driver did not answer the release", got)
	}
}

// TestStopReleasingAfterReport: a stop that finds run waiting for the
// driver to release the device after its report (past the commit point,
// where no forced exit is armed) ends the wait StopGrace later, with the
// stop's note naming the release and the run's own status, 0: the stop
// went unanswered until the driver's 10 s bound ended the wait, bench and
// selftest meanwhile ending at once.
func TestStopReleasingAfterReport(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cache := filepath.Join(t.TempDir(), "cache")
			if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
			var signalled time.Time
			marker := filepath.Join(t.TempDir(), "hung")
			line := "run --device 0 --lanes 1000 --steps 10"
			code, got := runInHang(t, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=hang:clReleaseContext", "FAKECL_HUNG=" + marker}), line, func(cmd *exec.Cmd) {
				if !awaitHung(t, cmd, marker) {
					return
				}
				signalled = time.Now()
				if err := cmd.Process.Signal(sig); err != nil {
					t.Error(err)
				}
			})
			took := time.Since(signalled)
			const note = "gpusim: note: stopped while waiting for the OpenCL driver to answer when asked for the release of the context for device 0 ("
			if signalled.IsZero() || code != 0 || !strings.Contains(got, note) || strings.Contains(got, "did not answer in 10 s") || took > 6*time.Second {
				t.Errorf("exit status %d %v after the stop, stderr %q: want 0 within StopGrace and a little, with the stop's note of the release", code, took, got)
			}
		})
	}
}

// TestCrashInProcess: a driver that crashes (SIGSEGV) in gpusim's own
// process, where no probe's child runs the call first (building gpusim's
// program from a cold cache, loading it from a warm one, its first launch
// and the wait for it, and where the probe's record holds a context, a
// queue and the listing), ends the command with exit 1, an error naming
// the driver's library, the signal and what it was asked, and the hint of
// the step, with no Go trace: each printed Go's trace (200 to 250 lines,
// "signal arrived during cgo execution") and exited 2, the status of a
// usage error. A driver's abort(3) is said the same way (it died by
// SIGABRT without a word). A crash loading a cached program leaves its loading mark,
// so the next start builds the program from source and runs. A crash in
// a run's later calls (a launch's arguments, a transfer's enqueue, the
// release of its buffers) or in selftest's checks after the start names
// them, where it named nothing ("crashed (SIGSEGV)" and the bare hint);
// one in the read of a chunk's finals (--out) names the transfer, where
// it read "to queue a launch".
func TestCrashInProcess(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	said := "gpusim: error: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked "
	const dev = " device 0 ("
	const tail = "GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; or run on a CPU engine (--engine simd)\n"
	const work = "gpusim: hint: a driver that lists its devices and then crashes building or running gpusim's program (clinfo -l lists them all the same): " + tail
	const setUp = "gpusim: hint: a driver that lists its devices and then crashes setting one up (clinfo -l lists them all the same): " + tail
	const listing = "gpusim: hint: a driver that crashes as it starts: clinfo -l shows whether it does so outside gpusim too, and " + tail
	const run = "run --device 0 --lanes 1e5 --steps 10"
	const bench = "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none"
	finals := filepath.Join(t.TempDir(), "finals.npy")
	type crashCase struct {
		fault string
		warm  bool // a copy of warm, whose record holds; else an empty cache
		line  string
		want  string
		hint  string
	}
	cases := []crashCase{
		{"crash:clBuildProgram", false, run, said + "to build the program for" + dev, work},
		// The hint worded for the command, as its other errors' (it read
		// --engine for each).
		{"crash:clBuildProgram", false, "selftest", said + "to build the program for" + dev, strings.Replace(work, "(--engine", "(gpusim run --engine", 1)},
		// A failed build's log (clGetProgramBuildInfo), asked on a
		// goroutine of its own while the build's wait is marked.
		{"fail:clBuildProgram,crash:clGetProgramBuildInfo", false, run, said + "for the log of the failed build for" + dev, work},
		{"crash:clCreateProgramWithBinary", true, run, said + "to load the program for" + dev, work},
		// The first launch's calls, each named: a crash in clFinish
		// read "to run the first launch", where a later launch's call
		// is named ("to finish a launch").
		{"crash:clEnqueueNDRangeKernel", true, run, said + "to queue the first launch on" + dev, work},
		{"crash:clFinish", true, "run --engine opencl --lanes 1e5 --steps 10", said + "to finish the first launch's commands on" + dev, work},
		{"crash:clEnqueueNDRangeKernel", true, bench, said + "to queue the first launch on" + dev, strings.Replace(work, "(--engine", "(--engines", 1)},
		{"crash:clCreateContext", true, run, said + "for a context for" + dev, setUp},
		{"crash:clCreateCommandQueue", true, "selftest", said + "for a queue on" + dev, strings.Replace(setUp, "(--engine", "(gpusim run --engine", 1)},
		{"crash:clGetPlatformIDs", true, run, said + "for its platforms\n", listing},
		// abort(3), as a compiler's failed assertion: it died by SIGABRT
		// (exit status 134) without a word, pocl's LLVM handler first.
		{"abort:clBuildProgram", false, run, strings.Replace(said, "SIGSEGV", "SIGABRT", 1) + "to build the program for" + dev, work},
		{"abort:clFinish", true, run, strings.Replace(said, "SIGSEGV", "SIGABRT", 1) + "to finish the first launch's commands on" + dev, work},
		// A run's calls past its first launch, and the self-test's timed
		// checks after the start (selftest): each crashed naming
		// nothing. The warm-up launch sets 28 arguments, fills 2
		// buffers and releases 2; the 3rd fill and release are the
		// run's, and selftest's 2nd launch is its first check's.
		{"crash:clSetKernelArg@100", true, "run --device 0 --lanes 1e6 --steps 1000", said + "to set a launch's arguments on" + dev, work},
		{"crash:clEnqueueFillBuffer@3", true, run, said + "to queue a transfer on" + dev, work},
		// The finals' read (--out) queued after a run's launch: the
		// warm-up reads 2 buffers, the 3rd read is the run's first
		// chunk's finals. It read "to queue a launch": the launch's
		// label, deferred, covered it.
		{"crash:clEnqueueReadBuffer@3", true, run + " --out " + finals, said + "to queue a transfer on" + dev, work + "gpusim: note: the OpenCL driver crashed before its files were written: --out \"" + finals + "\" was not, and a file already there is as it was\n"},
		{"crash:clReleaseMemObject@3", true, run, said + "to release the run's buffers on" + dev, work},
		{"crash:clEnqueueNDRangeKernel@2", true, "selftest", said + "to run the self-test's checks on" + dev, strings.Replace(work, "(--engine", "(gpusim run --engine", 1)},
	}
	results := make([]setUpResult, len(cases))
	caches := make([]string, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		caches[i] = filepath.Join(t.TempDir(), "cache")
		if c.warm {
			if err := os.CopyFS(caches[i], os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
		}
		caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + caches[i], "FAKECL_FAULT=" + c.fault})
		wg.Go(func() { results[i] = runSetUpCase(setUpCase{line: c.line}, caseEnv) })
	}
	wg.Wait()
	for i, c := range cases {
		r := results[i]
		t.Run(c.fault+" "+c.line, func(t *testing.T) {
			switch {
			case r.hung:
				t.Fatalf("still running after %v: %q", r.took, r.stderr)
			case r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.HasSuffix(r.stderr, c.hint):
				t.Errorf("exit status %d, stderr %q: want exit status 1, %q and last the hint %q", r.code, r.stderr, c.want, c.hint)
			case strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "SIGSEGV: ") || strings.Contains(r.stderr, "SIGABRT: "):
				t.Errorf("stderr %q: Go's trace", r.stderr)
			}
		})
	}
	// The crash loading the cached program left its loading mark: the next
	// start discards the entry, builds the source and runs. A crash in
	// the first launch leaves the same mark: the note names the launch
	// too, where it said the process ended while it loaded. The discard
	// is said once, in the compile's note, which names the process: the
	// cache's note at the end said it again.
	const discarded = "gpusim: note: compiling the OpenCL program for device 0 ("
	const because = " again, which can take seconds (under one where pocl's own cache holds the program): its cached one was discarded, as process "
	const launched = " ended while it loaded it or ran its first launch, which may have crashed it; once it builds and passes the self-test it is cached again for later runs\n"
	for _, fault := range []string{"crash:clCreateProgramWithBinary", "crash:clEnqueueNDRangeKernel"} {
		i := slices.IndexFunc(cases, func(c crashCase) bool { return c.fault == fault && c.line == run })
		after := runSetUpCase(setUpCase{line: run}, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + caches[i]}))
		_, note, _ := strings.Cut(after.stderr, discarded)
		_, note, _ = strings.Cut(note, because)
		if after.code != 0 || !strings.Contains(note, launched) || strings.Count(after.stderr, "discarded") != 1 {
			t.Errorf("the start after %s: exit status %d, stderr %q: want exit 0 and the discard said once, in the compile's note that names the process and the first launch", fault, after.code, after.stderr)
		}
	}
}

// TestHangReleasingEveryCommand: every command that releases a device's
// engine notes a release the driver did not answer in 10 s
// (clReleaseCommandQueue hangs), in run's words (sim.CloseNoted):
// (bench's progress line: "bench: opencl:0: " and the words):
// selftest's two programs, bench's measurement and auto's calibration of
// the device passed the same 10 s without a word, where run said why. A
// hang releasing the device's context (clReleaseContext) or its programs
// (clReleaseProgram) is named so: it read "the release of the queue and
// kernels", which the driver had answered.
func TestHangReleasingEveryCommand(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	const note = "gpusim: note: the OpenCL driver %s did not answer in 10 s when asked for the release of %s device 0 ("
	const left = "; the job's report is whole, and the engine was left to end with the process\n"
	lines := []string{
		"selftest --device 0",
		"bench --engines opencl:0 --lanes 1000 --steps 10 --reps 1 --warmup 0 --no-sweep --baseline none",
		"run --lanes 2e7 --steps 100",
		"run --device 0 --lanes 1000 --steps 10",
	}
	for _, c := range []struct{ fault, what string }{
		{"hang:clReleaseCommandQueue", "the queue and kernels on"},
		{"hang:clReleaseContext", "the context for"},
		{"hang:clReleaseProgram", "the programs for"},
	} {
		for _, line := range lines {
			if c.fault == "hang:clReleaseProgram" && line != lines[0] {
				continue // one command: the programs go with the context
			}
			t.Run(c.fault+" "+line, func(t *testing.T) {
				t.Parallel()
				checkHangReleasing(t, warm, slices.Concat(env, []string{"FAKECL_FAULT=" + c.fault}), line, fmt.Sprintf(note, lib, c.what), left)
			})
		}
	}
}

// checkHangReleasing runs line with env on a copy of the cache warm and
// checks that it exits 0 with the note want...left once, or its bench
// progress line's form.
func checkHangReleasing(t *testing.T, warm string, env []string, line, want, left string) {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	r := runSetUpCase(setUpCase{line: line}, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache}))
	// bench's notes are its progress lines, the engine named.
	bench := strings.ReplaceAll(want, "gpusim: note: ", "bench: opencl:0: ")
	switch {
	case r.hung:
		t.Fatalf("still waiting after %v: %q", r.took, r.stderr)
	case r.code != 0:
		t.Errorf("exit status %d, stderr %q: want 0", r.code, r.stderr)
	}
	_, after, ok := strings.Cut(r.stderr, want)
	if !ok {
		_, after, ok = strings.Cut(r.stderr, bench)
	}
	if strings.Count(r.stderr, left) != 1 {
		t.Errorf("stderr %q: want the note once", r.stderr)
	}
	if _, _, whole := strings.Cut(after, left); !ok || !whole {
		t.Errorf("stderr %q: want the note that the driver did not answer the release, %q...%q", r.stderr, want, left)
	}
}

// TestStopProbeChild: a stop (SIGINT, SIGTERM) or --timeout in the wait
// for the probe's child (no record), which hangs in the listing or
// releasing its queue, ends the command with the stop's status and
// message after a note that names the driver's library and what the child
// was last asked: "gpusim: error: --timeout: run exceeded 3s" came alone.
func TestStopProbeChild(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + loadedOpenCL(t)})
	note := "gpusim: note: stopped while waiting for the OpenCL driver " + lib + " to answer when asked for "
	const cut = ", which a stop cannot cut short: it was left to end with the process\n"
	run := "run --device 0 --lanes 1000 --steps 10"
	for _, c := range []struct {
		fault string
		line  string
		sig   syscall.Signal // 0: --timeout (timeoutInHang)
		code  int
		asked string
		last  string // "" for --timeout: timeoutInHang's limit says it
	}{
		{"hang:clReleaseCommandQueue", run, 0, 124, "the release of the queue on device 0 (", ""},
		{"hang:clGetDeviceIDs", run, syscall.SIGINT, 130, "its devices", "gpusim: interrupted\n"},
		{"hang:clCreateContext", "devices", syscall.SIGTERM, 143, "a context for device 0 (", "gpusim: terminated\n"},
	} {
		t.Run(c.fault+" "+c.line+stopName(c.sig), func(t *testing.T) {
			t.Parallel()
			code, got, last := stopOrTimeout(t, slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + filepath.Join(t.TempDir(), "cache"), "FAKECL_FAULT=" + c.fault}), c.line, c.sig, c.last)
			_, asked, _ := strings.Cut(got, note)
			if code != c.code || !strings.HasPrefix(asked, c.asked) || !strings.HasSuffix(got, cut+last) {
				t.Errorf("exit status %d, stderr %q: want %d, the note %q%s...%q, and last %q", code, got, c.code, note, c.asked, cut, last)
			}
		})
	}
}

// TestHangBuildLog: a driver that fails the build and then hangs when
// asked for its log (clGetProgramBuildInfo) ends run --device 0 in 10 s,
// exit 1, saying so with a hint for such a driver: it waited for ever.
func TestHangBuildLog(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + loadedOpenCL(t),
		"GPUSIM_CACHE_DIR=" + filepath.Join(t.TempDir(), "cache"), "FAKECL_FAULT=fail:clBuildProgram,hang:clGetProgramBuildInfo"})
	r := runSetUpCase(setUpCase{line: "run --device 0 --lanes 1000 --steps 10"}, env)
	const said = "clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11); the OpenCL driver did not answer in 10 s when asked for the build log\n"
	const hint = "gpusim: hint: a driver that fails the build and then hangs when asked for its log: GPUSIM_OPENCL_LIBRARY=PATH loads another libOpenCL.so; the CPU engines run without OpenCL\n"
	switch {
	case r.hung:
		t.Fatalf("still waiting after %v: %q", r.took, r.stderr)
	case r.code != 1 || !strings.Contains(r.stderr, "gpusim: error: start opencl: ") || !strings.Contains(r.stderr, said+hint):
		t.Errorf("exit status %d, stderr %q: want 1, %q and the hint %q", r.code, r.stderr, said, hint)
	case r.took > 25*time.Second:
		t.Errorf("took %v, want the 10 s wait", r.took)
	}
}

// TestHangBuildLogWait: GPUSIM_DRIVER_WAIT sets the wait for a failed
// build's log as it sets the others: a driver that fails the build and
// hangs when asked for its log ends run --device 0 after 5 s with
// GPUSIM_DRIVER_WAIT=5, and says 5 s (5, not less: pocl's other calls
// must answer within it on a loaded machine). The wait stayed 10 s
// (buildLogWait) whatever the setting: "did not answer in 10 s when asked
// for the build log" with GPUSIM_DRIVER_WAIT=5.
func TestHangBuildLogWait(t *testing.T) {
	lib := fakeDriver(t, "fwd")
	env := slices.Concat(os.Environ(), []string{"GPUSIM_OPENCL_LIBRARY=" + lib, "FAKECL_REAL=" + loadedOpenCL(t), "GPUSIM_DRIVER_WAIT=5",
		"GPUSIM_CACHE_DIR=" + filepath.Join(t.TempDir(), "cache"), "FAKECL_FAULT=fail:clBuildProgram,hang:clGetProgramBuildInfo"})
	r := runSetUpCase(setUpCase{line: "run --device 0 --lanes 1000 --steps 10"}, env)
	const said = "clBuildProgram: CL_BUILD_PROGRAM_FAILURE (-11); the OpenCL driver did not answer in 5 s when asked for the build log\n"
	switch {
	case r.hung:
		t.Fatalf("still waiting after %v: %q", r.took, r.stderr)
	case r.code != 1 || !strings.Contains(r.stderr, said):
		t.Errorf("exit status %d, stderr %q: want 1 and %q", r.code, r.stderr, said)
	}
}

// TestHangReleasingContext: a driver that hangs releasing a device's
// context (clReleaseContext, the last engine's Close) ends bench's next
// measurement of the device within the 10 s wait, exit 1, after the note
// of the release, its error naming the release, then the context: the
// release held the devices' registry, and the next open waited for it
// for ever, with no bound and no note. The note and the error name the
// context's release: they named the release of the queue and kernels,
// which the driver had answered.
func TestHangReleasingContext(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	r := runSetUpCase(setUpCase{line: "bench --engines opencl:0 --lanes 1000 --steps 10,20 --reps 1 --warmup 0 --no-sweep --baseline none"},
		slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + warm, "FAKECL_FAULT=hang:clReleaseContext"}))
	const note = " did not answer in 10 s when asked for the release of the context for device 0 ("
	switch {
	case r.hung:
		t.Fatalf("still waiting after %v: %q", r.took, r.stderr)
	case r.code != 1 || !strings.Contains(r.stderr, "bench: opencl:0: the OpenCL driver ") || strings.Count(r.stderr, note) != 3 || !strings.Contains(r.stderr, "gpusim: error: bench: opencl:0 on 1k x 20: ") || !strings.Contains(r.stderr, "), and then for a context for device 0 ("):
		t.Errorf("exit status %d, stderr %q: want 1, the release's note and the second measurement's error naming the release, then the context", r.code, r.stderr)
	case r.took > 30*time.Second:
		t.Errorf("took %v, want the 10 s wait", r.took)
	}
}

// stopName is the end of a stop case's subtest name: " --timeout" where
// sig is 0 (timeoutInHang), else "" (the line names the command, and the
// case its signal).
func stopName(sig syscall.Signal) string {
	if sig == 0 {
		return " --timeout"
	}
	return ""
}

// stopOrTimeout is stopInHang where sig is not 0, returning last as the
// line stderr ends with; where sig is 0, it is timeoutInHang, and the
// line stderr ends with is the error of the --timeout it ran under. A
// stop's run that ended before the driver's call began to hang (at a load
// of 200 and more, gpusim's own listing passed its 10 s bound: "did not
// answer in 10 s when asked for its devices") runs again, three runs at
// most, the last kept as it is.
func stopOrTimeout(t *testing.T, env []string, line string, sig syscall.Signal, last string) (code int, stderr, wantLast string) {
	t.Helper()
	for run := 1; sig != 0; run++ {
		code, stderr, hung := stopInHang(t, env, line, sig)
		if hung || run == 3 {
			return code, stderr, last
		}
		t.Logf("ended before the driver's call began to hang, exit status %d, stderr %q: again", code, stderr)
	}
	code, stderr, limit := timeoutInHang(t, env, line)
	return code, stderr, fmt.Sprintf("gpusim: error: --timeout: run exceeded %v\n", limit)
}

// hangLimits are timeoutInHang's --timeout values, shortest first.
var hangLimits = []time.Duration{2 * time.Second, 6 * time.Second, 20 * time.Second, 60 * time.Second}

// timeoutInHang runs gpusim with the command line line, --timeout and a
// limit of hangLimits, and env, and returns its exit status, stderr and
// the limit. A run is kept where the fake driver's call began to hang
// (the file FAKECL_HUNG names) 1.25 s or more before its deadline, past
// the second in which some waits are not named (interrupt.WaitingPast);
// else the call came late (a loaded machine's cold path to it passed a
// fixed 2 s: "asked for its devices" and "run exceeded 2s"), and it runs
// again under the next limit. The last limit's run is kept as it is.
func timeoutInHang(t *testing.T, env []string, line string) (code int, stderr string, limit time.Duration) {
	t.Helper()
	for i, limit := range hangLimits {
		hung := filepath.Join(t.TempDir(), "hung")
		t0 := time.Now()
		code, stderr = runInHang(t, slices.Concat(env, []string{"FAKECL_HUNG=" + hung}), fmt.Sprintf("%s --timeout %v", line, limit), nil)
		fi, err := os.Stat(hung)
		if i == len(hangLimits)-1 || err == nil && fi.ModTime().Before(t0.Add(limit-1250*time.Millisecond)) {
			return code, stderr, limit
		}
		if err == nil {
			t.Logf("--timeout %v: the driver's call began to hang %v after the start, too late to be named: again with a longer limit", limit, fi.ModTime().Sub(t0))
		} else {
			t.Logf("--timeout %v: the driver's call did not begin to hang (%v): again with a longer limit", limit, err)
		}
	}
	panic("unreachable")
}

// stopInHang runs gpusim with the command line line and env, and sends it
// sig once the fake driver's call has begun to hang (awaitHung); past 120 s
// it kills it. It returns the exit status, stderr, and whether the call
// began to hang (false: gpusim ended first, and got no signal).
func stopInHang(t *testing.T, env []string, line string, sig syscall.Signal) (code int, stderr string, hung bool) {
	t.Helper()
	marker := filepath.Join(t.TempDir(), "hung")
	code, stderr = runInHang(t, slices.Concat(env, []string{"FAKECL_HUNG=" + marker}), line, func(cmd *exec.Cmd) {
		if hung = awaitHung(t, cmd, marker); !hung {
			return // it ended first: its status and stderr say how
		}
		if err := cmd.Process.Signal(sig); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal(err)
		}
	})
	return code, stderr, hung
}

// runInHang runs gpusim with the command line line and env, calls
// started (where not nil) once it has started, and kills it past 120 s. It
// returns the exit status and stderr.
func runInHang(t *testing.T, env []string, line string, started func(cmd *exec.Cmd)) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command("gpusim", strings.Fields(line)...)
	cmd.Env = env
	var errs strings.Builder
	cmd.Stderr = &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	kill := time.AfterFunc(120*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	if started != nil {
		started(cmd)
	}
	_ = cmd.Wait()
	return cmd.ProcessState.ExitCode(), errs.String()
}

// awaitHung waits until the fake driver made the file hung (FAKECL_HUNG)
// as its call began to hang, and then 1.5 s more, past the first second in
// which some waits are not named (interrupt.WaitingPast, the listing's):
// a stop sent after a fixed sleep came before the call on a loaded machine
// (TestStopFaultingDriver's build cases read "gpusim: terminated" alone at
// a load of 17 to 27). It returns false at once where cmd ended first
// (ended), for the caller to say how; past 60 s it kills cmd and fails the
// test.
func awaitHung(t *testing.T, cmd *exec.Cmd, hung string) bool {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(hung); err == nil {
			break
		}
		if ended(cmd.Process.Pid) {
			return false
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the driver's call did not begin to hang within 60 s (no %s)", hung)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	return true
}

// ended says whether the child pid has exited and waits to be reaped
// (its state in /proc/PID/stat is Z), without reaping it.
func ended(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, state, _ := strings.Cut(string(stat), ") ")
	return strings.HasPrefix(state, "Z")
}

// TestHangLeavesNoMark: a start that gives up on a driver that hangs
// creating a device's context, queue or first buffer (its wait,
// GPUSIM_DRIVER_WAIT=2, ends) exits 1 on its own, and the next start,
// under the driver without the fault, runs without a note of the first:
// after a context's or a queue's hang it said "cache: process N ended
// without a crash while the OpenCL driver created a device's context or
// queue (killed by kill -9 or the out-of-memory killer, ...)" of the mark
// that the call the wait left running still held, where nothing was
// killed.
func TestHangLeavesNoMark(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	const line = "run --device 0 --lanes 1000 --steps 10"
	for _, fault := range []string{"hang:clCreateContext", "hang:clCreateCommandQueue", "hang:clCreateBuffer"} {
		t.Run(fault, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
			r := runSetUpCase(setUpCase{line: line}, slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + fault, "GPUSIM_DRIVER_WAIT=2"}))
			if r.hung || r.code != 1 || !strings.Contains(r.stderr, " did not answer in 2 s when asked for ") {
				t.Fatalf("the start under the hang: exit status %d, stderr %q: want 1 and the wait's error", r.code, r.stderr)
			}
			after := runSetUpCase(setUpCase{line: line}, caseEnv)
			if after.hung || after.code != 0 || strings.Contains(after.stderr, "gpusim: note: cache: ") {
				t.Errorf("the start after it: exit status %d, stderr %q: want 0 and no note of the cache", after.code, after.stderr)
			}
		})
	}
}

// TestStopLeavesNoMark: a stop (SIGTERM) while the driver hangs creating
// a buffer of selftest's warm-up run ends the run at once, its goroutine
// left in the driver, and selftest exits 143 on its own; the next start,
// under the driver without the fault, runs without a note of the first.
// The exit left the buffer's mark (programs/DEVKEY.buffer.HOST.PID) that
// the goroutine still held, and the next start said "cache: process N
// ended without a crash while the OpenCL driver created a buffer on the
// device (for a run or the self-test's checks) (killed by kill -9 or the
// out-of-memory killer, ...)" of a stop (gpu's endMarks).
//
// The fault is addressed by its count (hang:clCreateBuffer@14: the
// engine's own at its set-up and the self-test's checks' come first, and
// 13 to 15 are the run's), which a change in what selftest creates moves:
// so the test waits for the hang itself (FAKECL_HUNG), not for a buffer's
// mark, which every buffer's creation makes and lifts, and the stop's note,
// which names the call hung past runWaitPast, must name a buffer for the
// run, else the test fails saying where the hang fell. It signalled on
// the first buffer's mark seen, which could be any earlier buffer's.
func TestStopLeavesNoMark(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	const fault = "hang:clCreateBuffer@14"
	hung := filepath.Join(t.TempDir(), "hung")
	caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
	cmd := exec.Command("gpusim", "selftest")
	cmd.Env = slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + fault, "FAKECL_HUNG=" + hung, "GPUSIM_DRIVER_WAIT=60"})
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(hung); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("%s did not hang within 60 s; stderr %q", fault, stderr.String())
		}
	}
	// The hung buffer is asked for under its mark.
	if marks, _ := filepath.Glob(filepath.Join(cache, "programs", "*.buffer.*")); len(marks) == 0 {
		t.Errorf("no buffer's mark while the driver hangs in %s", fault)
	}
	// Past the wait after which a stop's note names the call (gpu's
	// runWaitPast, 1 s), so that the note says where the hang fell.
	time.Sleep(2 * time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := exitCode(t, cmd); code != interrupt.ExitSIGTERM {
		t.Fatalf("the stopped selftest: exit status %d, stderr %q: want %d", code, stderr.String(), interrupt.ExitSIGTERM)
	}
	const where = "gpusim: note: stopped while waiting for the OpenCL driver to answer when asked for a buffer of "
	if got := stderr.String(); !strings.Contains(got, where) || !strings.Contains(got, " bytes for the run on device 0 (") {
		t.Fatalf("stderr %q: want the stop's note naming a buffer for the run: %s no longer hangs in the warm-up run's buffers", got, fault)
	}
	if marks, _ := filepath.Glob(filepath.Join(cache, "programs", "*.*.*.*")); len(marks) != 0 {
		t.Errorf("marks left by the stop: %q", marks)
	}
	after := runSetUpCase(setUpCase{line: "selftest"}, caseEnv)
	if after.hung || after.code != 0 || strings.Contains(after.stderr, "gpusim: note: cache: ") {
		t.Errorf("the start after it: exit status %d, stderr %q: want 0 and no note of the cache", after.code, after.stderr)
	}
}
