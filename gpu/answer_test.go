package gpu

import (
	"errors"
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
