package progress

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpusim/gpusim/internal/count"
)

// Options tune a Bar. The zero value gives the defaults.
type Options struct {
	// Delay is how long a run goes before the bar first appears, so short
	// runs print nothing (default 1s; negative means at once).
	Delay time.Duration
	// Interval is the least time between redraws (default 100ms).
	Interval time.Duration
	// Width is the terminal's width in columns (default 80). The line is
	// kept one column narrower so the cursor never wraps: the bar goes
	// first, then the rate, the lanes and the ETA, and on a terminal too
	// narrow for the percentage nothing is drawn.
	Width int
	// WidthNow, when set, is the terminal's width in columns now, or 0
	// where it is not known (then the last width stands). It is read at
	// each redraw, so that a window narrowed during a run does not wrap
	// the line (the width read once at the start made each redraw wrap
	// onto a new row); it should be cheap (an ioctl).
	WidthNow func() int
	// Now is the clock (default time.Now); tests pass a fake one.
	Now func() time.Time
	// Suspended, when set, is the wall time the process has spent
	// suspended so far (cputime.Suspended: SIGSTOP, Ctrl-Z, Slurm's
	// suspend), which the delay, the rate and the ETA leave out: a run
	// stopped for minutes and continued showed its lanes over the whole
	// time, a rate some times too slow and an ETA some times too long.
	Suspended func() time.Duration
	// Lines, for a log rather than a terminal (a batch job's stderr),
	// writes each report as a line of its own, Prefix and the numbers
	// without the bar, and never erases one.
	Lines  bool
	Prefix string // put before each line's numbers with Lines
	// Label, where not "", says what the bar counts ("writing --out"):
	// it goes first, before the bar, or after Prefix with Lines, and
	// SetLabel changes it. The run's own bar has none.
	Label string
	// Unit names what Add counts, in the plural (default "lanes"): a bar
	// of no steps counts "lane-steps" where its work is not whole lanes
	// (the host's --paths trajectories, whose one lane can be 2^28
	// steps), and its rate is then in Unit per second.
	Unit string
}

// Bar is a progress bar over a number of lanes of a given number of steps.
// Add may be called from any goroutine; the line is drawn by Tick, which the
// goroutine Start launches calls every Interval, and erased by Stop.
//
// A line reads
//
//	[==========>            ]  45%  22.5M/50M lanes  96.1M lane-steps/s  ETA 3s
//
// and, with a label and no steps (a run's file of a row per lane),
//
//	writing --out: [=====>      ]  45%  45M/100M lanes  3.31M lanes/s  ETA 17s
//
// and, counting lane-steps (Options.Unit) with a label and no steps, on
// 80 columns, which leave no room for the bar,
//
//	computing --paths: 30%  83.2M/268M lane-steps  41.6M lane-steps/s  ETA 5s
//
// and, once Phase has ended the count, its text and the time since:
//
//	syncing --out, then writing --html  2s
type Bar struct {
	w            io.Writer
	total        uint64
	steps        int
	delay, every time.Duration
	tick         time.Duration // Start's pace: every, or the delay where shorter
	width        int
	widthNow     func() int
	lines        bool
	prefix       string
	label        string        // guarded by mu
	unit         string        // what Add counts: Options.Unit
	phase        string        // guarded by mu: Phase's text, "" for the bar
	phaseAt      time.Duration // guarded by mu: elapsed at Phase
	now          func() time.Time
	start        time.Time
	suspended    func() time.Duration
	suspended0   time.Duration // suspended() at start

	done atomic.Uint64

	mu       sync.Mutex // guards the fields below and writes to w
	last     time.Time  // time of the last draw, zero before the first
	drawn    int        // length of the line on screen, 0 when none
	stopped  bool
	quit     chan struct{}
	finished chan struct{}

	stopOnce sync.Once
}

