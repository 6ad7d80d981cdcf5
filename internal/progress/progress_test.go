package progress

import (
	"bytes"
	"math"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake time source that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newFake(lanes uint64, steps int) (*Bar, *clock, *bytes.Buffer) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	return New(&w, lanes, steps, Options{Now: c.Now}), c, &w
}

func TestNothingBeforeDelay(t *testing.T) {
	b, c, w := newFake(5_000_000, 10)
	b.Add(1_000_000)
	for range 9 {
		c.Advance(100 * time.Millisecond)
		if b.Tick() {
			t.Fatalf("drew at %v, before the 1s delay", c.Now().Sub(b.start))
		}
	}
	b.Stop()
	if w.Len() != 0 {
		t.Errorf("a run shorter than the delay wrote %q", w.String())
	}
}

func TestLine(t *testing.T) {
	b, c, w := newFake(5_000_000, 10)
	b.Add(20_000_000) // lane-steps: 2.25M lanes in all
	b.Add(2_500_000)
	c.Advance(1500 * time.Millisecond)
	if !b.Tick() {
		t.Fatal("no draw after the delay")
	}
	// 2.25M lanes in 1.5 s: 1.5M lanes/s; 2.75M lanes left take 1.83 s.
	want := "[===============>                   ]  45%  2.25M/5M lanes  1.5M/s  ETA 2s"
	if got := w.String(); got != "\r"+want {
		t.Errorf("got  %q\nwant %q", got, "\r"+want)
	}
	if len(want) > 79 {
		t.Errorf("line is %d columns, wider than 79", len(want))
	}
}

func TestRateLimitAndRedraw(t *testing.T) {
	b, c, w := newFake(1000, 0)
	c.Advance(time.Second)
	if !b.Tick() {
		t.Fatal("no draw at the delay")
	}
	c.Advance(50 * time.Millisecond)
	b.Add(500)
	if b.Tick() {
		t.Error("drew again within 100ms")
	}
	c.Advance(50 * time.Millisecond)
	if !b.Tick() {
		t.Error("no redraw after 100ms")
	}
	draws := strings.Count(w.String(), "\r")
	if draws != 2 {
		t.Errorf("%d carriage returns, want 2: %q", draws, w.String())
	}
	if !strings.Contains(w.String(), "500/1k lanes") || !strings.Contains(w.String(), "  455/s  ") {
		t.Errorf("steps 0 should count lanes/s: %q", w.String())
	}
}

// TestShorterLineCovers checks that a redraw shorter than the line on screen
// blanks the old line's tail, up to a column less than the width now (the
// old line was drawn wider: spaces past it would wrap, TestWidthChanges).
func TestShorterLineCovers(t *testing.T) {
	b, c, w := newFake(100, 1)
	b.width = 200
	c.Advance(time.Second)
	b.Tick()
	first := b.drawn
	b.width = 50 // the numbers alone
	c.Advance(time.Second)
	b.Tick()
	out := w.String()
	second := out[strings.LastIndex(out, "\r")+1:]
	if len(second) >= first {
		t.Fatalf("second line %q is not shorter than the first (%d)", second, first)
	}
	mid := out[len("\r")+first:]
	if want := "\r" + second + strings.Repeat(" ", min(first, b.width-1)-len(second)) + "\r" + second; mid != want {
		t.Errorf("redraw %q, want %q", mid, want)
	}
}

func TestStopClears(t *testing.T) {
	b, c, w := newFake(10, 10)
	c.Advance(2 * time.Second)
	b.Tick()
	n := b.drawn
	b.Stop()
	if !strings.HasSuffix(w.String(), "\r"+strings.Repeat(" ", n)+"\r") {
		t.Errorf("Stop did not clear the line: %q", w.String())
	}
	c.Advance(time.Second)
	if b.Tick() {
		t.Error("drew after Stop")
	}
	b.Stop() // idempotent
}

// TestDrawnErase: Drawn is told, after a draw, the bytes Stop then writes
// to erase the line, and "" once it has: what a process ended where Stop
// cannot run writes (an OpenCL driver's crash handler).
func TestDrawnErase(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	var told []string
	b := New(&w, 10, 10, Options{Now: c.Now, Drawn: func(e string) { told = append(told, e) }})
	c.Advance(2 * time.Second)
	b.Tick()
	if len(told) != 1 || told[0] == "" {
		t.Fatalf("after a draw Drawn was told %q, want the erasure", told)
	}
	erase := told[0]
	b.Stop()
	if !strings.HasSuffix(w.String(), erase) || len(told) != 2 || told[1] != "" {
		t.Errorf("Stop wrote %q and Drawn was told %q: want Stop to end with %q, and then \"\"", w.String(), told, erase)
	}
}

