package cputime

import (
	"sync"
	"time"
)

// suspendBeat is how often the watch started by WatchSuspend notes that
// the process runs, and suspendGap the least gap between two of its beats
// counted as a suspension: five beats missed, far more than a loaded
// machine's scheduling delays a runnable thread (milliseconds), far less
// than a stop anyone sends by hand or by a scheduler.
const (
	suspendBeat = 100 * time.Millisecond
	suspendGap  = 500 * time.Millisecond
)

// suspension is the state of the watch: the time of its last beat, and
// the suspensions counted before it.
var suspension struct {
	sync.Mutex
	watching bool
	last     time.Time
	total    time.Duration
}

// suspendNow is the clock of the watch; a variable for tests.
var suspendNow = time.Now

// WatchSuspend starts, once per process, the watch behind Suspended: a
// goroutine that wakes every 100 ms (suspendBeat). A program's main calls
// it; without it Suspended is always 0.
func WatchSuspend() {
	suspension.Lock()
	defer suspension.Unlock()
	if suspension.watching {
		return
	}
	suspension.watching, suspension.last = true, suspendNow()
	go func() {
		t := time.NewTicker(suspendBeat)
		for range t.C {
			beat()
		}
	}()
}

// beat notes that the process runs now, counting the gap since the last
// beat as a suspension where it is suspendGap or more (less the beat's own
// interval, which a running process spends too).
func beat() {
	now := suspendNow()
	suspension.Lock()
	defer suspension.Unlock()
	suspension.total += gapSince(suspension.last, now)
	suspension.last = now
}

// gapSince is the time the process did not run between its beat at last
// and now: 0 for a gap under suspendGap.
func gapSince(last, now time.Time) time.Duration {
	if d := now.Sub(last); d >= suspendGap {
		return d - suspendBeat
	}
	return 0
}

// Suspended is the wall time the process has spent suspended since
// WatchSuspend: stopped (SIGSTOP; Ctrl-Z's SIGTSTP; Slurm's scontrol
// suspend, which sends SIGSTOP) until its SIGCONT, or the whole machine
// paused (a virtual machine's), measured as the gaps of 0.5 s or more
// (suspendGap) in a beat every 0.1 s, the one open now included: a caller
// that runs first after a SIGCONT, before the watch's goroutine, sees the
// stop too. A stop under 0.5 s is not counted, and each is counted to
// within 0.1 s. It is 0 without WatchSuspend. Wall time less Suspended is
// the time the process could run: what a rate or a timing is measured
// over.
func Suspended() time.Duration {
	now := suspendNow()
	suspension.Lock()
	defer suspension.Unlock()
	if !suspension.watching {
		return 0
	}
	return suspension.total + gapSince(suspension.last, now)
}