// New returns a bar for lanes lanes of steps steps each, writing to w. The
// clock starts now.
func New(w io.Writer, lanes uint64, steps int, o Options) *Bar {
	b := &Bar{w: w, total: lanes, steps: steps, delay: o.Delay, every: o.Interval, width: o.Width, widthNow: o.WidthNow, lines: o.Lines, prefix: o.Prefix, label: o.Label, now: o.Now, suspended: o.Suspended}
	if b.delay == 0 {
		b.delay = time.Second
	}
	if b.every <= 0 {
		b.every = 100 * time.Millisecond
	}
	if b.width <= 0 {
		b.width = 80
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.suspended == nil {
		b.suspended = func() time.Duration { return 0 }
	}
	if b.unit = o.Unit; b.unit == "" {
		b.unit = "lanes"
	}
	// Tick at the delay's pace too, so that the first line of a log
	// (a 10 s delay, a minute between lines) comes at the delay, not a
	// whole interval later.
	b.tick = b.every
	if b.delay > 0 {
		b.tick = min(b.tick, b.delay)
	}
	b.start, b.suspended0 = b.now(), b.suspended()
	return b
}

// elapsed is the time the run could run from the bar's start to now:
// wall time less the time the process was suspended meanwhile.
func (b *Bar) elapsed(now time.Time) time.Duration {
	return now.Sub(b.start) - max(b.suspended()-b.suspended0, 0)
}

// Add counts n more lanes (Options.Unit) as done. It is a sim.Job.Progress
// callback: one atomic add, safe from several goroutines.
func (b *Bar) Add(n uint64) { b.done.Add(n) }

// SetLabel changes the label (Options.Label) from the next redraw on: a
// phase that writes several files names the one it writes. Safe from any
// goroutine.
func (b *Bar) SetLabel(label string) {
	b.mu.Lock()
	b.label = label
	b.mu.Unlock()
}

// Phase ends the count and, from the next redraw on, shows text in the
// bar's place, with no bar and no numbers, and the time since the call:
// "syncing --out, then writing --html  2s" (after Prefix with Lines). It
// is for work that follows the counted work and has no count of its own,
// such as syncing the file just written and writing small ones: the bar
// left up at 100% while they ran (half a second for 10^8 lanes) read as
// stuck. The delay still holds: a phase over before it shows nothing.
// Safe from any goroutine.
func (b *Bar) Phase(text string) {
	now := b.now()
	b.mu.Lock()
	b.phase, b.phaseAt = text, b.elapsed(now)
	b.mu.Unlock()
}

// Start redraws the bar every Interval on a goroutine of its own until Stop.
func (b *Bar) Start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.quit != nil || b.stopped {
		return
	}
	b.quit, b.finished = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(b.finished)
		t := time.NewTicker(b.tick)
		defer t.Stop()
		for {
			select {
			case <-b.quit:
				return
			case <-t.C:
				b.Tick()
			}
		}
	}()
}

// Tick draws the bar if the delay has passed and the last draw is an
// interval old, within a quarter of Start's pace: a ticker's wake-ups wander,
// and one a hair under the interval after the last draw skipped to the
// next tick (a log's lines came every 60 or 70 s, the bar drew 7 frames a
// second, not 10). It reports whether it drew.
func (b *Bar) Tick() bool {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped || b.elapsed(now) < b.delay || (!b.last.IsZero() && now.Sub(b.last) < b.every-b.tick/4) {
		return false
	}
	b.readWidth()
	line := b.line(now)
	if b.lines {
		fmt.Fprintf(b.w, "%s%s\n", b.prefix, line)
		b.last = now
		return true
	}
	// \r returns to the start of the line; spaces cover a longer old line,
	// up to a column less than the width (past it they would wrap: the old
	// line was drawn in a wider window).
	pad := max(min(b.drawn, b.width-1)-len(line), 0)
	fmt.Fprintf(b.w, "\r%s%s", line, strings.Repeat(" ", pad))
	if pad > 0 {
		fmt.Fprintf(b.w, "\r%s", line)
	}
	b.drawn = len(line)
	b.last = now
	return true
}

// readWidth takes the terminal's width now, where WidthNow knows it.
// Callers hold mu.
func (b *Bar) readWidth() {
	if b.widthNow != nil {
		if w := b.widthNow(); w > 0 {
			b.width = w
		}
	}
}

// Stop ends the redraws and erases the line if one was drawn, leaving the
// cursor at the start of an empty line. It is idempotent, and a call made
// while another erases the line returns once it is erased: a forced exit's
// (its BeforeExit hook) returned at once while the run's own Stop waited on
// a terminal stopped by Ctrl-S, and its message was glued to the bar.
func (b *Bar) Stop() { b.stopOnce.Do(b.stop) }