func TestETAAndDone(t *testing.T) {
	b, c, _ := newFake(100, 1)
	c.Advance(2 * time.Second)
	if l := b.Line(c.Now()); !strings.HasSuffix(l, "ETA --") || !strings.Contains(l, "  0%") {
		t.Errorf("no progress yet: %q", l)
	}
	b.Add(1)
	if l := b.Line(c.Now()); !strings.HasSuffix(l, "ETA 3m18s") {
		t.Errorf("1%% in 2s: %q", l)
	}
	b.Add(200) // engines never overcount, but the bar must not underflow
	if l := b.Line(c.Now()); !strings.HasSuffix(l, "ETA 0s") || !strings.Contains(l, "100%  100/100 lanes") {
		t.Errorf("done: %q", l)
	}
}

// TestETAHuge: a job whose remaining time does not fit a time.Duration
// (2^64-1 lanes at a few lanes a second) says so; its ETA wrapped to
// "-9223372036s", and its count read "1.84e+07T lanes". Its counts and
// rate are written with suffixes up to E, none in e notation: a total
// past a thousand T read "374M/1e+18 lanes", and its rate ">999T/s".
func TestETAHuge(t *testing.T) {
	b, c, _ := newFake(1<<64-1, 10)
	b.Add(2_840_000_000)
	c.Advance(time.Second)
	want := "0%  284M/18.4E lanes  284M/s  ETA >9999d"
	if l := b.Line(c.Now()); !strings.HasSuffix(l, want) {
		t.Errorf("got %q, want it to end %q", l, want)
	}
	b, c, _ = newFake(1e18, 1)
	b.Add(374_000_000)
	c.Advance(time.Second)
	if l, want := b.Line(c.Now()), "0%  374M/1E lanes  374M/s  ETA >9999d"; !strings.HasSuffix(l, want) {
		t.Errorf("got %q, want it to end %q", l, want)
	}
	// 1e20 lane-steps, more than a uint64 holds: half of them counted.
	b, c, _ = newFake(1e19, 10)
	for range 5 {
		b.Add(1e19)
	}
	c.Advance(10 * time.Second)
	// 5e18 lanes in 10 s; 5e18 left at 5e17 lanes a second take 10 s.
	if l, want := b.Line(c.Now()), " 50%  5E/10E lanes  500P/s  ETA 10s"; !strings.HasSuffix(l, want) {
		t.Errorf("got %q, want it to end %q", l, want)
	}
}

// TestStartAtOnce: with a negative Delay, Start draws the first frame
// before it returns, on a terminal and in a log: it left it to the first
// tick, which a loaded machine's scheduler could put after work shorter
// than an Interval (a test's file written with no frame of its bar).
func TestStartAtOnce(t *testing.T) {
	for _, lines := range []bool{false, true} {
		var w syncBuffer
		b := New(&w, 1000, 10, Options{Delay: -1, Interval: time.Hour, Lines: lines, Label: "writing --out"})
		b.Start()
		got := w.String()
		b.Stop()
		if !strings.Contains(got, "writing --out") || !strings.Contains(got, "0/1k lanes") {
			t.Errorf("lines %v: %q drawn by Start, want the first frame", lines, got)
		}
	}
	var w syncBuffer
	b := New(&w, 1000, 10, Options{Delay: time.Hour, Interval: time.Millisecond})
	b.Start()
	got := w.String()
	b.Stop()
	if got != "" {
		t.Errorf("a positive delay: %q drawn by Start, want nothing", got)
	}
}

