package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/internal/runfiles"
	"github.com/gpusim/gpusim/sim"
)

// TestProgressBar runs in-process with stderr taken for a terminal: the bar
// is drawn, then cleared before the report; --quiet and a stderr that is not
// a terminal get none.
func TestProgressBar(t *testing.T) {
	defer fakeTerminal()()
	// The bar's first frame comes as the run starts (progress.Bar.Start,
	// a negative delay): a small run shows it, where 1e6 x 20 lanes were
	// for a few 10ms redraws on a loaded machine (7.4 s at a load of 17).
	args := []string{"run", "--lanes", "1e5", "--steps", "20", "--engine", "parallel"}
	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stderr, "\r[") || !strings.Contains(stderr, " lanes ") || !strings.Contains(stderr, "/s  ETA ") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	last := stderr[strings.LastIndex(stderr[:len(stderr)-1], "\r"):]
	if strings.Trim(last, "\r ") != "" || !strings.HasSuffix(stderr, "\r") {
		t.Errorf("the bar was not cleared: stderr ends %q", last)
	}
	if !strings.HasPrefix(stdout, "engine ") {
		t.Errorf("report changed by the bar: %q", stdout)
	}

	// --quiet starts no bar at all.
	var w strings.Builder
	if b, stop := startProgress(&w, true, 1e6, 20); b != nil {
		stop()
		t.Error("--quiet started a progress bar")
	}

	// A stderr that is not a terminal (a batch job's log) gets nothing from
	// a run shorter than logDelay.
	isTerminal = func(io.Writer) bool { return false }
	if code, _, stderr = run(context.Background(), args...); code != 0 || stderr != "" {
		t.Errorf("not a terminal: exit %d, stderr %q", code, stderr)
	}
}

// TestProgressLines: on a stderr that is not a terminal a run longer than
// logDelay reports its progress in lines of their own, so that a job far
// longer than its author expected shows its ETA in the batch log; the report
// on stdout is unchanged, and --quiet keeps stderr empty.
func TestProgressLines(t *testing.T) {
	is, delay, every := isTerminal, logDelay, logInterval
	defer func() { isTerminal, logDelay, logInterval = is, delay, every }()
	isTerminal = func(io.Writer) bool { return false }
	logDelay, logInterval = -1, 10*time.Millisecond
	// A first line as the run starts (progress.Bar.Start): a small run
	// shows it.
	args := []string{"run", "--lanes", "1e5", "--steps", "20", "--engine", "parallel"}
	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	line := regexp.MustCompile(`^gpusim: progress: +[0-9]+%  [0-9.kM]+/100k lanes  [0-9.kMG-]+/s  ETA [0-9hms-]+$`)
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("stderr line %q is not a progress line", l)
		}
	}
	if stderr == "" || strings.Contains(stderr, "\r") {
		t.Errorf("no progress lines, or a bar's \\r, on stderr: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "engine ") {
		t.Errorf("report changed by the progress lines: %q", stdout)
	}
	if code, _, stderr = run(context.Background(), append(args, "--quiet")...); code != 0 || stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q", code, stderr)
	}
}