func (b *Bar) stop() {
	b.mu.Lock()
	quit, finished := b.quit, b.finished
	b.stopped = true
	b.mu.Unlock()
	if quit != nil {
		close(quit)
		<-finished
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn > 0 {
		b.readWidth()
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", max(min(b.drawn, b.width-1), 0)))
		b.drawn = 0
	}
}

// Line renders the bar as it stands at now, without the leading \r; with
// Lines, the numbers alone (after the label, where there is one).
func (b *Bar) Line(now time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.line(now)
}

// line is Line with mu held.
func (b *Bar) line(now time.Time) string {
	if b.phase != "" {
		return b.phaseLine(now)
	}
	done := min(b.done.Load(), b.total)
	elapsed := b.elapsed(now).Seconds()
	frac := 1.0
	if b.total > 0 {
		frac = float64(done) / float64(b.total)
	}
	rate, unit := "", "lane-steps/s"
	perSec := math.NaN() // "-": no rate before the first lane is done
	if elapsed > 0 && done > 0 {
		perSec = float64(done) / elapsed // lanes per second
	}
	if b.steps == 0 {
		unit = b.unit + "/s"
		rate = SI(perSec)
	} else {
		rate = SI(perSec * float64(b.steps))
	}
	eta := "--"
	if done >= b.total {
		eta = "0s"
	} else if perSec > 0 {
		eta = etaOf(float64(b.total-done) / perSec)
	}
	pct, lanes := fmt.Sprintf(" %3.0f%%", math.Floor(100*frac)), fmt.Sprintf("  %s/%s %s", SI(float64(done)), SI(float64(b.total)), b.unit)
	tail := pct + lanes + "  " + rate + " " + unit + "  ETA " + eta
	label := ""
	if b.label != "" {
		label = b.label + ": "
	}
	if b.lines {
		return label + strings.TrimLeft(tail, " ")
	}
	// The bar takes what the line has left, within limits; a narrow
	// terminal gets the numbers alone, as many as fit in a column less
	// than its width (a wider line wraps, and \r then redraws it on a
	// new row each time, leaving the old ones on screen), then without
	// the label, or nothing.
	room := b.width - 1 - len(label) - len(tail) - 2
	if steady := b.width - 1 - len(label) - b.widestTail(unit) - 2; steady >= 10 {
		// The room the widest numbers leave, not what this frame's
		// leave: it took the latter, so that the bar grew and shrank
		// as the numbers changed length, and its fill moved back (16
		// of 19 at 79%, 14 of 17 at 81%).
		room = steady
	}
	if room < 10 {
		for _, l := range []string{label, ""} {
			for _, t := range []string{tail, pct + lanes + "  ETA " + eta, pct + "  ETA " + eta, pct} {
				if t = l + strings.TrimLeft(t, " "); len(t) <= b.width-1 {
					return t
				}
			}
		}
		return "" // not even the percentage fits
	}
	room = min(room, 40)
	fill := int(frac * float64(room))
	bar := strings.Repeat("=", fill)
	if fill < room {
		bar += ">" + strings.Repeat(" ", room-fill-1)
	}
	return label + "[" + bar + "]" + tail
}

// phaseLine is the line of a Phase at now: its text and the time since,
// cut to a column less than the width on a terminal (the time first, then
// the text's end).
func (b *Bar) phaseLine(now time.Time) string {
	l := b.phase + "  " + Duration(max(b.elapsed(now)-b.phaseAt, 0))
	if !b.lines && len(l) > b.width-1 {
		l = b.phase[:min(len(b.phase), max(b.width-1, 0))]
	}
	return l
}

// widestTail is the longest the numbers after the bar can be in this
// bar's run, rate in unit: its percentage at 100%, the count done at 4
// characters more than the total's (SI's widest, "1.23M", against "30M"),
// the rate at SI's widest and the ETA at Duration's ("59m59s").
func (b *Bar) widestTail(unit string) int {
	const si, eta = len("1.23M"), len("59m59s")
	return len(" 100%") + len("  ") + max(si, len(SI(float64(b.total)))) + len("/"+SI(float64(b.total))+" "+b.unit) +
		len("  ") + si + len(" "+unit) + len("  ETA ") + eta
}

// SI formats a non-negative count or rate with 3 significant digits and a
// k, M, G or T suffix (count.SI): 950, 2.25M, 96.1M, 1.2G, 1.84e+19; NaN
// is "-".
func SI(x float64) string { return count.SI(x, 3) }

// maxETA is the longest remaining time the bar spells out, a million
// hours (114 years); a job of 2^64 lanes can need far more than a
// time.Duration holds, whose conversion wrapped to "ETA -9223372036s".
const maxETA = 1e6 * 3600

// etaOf formats secs seconds to go as Duration does, and a time beyond
// maxETA as ">1000000h".
func etaOf(secs float64) string {
	if !(secs <= maxETA) {
		return fmt.Sprintf(">%dh", int(maxETA/3600))
	}
	return Duration(time.Duration(secs * float64(time.Second)))
}

// Duration formats a remaining time to the second: 7s, 2m05s, 1h02m.
func Duration(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
}
