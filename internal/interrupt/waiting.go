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

// wait is one of Waiting's: what (or the func that says it, WaitingFor's),
// and the time from which a note names it.
type wait struct {
	what  string
	says  func() string // nil: what
	named time.Time     // zero: at once
}

// Waiting marks the process as waiting for what ("the OpenCL driver to
// build the program for device 0 (NAME, pocl, CPU)"), a call that a stop
// or --timeout cannot cut short, until done is called: a stop's message
// is then preceded by WaitingNote's, naming it. A build or a first launch
// that hung in the driver ended at a stop with "gpusim: interrupted"
// alone.
func Waiting(what string) (done func()) { return mark(wait{what: what}) }

// WaitingFor is WaitingPast for a wait whose words change as it goes on:
// says is called when a stop's note is written ("the OpenCL driver PATH
// to answer when asked for a queue on device 0 (NAME)", what the probe's
// child was last asked), and must not block; the note names it once it
// has waited past. A stop in the wait for the devices' listing (the probe
// child's 10 s) said "run exceeded 5s" alone. done is idempotent.
func WaitingFor(says func() string, past time.Duration) (done func()) {
	return mark(wait{says: says, named: time.Now().Add(past)})
}

// WaitingPast is Waiting for a call that a stop finds in flight in a
// healthy run as well (a launch's wait, some milliseconds): WaitingNote
// names it only once it has waited past (a duration): a driver that hung
// in a run's later launch ended the run at a stop or --timeout with no
// note of what it waited for.
func WaitingPast(what string, past time.Duration) (done func()) {
	return mark(wait{what: what, named: time.Now().Add(past)})
}

// mark adds the wait w until done.
func mark(w wait) (done func()) {
	waits.Lock()
	defer waits.Unlock()
	if waits.m == nil {
		waits.m = map[uint64]wait{}
	}
	id := waits.next
	waits.next++
	waits.m[id] = w
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
	var (
		last   uint64
		found  bool
		latest wait
	)
	for id, w := range waits.m {
		if w.named.After(now) {
			continue
		}
		if !found || id > last {
			last, found, latest = id, true, w
		}
	}
	if !found {
		return ""
	}
	what := latest.what
	if latest.says != nil {
		what = latest.says()
	}
	return fmt.Sprintf("gpusim: note: stopped while waiting for %s, which a stop cannot cut short: it was left to end with the process\n", what)
}
