// Package interrupt turns SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGXCPU (the
// CPU time limit, ulimit -t), SIGUSR1, SIGUSR2, SIGALRM and a time limit into
// cancelled contexts with causes that carry the shell's exit statuses, and
// ends a process whose cancelled work has not returned in time.
package interrupt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// Exit statuses of a run that was stopped: 124 for --timeout, like
// timeout(1), and 128 + the signal number for a signal, like a shell.
const (
	ExitTimeout = 124
	ExitSIGINT  = 128 + int(syscall.SIGINT)
	ExitSIGTERM = 128 + int(syscall.SIGTERM)
	ExitSIGHUP  = 128 + int(syscall.SIGHUP)
	ExitSIGQUIT = 128 + int(syscall.SIGQUIT)
	ExitSIGPIPE = 128 + int(syscall.SIGPIPE)
)

// StopGrace is how long cancelled work may take to return after a signal
// before ExitLater ends the process: well inside the second a stop may
// take.
const StopGrace = 600 * time.Millisecond

// TimeoutGrace is StopGrace for --timeout's deadline, which the engines
// know beforehand: the OpenCL engine cuts its launches to end by it, so
// what has not returned this long after it cannot be cut (an OpenCL
// program compiling on a cold start), and the run overshot its limit by
// StopGrace waiting for it.
const TimeoutGrace = 200 * time.Millisecond

// ExitLater, when set (by a program's main, never by in-process tests),
// exits with status after grace, writing msg to stderr, unless the func it
// returns is called first. Exit is the usual implementation.
var ExitLater func(status int, msg string, grace time.Duration) (disarm func())

// settled says whether the program has passed its commit point (Settle),
// with the disarm funcs of the forced exits armed before.
var settled struct {
	sync.Mutex
	done    bool
	disarms []func()
}

// Settle marks the program past its commit point: its outputs are written
// and what is left (printing its report) must not be cut short. It
// disarms every forced exit armed so far, and none is armed after it: a
// signal or --timeout that comes later still cancels the context, but the
// program ends on its own, with its whole report.
func Settle() {
	settled.Lock()
	defer settled.Unlock()
	settled.done = true
	for _, d := range settled.disarms {
		d()
	}
	settled.disarms = nil
}

// Settled reports whether the program has passed its commit point (Settle).
func Settled() bool {
	settled.Lock()
	defer settled.Unlock()
	return settled.done
}

// exitLater arms ExitLater unless the program is settled, and returns the
// func that disarms it.
func exitLater(status int, msg string, grace time.Duration) (disarm func()) {
	settled.Lock()
	defer settled.Unlock()
	if settled.done || ExitLater == nil {
		return func() {}
	}
	d := ExitLater(status, msg, grace)
	settled.disarms = append(settled.disarms, d)
	return d
}

// ArmTimeout arms ExitLater when ctx ends by the --timeout te, and returns
// the func that disarms it once the run has returned.
func ArmTimeout(ctx context.Context, te *TimeoutError) (done func()) {
	if ExitLater == nil {
		return func() {}
	}
	var mu sync.Mutex
	finished := false
	var disarm func()
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished && context.Cause(ctx) == te {
			disarm = exitLater(ExitTimeout, fmt.Sprintf("gpusim: error: %v\n", te), TimeoutGrace)
		}
	})
	return func() {
		stop()
		mu.Lock()
		defer mu.Unlock()
		finished = true
		if disarm != nil {
			disarm()
		}
	}
}

// SignalError is the cause of a context cancelled by a signal.
type SignalError struct{ Signal os.Signal } // the signal that stopped it

func (e *SignalError) Error() string {
	switch e.Signal {
	case syscall.SIGTERM:
		return "terminated"
	case syscall.SIGHUP:
		return "hung up"
	case syscall.SIGQUIT:
		return "quit"
	case syscall.SIGPIPE:
		return "broken pipe"
	}
	if len(cpuLimitSignals) > 0 && e.Signal == cpuLimitSignals[0] {
		return cpuLimitText()
	}
	if text := userStopText(e.Signal); text != "" {
		return text
	}
	return "interrupted"
}

// message is the line a stop by the signal prints on stderr: none for
// SIGPIPE, whose reader is gone, as the kernel's default action for it
// says nothing (yes | true).
func (e *SignalError) message() string {
	if e.Signal == syscall.SIGPIPE {
		return ""
	}
	return fmt.Sprintf("gpusim: %v\n", e)
}

