package gpu

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/interrupt"
)

// answerWait is the longest a device's opening waits for the driver to
// answer one of its cheap calls (withinAnswer): the device's context and
// queue, the program's kernels, a buffer, a kernel's work-group limits, the
// release of a first build (Open's ownRebuild), of an engine (Close), of
// a device's programs and of its context (each its own wait), and of the
// context of an open that lost a race for the device (acquire).
// It is the bound of the devices' listing (engines' answerWait): the
// context and queue are the driver's own set-up, a GPU's a second or so,
// pocl's some milliseconds; the rest take microseconds. A build, the load of a cached program, the
// self-test's checks and a first launch are not bounded: a cold compile
// takes seconds on pocl, and a GPU driver's of a large program can take
// minutes; a stop or --timeout ends those, naming them (interrupt.Waiting).
var answerWait = DefaultDriverWait

// NoAnswerError is the error of a call into the OpenCL driver that did not
// return in Wait: the listing of the devices (What "its devices", the
// default) or a call of a device's opening (What "a context for device 0
// (NAME, PLATFORM, TYPE)", "the kernel weather for device 0 (...)":
// withinAnswer's). The driver hangs, or is that slow; the call is left to
// go on until the process exits.
type NoAnswerError struct {
	Wait time.Duration
	What string // what the driver was asked for; "" is its devices
	Lib  string // the driver loaded (cl.DriverName), "" where unnamed
	// LibFiles are the files Lib stands for (cl.NameFiles, taken where
	// the name was made: the name alone cannot be split back), nil
	// where Lib is "".
	LibFiles []string
	Kept     string // the file of gpusim's cache that keeps a listing's hang for auto (engines), "" where none
	// Opening says the call was a device's opening in this process
	// (withinAnswer: its context, queue, kernel or buffer), not a
	// listing's (engines), whose probe child asks for a context and a
	// queue too (What names them) and asks again at each listing.
	Opening bool
	// Suspended is the time the process was suspended in the wait
	// (Ctrl-Z, SIGSTOP), which it waited on for, not counted in Wait
	// (engines' listing); 0 where none.
	Suspended time.Duration
}

func (e *NoAnswerError) Error() string {
	what, lib := e.What, ""
	if what == "" {
		what = "its devices"
	}
	if e.Lib != "" {
		lib = " " + e.Lib
	}
	suspended := ""
	if e.Suspended > 0 {
		suspended = fmt.Sprintf(" (%g s with the process running: it was suspended for %s more, by Ctrl-Z or SIGSTOP, which the wait did not count)", e.Wait.Seconds(), count.Seconds(e.Suspended.Seconds()))
	}
	return fmt.Sprintf("the OpenCL driver%s did not answer in %g s when asked for %s%s", lib, e.Wait.Seconds(), what, suspended)
}

// withinAnswer runs create, a driver call that sets a device up (a
// context, a queue, a kernel, a buffer...), and waits answerWait for it at
// most: past it a *NoAnswerError asking for what, and create is left to go
// on; what it makes once it returns is handed to drop (nil: nothing to
// drop). While it waits, a stop's note names what (interrupt.Waiting):
// it said "to start device 0" whatever the driver hung in. A driver that hung there held
// run --device 0, selftest, bench and auto's start of the device for ever.
// Where an earlier call was cut short and has not returned (hungCall),
// the wait counts from that call's start, as the driver has not answered
// it: selftest, which opens a device twice (its two programs), waited
// twice. Its error then names both ("the release of the queue and
// kernels on device 0 (...), and then for a context for device 0
// (...)"), where it named the later call alone, which the driver was
// asked a moment before.
//
// A mark of the call's step in gpusim's cache (markProbeSetUp) is made and
// removed around withinAnswer, not in create: a call whose wait ended does
// not return, and a mark it deferred stayed as the process exited on its
// own, which the next start took for a kill -9's ("ended without a crash
// while the OpenCL driver created a device's context or queue (killed by
// kill -9 ...)"). A hang that gpusim gives up on leaves no mark, as a
// stop's does (endMarks); a crash in the call past its wait
// leaves none either, and the next start asks the driver again.
func withinAnswer[T any](what string, create func() (T, error), drop func(T)) (T, error) {
	return answerWithin(cl.CrashSetUp, what, create, drop)
}

// suspended is the time the process has spent suspended so far
// (cputime.Suspended; a variable for tests): answerWithin's wait does not
// count it, and waits on for as long, as engines' listing does. A context
// that took 2 s of a wait of 10, the process stopped for 10 s in it
// (Ctrl-Z, SIGSTOP), was called a hang, and kept for auto as one.
var suspended = cputime.Suspended

