package main

import (
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cputime"
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

// logDelay is how long a run goes before it reports its progress on a
// stderr that is not a terminal (a batch job's log), and logInterval the
// time between those lines. Tests shorten them.
var (
	logDelay    = 10 * time.Second
	logInterval = time.Minute
)

// startProgress starts a progress report for a run of lanes x steps on w
// unless quiet, and returns it (nil when quiet) and the func that stops it,
// which must run before anything else is printed. Its Add is the job's
// Progress callback. On a terminal it is a bar, redrawn in place; elsewhere
// (a batch job's log) a line "gpusim: progress: ... ETA ..." after
// logDelay and every logInterval, so that a job far longer than expected is
// seen in its log. A process ended by force while the bar shows (a driver
// call that cannot be interrupted) erases it before its message
// (interrupt.BeforeExit), and so does a driver's crash, whose handler ends
// the process (cl.CrashErase).
func startProgress(w io.Writer, quiet bool, lanes uint64, steps int) (*progress.Bar, func()) {
	if quiet {
		return nil, func() {}
	}
	return newProgress(w, lanes, steps, progress.Options{})
}

// startComputing starts the progress report of the host's --paths
// computation (paths.Compute), k lanes of steps steps, as startProgress
// starts the run's, labelled "computing --paths" and counted, as the
// run's, in lane-steps shown as lanes, whole or not (a lane can be 2^28
// steps): it ran for seconds after the run's bar (--lanes 64 --steps 1e6
// --paths 64) with nothing on the terminal. It returns paths.Compute's
// done callback (nil when quiet) and the func that stops the report, which
// must run before anything else is printed.
func startComputing(w io.Writer, quiet bool, k uint64, steps int) (func(laneSteps uint64), func()) {
	if quiet {
		return nil, func() {}
	}
	b, stop := newProgress(w, k, steps, progress.Options{Label: "computing --paths"})
	return b.Add, stop
}

// startWriting starts the progress report of a run's output files, as
// startProgress starts the run's, over values values of per-lane files
// (runfiles.Result.Values: a row of --paths-out is a lane's steps, counted
// as they are written, not once the row is) and with a delay of its own,
// so that small files print nothing: the run's bar ended before the files
// were written, and a CSV --out of 10^8 lanes was written for half a
// minute with nothing on the terminal. The bar names the file it writes
// from the start, first's ("writing --out: ..."; first is the flag of
// the first per-lane file written): labelled "writing" alone until the
// first values came, a slow first write (a loaded machine, a slow disk)
// showed a bar that named no file. It returns runfiles.WriteResult's
// values callback (nil when quiet or values is 0), which names the file
// it is handed (--paths-out after --out), and the func that stops the report,
// which must run before anything else is printed. Once the last value is
// handed on, the bar gives way to then (progress.Bar.Phase), what the run
// does next ("syncing --out, then writing --html": finishingPhase): the
// bar stayed up at 100% while they ran, and seemed stuck.
func startWriting(w io.Writer, quiet bool, values uint64, first, then string) (func(flag string, n int), func()) {
	if quiet || values == 0 {
		return nil, func() {}
	}
	b, stop := newProgress(w, values, 0, progress.Options{Label: "writing --" + first, Unit: "values"})
	last, done := first, uint64(0)
	return func(flag string, n int) {
		if flag != last { // WriteResult's goroutine alone calls it
			last = flag
			b.SetLabel("writing --" + flag)
		}
		b.Add(uint64(n))
		if done += uint64(n); done >= values && then != "" {
			b.Phase(then)
		}
	}, stop
}

// finishingPhase says what a run does once the last row of its per-lane
// files (--out, then --paths-out) is handed on, for startWriting: it syncs
// that file (atomicfile.File.Close) and then writes the others that named
// lists, in the order runReport writes them ("syncing --paths-out, then
// writing --plot, --save and --html"); "" without per-lane files.
func finishingPhase(named []outFile) string {
	has := func(flag string) bool {
		return slices.ContainsFunc(named, func(f outFile) bool { return f.Flag == flag })
	}
	var last string
	for _, f := range []string{"out", "paths-out"} {
		if has(f) {
			last = f
		}
	}
	if last == "" {
		return ""
	}
	var rest []string
	for _, f := range []string{"daily-out", "plot", "plot-daily", "save", "html"} {
		if has(f) {
			rest = append(rest, "--"+f)
		}
	}
	phase := "syncing --" + last
	switch n := len(rest); {
	case n == 1:
		phase += ", then writing " + rest[0]
	case n > 1:
		phase += ", then writing " + strings.Join(rest[:n-1], ", ") + " and " + rest[n-1]
	}
	return phase
}

// newProgress starts a progress bar over lanes lanes of steps steps (its
// Add counts lane-steps; with no steps, lanes) on w, labelled and counted
// as what gives (progress.Options' Label and Unit), for startProgress,
// startComputing and startWriting.
func newProgress(w io.Writer, lanes uint64, steps int, what progress.Options) (*progress.Bar, func()) {
	// Drawn: a driver's crash erases the bar before its error, as Stop.
	o := progress.Options{Delay: progressDelay, Interval: progressInterval, Width: terminalWidth(w), WidthNow: func() int { return terminalWidth(w) }, Drawn: cl.CrashErase}
	if !isTerminal(w) {
		o = progress.Options{Delay: logDelay, Interval: logInterval, Lines: true, Prefix: "gpusim: progress: "}
	}
	o.Suspended, o.Label, o.Unit = cputime.Suspended, what.Label, what.Unit
	b := progress.New(w, lanes, steps, o)
	remove := interrupt.BeforeExit(b.Stop)
	b.Start()
	return b, func() {
		b.Stop()
		remove()
	}
}