// Status is the exit status for the signal: 128 + its number (ExitSIGINT
// for an os.Signal that is not a syscall.Signal).
func (e *SignalError) Status() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitSIGINT
}

// TimeoutError is the cause of a context cancelled by --timeout.
type TimeoutError struct {
	Limit time.Duration // --timeout's value
	// Text, where set, is the limit as --timeout was given, which the
	// message echoes: --timeout 0.5s read "run exceeded 500ms", and 1h30m
	// would read 1h30m0s.
	Text string
	// Suspended, where set, is the wall time the process has spent
	// suspended since the limit's clock started (Ctrl-Z, SIGSTOP,
	// Slurm's scontrol suspend): the limit counts it, as timeout(1)
	// does, and the message says so where it is 0.5 s or more, as a run
	// stopped for most of its limit otherwise read as one that ran past
	// it.
	Suspended func() time.Duration
	// Start, where set beside Suspended, is when the limit's clock
	// started. A deadline that passes while the process is stopped is
	// seen only as it continues (its timer fires then), so that the
	// message comes late: 0.5 s or more past the limit (lateStop), it
	// says that the deadline passed while the process was suspended,
	// with how long it ran and how long it was stopped. A stop of 3 s
	// across a limit of 2 s read "run exceeded 2s, 3s of it suspended",
	// more suspended than the limit.
	Start time.Time
}

func (e *TimeoutError) Error() string {
	limit := e.Limit.String()
	if e.Text != "" {
		limit = e.Text
	}
	msg := "--timeout: run exceeded " + limit
	if e.Suspended == nil {
		return msg
	}
	const wall = " (the limit counts wall time, as timeout(1) does)"
	s := e.Suspended()
	wallTime := time.Since(e.Start)
	switch ran := wallTime - s; {
	case s < 500*time.Millisecond:
	case !e.Start.IsZero() && wallTime-e.Limit >= lateStop:
		msg += fmt.Sprintf(", the deadline passing while the process was suspended: it ran for %v and was suspended for %v", roundShort(max(ran, 0)), roundShort(s)) + wall
	default:
		msg += fmt.Sprintf(", %v of it suspended", roundShort(s)) + wall
	}
	return msg
}

// lateStop is how long past its limit a TimeoutError's message must come
// for the deadline to have passed while the process was stopped: a
// deadline seen running is said within TimeoutGrace (0.2 s).
const lateStop = 500 * time.Millisecond

