package cl

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
)

// ErrProbeUnrun matches Load's error where the probe's child could not
// run here (its executable not found or not started; a child that ended
// before it said it was a probe, as /proc/self/exe is the dynamic loader
// under `ld.so gpusim`; one whose own checks refused to load the driver):
// the driver was not loaded, untried. A child that could not start a
// thread under ulimit -u is ErrThreads, one out of memory under ulimit -v
// ErrAddressSpace; all three match ErrEnvironment. Such a child had been
// no verdict, and Load loaded the driver in this process, where one that
// hung kept a thread of the run in it for ever.
var ErrProbeUnrun = fmt.Errorf("%w: the OpenCL driver's probe could not run", ErrEnvironment)

// probeUnrunHint is the hint of a child that could not run, without a
// limit to name.
const probeUnrunHint = "gpusim loads a driver it has not seen work in a child first (its own executable, /proc/self/exe, run again), and loads none whose child could not run: run gpusim as itself (not through ld.so), where it may start a second process; " + CPUEnginesRun

// probeUnrun is runProbe's error for a child that gave no verdict on the
// driver (report, its stdout; stderr, the head of its stderr): err, the
// start's error, where it did not start; else one that ended (how: "exit
// status 127", "SIGABRT") before it said probeHello, or whose Go runtime,
// cgo or driver could not start a thread or map memory (startShort).
// Under a process limit (ulimit -u) a thread or a fork that failed is
// ErrThreads, under an address-space limit (ulimit -v) memory that did
// not map is ErrAddressSpace, each naming its limit; else ErrProbeUnrun.
func probeUnrun(report, stderr string, err error, how string) error {
	lib, _ := killedAt(report)
	driver := "the OpenCL driver"
	if lib != "" {
		driver += " " + lib
	}
	what := "ended before it started (" + how + ")"
	line := shortLine(stderr)
	switch {
	case err != nil:
		what = "could not start (" + err.Error() + ")"
	case line != "":
		what = "could not start a thread or map memory (" + line + ")"
	case strings.HasPrefix(report, probeHello+"\n"):
		what = "ended (" + how + ")"
	default:
		if first := firstStderrLine(stderr); first != "" {
			what = "ended before it started (" + how + ": " + first + ")"
		}
	}
	cause := driver + " was not loaded: the child that probes it first " + what
	threadShort := line != "" && !memoryLine(line) || errors.Is(err, syscall.EAGAIN)
	if limit, used, limited := threadsFree(0); threadShort && limited {
		return &UnavailableError{Kind: ErrThreads,
			Cause: fmt.Sprintf("%s under the process limit (ulimit -u %d, which counts the child's threads beside gpusim's; the user's processes run %d)", cause, limit, used),
			Hint:  threadsUnrunHint(limit)}
	}
	memShort := line != "" && memoryLine(line) || errors.Is(err, syscall.ENOMEM)
	if h := addressSpaceHint("the child's memory did not map: "); h != "" && memShort {
		limit, _, _ := addressSpace()
		return &UnavailableError{Kind: ErrAddressSpace,
			Cause: fmt.Sprintf("%s under the address-space limit (ulimit -v %d)", cause, limit>>10), Hint: h}
	}
	return &UnavailableError{Kind: ErrProbeUnrun, Cause: cause, Hint: probeUnrunHint}
}

// threadsUnrunHint is the hint of a child that the process limit, limit
// (ulimit -u), kept from running: the child, a second gpusim, starts
// about as many threads as this process and the driver's.
func threadsUnrunHint(limit uint64) string {
	self, driver := threadsSelf(), DriverThreads()
	return fmt.Sprintf("raise it to about ulimit -u %d (the child, a second gpusim, starts about as many threads as this one, %d, and the driver's, %d) or lift it (ulimit -u unlimited); or %s",
		limit+self+driver, self, driver, useCPU)
}

// shortLine is the first line of stderr that startShort finds: a thread
// that did not start, memory that did not map; "" where none.
func shortLine(stderr string) string {
	for line := range strings.Lines(stderr) {
		if line = strings.TrimSpace(line); startShort().MatchString(line) {
			return line
		}
	}
	return ""
}

// memoryLine says whether line, shortLine's, is of memory, not a thread.
func memoryLine(line string) bool {
	return strings.Contains(line, "out of memory") || strings.Contains(line, "annot allocate memory")
}

// firstStderrLine is stderr's first line that is not blank, at most 200
// bytes of it, "" where none.
func firstStderrLine(stderr string) string {
	for line := range strings.Lines(stderr) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = strings.ToValidUTF8(line[:200], "") + "..."
			}
			return line
		}
	}
	return ""
}

// childEnd is how a child ended, for probeUnrun: "exit status N", a
// signal's name, or "exit status 0" for err nil.
func childEnd(err error) string {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "exit status 0"
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return signalName(ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ee.ExitCode())
}

// traceRefused is a probe's child's report of err, Load's refusal before
// it tried any library for a limit of the environment (threadsShort,
// addressSpaceShort, stackShort, poclAborts: the child's checks count
// its parent's threads beside its own): "refused KIND CAUSE", KIND one of
// threads, addrspace, stack, env; addrspace's line ends with a tab and
// the child's hint, which names the limit that loads the driver and
// compiles from the room the child found (its parent, which has mapped
// more or less, named none: TestOpenCLLimitHint failed in CI123, where at
// ulimit -v 1800000 the child, whose Go runtime had mapped more as it
// started, refused the load, and its parent said only "raise the limit or
// lift it"). Nothing for another error, or one after a library was tried
// ("no platform").
func traceRefused(err error) {
	var u *UnavailableError
	if !errors.As(err, &u) || !errors.Is(err, ErrEnvironment) || trying.Load() != nil {
		return
	}
	kind := "env"
	switch {
	case errors.Is(err, ErrThreads):
		kind = "threads"
	case errors.Is(err, ErrAddressSpace):
		kind = "addrspace"
	case errors.Is(err, ErrStack):
		kind = "stack"
	}
	line := strings.ReplaceAll(err.Error(), "\n", " ")
	if kind == "addrspace" && u.Hint != "" {
		// The limit the child's hint names, from the room it found: its
		// parent named none (the generic "raise the limit or lift it").
		line += "\t" + strings.NewReplacer("\n", " ", "\t", " ").Replace(u.Hint)
	}
	traceLine("refused %s %s", kind, line)
}

// childRefused is Load's error for a child whose report says its own
// checks refused to load the driver (traceRefused's "refused" line): of
// the child's kind, naming its cause, the driver not loaded. nil where
// the report has no such line. The child had said "done", and its
// record let later starts load the driver here untried.
func childRefused(report string) error {
	for line := range strings.Lines(report) {
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "refused ")
		if !ok {
			continue
		}
		kind, cause, _ := strings.Cut(rest, " ")
		cause, hint, _ := strings.Cut(cause, "\t")
		cause = strings.TrimPrefix(cause, "OpenCL not loaded: ")
		e := &UnavailableError{Kind: ErrProbeUnrun, Hint: probeUnrunHint,
			Cause: "the OpenCL driver was not loaded: the child that probes it first could not load it, a second process beside this one: " + cause}
		switch kind {
		case "threads":
			limit, _, _ := threadsFree(0)
			e.Kind, e.Hint = ErrThreads, threadsUnrunHint(limit)
		case "addrspace":
			e.Kind = ErrAddressSpace
			if hint != "" {
				e.Hint = hint
			} else if h := addressSpaceHint(""); h != "" {
				e.Hint = h
			}
		case "stack":
			e.Kind = ErrStack
		}
		return e
	}
	return nil
}
