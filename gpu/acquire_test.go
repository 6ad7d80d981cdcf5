package gpu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestAcquireRaceHangingRelease: two opens of one device that race each
// create a context; the loser releases its own and takes the winner's.
// Where the driver hangs in that release (clReleaseContext), acquire ends
// within answerWait with the *NoAnswerError naming the release and the
// device, the winner's state untouched: it waited for ever, and then
// noted that the start went on, whose next bounded call (a queue) found
// the wait already passed (hungCall) and all but always ended at once.
func TestAcquireRaceHangingRelease(t *testing.T) {
	idx := testDevice(t)
	closeAll(t)
	ds, err := devices()
	if err != nil {
		t.Fatal(err)
	}
	d := ds[idx]
	was, create, rel := answerWait, createContext, contextRelease
	answerWait = 200 * time.Millisecond
	hang, returned := make(chan struct{}), make(chan struct{})
	var winner *shared
	// The winner's acquire runs inside the loser's creation, so that the
	// loser finds the device registered.
	createContext = func(devs ...*cl.Device) (*cl.Context, error) {
		createContext = create
		if winner, err = acquire(d); err != nil {
			t.Error(err)
		}
		return create(devs...)
	}
	contextRelease = func(c *cl.Context) error {
		defer close(returned)
		<-hang
		return c.Release()
	}
	defer func() {
		close(hang)
		<-returned
		answerWait, createContext, contextRelease = was, create, rel
		hungCall.Store(nil)
	}()
	type acquired struct {
		s   *shared
		err error
	}
	got := make(chan acquired, 1)
	go func() {
		s, err := acquire(d)
		got <- acquired{s, err}
	}()
	var a acquired
	select {
	case a = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("acquire still waiting 10 s on the release of its context (answerWait 0.2 s)")
	}
	defer winner.release()
	if a.s != nil {
		defer a.s.release()
	} else {
		defer winner.release() // the reference the loser kept
	}
	want := "did not answer in 0.2 s when asked for the release of a second context for " + d.desc.Named()
	var na *NoAnswerError
	if !errors.As(a.err, &na) || !strings.HasSuffix(a.err.Error(), want) || a.s != nil {
		t.Errorf("acquire: state %p, error %v: want no state and the error %q", a.s, a.err, want)
	}
}
