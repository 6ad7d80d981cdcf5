package gpu

import (
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestCloseAfterCancelHangingRelease: Close of an engine whose cancelled
// run left its launches in flight (leave) releases it in the background
// once they end; where the driver hangs there (clReleaseCommandQueue),
// that release ends within answerWait with a note (Options.Note) naming
// the release and the device: it waited for ever without a word, its
// goroutine held (waitBackground) and the hang unknown to a later start
// of the device (hungCall).
func TestCloseAfterCancelHangingRelease(t *testing.T) {
	idx := testDevice(t)
	closeAll(t)
	notes := make(chan string, 4)
	e, err := Open(Options{Device: idx, Note: func(s string) { notes <- s }})
	if err != nil {
		t.Fatal(err)
	}
	was, rel := answerWait, queueRelease
	answerWait = 200 * time.Millisecond
	hang, returned := make(chan struct{}), make(chan struct{})
	queueRelease = func(q *cl.Queue) error {
		defer close(returned)
		<-hang
		return q.Release()
	}
	defer func() {
		close(hang)
		<-returned
		waitBackground()
		answerWait, queueRelease = was, rel
		hungCall.Store(nil)
		registry.mu.Lock()
		held := registry.m[idx] == e.sh
		registry.mu.Unlock()
		if held {
			e.sh.release() // the reference the hung release left
		}
	}()
	ended := make(chan struct{})
	e.mu.Lock()
	e.leave(func() { <-ended }) // a cancelled run's launches in flight
	e.mu.Unlock()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	close(ended)
	done := make(chan struct{})
	go func() { waitBackground(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the background release still waiting 10 s on the driver (answerWait 0.2 s)")
	}
	want := "did not answer in 0.2 s when asked for the release of the queue and kernels on " + e.desc.Named() +
		"; its run had been stopped, and the engine, released in the background, was left to end with the process"
	select {
	case n := <-notes:
		if !strings.Contains(n, want) {
			t.Errorf("note %q, want %q", n, want)
		}
	default:
		t.Errorf("no note, want %q", want)
	}
	if h := hungCall.Load(); h == nil || !strings.HasPrefix(h.what, "the release of the queue and kernels on ") {
		t.Errorf("the hung release is not the process's hung call (%+v): a later start of the device would not name it", h)
	}
}
