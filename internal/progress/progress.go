package progress

import (
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"
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
	// Unit names what the bar counts, in the plural (default "lanes"):
	// lanes of steps steps (New), whose lane-steps Add counts, or, with
	// no steps, what Add counts itself ("values" of a run's files). Its
	// rate is in Unit per second, written "/s" after the number.
	Unit string
	// Drawn, when set, is told after a draw that changed them the bytes
	// that erase the line on screen, as Stop writes them, and "" once
	// Stop has erased it: a process ended where Stop cannot run (an
	// OpenCL driver's crash, whose handler writes them before its error:
	// gpu/cl's CrashErase) erases the line with them. Not with Lines.
	Drawn func(erase string)
}

// Bar is a progress bar over a number of lanes of a given number of steps.
// Add counts lane-steps, a lane of no steps counting one (sim.Job.Progress's
// unit), and may be called from any goroutine; the line is drawn by Tick,
// which the goroutine Start launches calls every Interval, and erased by
// Stop. The count shows lanes (Options.Unit), whole or not (a lane of
// 2^32 steps is seen to move), and the rate is in them per second. The
// percentage and the count are rounded down, and reach 100% and the total
// together, only once every lane-step is counted.
//
// A line reads
//
//	[===============>                  ]  45%  22.5M/50M lanes  9.61M/s  ETA 3s
//
// and, with a label and no steps (a run's file of a value a lane),
//
//	writing --out: [=======>         ]  45%  45M/100M values  3.31M/s  ETA 17s
//
// and, of the host's --paths trajectories, on 80 columns,
//
//	computing --paths: [====>           ]  30%  19.2/64 lanes  9.6/s  ETA 5s
//
// and, once Phase has ended the count, its text and the time since:
//
//	syncing --out, then writing --html  2s
//
// The bar keeps one width for the whole run, whatever its numbers do:
// each number after it is written in at most a fixed number of columns
// (num, etaShort), and the bar takes what the widest of them leave of the
// terminal's width, which only a resize changes (WidthNow).
type Bar struct {
	w            io.Writer
	lanes        uint64  // the lanes counted
	per          float64 // lane-steps a lane: its steps, at least 1
	work         float64 // lane-steps in all: lanes x per
	workHi       uint64  // lanes x per exactly, over 2^64 (the wraps of done)
	workLo       uint64  // and below it
	delay, every time.Duration
	tick         time.Duration // Start's pace: every, or the delay where shorter
	width        int
	widthNow     func() int
	lines        bool
	prefix       string
	label        string        // guarded by mu
	unit         string        // what the count shows: Options.Unit
	phase        string        // guarded by mu: Phase's text, "" for the bar
	phaseAt      time.Duration // guarded by mu: elapsed at Phase
	now          func() time.Time
	start        time.Time
	suspended    func() time.Duration
	suspended0   time.Duration // suspended() at start

	// done is the lane-steps counted, and wraps how many times it went
	// past 2^64: a job of 2^64-1 lanes of 2^32 steps (with --timeout)
	// has more than a uint64 holds.
	done, wraps atomic.Uint64

	mu       sync.Mutex // guards the fields below and writes to w
	last     time.Time  // time of the last draw, zero before the first
	drawn    int        // length of the line on screen, 0 when none
	onDrawn  func(string)
	erase    string // what onDrawn was last told
	stopped  bool
	quit     chan struct{}
	finished chan struct{}

	stopOnce sync.Once
}

