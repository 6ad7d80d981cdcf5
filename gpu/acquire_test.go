package gpu

import (
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestAcquireRaceHangingRelease: two opens of one device that race each
// create a context; the loser releases its own and takes the winner's.
// Where the driver hangs in that release (clReleaseContext), acquire ends
// within answerWait with the winner's state and a note naming the release
// and the device: it waited for ever, with no note.
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
		if winner, err = acquire(d, nil); err != nil {
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
	notes := make(chan string, 2)
	got := make(chan *shared, 1)
	go func() {
		s, err := acquire(d, func(s string) { notes <- s })
		if err != nil {
			t.Error(err)
		}
		got <- s
	}()
	var s *shared
	select {
	case s = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("acquire still waiting 10 s on the release of its context (answerWait 0.2 s)")
	}
	defer s.release()
	defer winner.release()
	if s != winner {
		t.Error("the loser of the race kept a state of its own")
	}
	want := "did not answer in 0.2 s when asked for the release of a second context for " + d.desc.Named() + "; the device's start goes on with the context another open of it made, and this one was left to end with the process"
	select {
	case n := <-notes:
		if !strings.Contains(n, want) {
			t.Errorf("note %q, want %q", n, want)
		}
	default:
		t.Errorf("no note, want %q", want)
	}
}