// TestProgressWriting: the run's output files show their progress too,
// after the run's: on a terminal a bar labelled with the file ("writing
// --out: [...]  45%  ...M/500k values  .../s  ETA ..."), erased
// before the report; in a log, lines of their own. The bar ended with the
// run, and a CSV --out of 10^8 lanes was written for half a minute with
// nothing on stderr. --quiet keeps stderr empty, and so does a small file
// written within the bar's delay. The bar's first frame comes as the file
// is started (progress.Bar.Start, a negative delay), so that 50k rows
// show it: it came at the first tick, which needed 500k rows written.
func TestProgressWriting(t *testing.T) {
	defer fakeTerminal()()
	dir := t.TempDir()
	args := []string{"run", "--lanes", "5e4", "--steps", "1", "--engine", "parallel", "--out", filepath.Join(dir, "f.csv")}
	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	frame := regexp.MustCompile(`^writing --out: \[[=> ]+\] +[0-9]+%  [0-9.kM]+/50k values  [0-9.kMG-]+/s  ETA [0-9hms-]+$`)
	i := strings.Index(stderr, "\rwriting --out: ")
	if i < 0 {
		t.Fatalf("no bar while the file was written: stderr %q", stderr)
	}
	frames := strings.Split(strings.TrimSuffix(stderr[i+1:], "\r"), "\r")
	if last := frames[len(frames)-1]; strings.Trim(last, " ") != "" {
		t.Errorf("the bar was not erased before the report: stderr ends %q", last)
	}
	// Once the last row is written, the bar gives way to the sync's
	// phase (TestWritingPhase): a frame at 100% is the last of the bar.
	phase := regexp.MustCompile(`^syncing --out  [0-9hms]+$`)
	full := false
	for _, f := range frames[:len(frames)-1] {
		switch f = strings.TrimRight(f, " "); {
		case f == "":
		case full && !phase.MatchString(f):
			t.Errorf("frame %q after the bar's 100%%: want the phase, %v", f, phase)
		case !full && !frame.MatchString(f) && !phase.MatchString(f):
			t.Errorf("frame %q is not a file's progress", f)
		}
		full = full || strings.Contains(f, " 100%  ") || phase.MatchString(f)
	}
	if !strings.HasPrefix(stdout, "engine ") || !strings.Contains(stdout, "f.csv (50000 lanes)") {
		t.Errorf("report changed by the bar: %q", stdout)
	}
	if code, _, stderr = run(context.Background(), append(args, "-q")...); code != 0 || stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q", code, stderr)
	}

	// In a log: lines, after the run's.
	is, delay, every := isTerminal, logDelay, logInterval
	defer func() { isTerminal, logDelay, logInterval = is, delay, every }()
	isTerminal = func(io.Writer) bool { return false }
	logDelay, logInterval = -1, 10*time.Millisecond
	code, _, stderr = run(context.Background(), args...)
	line := regexp.MustCompile(`(?m)^gpusim: progress: writing --out: +[0-9]+%  [0-9.kM]+/50k values  [0-9.kMG-]+/s  ETA [0-9hms-]+$`)
	if code != 0 || !line.MatchString(stderr) || strings.Contains(stderr, "\r") {
		t.Errorf("not a terminal: exit %d, stderr %q; want lines of the file's progress", code, stderr)
	}
	other := regexp.MustCompile(`(?m)^gpusim: progress: (?:(?:writing --out: )?[0-9]+%|syncing --out  [0-9hms]+$)`)
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if !other.MatchString(l) {
			t.Errorf("not a terminal: line %q is neither the run's nor the file's progress", l)
		}
	}

	// A file written within the delay: nothing.
	progressDelay, logDelay = time.Hour, time.Hour
	isTerminal = func(io.Writer) bool { return true }
	if code, _, stderr = run(context.Background(), args...); code != 0 || stderr != "" {
		t.Errorf("a file written within the delay: exit %d, stderr %q", code, stderr)
	}
}

// Statistical check of --daily end to end, on every CPU backend: 200,000
// lanes, so a mean off by 1% of an sd is a z of 4.5 and an sd off by 1% a z
// of 6.3; tolerance |z| < 4.5 on each of the 12 days. The backends must
// agree: count and quantiles exactly (the histograms are exact), moments to
// rounding.
const (
	dailySeed  = 4242
	dailyLanes = 200_000
	dailySteps = 12
	dailyZTol  = 4.5
)

type dailyRow struct {
	Step      int                `json:"step"`
	Count     uint64             `json:"count"`
	Mean      float64            `json:"mean"`
	Std       float64            `json:"std"`
	ExactMean float64            `json:"exact_mean"`
	ExactStd  float64            `json:"exact_std"`
	Quantiles map[string]float64 `json:"quantiles"`
}

