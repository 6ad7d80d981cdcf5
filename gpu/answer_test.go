package gpu

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWithinAnswer: a driver call that does not return in answerWait is a
// *NoAnswerError naming what was asked, and what it makes once it returns
// is dropped; while it has not returned, a later call waits only what is
// left of the first one's wait (selftest opens a device twice and waited
// twice), and its error names both calls; an answer in time is returned
// as it is.
func TestWithinAnswer(t *testing.T) {
	was := answerWait
	answerWait = 100 * time.Millisecond
	defer func() { answerWait = was; hungCall.Store(nil) }()
	release := make(chan struct{})
	dropped := make(chan int, 1)
	_, err := withinAnswer("a context for device 0 (X)", func() (int, error) {
		<-release
		return 7, nil
	}, func(v int) { dropped <- v })
	var na *NoAnswerError
	if !errors.As(err, &na) || na.What != "a context for device 0 (X)" || na.Wait != answerWait {
		t.Fatalf("a call that hangs: %v, want a *NoAnswerError for a context", err)
	}
	t0 := time.Now()
	_, err = withinAnswer("a queue on device 0 (X)", func() (int, error) { select {} }, func(int) {})
	if !errors.As(err, &na) || time.Since(t0) > answerWait/2 {
		t.Errorf("a second call while the first hangs: %v after %v, want a *NoAnswerError at once", err, time.Since(t0))
	}
	// It names the call the driver did not answer first, then this one:
	// it named the queue alone, asked a moment before.
	if want := "a context for device 0 (X), and then for a queue on device 0 (X)"; na == nil || na.What != want {
		t.Errorf("a second call while the first hangs: %v, want it asked for %q", err, want)
	}
	close(release)
	select {
	case v := <-dropped:
		if v != 7 {
			t.Errorf("dropped %d, want the late answer 7", v)
		}
	case <-time.After(5 * time.Second):
		t.Error("the late answer was not dropped")
	}
	if v, err := withinAnswer("x", func() (int, error) { return 3, nil }, func(int) { t.Error("an answer in time dropped") }); v != 3 || err != nil {
		t.Errorf("an answer in time: %d, %v, want 3, nil", v, err)
	}
}

// TestAnswerSuspended: the wait for a driver call does not count the time
// the process was suspended in it (Ctrl-Z, SIGSTOP: suspended grew): a
// call that answers after a tenth of a second, in a wait of 50 ms through
// which the process was stopped for 5 s, is waited for, where it was
// called a hang ("did not answer in 0.05 s"); one that does not answer
// with the process running for the whole wait is a *NoAnswerError that
// says the time suspended that the wait did not count.
func TestAnswerSuspended(t *testing.T) {
	was, wasSuspended := answerWait, suspended
	answerWait = 50 * time.Millisecond
	var stopped atomic.Int64
	suspended = func() time.Duration { return time.Duration(stopped.Load()) }
	defer func() { answerWait, suspended = was, wasSuspended; hungCall.Store(nil) }()
	v, err := withinAnswer("a context for device 0 (X)", func() (int, error) {
		stopped.Add(int64(5 * time.Second)) // stopped as the driver creates it
		time.Sleep(100 * time.Millisecond)
		return 3, nil
	}, func(int) {})
	if v != 3 || err != nil {
		t.Errorf("a context that took 0.1 s, the process suspended for 5 s in the wait: %d, %v; want 3, nil", v, err)
	}
	// The hung call's goroutine reads answerWait as it drops its late
	// answer: released, and its drop waited for, before the deferred
	// restore writes answerWait (the race detector saw the two at once).
	release, dropped := make(chan struct{}), make(chan struct{})
	defer func() {
		close(release)
		select {
		case <-dropped:
		case <-time.After(5 * time.Second):
			t.Error("the late answer was not dropped")
		}
	}()
	_, err = withinAnswer("a queue on device 0 (X)", func() (int, error) {
		stopped.Add(int64(200 * time.Millisecond))
		<-release
		return 0, nil
	}, func(int) { close(dropped) })
	var na *NoAnswerError
	const said = " (0.05 s with the process running: it was suspended for 200 ms more, by Ctrl-Z or SIGSTOP, which the wait did not count)"
	if !errors.As(err, &na) || !strings.HasSuffix(err.Error(), "when asked for a queue on device 0 (X)"+said) {
		t.Errorf("a queue that hangs, the process suspended for 200 ms in the wait: %v; want a *NoAnswerError ending %q", err, said)
	}
}
