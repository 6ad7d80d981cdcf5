package interrupt

import (
	"fmt"
	"sync"
)

// waits holds what the process waits for in calls that a stop cannot cut
// short (Waiting), by the order they began.
var waits struct {
	sync.Mutex
	next uint64
	m    map[uint64]string
}

// Waiting marks the process as waiting for what ("the OpenCL driver to
// build the program for device 0 (NAME, pocl, CPU)"), a call that a stop
// or --timeout cannot cut short, until done is called: a stop's message
// is then preceded by WaitingNote's, naming it. A build or a first launch
// that hung in the driver ended at a stop with "gpusim: interrupted"
// alone.
func Waiting(what string) (done func()) {
	waits.Lock()
	defer waits.Unlock()
	if waits.m == nil {
		waits.m = map[uint64]string{}
	}
	id := waits.next
	waits.next++
	waits.m[id] = what
	return func() {
		waits.Lock()
		defer waits.Unlock()
		delete(waits.m, id)
	}
}

// WaitingNote is the note, one line, that the process is waiting for the
// latest of Waiting's calls still in flight, which the stop leaves to end
// with the process; "" where none is.
func WaitingNote() string {
	waits.Lock()
	defer waits.Unlock()
	var last uint64
	what := ""
	for id, w := range waits.m {
		if what == "" || id > last {
			last, what = id, w
		}
	}
	if what == "" {
		return ""
	}
	return fmt.Sprintf("gpusim: note: stopped while waiting for %s, which a stop cannot cut short: it was left to end with the process\n", what)
}