func TestDailyAgainstExact(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = dailyLanes, dailySteps, dailySeed
	var first []dailyRow
	for _, backend := range []string{"serial", "parallel"} {
		code, stdout, stderr := run(context.Background(), "run", "--lanes", "200000", "--steps", "12", "--seed", "4242",
			"--daily", "--format", "json", "--engine", backend)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", backend, code, stderr)
		}
		var rep struct {
			Daily []dailyRow `json:"daily"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Daily) != dailySteps {
			t.Fatalf("%s: %d days, want %d", backend, len(rep.Daily), dailySteps)
		}
		for i, d := range rep.Daily {
			mean, sd := p.Exact(i + 1)
			if d.Step != i+1 || d.Count != dailyLanes || d.ExactMean != mean || d.ExactStd != sd || len(d.Quantiles) != 5 {
				t.Fatalf("%s day %d: %+v", backend, i+1, d)
			}
			n := float64(d.Count)
			if z := (d.Mean - mean) / (sd / math.Sqrt(n)); !(math.Abs(z) < dailyZTol) {
				t.Errorf("%s day %d: mean %.4f, exact %.4f (z %.2f)", backend, d.Step, d.Mean, mean, z)
			}
			if z := (d.Std - sd) / (sd / math.Sqrt(2*n)); !(math.Abs(z) < dailyZTol) {
				t.Errorf("%s day %d: sd %.4f, exact %.4f (z %.2f)", backend, d.Step, d.Std, sd, z)
			}
			if first == nil {
				continue
			}
			f := first[i]
			if d.Count != f.Count || math.Abs(d.Mean-f.Mean) > 1e-12*math.Abs(f.Mean) || math.Abs(d.Std-f.Std) > 1e-9*f.Std {
				t.Errorf("day %d: %s has mean %v sd %v, serial %v %v", d.Step, backend, d.Mean, d.Std, f.Mean, f.Std)
			}
			for k, q := range f.Quantiles {
				if d.Quantiles[k] != q {
					t.Errorf("day %d %s: %s has %v, serial %v", d.Step, k, backend, d.Quantiles[k], q)
				}
			}
		}
		if first == nil {
			first = rep.Daily
		}
	}
}

// TestPathsAreTheModel checks --paths-out in every format, on every CPU
// backend, against sim.Model.Path bit for bit.
func TestPathsAreTheModel(t *testing.T) {
	const k, steps = 13, 7
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = 50, steps, 99
	m := p.Model()
	want := make([]float32, 0, k*steps)
	path := make([]float32, steps)
	for lane := range uint64(k) {
		m.Path(lane, path)
		want = append(want, path...)
	}
	hdr, _ := outfile.NPYHeader(k, steps)
	for _, backend := range []string{"serial", "parallel"} {
		for _, ext := range []string{".npy", ".f32", ".csv"} {
			file := filepath.Join(t.TempDir(), "paths"+ext)
			code, _, stderr := run(context.Background(), "run", "--lanes", "50", "--steps", "7", "--seed", "99",
				"--engine", backend, "--paths", "13", "--paths-out", file)
			if code != 0 {
				t.Fatalf("%s %s: exit %d: %s", backend, ext, code, stderr)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var got []float32
			switch ext {
			case ".npy", ".f32":
				if ext == ".npy" {
					if !strings.HasPrefix(string(b), string(hdr)) {
						t.Fatalf("%s: header %q, want %q", file, b[:min(len(b), len(hdr))], hdr)
					}
					b = b[len(hdr):]
				}
				for i := 0; i+4 <= len(b); i += 4 {
					got = append(got, math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
				}
			case ".csv":
				lines := strings.Split(strings.TrimSpace(string(b)), "\n")
				if lines[0] != "lane,step1,step2,step3,step4,step5,step6,step7" || len(lines) != k+1 {
					t.Fatalf("%s: header %q, %d lines", file, lines[0], len(lines))
				}
				for _, l := range lines[1:] {
					for _, f := range strings.Split(l, ",")[1:] {
						x, err := strconv.ParseFloat(f, 32)
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, float32(x))
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s %s: %d values, want %d", backend, ext, len(got), len(want))
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %s #%d (lane %d step %d): got %#x, want %#x", backend, ext, i, i/steps, i%steps+1,
						math.Float32bits(got[i]), math.Float32bits(want[i]))
				}
			}
		}
	}
}

// cancelAfter is a context that cancels itself with cause on the n-th call
// of Err, which ctxWriter makes once per write: a Ctrl-C in the middle of
// writing a file.
type cancelAfter struct {
	context.Context
	cancel context.CancelCauseFunc
	cause  error
	n      int
}

func (c *cancelAfter) Err() error {
	if c.n--; c.n == 0 {
		c.cancel(c.cause)
	}
	return c.Context.Err()
}

// TestWriteOutputsCancelled: a context that ends while a file is written
// stops the writing with its cause and leaves no file, temporary or not.
func TestWriteOutputsCancelled(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1<<20, 3
	res := &sim.Result{Params: p, Summary: sim.NewSummary(p), Finals: make([]float32, p.Lanes)}
	for _, name := range []string{"finals.csv", "finals.npy"} {
		dir := t.TempDir()
		o := outputs{Result: runfiles.Result{Out: filepath.Join(dir, name), Plot: filepath.Join(dir, "final.png")}}
		inner, cancel := context.WithCancelCause(context.Background())
		// The first check is before the file is opened; the fifth is a
		// write well into it (4 MiB of finals take several 64 KiB writes).
		ctx := &cancelAfter{Context: inner, cancel: cancel, cause: &interrupt.SignalError{Signal: os.Interrupt}, n: 5}
		fs, err := createOutputs(o.files())
		if err != nil {
			t.Fatal(err)
		}
		_, err = runfiles.WriteResult(ctx, fs, o.Result, res, nil, nil, nil)
		var se *interrupt.SignalError
		if !errors.As(err, &se) || ctx.n > 0 {
			t.Fatalf("%s: got %v after %d checks, want the signal mid-file", name, err, 5-ctx.n)
		}
		assertEmptyDir(t, dir)
	}
}

// TestSameFileFoldedCase: two flags whose files differ in case alone (f.NPY,
// f.npy) are refused where the folder's file system folds case (macOS's and
// Windows' by default), where both were renamed onto one file, the report
// naming two; where it does not (here), both are written.
func TestSameFileFoldedCase(t *testing.T) {
	dir := t.TempDir()
	if foldsCase(dir) {
		t.Skip("this folder's file system folds case")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("the probe left %d files", len(ents))
	}
	upper, lower := filepath.Join(dir, "f.NPY"), filepath.Join(dir, "f.npy")
	args := []string{"run", "--engine", "serial", "--lanes", "100", "--steps", "3", "-q", "--out", upper, "--paths", "2", "--paths-out", lower}
	if code, _, stderr := run(context.Background(), args...); code != 0 {
		t.Fatalf("a file system that keeps case: exit %d: %s", code, stderr)
	}
	for _, f := range []string{upper, lower} {
		if err := os.Remove(f); err != nil {
			t.Error(err)
		}
	}
	old := foldsCase
	foldsCase = func(string) bool { return true }
	t.Cleanup(func() { foldsCase = old })
	code, _, stderr := run(context.Background(), args...)
	if want := `gpusim: error: --paths-out: "` + lower + `" is also the file of --out` + "\n"; code != exitUsage || stderr != want {
		t.Errorf("a file system that folds case: exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
}

// TestWritingPhase: once the last row of the per-lane files is handed on,
// the files' bar gives way to what the run does next, on a terminal and
// in a log alike ("syncing --out, then writing --html  1s"), and is
// erased before the report. It stayed up at 100%, "writing --out", while
// the file was synced and --save, --html and the charts written, half a
// second for 10^8 lanes, and seemed stuck.
func TestWritingPhase(t *testing.T) {
	defer fakeTerminal()()
	const then = "syncing --out, then writing --html"
	for _, terminal := range []bool{true, false} {
		is, delay, every := isTerminal, logDelay, logInterval
		isTerminal = func(io.Writer) bool { return terminal }
		logDelay, logInterval = -1, 10*time.Millisecond
		w := &syncBuffer{}
		rows, stop := startWriting(w, false, 10, "out", then)
		rows("out", 4)
		rows("out", 6)
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(w.String(), then+"  ") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		isTerminal, logDelay, logInterval = is, delay, every
		out := w.String()
		i := strings.LastIndex(out, then+"  ")
		if i < 0 {
			t.Errorf("terminal %v: no %q after the last row: stderr ends %q", terminal, then, out[max(len(out)-300, 0):])
			continue
		}
		if terminal {
			// Its erase ends stderr.
			if last := out[strings.LastIndex(out[:len(out)-1], "\r"):]; strings.Trim(last, "\r ") != "" || !strings.HasSuffix(out, "\r") {
				t.Errorf("the phase was not erased: stderr ends %q", last)
			}
		} else if !regexp.MustCompile(`(?m)^gpusim: progress: ` + then + `  [0-9hms]+\n`).MatchString(out[strings.LastIndex(out[:i], "\n")+1:]) {
			t.Errorf("log: %q, want a line gpusim: progress: %s  TIME", out, then)
		}
	}
	// Quiet, or no per-lane rows: no bar and no phase.
	if rows, stop := startWriting(&syncBuffer{}, true, 10, "out", then); rows != nil {
		stop()
		t.Error("--quiet started the files' bar")
	}
}

// TestWritingLabel: the files' bar names the file it writes from its first
// line, before any values are handed on, on a terminal and in a log alike.
// It read "writing" alone until the first chunk of --out was written: a
// loaded machine's log showed "gpusim: progress: writing: 0%  0/500k
// values  -/s  ETA --", a line that named no file.
func TestWritingLabel(t *testing.T) {
	defer fakeTerminal()()
	for _, terminal := range []bool{true, false} {
		for _, first := range []string{"out", "paths-out"} {
			is, delay, every := isTerminal, logDelay, logInterval
			isTerminal = func(io.Writer) bool { return terminal }
			logDelay, logInterval = -1, 10*time.Millisecond
			w := &syncBuffer{}
			_, stop := startWriting(w, false, 10, first, "")
			deadline := time.Now().Add(30 * time.Second)
			for w.String() == "" && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			stop()
			isTerminal, logDelay, logInterval = is, delay, every
			// A bar's frame starts with \r, a log's line with its prefix.
			out := strings.TrimPrefix(strings.TrimPrefix(w.String(), "\r"), "gpusim: progress: ")
			if !strings.HasPrefix(out, "writing --"+first+": ") {
				t.Errorf("terminal %v, first %s: drew %q before any values; want the file named", terminal, first, w.String())
			}
		}
	}
}

// TestProgressPaths: the host's --paths computation shows its progress,
// counted in lane-steps and shown as lanes, labelled "computing --paths",
// on a terminal (erased when it stops), with a bar on 80 columns, and in a
// log alike; --quiet shows none. It showed nothing, for seconds at --lanes
// 64 --steps 1e6 --paths 64, and then, on 80 columns, its numbers alone
// ("computing --paths: 13%  35.1M/256M lane-steps  34.7M lane-steps/s  ETA
// 7s"): no room was left for a bar.
func TestProgressPaths(t *testing.T) {
	defer fakeTerminal()()
	for _, terminal := range []bool{true, false} {
		is, delay, every := isTerminal, logDelay, logInterval
		isTerminal = func(io.Writer) bool { return terminal }
		logDelay, logInterval = -1, 10*time.Millisecond
		w := &syncBuffer{}
		done, stop := startComputing(w, false, 64, 1e4)
		done(320_000)
		// The bar draws its first frame, at 0%, as it starts (a negative
		// delay): wait for the frame after the values.
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(w.String(), "50%") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		isTerminal, logDelay, logInterval = is, delay, every
		out := w.String()
		frame := regexp.MustCompile(`^computing --paths: (\[[=> ]+\] +)?50%  32/64 lanes  [0-9.kMG]+/s  ETA [0-9hms]+$`)
		if terminal { // 80 columns (terminalWidth knows none)
			frame = regexp.MustCompile(`^computing --paths: \[[=> ]{10,}\] +50%  32/64 lanes  [0-9.kMG]+/s  ETA [0-9hms]+$`)
		}
		if terminal {
			frames := strings.Split(strings.TrimPrefix(out, "\r"), "\r")
			if len(frames) < 2 || !slices.ContainsFunc(frames, func(f string) bool { return frame.MatchString(strings.TrimRight(f, " ")) }) ||
				strings.Trim(frames[len(frames)-1], " ") != "" {
				t.Errorf("terminal: %q, want frames matching %v, then erased", out, frame)
			}
			continue
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !slices.ContainsFunc(lines, func(l string) bool {
			l, ok := strings.CutPrefix(l, "gpusim: progress: ")
			return ok && frame.MatchString(l)
		}) {
			t.Errorf("log: %q, want lines gpusim: progress: matching %v", out, frame)
		}
	}
	if done, stop := startComputing(&syncBuffer{}, true, 64, 1e4); done != nil {
		stop()
		t.Error("--quiet started the --paths bar")
	}
}

// TestFinishingPhase: the phase names the per-lane file synced last
// (--paths-out, written after --out) and the files written after it, in
// the order runReport writes them.
func TestFinishingPhase(t *testing.T) {
	f := func(flags ...string) []outFile {
		var fs []outFile
		for _, fl := range flags {
			fs = append(fs, outFile{Flag: fl, Path: "x"})
		}
		return fs
	}
	for _, c := range []struct {
		named []outFile
		want  string
	}{
		{f("plot", "html"), ""},
		{f("out"), "syncing --out"},
		{f("out", "paths-out"), "syncing --paths-out"},
		{f("out", "html"), "syncing --out, then writing --html"},
		{f("out", "paths-out", "daily-out", "plot", "plot-daily", "html", "save"), "syncing --paths-out, then writing --daily-out, --plot, --plot-daily, --save and --html"},
	} {
		if got := finishingPhase(c.named); got != c.want {
			t.Errorf("%v: %q, want %q", c.named, got, c.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer (a process, a progress
// bar's goroutine) and a reading test at once; it calls onWrite, where
// set, after each write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	onWrite func()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.onWrite != nil {
		defer s.onWrite()
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOutputNames: every output flag of run and bench refuses, before any
// work (exit 2, nothing written), a name that is only an extension, which
// wrote a hidden file ".npy" for --out .npy (an unset shell variable in
// --out "$NAME.npy"), a name with a control character, which a newline
// split the report's line with, or a format character (a right-to-left
// override, which shows "x\u202evsc.npy" as xypn.csv), and a file or
// folder name that begins or ends with whitespace (--out ' .npy' wrote
// " .npy", which the report showed as ".npy"); each error names the flag
// and the name quoted. Names with a stem, hidden or not, and with spaces
// inside, are written as before.
func TestOutputNames(t *testing.T) {
	dir := t.TempDir()
	job := []string{"run", "--lanes", "10", "--steps", "2", "--engine", "serial"}
	bench := []string{"bench", "-q", "--baseline", "none", "--no-sweep", "--no-scaling", "--reps", "1", "--warmup", "0", "--lanes", "10", "--steps", "1", "--engines", "serial"}
	type tc struct {
		args      []string
		flag, ext string
	}
	var cases []tc
	for _, c := range []struct{ flag, ext string }{{"out", ".npy"}, {"paths-out", ".csv"}, {"daily-out", ".csv"}, {"plot", ".png"}, {"plot-daily", ".svg"}, {"save", ".json"}, {"html", ".html"}} {
		args := job
		if c.flag == "paths-out" {
			args = append(slices.Clip(args), "--paths", "2")
		}
		cases = append(cases, tc{args, c.flag, c.ext})
	}
	cases = append(cases, tc{bench, "html", ".htm"})
	for _, c := range cases {
		name := filepath.Join(dir, c.ext)
		code, stdout, stderr := run(context.Background(), append(slices.Clip(c.args), "--"+c.flag, name)...)
		want := fmt.Sprintf("gpusim: error: --%s: %q is only an extension: the file has no name (valid: NAME%s)\n", c.flag, name, c.ext)
		if code != exitUsage || stdout != "" || stderr != want {
			t.Errorf("%s --%s %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args[0], c.flag, name, code, stdout, stderr, want)
		}
		for i, bad := range []string{"a\nb", "a\tb", "a\x1b[31mb", "a\u0085b", "x\u202evsc", "a\u2066b"} {
			name := filepath.Join(dir, bad+c.ext)
			if i == 0 {
				name = filepath.Join(dir, "a\nb", "f"+c.ext) // in the folder's name too
			}
			r := []rune(bad)[1]
			code, stdout, stderr := run(context.Background(), append(slices.Clip(c.args), "--"+c.flag, name)...)
			what := "a control character"
			if unicode.Is(unicode.Cf, r) {
				what = "a format character"
			}
			want := fmt.Sprintf("gpusim: error: --%s: %q has %s, %s (valid: a name without control or format characters such as newlines, tabs, escapes and right-to-left overrides)\n", c.flag, name, what, strconv.QuoteRune(r))
			if code != exitUsage || stdout != "" || stderr != want {
				t.Errorf("%s --%s %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args[0], c.flag, name, code, stdout, stderr, want)
			}
		}
		for _, sp := range []struct{ name, edge string }{{" " + c.ext, `begins`}, {"a" + c.ext + " ", "ends"}, {"d /f" + c.ext, "ends"}} {
			name := filepath.Join(dir, sp.name)
			bad := strings.Split(sp.name, "/")[0]
			code, stdout, stderr := run(context.Background(), append(slices.Clip(c.args), "--"+c.flag, name)...)
			want := fmt.Sprintf("gpusim: error: --%s: %q: %q %s with whitespace, ' ' (valid: file and folder names that neither begin nor end with whitespace)\n", c.flag, name, bad, sp.edge)
			if code != exitUsage || stdout != "" || stderr != want {
				t.Errorf("%s --%s %q: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args[0], c.flag, name, code, stdout, stderr, want)
			}
		}
	}
	// bench's folder of charts and the document it rewrites.
	for _, flag := range []string{"plot", "update-doc"} {
		for _, bad := range []struct{ name, want string }{
			{"a\nb", `%q has a control character, '\n' (valid: `},
			{"a\u202eb", `%q has a format character, '\u202e' (valid: `},
			{"ab ", `%q: "ab " ends with whitespace, ' ' (valid: `},
			{" ab/c", `%q: " ab" begins with whitespace, ' ' (valid: `},
		} {
			name := filepath.Join(dir, bad.name)
			code, _, stderr := run(context.Background(), append(slices.Clip(bench), "--"+flag, name)...)
			if want := fmt.Sprintf("gpusim: error: --%s: "+bad.want, flag, name); code != exitUsage || !strings.HasPrefix(stderr, want) {
				t.Errorf("bench --%s %q: exit %d, stderr %q; want exit 2 and %q...", flag, name, code, stderr, want)
			}
		}
	}
	assertEmptyDir(t, dir)

	// A hidden file with a name, and a name with spaces, are written; the
	// report names one with a space other than ASCII's quoted, as bench's
	// note of the file it wrote does.
	for _, name := range []string{".x.npy", "a b.npy", "a\u00a0b.npy"} {
		path := filepath.Join(dir, name)
		if code, stdout, stderr := run(context.Background(), append(slices.Clip(job), "--out", path)...); code != 0 {
			t.Errorf("--out %q: exit %d, stderr %q", path, code, stderr)
		} else if _, err := os.Stat(path); err != nil {
			t.Error(err)
		} else if want := "\nout       " + quote.Printable(path) + " (10 lanes)\n"; !strings.Contains(stdout, want) {
			t.Errorf("--out %q: report %q does not contain %q", path, stdout, want)
		}
	}
	html := filepath.Join(dir, "b\u00a0c.html")
	noQuiet := slices.DeleteFunc(slices.Clone(bench), func(a string) bool { return a == "-q" })
	if code, _, stderr := run(context.Background(), append(noQuiet, "--html", html)...); code != 0 || !strings.Contains(stderr, "\nbench: wrote "+strconv.Quote(html)+"\n") {
		t.Errorf("bench --html %q: exit %d, stderr %q; want exit 0 and the name quoted", html, code, stderr)
	}
}