// roundShort is d to a tenth of a second, to the millisecond under one,
// to the microsecond under a millisecond and whole nanoseconds under a
// microsecond, so that a positive d never reads 0s: a run that ran for
// 40 ms before its stop read "ran for 0s", and one that ran for 300 µs
// (--timeout 100us) did until the fifty-ninth session.
func roundShort(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// RoundShort is roundShort for the other messages that give a span of a
// stop or a wait in Go's duration form (bench's "suspended for 2.1s of a
// run of 2.3s"): d to a tenth of a second, a millisecond under one, a
// microsecond under a millisecond; a positive d is never 0s.
func RoundShort(d time.Duration) time.Duration { return roundShort(d) }

// NotifyContext returns a context cancelled with a *SignalError on the first
// SIGINT, SIGTERM, SIGHUP (a dropped ssh session), SIGQUIT (Ctrl-\, which
// would otherwise dump the goroutines and exit 2, the status of bad input,
// leaving temporary files), SIGHUP and SIGINT unless the process was
// started with them ignored (stopSignals), or SIGPIPE from a write to stdout
// after the reader of its pipe is gone (gpusim bench 2>&1 | head -n 1,
// which would otherwise end the process at once, leaving them too; a
// SIGPIPE from stderr's pipe alone or another pipe, such as a child's
// stdin, is not a stop: stdoutBroken). It removes every output's temporary file at
// once. A second signal within duplicateWindow is the same stop delivered
// twice (timeout(1) signals the child and then its process group) and is
// ignored; a later one ends the process at once through ExitNow, with its
// message and without temporary files (the default action, which ended it
// before, left one in 3 of 40 doubled signals on the OpenCL engine and
// printed nothing). After a stop the func it returns leaves the signals
// taken, so that one that comes before the process has ended with the
// stop's status is dropped: signal.Stop gave it the default action.
// SIGXCPU, at the soft CPU time limit (ulimit -t; CPUGrace), is a stop
// too, and its repeats every CPU second after are the same stop.
func NotifyContext(parent context.Context) (context.Context, func()) {
	settled.Lock()
	settled.done, settled.disarms = false, nil
	settled.Unlock()
	words.Lock()
	words.said = false // a command's own: tests run several in a process
	words.Unlock()
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	stopped := make(chan struct{})
	var signalled atomic.Bool
	signal.Notify(sigs, stopSignals()...)
	takeEarly(sigs)
	stdoutWatch.Lock()
	stdoutWatch.sigs, stdoutWatch.stopped, stdoutWatch.done, stdoutWatch.armed = sigs, stopped, ctx.Done(), false
	stdoutWatch.files = false
	stdoutWatch.Unlock()
	go func() {
		var se *SignalError
		var first time.Time
		done := ctx.Done()
		for {
			select {
			case s := <-sigs:
				switch {
				case s == syscall.SIGPIPE && (!stdoutBroken() || keepingFiles()):
					// stderr's pipe alone, or another pipe (a child's
					// stdin), or a command that writes files first
					// (KeepFiles): Go delivers every SIGPIPE once
					// notified, and that write fails with EPIPE on its own.
				case se != nil && slices.Contains(cpuLimitSignals, s):
					// The kernel's SIGXCPU again, a CPU second later:
					// the same stop, not a second one.
				case se == nil:
					signalled.Store(true)
					se, first, done = &SignalError{s}, time.Now(), nil
					cancel(se)
					atomicfile.AbortAll()
					exitLater(se.Status(), se.message(), stopGraceFor(s))
				case time.Since(first) < duplicateWindow:
					// The same stop, delivered twice.
				default:
					secondSignal(se, s, sigs)
					return
				}
			case <-done:
				return
			case <-stopped:
				return
			}
		}
	}()
	return ctx, func() {
		if !signalled.Load() && !HoldAtExit {
			// After a stop the signals stay taken (and dropped once
			// sigs is full): one after Stop, before the process has
			// ended with the first one's status, had the default
			// action, which killed it without a word (a stop
			// delivered twice, the second late on a loaded machine).
			signal.Stop(sigs)
		}
		cancel(nil)
		stdoutWatch.Lock()
		stdoutWatch.sigs = nil
		stdoutWatch.Unlock()
		close(stopped)
	}
}

// stdoutWatch is what WatchStdout needs of the NotifyContext in force:
// sigs nil where none is.
var stdoutWatch struct {
	sync.Mutex
	sigs          chan<- os.Signal
	stopped, done <-chan struct{}
	armed, files  bool
}

// KeepFiles tells the NotifyContext in force that the command writes files
// (run's --out or --save, bench's --html, ...): from then on a SIGPIPE
// while stdout's pipe has lost its reader stops nothing, as one from
// stderr's pipe alone, and the write that raised it fails with EPIPE on its
// own. The command goes on to write its files, and its report's write to
// the gone reader fails, which it returns: exit 141, silent, at its report.
// Where stdout and stderr are one pipe (gpusim run --out f.npy 2>&1 | tee
// log, tee gone with the session), a progress or note line's SIGPIPE
// stopped the command and lost its files.
func KeepFiles() {
	stdoutWatch.Lock()
	defer stdoutWatch.Unlock()
	stdoutWatch.files = true
}

// keepingFiles reports whether KeepFiles was called for the
// NotifyContext in force.
func keepingFiles() bool {
	stdoutWatch.Lock()
	defer stdoutWatch.Unlock()
	return stdoutWatch.files
}

// WatchStdout starts, once for the NotifyContext in force (none: it does
// nothing), the watch that stops the process as SIGPIPE would as soon as
// stdout's pipe loses its reader (watchStdout; Linux alone). A command
// calls it as its work starts, after its checks and refusals: those are
// the command's own, where a watch from the process's start made gpusim
// merge bad.json | true exit 141 without a word or 1 with its error, as
// the stop or the error came first; and only where stdout is its only
// output: files are written all the same, as before.
func WatchStdout() {
	stdoutWatch.Lock()
	defer stdoutWatch.Unlock()
	if stdoutWatch.sigs == nil || stdoutWatch.armed {
		return
	}
	stdoutWatch.armed = true
	watchStdout(stdoutWatch.sigs, stdoutWatch.stopped, stdoutWatch.done)
}

// early holds the channel TakeUserSignalsEarly notifies, nil before it
// and after takeEarly.
var early struct {
	sync.Mutex
	c chan os.Signal
}

// takeEarly ends TakeUserSignalsEarly's watch once sigs is notified of
// the stop signals, passing on to sigs a signal that came before (one
// that came to both is the same stop delivered twice: duplicateWindow).
func takeEarly(sigs chan os.Signal) {
	early.Lock()
	defer early.Unlock()
	if early.c == nil {
		return
	}
	signal.Stop(early.c)
	select {
	case s := <-early.c:
		select {
		case sigs <- s:
		default:
		}
	default:
	}
	early.c = nil
}

// HoldAtExit, when set (by a program's main, never by in-process tests),
// makes the func NotifyContext returns leave the signals taken where no
// stop came too: the process exits with the work's status right after it
// (within a second: cl.Quiesce), and a signal in between is dropped. With
// the default action back, a SIGTERM there killed a run that had
// committed its files and printed its report (exit by the signal, where
// its status is 0: 1 of 30 signalled runs of TestSignalAtCommit on a
// loaded machine).
var HoldAtExit bool

// stopSignals are the signals NotifyContext takes as a stop: SIGINT,
// SIGTERM, SIGHUP and SIGQUIT but those the process was started with
// ignored, and SIGPIPE. A SIGHUP or SIGINT a parent ignores stays ignored,
// as it would without gpusim's handler: nohup ignores SIGHUP, and a shell
// SIGINT for a job it starts in the background (cmd &), and signal.Notify
// installed a handler in their place (os/signal), so that nohup gpusim run
// ... & was stopped with exit 129 when its ssh session closed. Go's runtime
// keeps an inherited ignore for those two only: SIGTERM and SIGQUIT started
// ignored have its handler before main runs, signal.Ignored is false for
// them, and they stop the run, as they end any Go program. SIGPIPE is taken
// whatever it was, as it is about gpusim's own stdout and stderr (see
// NotifyContext), SIGXCPU, the CPU time limit's, which Go's runtime
// otherwise ignores, and SIGUSR1, SIGUSR2 and SIGALRM (userStopSignals),
// which it otherwise drops too, and which, like SIGTERM, stop the run
// even where it was started with them ignored, as Go's runtime replaced
// that ignore before main ran.
func stopSignals() []os.Signal {
	var sigs []os.Signal
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	sigs = append(append(sigs, syscall.SIGPIPE), cpuLimitSignals...)
	return append(sigs, userStopSignals...)
}

// duplicateWindow is how close a second signal must follow the first to be
// taken for the same stop delivered twice.
const duplicateWindow = 100 * time.Millisecond

// ExitNow, when set (by a program's main, never by in-process tests), ends
// the process at once with status, writing msg: a second, deliberate stop.
// Now is the usual implementation.
var ExitNow func(status int, msg string)

// secondSignal ends the process on a deliberate second signal: through
// ExitNow with the first signal's status and message, or, without it, by
// the signal's default action.
func secondSignal(first *SignalError, s os.Signal, sigs chan os.Signal) {
	if ExitNow != nil {
		// sigs stays notified: a third signal before the exit is
		// dropped, not the default action.
		ExitNow(first.Status(), first.message())
		return
	}
	signal.Stop(sigs)
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Signal(s)
	}
}

