package main

import (
	"io"
	"time"

	"golang.org/x/term"

	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/progress"
)

// fder is a writer backed by a file descriptor, such as *os.File.
type fder interface{ Fd() uintptr }

// isTerminal reports whether w is a terminal: progress bars are drawn only
// there. Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is w's width in columns, or 0 when it is not known.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(fder); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return cols
		}
	}
	return 0
}

// progressDelay is how long a run goes before its progress bar appears, and
// progressInterval the least time between redraws. Tests shorten them.
var (
	progressDelay    = time.Second
	progressInterval = 100 * time.Millisecond
)

// startProgress starts a progress bar for a run of lanes x steps on w when w
// is a terminal and quiet is off, and returns it (nil otherwise) and the
// func that stops it, which must run before anything else is printed. Its
// Add is the job's Progress callback. A process ended by force while the bar
// shows (a driver call that cannot be interrupted) erases it before its
// message (interrupt.BeforeExit).
func startProgress(w io.Writer, quiet bool, lanes uint64, steps int) (*progress.Bar, func()) {
	if quiet || !isTerminal(w) {
		return nil, func() {}
	}
	b := progress.New(w, lanes, steps, progress.Options{Delay: progressDelay, Interval: progressInterval, Width: terminalWidth(w)})
	remove := interrupt.BeforeExit(b.Stop)
	b.Start()
	return b, func() {
		b.Stop()
		remove()
	}
}
