package gpu

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// answerWait is the longest a device's opening waits for the driver to
// create the device's context or its queue (withinAnswer), the bound of
// the devices' listing (engines' answerWait): both are the driver's own
// set-up, a GPU's a second or so, pocl's some milliseconds. A build or a
// first launch is not bounded: a cold compile takes seconds on pocl, and
// a GPU driver's of a large program can take minutes; a stop or
// --timeout ends those.
var answerWait = 10 * time.Second

// NoAnswerError is the error of a call into the OpenCL driver that did not
// return in Wait: the listing of the devices (What "its devices", the
// default) or a device's context or queue (What "a context for device 0
// (NAME, PLATFORM, TYPE)"). The driver hangs, or is that slow; the call is
// left to go on until the process exits.
type NoAnswerError struct {
	Wait time.Duration
	What string // what the driver was asked for; "" is its devices
	Lib  string // the library loaded, "" where unnamed
}

func (e *NoAnswerError) Error() string {
	what, lib := e.What, ""
	if what == "" {
		what = "its devices"
	}
	if e.Lib != "" {
		lib = " " + e.Lib
	}
	return fmt.Sprintf("the OpenCL driver%s did not answer in %g s when asked for %s", lib, e.Wait.Seconds(), what)
}

// withinAnswer runs create, a driver call that sets a device up (a
// context, a queue), and waits answerWait for it at most: past it a
// *NoAnswerError asking for what, and create is left to go on; what it
// makes once it returns is handed to drop. A driver that hung there held
// run --device 0, selftest, bench and auto's start of the device for ever.
// Where an earlier call was cut short and has not returned (hungCall),
// the wait counts from that call's start, as the driver has not answered
// it: selftest, which opens a device twice (its two programs), waited
// twice.
func withinAnswer[T any](what string, create func() (T, error), drop func(T)) (T, error) {
	type made struct {
		v   T
		err error
	}
	start := time.Now()
	deadline := start.Add(answerWait)
	if h := hungCall.Load(); h != nil && !closed(h.done) {
		deadline = h.start.Add(answerWait)
	}
	got := make(chan made) // unbuffered: a late answer goes to drop
	late, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		v, err := create()
		select {
		case got <- made{v, err}:
		case <-late:
			if err == nil {
				drop(v)
			}
		}
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case m := <-got:
		return m.v, m.err
	case <-t.C:
	}
	close(late)
	select {
	case m := <-got: // it answered as the wait ended
		return m.v, m.err
	default:
	}
	if h := hungCall.Load(); h == nil || closed(h.done) {
		hungCall.Store(&cutCall{start: start, done: done})
	}
	var zero T
	return zero, &NoAnswerError{Wait: answerWait, What: what, Lib: cl.LibraryPath()}
}

// cutCall is a call of withinAnswer's that its wait ended: when it began,
// and a channel closed once it returned.
type cutCall struct {
	start time.Time
	done  <-chan struct{}
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