// EndNow ends the process at once through ExitNow with the status and
// message of cause, a stop (*SignalError) or the --timeout (*TimeoutError),
// as the forced exit armed for it would after its grace: for work that
// cannot return before then (a cold start's compile, which no call can
// cut), whose grace was only a wait. It returns where it did not end the
// process: ExitNow unset (in-process tests), another cause, or a program
// past its commit point (Settle).
func EndNow(cause error) {
	var se *SignalError
	var te *TimeoutError
	switch {
	case ExitNow == nil, Settled():
	case errors.As(cause, &se):
		ExitNow(se.Status(), se.message())
	case errors.As(cause, &te):
		ExitNow(ExitTimeout, fmt.Sprintf("gpusim: error: %v\n", te))
	}
}

// Now is an ExitNow for a real process: it removes every temporary output
// file, runs the BeforeExit funcs, writes msg to stderr and exits with
// status. Past the commit point (Settle) too: a second, deliberate stop
// then comes while the report is written, which a reader that does not
// read (a stuck pipe, a paused pager) can hold for ever; msg then says the
// files are written and the report cut short. It was dropped, and with it
// every later signal: only SIGKILL ended the process.
func Now(stderr io.Writer) func(status int, msg string) {
	return func(status int, msg string) { forcedExit(stderr, status, msg, os.Exit, true) }
}

