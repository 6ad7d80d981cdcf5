package enginetest

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// modelEngine runs jobs with the suite's reference, reporting Progress in
// pieces of lane-steps and checking ctx, and injects one fault.
type modelEngine struct {
	fault  string
	closed bool
}

func (*modelEngine) Name() string { return "model" }

func (e *modelEngine) Close() error { e.closed = true; return nil }

const modelChunk = 4096

// modelPiece is the lane-steps the model engine reports a call.
const modelPiece = 1 << 16

func (e *modelEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if e.closed && e.fault != "run after close" {
		return nil, errors.New("closed")
	}
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	if e.fault == "no cancel" && count > 1<<20 {
		return sim.NewResult("model", "", job, first, 0), nil // "finishes" at once
	}
	if err := context.Cause(ctx); err != nil {
		if e.fault == "cause" {
			return nil, errors.New("stopped")
		}
		return nil, err
	}
	if count > 1<<20 { // the suite's cancelled jobs: report a chunk, then stop
		if job.Progress != nil {
			job.Progress(modelChunk)
		}
		if err := context.Cause(ctx); err != nil {
			return nil, err
		}
		return nil, errors.New("model engine: job too large")
	}
	ref := *job
	if e.fault == "seed high word" {
		ref.Params.Seed &= 1<<32 - 1 // the key's high word dropped
	}
	r, err := sim.Reference(&ref)
	if err != nil {
		return nil, err
	}
	if job.Progress != nil {
		// Lane-steps, a lane of no steps counting one (sim.Job.Progress),
		// in pieces of modelPiece, as the CPU engines report within a block.
		total := count * uint64(max(job.Params.Steps, 1))
		for done := uint64(0); done < total; done += modelPiece {
			n := min(modelPiece, total-done)
			if e.fault == "progress" && done == 0 {
				n--
			}
			job.Progress(n)
		}
	}
	switch {
	case e.fault == "final" && first <= 1<<32 && 1<<32 < first+count && r.Finals != nil:
		r.Finals[1<<32-first] = math.Float32frombits(math.Float32bits(r.Finals[1<<32-first]) ^ 1)
	case e.fault == "daily" && len(r.Daily) > 3 && r.Daily[3].Count > 0:
		r.Daily[3].Hist.Bins[1]++
	case e.fault == "finals kept" && r.Finals == nil:
		r.Finals = []float32{}
	}
	return r, nil
}

// childEnv names the fault the child process injects.
const childEnv = "GPUSIM_ENGINETEST_FAULT"

// TestModelEngine runs the suite on the model engine: it passes without a
// fault, and in a child process with each fault the suite must catch.
func TestModelEngine(t *testing.T) {
	fault := os.Getenv(childEnv)
	Run(t, func(*testing.T) sim.Engine { return &modelEngine{fault: fault} }, Options{MaxLanes: 20_001})
}

// TestSuiteCatchesFaults: a wrong final at lane 2^32, a wrong histogram bin
// of one day, Progress one lane short, a key without the seed's high word, finals kept unasked, a cancelled run
// that succeeds, an error that hides the context's cause, and Run after
// Close that succeeds each fail the suite with the difference named.
func TestSuiteCatchesFaults(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for fault, want := range map[string]string{
		"final":           "final #",
		"daily":           "day 4: bin #1: got ",
		"progress":        "Progress calls reported",
		"finals kept":     "finals: got 0 (nil false), want 0 (nil true)",
		"seed high word":  "seed 0x100000000, daily false: digest: got ",
		"no cancel":       "cancelled mid-run: Run succeeded",
		"cause":           "does not wrap the context's cause",
		"run after close": "Run after Close succeeded",
	} {
		cmd := exec.Command(exe, "-test.run=^TestModelEngine$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+fault)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("fault %q: err %v, want a failure saying %q; output:\n%s", fault, err, want, out)
		}
	}
}