// answerWithin is withinAnswer with the call of the kind step
// (cl.CrashSetUp, cl.CrashRelease), which chooses a crash's hint. A crash
// is named by the call until it returns, past the wait too, where it was
// named so only while the wait lasted; and the drop of what a call made
// after the wait ended is named as the release of it (lateDrop).
func answerWithin[T any](step cl.CrashStep, what string, create func() (T, error), drop func(T)) (T, error) {
	type made struct {
		v   T
		err error
	}
	asked := "answer when asked for " + what
	defer interrupt.Waiting("the OpenCL driver to " + asked)()
	start, s0 := time.Now(), suspended()
	deadline := start.Add(answerWait)
	unanswered := what // what the error says the driver did not answer
	if h := hungCall.Load(); h != nil && !closed(h.done) {
		deadline = h.start.Add(answerWait)
		if h.what != what {
			unanswered = h.what + ", and then for " + what
		}
	}
	got := make(chan made) // unbuffered: a late answer goes to drop
	late, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		crashed := cl.Crashing(cl.Asked(asked), step)
		v, err := create()
		crashed()
		select {
		case got <- made{v, err}:
		case <-late:
			if err == nil && drop != nil {
				lateDrop(what, func() { drop(v) })
			}
		}
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	var stopped time.Duration // suspended in the wait, and waited on for
wait:
	for {
		select {
		case m := <-got:
			return m.v, m.err
		case <-t.C:
			if s := suspended() - s0; s > stopped {
				stopped = s
				t.Reset(time.Until(deadline.Add(stopped)))
				continue
			}
			break wait
		}
	}
	close(late)
	select {
	case m := <-got: // it answered as the wait ended
		return m.v, m.err
	default:
	}
	if h := hungCall.Load(); h == nil || closed(h.done) {
		hungCall.Store(&cutCall{start: start, done: done, what: what})
	}
	var zero T
	lib := cl.DriverName()
	return zero, &NoAnswerError{Wait: answerWait, What: unanswered, Lib: lib, LibFiles: libFiles(lib), Opening: true, Suspended: stopped}
}

// lateDrop runs drop, the release of what the driver made for what ("a
// context for device 0 (...)") after its wait had ended, marked so that a
// crash there is named as that release, with the hint of a crash in a
// release: "for the release of a context for device 0 (...), which it made
// after it did not answer in 10 s". It had no mark: a crash there named
// no call, or another one.
func lateDrop(what string, drop func()) {
	defer cl.Crashing(fmt.Sprintf("for the release of %s, which it made after it did not answer in %g s", what, answerWait.Seconds()), cl.CrashRelease)()
	drop()
}

// cutCall is a call of withinAnswer's that its wait ended: when it began,
// a channel closed once it returned, and what the driver was asked.
type cutCall struct {
	start time.Time
	done  <-chan struct{}
	what  string
}

// hungCall is the first of withinAnswer's calls in the process that was
// cut short, nil before; a later one takes its place once it returned.
var hungCall atomic.Pointer[cutCall]

// closed says whether c is closed.
func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// askDriver is withinAnswer for a driver call that makes nothing (a
// query): call's error, or a *NoAnswerError asking for what.
func askDriver(what string, call func() error) error {
	_, err := withinAnswer(what, func() (struct{}, error) { return struct{}{}, call() }, nil)
	return err
}

// askRelease is askDriver for a release of what gpusim made on a device
// (its queue and kernels, programs, context): a crash there is said as
// one in a release (cl.CrashRelease), not in the device's set-up.
func askRelease(what string, call func() error) error {
	_, err := answerWithin(cl.CrashRelease, what, func() (struct{}, error) { return struct{}{}, call() }, nil)
	return err
}

// createKernel is prog's kernel name, for device (its label, "device 0
// (NAME, PLATFORM, TYPE)"), within answerWait: a *NoAnswerError asking
// for "the kernel NAME for device 0 (...)", else the driver's error.
func createKernel(prog *cl.Program, name, device string) (*cl.Kernel, error) {
	return withinAnswer("the kernel "+name+" for "+device, func() (*cl.Kernel, error) { return prog.CreateKernel(name) }, func(k *cl.Kernel) { _ = k.Release() })
}

// createBuffer is a buffer of size bytes in ctx, on device (its label),
// within answerWait: a *NoAnswerError asking for "a buffer of N bytes on
// device 0 (...)", else the driver's error.
func createBuffer(ctx *cl.Context, flags cl.MemFlags, size int, device string) (*cl.Buffer, error) {
	return withinAnswer(fmt.Sprintf("a buffer of %d bytes on %s", size, device), func() (*cl.Buffer, error) { return cl.CreateBuffer(ctx, flags, size) }, func(b *cl.Buffer) { _ = b.Release() })
}

// createLaterBuffer is createBuffer of a buffer past the device's set-up
// (marked as Engine.markBuffer marks it), for (what it is for: "for the
// self-test's checks"): a crash there names it ("a buffer of N bytes for
// the self-test's checks on device 0 (...)") with a buffer's hint
// (cl.CrashBuffer), where it had the set-up's.
func createLaterBuffer(ctx *cl.Context, flags cl.MemFlags, size int, forWhat, device string) (*cl.Buffer, error) {
	return answerWithin(cl.CrashBuffer, fmt.Sprintf("a buffer of %d bytes %s on %s", size, forWhat, device), func() (*cl.Buffer, error) { return cl.CreateBuffer(ctx, flags, size) }, func(b *cl.Buffer) { _ = b.Release() })
}

// unanswered is err as it is where it is a *NoAnswerError, which names the
// step and the device, else err wrapped as fmt.Errorf(format+": %w",
// args..., err).
func unanswered(err error, format string, args ...any) error {
	if errors.As(err, new(*NoAnswerError)) {
		return err
	}
	return fmt.Errorf(format+": %w", slices.Concat(args, []any{err})...)
}

// libFiles is NoAnswerError.LibFiles for lib: cl.NameFiles, nil for "".
func libFiles(lib string) []string {
	if lib == "" {
		return nil
	}
	return cl.NameFiles(lib)
}
