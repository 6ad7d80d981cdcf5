package interrupt

import (
	"fmt"
	"sync"
	"time"
)

// waits holds what the process waits for in calls that a stop cannot cut
// short (Waiting, WaitingPast), by the order they began.
var waits struct {
	sync.Mutex
	next uint64
	m    map[uint64]wait
}

// wait is one of Waiting's: what, and the time from which a note names it.
type wait struct {
	what  string
	named time.Time // zero: at once
}

// Waiting marks the process as waiting for what ("the OpenCL driver to
// build the program for device 0 (NAME, pocl, CPU)"), a call that a stop
// or --timeout cannot cut short, until done is called: a stop's message
// is then preceded by WaitingNote's, naming it. A build or a first launch
// that hung in the driver ended at a stop with "gpusim: interrupted"
// alone.
func Waiting(what string) (done func()) { return mark(what, time.Time{}) }

// WaitingPast is Waiting for a call that a stop finds in flight in a
// healthy run as well (a launch's wait, some milliseconds): WaitingNote
// names it only once it has waited past (a duration): a driver that hung
// in a run's later launch ended the run at a stop or --timeout with no
// note of what it waited for.
func WaitingPast(what string, past time.Duration) (done func()) {
	return mark(what, time.Now().Add(past))
}

// mark adds the wait for what, named from named on, until done.
func mark(what string, named time.Time) (done func()) {
	waits.Lock()
	defer waits.Unlock()
	if waits.m == nil {
		waits.m = map[uint64]wait{}
	}
	id := waits.next
	waits.next++
	waits.m[id] = wait{what, named}
	return func() {
		waits.Lock()
		defer waits.Unlock()
		delete(waits.m, id)
	}
}

// WaitingNote is the note, one line, that the process is waiting for the
// latest of Waiting's calls still in flight (WaitingPast's past its
// time), which the stop leaves to end with the process; "" where none is.
func WaitingNote() string {
	waits.Lock()
	defer waits.Unlock()
	now := time.Now()
	var last uint64
	what := ""
	for id, w := range waits.m {
		if w.named.After(now) {
			continue
		}
		if what == "" || id > last {
			last, what = id, w.what
		}
	}
	if what == "" {
		return ""
	}
	return fmt.Sprintf("gpusim: note: stopped while waiting for %s, which a stop cannot cut short: it was left to end with the process\n", what)
}