// TestCompare: the comparator names the first difference, in hex.
func TestCompare(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 100, 5
	j := &sim.Job{Params: p, KeepFinals: true, Daily: true}
	want, err := sim.Reference(j)
	if err != nil {
		t.Fatal(err)
	}
	if err := CompareResult(want, want, ExactTol); err != nil {
		t.Fatalf("a result differs from itself: %v", err)
	}
	for _, c := range []struct {
		name   string
		change func(r *sim.Result)
		msg    string
	}{
		{"digest", func(r *sim.Result) { r.Summary.Digest ^= 1 }, "digest: got 0x"},
		{"count", func(r *sim.Result) { r.Summary.Count++ }, "count: got 101, want 100"},
		{"min", func(r *sim.Result) { r.Summary.Min = float32(math.Copysign(0, -1)) }, "min: got 0x80000000"},
		{"bin", func(r *sim.Result) { r.Summary.Hist.Bins[7]++ }, "bin #7: got 0x"},
		{"mean", func(r *sim.Result) { r.Summary.Mean *= 1 + 1e-11 }, "mean: got "},
		{"final", func(r *sim.Result) { r.Finals[42] = math.Float32frombits(math.Float32bits(r.Finals[42]) + 1) }, "final #42: got 0x"},
		{"day", func(r *sim.Result) { r.Daily[2].Max = 0 }, "day 3: max: got 0x0"},
		{"math", func(r *sim.Result) { r.Math = sim.MathFast }, `math: got "fast", want "exact"`},
	} {
		got := clone(want)
		c.change(got)
		err := CompareResult(got, want, DefaultTol)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.msg)
		}
	}
	got := clone(want)
	got.Summary.Mean *= 1 + 1e-13
	if err := CompareResult(got, want, DefaultTol); err != nil {
		t.Errorf("mean within DefaultTol: %v", err)
	}
	if err := CompareResult(got, want, ExactTol); err == nil {
		t.Error("mean off by 1e-13 passes ExactTol")
	}
}

func clone(r *sim.Result) *sim.Result {
	c := *r
	cs := func(s *sim.Summary) *sim.Summary {
		s2 := *s
		h := *s.Hist
		h.Bins = append([]uint64(nil), h.Bins...)
		s2.Hist = &h
		return &s2
	}
	c.Summary = cs(r.Summary)
	c.Finals = append([]float32(nil), r.Finals...)
	c.Daily = nil
	for _, d := range r.Daily {
		c.Daily = append(c.Daily, cs(d))
	}
	return &c
}

// TestReference: the reference's finals are sim.Model.Final's and its
// digest the sum of their terms.
func TestReference(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1<<32+10, 7
	j := &sim.Job{Params: p, First: 1<<32 - 5, Count: 15, KeepFinals: true}
	r, err := sim.Reference(j)
	if err != nil {
		t.Fatal(err)
	}
	m := p.Model()
	var d uint64
	for i, x := range r.Finals {
		lane := j.First + uint64(i)
		if y := m.Final(lane); math.Float32bits(x) != math.Float32bits(y) {
			t.Fatalf("#%d: got %#x, want %#x", i, math.Float32bits(x), math.Float32bits(y))
		}
		d += sim.DigestTerm(lane, math.Float32bits(x))
	}
	if r.Summary.Digest != d || r.Summary.Count != 15 {
		t.Errorf("digest %#x count %d, want %#x 15", r.Summary.Digest, r.Summary.Count, d)
	}
}

// TestWrong: Wrong changes the digest, bit 0 only, and nothing else.
func TestWrong(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 5
	job := &sim.Job{Params: p}
	want := Want(t, nil, job)
	got, err := Wrong{&modelEngine{}}.Run(t.Context(), job)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.Digest != want.Summary.Digest^1 {
		t.Fatalf("digest %#x, want %#x", got.Summary.Digest, want.Summary.Digest^1)
	}
	got.Summary.Digest ^= 1
	if err := CompareResult(got, want, Tol{}); err != nil {
		t.Error(err)
	}
}