// TestConcurrentAdd runs the real ticker with Add from many goroutines, for
// the race detector.
func TestConcurrentAdd(t *testing.T) {
	var w syncBuffer
	b := New(&w, 80_000, 10, Options{Delay: -1, Interval: time.Millisecond})
	b.Start()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10_000 {
				b.Add(1)
			}
		})
	}
	wg.Wait()
	// The ticker draws every millisecond, when it gets a core: on a loaded
	// machine a fixed 5 ms wait saw no line once (`go test ./...` beside
	// other builds).
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(w.String(), "lanes") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	b.Stop()
	if b.Done() != 80_000 {
		t.Errorf("counted %d lane-steps, want 80000", b.Done())
	}
	if !strings.Contains(w.String(), "lanes") {
		t.Errorf("the ticker never drew: %q", w.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestSI(t *testing.T) {
	for x, want := range map[float64]string{0: "0", 7: "7", 999: "999", 999.6: "1k", 1000: "1k", 2_250_000: "2.25M",
		5e6: "5M", 96_123_456: "96.1M", 1.2e9: "1.2G", 12.5: "12.5", 999e12: "999T", 999.5e12: "1P", 1e18: "1E", 1e19: "10E", 18446744073709551615: "18.4E", 999.4e18: "999E", 999.5e18: "1Z"} {
		if got := SI(x); got != want {
			t.Errorf("SI(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{1200 * time.Millisecond: "2s", 59 * time.Second: "59s",
		125 * time.Second: "2m05s", 3720 * time.Second: "1h02m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestDocLine is the line the package doc and the README show.
func TestDocLine(t *testing.T) {
	b, c, _ := newFake(50_000_000, 10)
	b.Add(225_000_000)                 // 22.5M lanes of 10 steps
	c.Advance(2341 * time.Millisecond) // 9.61M lanes/s, 2.86 s to go
	want := "[===============>                  ]  45%  22.5M/50M lanes  9.61M/s  ETA 3s"
	if got := b.Line(c.Now()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestLines: for a log, each report is a line of its own with the prefix
// and the numbers alone, every Interval after Delay, and Stop erases none.
func TestLines(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	b := New(&w, 5e9, 100, Options{Now: c.Now, Delay: 10 * time.Second, Interval: time.Minute, Lines: true, Prefix: "gpusim: progress: "})
	b.Add(1e10) // lane-steps: 1e8 lanes
	c.Advance(9 * time.Second)
	if b.Tick() {
		t.Fatal("reported before the delay")
	}
	c.Advance(time.Second)
	if !b.Tick() {
		t.Fatal("no report at the delay")
	}
	b.Add(5e10)
	c.Advance(30 * time.Second)
	if b.Tick() {
		t.Error("reported again within the interval")
	}
	c.Advance(30 * time.Second)
	if !b.Tick() {
		t.Fatal("no report after the interval")
	}
	b.Stop()
	// 1e8 lanes in 10 s: 1e7 lanes/s; 4.9e9 left take 490 s.
	// Then 6e8 in 70 s: 8.57M lanes/s; 4.4e9 left take 513.3 s.
	want := "gpusim: progress: 2%  100M/5G lanes  10M/s  ETA 8m10s\n" +
		"gpusim: progress: 12%  600M/5G lanes  8.57M/s  ETA 8m34s\n"
	if got := w.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestStartLinesAtDelay: with Start's own clock, the first line of a log
// comes at the delay, not a whole interval later (a 10 s delay and a minute
// between lines wrote nothing for the first minute).
func TestStartLinesAtDelay(t *testing.T) {
	var w syncBuffer
	b := New(&w, 1000, 10, Options{Delay: 50 * time.Millisecond, Interval: time.Hour, Lines: true, Prefix: "p: "})
	b.Add(10)
	b.Start()
	time.Sleep(500 * time.Millisecond)
	b.Stop()
	if got := strings.Count(w.String(), "\n"); got != 1 {
		t.Errorf("%d lines within 500 ms of a 50 ms delay and an hour between lines, want 1: %q", got, w.String())
	}
}

// TestNarrowTerminal: on any terminal the line stays one column narrower
// than its width, so that \r redraws it in place and Stop erases it: under
// about 55 columns (a split pane) the numbers alone were wider, each redraw
// wrapped onto a new row, and the rows above the last stayed on screen. It
// gives up the rate, then the lanes, then cuts what is left; the
// percentage, where it fits, stays.
func TestNarrowTerminal(t *testing.T) {
	pct := regexp.MustCompile(`^(\[[=> ]*\])? *[0-9]+%`)
	for _, job := range []struct {
		lanes, done uint64
	}{{5_000_000, 2_250_000}, {1<<64 - 1, 284_000_000}} {
		for width := 1; width <= 100; width++ {
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := New(&bytes.Buffer{}, job.lanes, 10, Options{Now: c.Now, Width: width})
			b.Add(job.done)
			c.Advance(1500 * time.Millisecond)
			l := b.Line(c.Now())
			if len(l) > width-1 {
				t.Errorf("width %d, %d lanes: the line is %d columns: %q", width, job.lanes, len(l), l)
			}
			if width > 4 && !pct.MatchString(l) {
				t.Errorf("width %d, %d lanes: %q does not give the percentage", width, job.lanes, l)
			}
		}
	}
}

// TestWidthChanges: the width is read again at each redraw (Options.WidthNow),
// so a window narrowed during a run gets lines that fit it, and the spaces
// that cover the wider old line stop a column short of the new width: the
// width read once at the start made every redraw wrap onto a new row.
func TestWidthChanges(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	width := 120
	b := New(&out, 5_000_000, 10, Options{Now: c.Now, Delay: -1, Interval: time.Millisecond, Width: width, WidthNow: func() int { return width }})
	for i, w := range []int{120, 50, 0, 30, 100, 12} {
		if w > 0 {
			width = w
		}
		out.Reset()
		b.Add(500_000)
		c.Advance(time.Second)
		if !b.Tick() {
			t.Fatalf("redraw %d: not drawn", i)
		}
		// Each stretch the terminal writes on one row, between \r, fits in
		// a column less than the width.
		for _, row := range strings.Split(out.String(), "\r") {
			if len(row) > width-1 {
				t.Errorf("width %d (given %d): %d columns written on a row: %q", width, w, len(row), row)
			}
		}
		if line := b.Line(c.Now()); len(line) > width-1 || len(line) < 2 {
			t.Errorf("width %d: line %q", width, line)
		}
	}
	out.Reset()
	width = 8
	b.Stop()
	for _, row := range strings.Split(out.String(), "\r") {
		if len(row) > width-1 {
			t.Errorf("Stop at width %d: %d columns written on a row", width, len(row))
		}
	}
}

// TestLinesSuspended: the time the process was suspended (Options.Suspended)
// counts neither toward the delay nor in the rate and the ETA: a log's
// first line drawn as a job stopped for a minute continues gives the rate
// of the 10 s it ran, not of the 70 s it was there.
func TestLinesSuspended(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	var suspended time.Duration = 5 * time.Second // before the run: not its own
	b := New(&w, 5e9, 100, Options{Now: c.Now, Delay: 10 * time.Second, Interval: time.Minute, Lines: true, Prefix: "gpusim: progress: ",
		Suspended: func() time.Duration { return suspended }})
	b.Add(1e10)
	c.Advance(9 * time.Second)
	c.Advance(time.Minute)
	suspended += time.Minute
	if b.Tick() {
		t.Fatal("reported before the delay, counting the time suspended")
	}
	c.Advance(time.Second)
	if !b.Tick() {
		t.Fatal("no report at the delay")
	}
	b.Stop()
	// 1e8 lanes in the 10 s it ran: 10M lanes/s; 4.9e9 left take 490 s.
	if got, want := w.String(), "gpusim: progress: 2%  100M/5G lanes  10M/s  ETA 8m10s\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestTickEarlyWakeUp: a tick that wakes a little before an interval has
// passed since the last draw (a ticker's wake-ups wander) draws: it waited
// a whole tick more, so a log's lines came every 60 or 70 s and the bar
// drew about 7 frames a second where 10 were due.
func TestTickEarlyWakeUp(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	b := New(&w, 5e9, 100, Options{Now: c.Now, Delay: 10 * time.Second, Interval: time.Minute, Lines: true})
	b.Add(1e8)
	c.Advance(10 * time.Second)
	if !b.Tick() {
		t.Fatal("no report at the delay")
	}
	c.Advance(time.Minute - 3*time.Millisecond)
	if !b.Tick() {
		t.Error("a log's tick 3 ms early skipped its line to the next tick")
	}
	bar, c, _ := newFake(1000, 10)
	c.Advance(time.Second)
	if !bar.Tick() {
		t.Fatal("no draw at the delay")
	}
	c.Advance(99 * time.Millisecond)
	if !bar.Tick() {
		t.Error("a bar's tick 1 ms early skipped its frame")
	}
}

// TestNoRateBeforeFirstLane: before any lane-step is counted the rate is
// not known: "-", not "0/s", which a job of few lanes and many steps (1
// lane x 2^32 steps) showed for its whole run.
func TestNoRateBeforeFirstLane(t *testing.T) {
	b, c, _ := newFake(1, min(1<<32, math.MaxInt)) // 2^31-1 steps in a 32-bit build
	c.Advance(5 * time.Second)
	if got := b.Line(c.Now()); !strings.Contains(got, "  -/s  ETA --") {
		t.Errorf("line %q, want a rate of - and an ETA of --", got)
	}
}

// gatedWriter is a terminal stopped by Ctrl-S and let go a write at a
// time: each write waits for a permit, and then lands in buf.
type gatedWriter struct {
	permits chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.permits
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// TestStopWaitsForErase: a Stop made while another waits to erase the line
// (the run's, waiting for the redraws to end; here the redraw goroutine is
// held in the clock, as a terminal stopped by Ctrl-S holds it in a write)
// returns only once the line is erased: it returned at once, and a forced
// exit's message, written after its Stop (a BeforeExit hook), was glued to
// the bar ("... ETA 12sgpusim: interrupted").
func TestStopWaitsForErase(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	w := &gatedWriter{permits: make(chan struct{}, 8)}
	for range 8 {
		w.permits <- struct{}{}
	}
	b := New(w, 1000, 10, Options{Now: c.Now})
	c.Advance(time.Second)
	b.Start()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		w.mu.Lock()
		n := w.buf.Len()
		w.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no redraw in 5 s")
		}
	}
	c.mu.Lock()                        // the next redraw waits in the clock
	time.Sleep(250 * time.Millisecond) // past the next tick
	first, second := make(chan struct{}), make(chan struct{})
	go func() { b.Stop(); close(first) }()
	time.Sleep(50 * time.Millisecond)
	go func() { b.Stop(); close(second) }()
	select {
	case <-second:
		t.Error("a second Stop returned before the first erased the line")
	case <-time.After(100 * time.Millisecond):
	}
	c.mu.Unlock()
	<-first
	<-second
	w.mu.Lock()
	defer w.mu.Unlock()
	if got := w.buf.String(); strings.Count(got, "\r") != 3 || !strings.HasSuffix(got, "\r") {
		t.Errorf("wrote %q, want a draw and its erase", got)
	}
}

// TestLabel: a bar with a label (a run's file writes, "writing --out")
// puts it first, before the bar on a terminal and after the prefix in a
// log, changes it with SetLabel, counts lanes/s with no steps, and keeps
// its delay: an output written within it prints nothing.
func TestLabel(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	b := New(&w, 100_000_000, 0, Options{Now: c.Now, Label: "writing"})
	b.Add(10_000_000)
	c.Advance(900 * time.Millisecond)
	if b.Tick() || w.Len() != 0 {
		t.Fatalf("drew %q before the delay", w.String())
	}
	b.SetLabel("writing --out")
	b.Add(35_000_000)
	c.Advance(12700 * time.Millisecond)
	if !b.Tick() {
		t.Fatal("no draw after the delay")
	}
	// 45M lanes in 13.6 s: 3.31M lanes/s; 55M left take 16.6 s.
	want := "writing --out: [========>         ]  45%  45M/100M lanes  3.31M/s  ETA 17s"
	if got := w.String(); got != "\r"+want {
		t.Errorf("got  %q\nwant %q", got, "\r"+want)
	}
	if len(want) > 79 {
		t.Errorf("line is %d columns, wider than 79", len(want))
	}
	b.Stop()

	w.Reset()
	b = New(&w, 100_000_000, 0, Options{Now: c.Now, Delay: 10 * time.Second, Interval: time.Minute, Lines: true, Prefix: "gpusim: progress: ", Label: "writing --paths-out"})
	b.Add(33_000_000)
	c.Advance(10 * time.Second)
	if !b.Tick() {
		t.Fatal("no report at the delay")
	}
	b.Stop()
	// 33M lanes in 10 s: 3.3M lanes/s; 67M left take 20.3 s.
	if got, want := w.String(), "gpusim: progress: writing --paths-out: 33%  33M/100M lanes  3.3M/s  ETA 21s\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestLabelNarrow: a labelled line fits a column less than any width too,
// giving up the bar and the numbers before the label, and then the label
// before the percentage.
func TestLabelNarrow(t *testing.T) {
	const label = "writing --paths-out"
	pct := regexp.MustCompile(`^(` + label + `: )?(\[[=> ]*\])? *[0-9]+%`)
	for width := 1; width <= 120; width++ {
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		b := New(&bytes.Buffer{}, 5_000_000, 0, Options{Now: c.Now, Width: width, Label: label})
		b.Add(2_250_000)
		c.Advance(1500 * time.Millisecond)
		l := b.Line(c.Now())
		if len(l) > width-1 {
			t.Errorf("width %d: the line is %d columns: %q", width, len(l), l)
		}
		if width > 4 && !pct.MatchString(l) {
			t.Errorf("width %d: %q does not give the percentage", width, l)
		}
		if hasLabel := strings.HasPrefix(l, label+": "); hasLabel != (width-1 >= len(label+": 45%")) {
			t.Errorf("width %d: %q: label shown %v", width, l, hasLabel)
		}
	}
}

// TestBarWidthSteady: the bar's width does not grow back as the numbers
// after it get shorter ("7.8M/30M" then "30M/30M", an ETA of "10s" then
// "9s"), so its fill never moves back: it took what the line had left
// each frame, 17 to 20 columns, and read 16 of 19 at 79%, then 14 of 17 at
// 81%.
func TestBarWidthSteady(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	b := New(&w, 30_000_000, 0, Options{Now: c.Now, Width: 80, Label: "writing --out"})
	fill := func(line string) (filled, width int) {
		i, j := strings.Index(line, "["), strings.Index(line, "]")
		if i < 0 || j < i {
			t.Fatalf("no bar in %q", line)
		}
		bar := line[i+1 : j]
		return strings.Count(bar, "="), len(bar)
	}
	lastFill, lastWidth := -1, 0
	for i, done := range []uint64{1_234_567, 7_800_000, 12_345_678, 23_700_000, 24_300_000, 29_000_000, 29_999_999} {
		b.Add(done - b.done.Load())
		c.Advance(time.Duration(1+i%3) * 1300 * time.Millisecond)
		line := b.Line(c.Now())
		f, width := fill(line)
		if f < lastFill || (lastWidth != 0 && width > lastWidth) {
			t.Errorf("%q: %d of %d filled after %d of %d: the fill went back", line, f, width, lastFill, lastWidth)
		}
		lastFill, lastWidth = f, width
	}
}

// TestPhase: Phase ends the bar's count and shows its text and the time
// since in the bar's place, the longer old line covered, then erased by
// Stop; with Lines, a line of its own after Prefix; before the delay,
// nothing; on a narrow terminal, the text cut after a whole word to a
// column less than the width. The bar stayed up at 100%, labelled with the file written, while
// the file was synced and the others written, and seemed stuck.
func TestPhase(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var w bytes.Buffer
	b := New(&w, 100, 0, Options{Now: c.Now, Label: "writing --out"})
	b.Add(100)
	c.Advance(2 * time.Second)
	if !b.Tick() {
		t.Fatal("no draw after the delay")
	}
	bar := strings.TrimPrefix(w.String(), "\r")
	b.Phase("syncing --out, then writing --html")
	c.Advance(1500 * time.Millisecond)
	w.Reset()
	if !b.Tick() {
		t.Fatal("no draw of the phase")
	}
	want := "syncing --out, then writing --html  2s"
	pad := strings.Repeat(" ", len(bar)-len(want))
	if got := w.String(); got != "\r"+want+pad+"\r"+want {
		t.Errorf("got  %q\nwant %q", got, "\r"+want+pad+"\r"+want)
	}
	b.Stop()
	if got := w.String(); !strings.HasSuffix(got, "\r"+strings.Repeat(" ", len(want))+"\r") {
		t.Errorf("the phase was not erased: %q", got)
	}

	// In a log.
	w.Reset()
	b = New(&w, 100, 0, Options{Now: c.Now, Delay: 10 * time.Second, Interval: time.Minute, Lines: true, Prefix: "gpusim: progress: ", Label: "writing --out"})
	b.Add(100)
	c.Advance(11 * time.Second)
	b.Phase("syncing --out")
	c.Advance(61 * time.Second)
	if !b.Tick() {
		t.Fatal("no line of the phase")
	}
	b.Stop()
	if got, want := w.String(), "gpusim: progress: syncing --out  1m01s\n"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// Before the delay: nothing.
	w.Reset()
	b = New(&w, 100, 0, Options{Now: c.Now, Label: "writing --out"})
	b.Add(100)
	b.Phase("syncing --out")
	c.Advance(500 * time.Millisecond)
	if b.Tick() || w.Len() != 0 {
		t.Errorf("drew %q before the delay", w.String())
	}
	b.Stop()

	// Narrow: the time goes first, then the text's end, after a whole
	// word (TestPhaseNarrow).
	for width, want := range map[int]string{20: "syncing --out  0s", 15: "syncing --out", 11: "syncing...", 10: ""} {
		b := New(&bytes.Buffer{}, 100, 0, Options{Now: c.Now, Width: width})
		b.Phase("syncing --out")
		if got := b.Line(c.Now()); got != want {
			t.Errorf("width %d: %q, want %q", width, got, want)
		}
	}
}

// TestUnit: a bar counts what Options.Unit names, with no steps, its rate
// in that unit per second ("/s"): a run's files count values, as a row of
// --paths-out can be 2^28 of them.
func TestUnit(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := New(&bytes.Buffer{}, 1<<28, 0, Options{Now: c.Now, Width: 120, Label: "writing --paths-out", Unit: "values"})
	b.Add(83_200_000)
	c.Advance(2 * time.Second) // 41.6M values/s; 185M left take 4.45 s
	want := "writing --paths-out: [============>                           ]  30%  83.2M/268M values  41.6M/s  ETA 5s"
	if got := b.Line(c.Now()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestFitsBar: at 80 columns every bar gpusim draws has a bar, its widest
// numbers included: "computing --paths: 13%  35.1M/256M lane-steps  34.7M
// lane-steps/s  ETA 7s" left no room for one.
func TestFitsBar(t *testing.T) {
	for _, tc := range []struct {
		label, unit string
		lanes       uint64
		steps       int
	}{
		{"", "", 1<<64 - 1, min(1<<32, math.MaxInt)}, // the run's (2^31-1 steps in a 32-bit build)
		{"computing --paths", "", 1 << 28, 1},        // the host's --paths, paths.MaxValues
		{"writing --out", "values", 1e10, 0},         // sim.MaxKeptFinals and more
		{"writing --paths-out", "values", 1e10, 0},
	} {
		c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		b := New(&bytes.Buffer{}, tc.lanes, tc.steps, Options{Now: c.Now, Width: 80, Label: tc.label, Unit: tc.unit})
		b.Add(12345)
		c.Advance(time.Second)
		if l := b.Line(c.Now()); !strings.Contains(l, "[") || len(l) > 79 {
			t.Errorf("80 columns: %q (%d columns), want a bar within 79", l, len(l))
		}
	}
}

// TestBarWidthFixed: a bar keeps one width for the whole run whatever its
// numbers do: rates of 20, 19.3, 999.9, 1.23k, below 1 or past 999T, counts
// of whole and part lanes, ETAs in seconds, minutes, hours and days. Its
// width came from the widest numbers of its run, which missed the rate's
// decimals: "writing --paths-out: [=====>            ]  31%  20/64 lanes
// 20 lanes/s  ETA 3s" had 18 columns inside the brackets, then 16 at "19.3
// lanes/s", then 18 again.
func TestBarWidthFixed(t *testing.T) {
	for _, tc := range []struct {
		label, unit string
		lanes       uint64
		steps       int
	}{
		{"writing --paths-out", "", 64, 0},
		{"writing --out", "values", 123_456_789, 0},
		{"computing --paths", "", 64, 1 << 22},
		{"", "", 1e12, 1000},
		{"", "", 1, min(1<<32, math.MaxInt)},
		{"", "", 1<<64 - 1, 10},
	} {
		for _, width := range []int{80, 100, 200} {
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := New(&bytes.Buffer{}, tc.lanes, tc.steps, Options{Now: c.Now, Width: width, Label: tc.label, Unit: tc.unit})
			per := uint64(max(tc.steps, 1))
			work := float64(tc.lanes) * float64(per)
			barWidth := -1
			// Rates (lanes per second) and the fraction done at each frame.
			for i, f := range []struct{ rate, frac float64 }{
				{20, 0.31}, {19.3, 0.45}, {20, 0.5}, {999.9, 0.6}, {1234, 0.7}, {0.25, 0.01}, {0.001, 0.001},
				{12.3e3, 0.2}, {2e15, 0.9}, {7e-9, 1e-12}, {1, 0.999}, {1e6, 1},
			} {
				want := min(f.frac*work, work)
				for got := float64(b.Done()) + float64(b.wraps.Load())*(1<<64); got < want; {
					n := uint64(min(math.Ceil(want-got), 1<<63))
					b.Add(n)
					got += float64(n)
				}
				// The time that gives the rate asked for at the count done.
				lanesDone := b.counted() / float64(per)
				c.mu.Lock()
				c.t = b.start.Add(time.Duration(lanesDone / f.rate * float64(time.Second)))
				c.mu.Unlock()
				line := b.Line(c.Now())
				if len(line) > width-1 {
					t.Errorf("%s at %d columns, frame %d: %q is %d columns, wider than %d", tc.label, width, i, line, len(line), width-1)
				}
				l, r := strings.Index(line, "["), strings.Index(line, "]")
				if l < 0 || r < l {
					t.Errorf("%s at %d columns, frame %d: no bar in %q", tc.label, width, i, line)
					continue
				}
				if barWidth < 0 {
					barWidth = r - l
				} else if r-l != barWidth {
					t.Errorf("%s at %d columns, frame %d: %q has a bar of %d columns, %d before", tc.label, width, i, line, r-l-1, barWidth-1)
				}
			}
		}
	}
}

// countRE picks a line's percentage, its count and total, and its ETA.
var countRE = regexp.MustCompile(`(\d+)%  (\S+)/(\S+) \S+  \S+/s  ETA (\S+)$`)

// siValue reads back a count num wrote: "63.9", "1.23M", "18.4E"; "<0.01"
// reads as 0.
func siValue(t *testing.T, s string) float64 {
	t.Helper()
	if s == "<0.01" {
		return 0
	}
	scale := map[byte]float64{'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12, 'P': 1e15, 'E': 1e18}[s[len(s)-1]]
	if scale != 0 {
		s = s[:len(s)-1]
	} else {
		scale = 1
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("count %q: %v", s, err)
	}
	return x * scale
}

// TestCountAgreesWithPercent: the count and the percentage agree near the
// end of any bar (the run's, --paths', the files' of values), on a terminal
// and in a log: the count is at most the lanes done, shows the total only
// once every lane-step is counted, as the percentage shows 100%, the bar
// its last column and the ETA 0s. The count rounded to nearest and the
// percentage down: "99%  64/64 lanes" for the last half-hundredth of a lane
// of 2^20 steps, "99%  1.23M/1.23M lanes" of 1,234,567 lanes, and a job of
// 2^64-1 lanes of 10 steps, counted in float64, showed "100%" and "ETA 0s"
// a lane-step short.
func TestCountAgreesWithPercent(t *testing.T) {
	for _, tc := range []struct {
		lanes uint64
		steps int
		unit  string
	}{
		{64, 1 << 20, ""},                   // the run's, long lanes
		{64, 1 << 22, ""},                   // --paths'
		{1, min(1<<32, math.MaxInt), ""},    // one lane
		{1_234_567, 1, ""},                  // a total rounded down
		{999_999, 0, "values"},              // a total rounded up to 1M
		{100_000_000, 0, "values"},          // the files'
		{1<<64 - 1, 10, ""},                 // past float64's and uint64's reach
		{5_000_000, 10, ""},                 // the doc's
		{3, 7, ""},                          // few and short
		{1000, 0, "values"},                 // 1k
		{999_500_000_000_000, 1, ""},        // 1P: where the count read 1e+15
		{1 << 50, 1 << 20, ""},              // more lane-steps than a uint64 holds
		{18_400_000_000_000_000_000, 1, ""}, // 18.4E exactly
	} {
		per := uint64(max(tc.steps, 1))
		hi, lo := bits.Mul64(tc.lanes, per)
		// Lane-steps short of the end: 1, 2, 10, a lane's steps, half a
		// hundredth of a lane, of a percent, of a thousandth of the work.
		// Then none: done.
		shorts := []uint64{1, 2, 10, per, per/200 + 1}
		for _, f := range []float64{1e-2, 5e-3, 5e-4, 1e-5} {
			shorts = append(shorts, max(uint64(min(f*float64(tc.lanes)*float64(per), 1<<62)), 1))
		}
		for _, lines := range []bool{false, true} {
			for _, short := range append(shorts, 0) {
				if hi == 0 && short > lo {
					continue
				}
				c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
				b := New(&bytes.Buffer{}, tc.lanes, tc.steps, Options{Now: c.Now, Width: 120, Unit: tc.unit, Lines: lines})
				// Add full x 2^64 + rest lane-steps, hi x 2^64 + lo less
				// short, in pieces a uint64 holds (rest borrows from hi).
				full, rest := hi, lo-short
				if short > lo {
					full--
				}
				for range full {
					b.Add(1 << 63)
					b.Add(1 << 63)
				}
				b.Add(rest)
				c.Advance(3 * time.Second)
				l := b.Line(c.Now())
				m := countRE.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("%d x %d, %d short: no count in %q", tc.lanes, tc.steps, short, l)
				}
				done := short == 0
				lanesDone := (float64(hi)*(1<<64) + float64(lo) - float64(short)) / float64(per)
				if got := siValue(t, m[2]); !done && got > lanesDone*(1+1e-12) {
					t.Errorf("%d x %d, %d short: %q counts %v lanes, more than the %v done", tc.lanes, tc.steps, short, l, got, lanesDone)
				}
				if (m[1] == "100") != done || (m[2] == m[3]) != done || (m[4] == "0s") != done {
					t.Errorf("%d x %d, %d lane-steps short: %q", tc.lanes, tc.steps, short, l)
				}
				if i := strings.Index(l, "]"); !lines && !done && i > 0 && l[i-1] == '=' {
					t.Errorf("%d x %d, %d lane-steps short: %q has its bar full", tc.lanes, tc.steps, short, l)
				}
			}
		}
	}
}

// TestNumFloor: numFloor rounds down to num's digits, exactly where
// float64 arithmetic would not (0.29*100 is 28.999999999999996).
func TestNumFloor(t *testing.T) {
	for x, want := range map[float64]float64{0: 0, 0.004: 0, 0.29: 0.29, 0.999: 0.99, 1: 1, 63.99: 63.9, 64: 64,
		999.6: 999, 1000: 1000, 1_234_567: 1_230_000, 0.3: 0.3, 1.8446744073709552e19: 1.84e19} {
		if got := numFloor(x); got != want {
			t.Errorf("numFloor(%v) = %v, want %v", x, got, want)
		}
	}
}

// TestPhaseNarrow: on any terminal a phase's line fits a column less than
// the width and cuts its text only after a whole word, with "...": the
// time goes while the first clause ("syncing --paths-out") fits beside
// it, then the rest. It cut the text at the width, mid-word ("syncing
// --paths-out, then wri"), and a flag read as another ("--pa").
func TestPhaseNarrow(t *testing.T) {
	since := regexp.MustCompile(`  [0-9hms]+$`)
	for _, text := range []string{
		"syncing --out",
		"syncing --out, then writing --html",
		"syncing --paths-out, then writing --daily-out, --plot, --plot-daily, --save and --html",
	} {
		head, _, _ := strings.Cut(text, ",")
		for width := 1; width <= 120; width++ {
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := New(&bytes.Buffer{}, 100, 0, Options{Now: c.Now, Width: width})
			b.Phase(text)
			c.Advance(75 * time.Second)
			l := b.Line(c.Now())
			if len(l) > width-1 {
				t.Errorf("width %d: %q is %d columns", width, l, len(l))
			}
			full := text + "  1m15s"
			core, cut := strings.CutSuffix(since.ReplaceAllString(l, ""), "...")
			switch {
			case len(full) <= width-1 && l != full:
				t.Errorf("width %d: %q, want %q", width, l, full)
			case l == "" && width-1 >= len("syncing..."):
				t.Errorf("width %d: nothing, where %q fits", width, "syncing...")
			case l == "":
			case !strings.HasPrefix(text, core) || cut == (core == text):
				t.Errorf("width %d: %q is not %q or a cut of it with ...", width, l, text)
			case cut && !strings.ContainsAny(text[len(core):len(core)+1], " ,") || strings.HasSuffix(core, " "):
				t.Errorf("width %d: %q cuts %q mid-word", width, l, text)
			case width-1 >= len(head)+len("...  1m15s") && !strings.HasPrefix(l, head):
				t.Errorf("width %d: %q drops the first clause %q, which fits", width, l, head)
			}
		}
	}
}

// TestNarrowWholeFields: on a narrow terminal a bar's line drops whole
// fields (the bar, the rate, the count, the ETA, the label), never part of
// one, and a width of 0 (not known) draws as 80 columns.
func TestNarrowWholeFields(t *testing.T) {
	for _, label := range []string{"", "computing --paths", "writing --paths-out"} {
		line := func(width int) string {
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			b := New(&bytes.Buffer{}, 64, 1<<20, Options{Now: c.Now, Width: width, Label: label})
			b.Add(19 << 20)
			c.Advance(1500 * time.Millisecond)
			return b.Line(c.Now())
		}
		wide := line(200)
		whole := map[string]bool{}
		for _, f := range strings.Split(wide[strings.Index(wide, "]")+1:], "  ") {
			whole[strings.TrimSpace(f)] = true
		}
		if got, want := line(0), line(80); got != want {
			t.Errorf("%q: width 0: %q, want 80 columns' %q", label, got, want)
		}
		for width := 1; width <= 120; width++ {
			l := line(width)
			rest := l
			if label != "" {
				rest = strings.TrimPrefix(rest, label+": ")
			}
			if i := strings.Index(rest, "]"); strings.HasPrefix(rest, "[") && i > 0 {
				rest = rest[i+1:]
			}
			for _, f := range strings.Split(strings.TrimLeft(rest, " "), "  ") {
				if f != "" && !whole[f] {
					t.Errorf("%q: width %d: %q has %q, not a whole field of %q", label, width, l, f, wide)
				}
			}
		}
	}
}