// Exit is an ExitLater for a real process: after grace it removes every
// temporary output file (internal/atomicfile), runs the BeforeExit funcs,
// writes msg to stderr and exits with status.
func Exit(stderr io.Writer) func(status int, msg string, grace time.Duration) (disarm func()) {
	return func(status int, msg string, grace time.Duration) func() {
		t := time.AfterFunc(grace, func() { forcedExit(stderr, status, msg, os.Exit, false) })
		return func() { t.Stop() }
	}
}

// forcedExit ends the process through exit with status, after removing
// the temporary output files and running the BeforeExit funcs, writing msg.
// Past the commit point it stands down, as the program ends on its own
// with its whole report, unless now (a second stop: Now), when it ends it
// all the same and says what was kept.
func forcedExit(stderr io.Writer, status int, msg string, exit func(int), now bool) {
	atomicfile.AbortAll() // waits for a group's renames
	settled.Lock()
	done := settled.done
	settled.Unlock()
	if done && !now {
		// The program passed its commit point while this waited: it
		// ends on its own, with its whole report.
		return
	}
	if msg != "" {
		msg = WaitingNote() + msg // a driver's call that did not return
	}
	if done {
		msg += "gpusim: note: stopped again while it wrote its report: the run was complete, and any files it wrote are whole, but the report is cut short\n"
	}
	exitHooks.Lock()
	ids := slices.Sorted(maps.Keys(exitHooks.m))
	fs := make([]func(), 0, len(ids))
	for _, id := range slices.Backward(ids) {
		fs = append(fs, exitHooks.m[id])
	}
	exitHooks.Unlock()
	// The hooks and the message may block on stderr: a pipe nobody reads
	// (gpusim run 2>&1 | a pager stopped), a terminal stopped by Ctrl-S
	// (a bar's Tick then holds its lock in a write, and the bar's hook
	// waits for it). They get exitWriteGrace, and then the process ends
	// all the same, its message unwritten: the forced exit, a second
	// Ctrl-C's escape from a stuck report, waited on them for ever.
	written := make(chan struct{})
	go func() {
		defer close(written)
		for _, f := range fs {
			f()
		}
		Last(func() { fmt.Fprint(stderr, msg) })
	}()
	select {
	case <-written:
	case <-time.After(exitWriteGrace):
	}
	exit(status)
}

// words holds the process's last line back from the notes (Say, Last).
var words struct {
	sync.Mutex
	said bool // Last wrote the last line
}

// Say runs write, a note's, unless the stop's last line was written
// (Last): a goroutine still at work as the process ends (an engine's
// open, which a stop leaves in the driver) wrote its note after the
// "gpusim: terminated" of a forced exit, or between it and the exit. A
// note is written whole before the last line, or not at all.
func Say(write func()) {
	words.Lock()
	defer words.Unlock()
	if !words.said {
		write()
	}
}

// Last runs write, the stop's or the --timeout's last line, after any
// note being written (Say), and makes Say write nothing more.
func Last(write func()) {
	words.Lock()
	defer words.Unlock()
	words.said = true
	write()
}

// exitWriteGrace is how long a forced exit waits for its hooks and its
// message to be written before it ends the process without them.
const exitWriteGrace = 300 * time.Millisecond

// exitHooks are the BeforeExit funcs by registration number.
var exitHooks struct {
	sync.Mutex
	next int
	m    map[int]func()
}

// BeforeExit registers f to run when Exit ends a process whose cancelled
// work has not returned, before the message is written: a progress bar
// erases its line there, so that the message starts a line of its own.
// They run last registered first, as defers do: a bar started after a
// run's note (what a stop leaves of its files) erases its line before the
// note is written.
// The func it returns removes f.
func BeforeExit(f func()) (remove func()) {
	exitHooks.Lock()
	defer exitHooks.Unlock()
	if exitHooks.m == nil {
		exitHooks.m = map[int]func(){}
	}
	id := exitHooks.next
	exitHooks.next++
	exitHooks.m[id] = f
	return func() {
		exitHooks.Lock()
		defer exitHooks.Unlock()
		delete(exitHooks.m, id)
	}
}

// BrokenPipe reports whether err (a context's cause) is a SIGPIPE stop:
// stdout's or stderr's reader is gone, so there is nobody to tell of it.
func BrokenPipe(err error) bool {
	var se *SignalError
	return errors.As(err, &se) && se.Signal == syscall.SIGPIPE
}