// New returns a bar for lanes lanes (Options.Unit) of steps steps each,
// writing to w: lanes x max(steps, 1) lane-steps in all. The clock starts
// now.
func New(w io.Writer, lanes uint64, steps int, o Options) *Bar {
	per := float64(max(steps, 1))
	b := &Bar{w: w, lanes: lanes, per: per, work: float64(lanes) * per, delay: o.Delay, every: o.Interval, width: o.Width, widthNow: o.WidthNow, lines: o.Lines, prefix: o.Prefix, label: o.Label, now: o.Now, suspended: o.Suspended, onDrawn: o.Drawn}
	b.workHi, b.workLo = bits.Mul64(lanes, uint64(per))
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

// Add counts n more lane-steps as done, a lane of no steps counting one
// (with no steps, n more lanes, Options.Unit). It is a sim.Job.Progress
// callback: one atomic add, safe from several goroutines.
func (b *Bar) Add(n uint64) {
	if b.done.Add(n) < n {
		b.wraps.Add(1)
	}
}

// counted is the lane-steps Add has counted, at most the bar's work. A
// redraw just as the count wraps may read it 2^64 off once: the clamp
// holds it within the bar.
func (b *Bar) counted() float64 {
	return min(float64(b.wraps.Load())*(1<<64)+float64(b.done.Load()), b.work)
}

// complete reports whether Add has counted all the bar's lane-steps,
// exactly: counted's float64 reads 2^64x10-1 lane-steps as all of them,
// and the bar showed 100% and "ETA 0s" a lane-step short.
func (b *Bar) complete() bool {
	hi, lo := b.wraps.Load(), b.done.Load()
	return hi > b.workHi || hi == b.workHi && lo >= b.workLo
}

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

// Start redraws the bar every Interval on a goroutine of its own until
// Stop. With a negative Delay it draws the first frame itself, before it
// returns: "at once" meant at the first tick, which work shorter than an
// Interval, or a goroutine kept waiting for a CPU on a loaded machine,
// could outrun, so that a test of the bar drew none.
func (b *Bar) Start() {
	b.mu.Lock()
	if b.quit != nil || b.stopped {
		b.mu.Unlock()
		return
	}
	if b.delay < 0 {
		defer b.Tick()
	}
	defer b.mu.Unlock()
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
	b.told(b.eraser())
	return true
}

// eraser is the bytes that erase the line on screen, as Stop writes
// them; "" where none is. Callers hold mu.
func (b *Bar) eraser() string {
	if b.drawn == 0 {
		return ""
	}
	return "\r" + strings.Repeat(" ", max(min(b.drawn, b.width-1), 0)) + "\r"
}

// told tells Options.Drawn erase where it changed. Callers hold mu.
func (b *Bar) told(erase string) {
	if b.onDrawn != nil && erase != b.erase {
		b.erase = erase
		b.onDrawn(erase)
	}
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
		fmt.Fprint(b.w, b.eraser())
		b.drawn = 0
		b.told("")
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
	done, complete := b.counted(), b.complete()
	elapsed := b.elapsed(now).Seconds()
	frac := 1.0
	if b.work > 0 {
		frac = done / b.work
	}
	perSec := math.NaN() // "-": no rate before the first lane-step is done
	if elapsed > 0 && done > 0 {
		perSec = done / b.per / elapsed // lanes (Unit) per second
	}
	eta := "--"
	if complete {
		eta = "0s"
	} else if perSec > 0 {
		// At least a second to go until the last lane-step: float64's
		// done can reach the work a lane-step short, which read "ETA 0s".
		secs := max((b.work-done)/b.per/perSec, 1e-9)
		if eta = etaShort(secs); b.lines {
			eta = etaOf(secs)
		}
	}
	// The percentage and the count both round down, and reach 100% and
	// the total only when every lane-step is counted: the count rounded
	// to nearest and the percentage down, and "99%  64/64 lanes" showed
	// for the last half-hundredth of a lane.
	pct := 100.0
	if !complete {
		pct = min(math.Floor(100*frac), 99)
	}
	f := fields{fmt.Sprintf("%.0f%%", pct), b.count(done/b.per, complete) + b.ofLanes(), rateNum(perSec) + "/s", "ETA " + eta}
	return b.fit(f, frac, complete)
}

// fields are a line's numbers: the percentage, the count, the rate and
// the ETA ("45%", "22.5M/50M lanes", "9.61M/s", "ETA 3s").
type fields [4]string

// fit lays out the line of the numbers f and a bar filled to frac, never
// full before complete, in a column less than the width; with Lines, the
// numbers after the label. Callers hold mu.
func (b *Bar) fit(f fields, frac float64, complete bool) string {
	label := ""
	if b.label != "" {
		label = b.label + ": "
	}
	if b.lines {
		return label + strings.Join(f[:], "  ")
	}
	// The bar takes the room the widest numbers leave, not what this
	// frame's leave: it took the latter, so that the bar grew and shrank
	// as the numbers changed length, and its fill moved back (16 of 19 at
	// 79%, 14 of 17 at 81%). A narrow terminal gets the numbers alone, as
	// many as fit in a column less than its width (a wider line wraps,
	// and \r then redraws it on a new row each time, leaving the old ones
	// on screen), then without the label, or nothing.
	room := b.width - 1 - len(label) - b.widestTail() - 2
	if room < minBar {
		for _, l := range []string{label, ""} {
			for _, t := range [][]string{f[:], {f[0], f[1], f[3]}, {f[0], f[3]}, f[:1]} {
				if t := l + strings.Join(t, "  "); len(t) <= b.width-1 {
					return t
				}
			}
		}
		return "" // not even the percentage fits
	}
	room = min(room, 40)
	fill := int(frac * float64(room))
	if !complete {
		fill = min(fill, room-1)
	}
	bar := strings.Repeat("=", fill)
	if fill < room {
		bar += ">" + strings.Repeat(" ", room-fill-1)
	}
	return label + "[" + bar + "]" + fmt.Sprintf("%5s", f[0]) + "  " + strings.Join(f[1:], "  ")
}

// minBar is the narrowest bar drawn, inside its brackets.
const minBar = 10

// count is the count's text for x lanes done: num's, rounded down rather
// than to nearest (63.9, 1.23k, 0.99, "<0.01" above 0), and before
// complete, below the total's text (ofLanes), which rounds to nearest: of
// 1,234,567 lanes, 1,234,000 read "1.23M/1.23M", and 63.99 of 64 lanes
// "64/64".
func (b *Bar) count(x float64, complete bool) string {
	if complete {
		return num(float64(b.lanes))
	}
	total, _ := strconv.ParseFloat(strconv.FormatFloat(float64(b.lanes), 'e', 2, 64), 64)
	v := min(numFloor(x), numFloor(total*(1-1e-9)))
	if v == 0 && x > 0 {
		return "<0.01"
	}
	return num(v)
}

// numFloor is x >= 0 rounded down to what num shows of it: 3 significant
// digits from 1 on, 2 decimals below. It cuts x's shortest decimal form,
// so that a value such as 0.29 is not taken a hundredth lower by float64
// arithmetic (0.29*100 is 28.999999999999996).
func numFloor(x float64) float64 {
	if x >= 1 {
		s := strconv.FormatFloat(x, 'e', -1, 64) // "6.399e+01"
		e := strings.IndexByte(s, 'e')
		x, _ = strconv.ParseFloat(s[:min(e, len("6.39"))]+s[e:], 64)
		return x
	}
	s := strconv.FormatFloat(x, 'f', -1, 64) // "0.2999" or "0"
	x, _ = strconv.ParseFloat(s[:min(len(s), len("0.29"))], 64)
	return x
}

// ofLanes is the count's text after the lanes done: "/64 lanes".
func (b *Bar) ofLanes() string { return "/" + num(float64(b.lanes)) + " " + b.unit }

// widestTail is the longest the numbers after the bar can be in this bar's
// run: its percentage at 100%, the lanes done at num's widest below the
// total's, the rate at rateNum's widest and the ETA at etaShort's. Each is
// bounded whatever its value, so the bar's width is fixed for the run.
func (b *Bar) widestTail() int {
	return len(" 100%") + len("  ") + numWidth + len(b.ofLanes()) + len("  ") + numWidth + len("/s") + len("  ETA ") + etaWidth
}

// phaseLine is the line of a Phase at now: its text and the time since,
// in a column less than the width on a terminal. A narrow one cuts the
// text after a whole word with "..." ("syncing --paths-out, then
// writing..."), keeping the time while the text's first clause, up to its
// first comma, fits beside it, then drops the time, then cuts the clause
// too; where not even a word and "..." fit, the line is "". It cut the
// text at the width, mid-word ("syncing --paths-out, then wri").
func (b *Bar) phaseLine(now time.Time) string {
	since := "  " + Duration(max(b.elapsed(now)-b.phaseAt, 0))
	if b.lines {
		return b.phase + since
	}
	width := b.width - 1
	head, _, _ := strings.Cut(b.phase, ",")
	if l := cutWords(b.phase, width-len(since), len(head)); l != "" {
		return l + since
	}
	return cutWords(b.phase, width, 0)
}

// cutWords is text where it is at most width long, else its longest
// prefix of whole words (ended by a space), at least least long, trailing
// commas left out, and "..." within width; "" where there is none.
func cutWords(text string, width, least int) string {
	if len(text) <= width {
		return text
	}
	const more = "..."
	for i := min(width-len(more), len(text)-1); i > 0; i-- {
		if text[i] != ' ' {
			continue
		}
		if w := strings.TrimRight(text[:i], " ,"); len(w) >= max(least, 1) {
			return w + more
		}
		return ""
	}
	return ""
}

// SI formats a non-negative count or rate with 3 significant digits and an
// SI prefix, k to Q (count.SI): 950, 2.25M, 96.1M, 1.2G, 18.4E;
// NaN is "-".
func SI(x float64) string { return count.SI(x, 3) }

// maxETA is the longest remaining time the bar spells out, a million
// hours (114 years); a job of 2^64 lanes can need far more than a
// time.Duration holds, whose conversion wrapped to "ETA -9223372036s".
const maxETA = 1e6 * 3600

// siBig is where count.SI runs out of prefixes ("1000Q"): count.SIBig
// less what rounds up to it at 3 digits, past any count of lanes (a
// uint64's), which are all written with a suffix: 2^64-1 is 18.4E.
const siBig = count.SIBig * (1 - 0.5e-3)

// numWidth is the most columns num takes below siBig, and rateNum takes
// at all: "1.23k", "12.3M", "18.4E", "0.25", "<0.01", ">999Q".
const numWidth = 5

// num formats a count of lanes, whole or not, for the bar in at most
// numWidth columns below siBig, where every count of lanes is: SI's 3
// digits from 1 on (20, 19.3, 999, 1.23k, 18.4E), two decimals below
// (0.25, 0.01), "0" for none, "<0.01" for less than a hundredth, and "-"
// for NaN. A count past a thousand T read "1e+18" beside the rate's and
// the count's suffixes ("374M/1e+18 lanes").
func num(x float64) string {
	switch {
	case x == 0 || math.IsNaN(x) || x >= 1-0.5e-3:
		return SI(x)
	case x < 0.005:
		return "<0.01"
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// rateNum is num for a rate, in at most numWidth columns whatever its
// value: ">999Q" from siBig on.
func rateNum(x float64) string {
	if x >= siBig {
		return ">999Q"
	}
	return num(x)
}

// etaWidth is the most columns etaShort takes: "59m59s", "99h59m".
const etaWidth = 6

// etaShort is etaOf for a bar, in at most etaWidth columns: Duration
// below 100 hours, then whole days ("417d", "9999d"), then ">9999d"
// (27 years).
func etaShort(secs float64) string {
	const hours, days = 100 * 3600, 86400.0
	switch {
	case secs < hours:
		return Duration(time.Duration(secs * float64(time.Second)))
	case secs < 9999.5*days:
		return fmt.Sprintf("%.0fd", secs/days)
	}
	return ">9999d"
}

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
