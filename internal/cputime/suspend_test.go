package cputime

import (
	"testing"
	"time"
)

// TestSuspended counts the gaps of suspendGap or more between beats, the
// one open now too, and nothing of a process that runs or of a gap under
// suspendGap.
func TestSuspended(t *testing.T) {
	now := time.Unix(1e9, 0)
	clock, watching, last, total := suspendNow, suspension.watching, suspension.last, suspension.total
	defer func() {
		suspendNow = clock
		suspension.Lock()
		suspension.watching, suspension.last, suspension.total = watching, last, total
		suspension.Unlock()
	}()
	suspendNow = func() time.Time { return now }
	suspension.Lock()
	suspension.watching, suspension.last, suspension.total = true, now, 0
	suspension.Unlock()
	for i, c := range []struct {
		advance time.Duration
		beat    bool
		want    time.Duration
	}{
		{suspendBeat, true, 0},                            // running
		{400 * time.Millisecond, true, 0},                 // a scheduling delay, under suspendGap
		{3 * time.Second, false, 2900 * time.Millisecond}, // stopped, seen before the watch's beat
		{0, true, 2900 * time.Millisecond},                // the beat counts it once
		{suspendBeat, true, 2900 * time.Millisecond},
		{time.Second, true, 3800 * time.Millisecond}, // a second stop
	} {
		now = now.Add(c.advance)
		if c.beat {
			beat()
		}
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: Suspended() = %v, want %v", i, got, c.want)
		}
	}
}
