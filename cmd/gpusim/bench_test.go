package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// wrongEngine is serial with one bit of its digest flipped: an engine whose
// results differ from the others'.
type wrongEngine struct{}

func (wrongEngine) Name() string { return "wrong" }

func (wrongEngine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	res, err := cpu.Serial{}.Run(ctx, job)
	if err == nil {
		res.Summary.Digest ^= 1
	}
	return res, err
}

var errNoDevice = errors.New("no device here")

// withBackends replaces the backend table for one test.
func withBackends(t *testing.T, bs ...backend) {
	old := backends
	backends = bs
	t.Cleanup(func() { backends = old })
}

func serialBackend() backend {
	return backend{"serial", "", newSerial, benchOne}
}

func TestBenchDigestMismatch(t *testing.T) {
	withBackends(t, serialBackend(),
		backend{"wrong", "", func(engineOptions) (sim.Engine, error) { return wrongEngine{}, nil }, benchOne})
	p := sim.Default()
	p.Lanes, p.Steps = 100, 4
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Summary.Digest
	code, stdout, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none", "-q")
	want := fmt.Sprintf("gpusim: error: digest mismatch on 100 x 4: serial=%#016x wrong=%#016x: every engine computes the same stream, so one of these is wrong\n", d, d^1)
	if code != exitFailure || stdout != "" || stderr != want {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and %q", code, stdout, stderr, want)
	}
}

func TestBenchMissingBackend(t *testing.T) {
	withBackends(t, serialBackend(),
		backend{"gone", "", func(engineOptions) (sim.Engine, error) { return nil, errNoDevice }, benchOne},
		backend{"alias", "", newSerial, nil})
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep", "--baseline", "none"}

	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bench: note: gone left out: no device here\n") || !strings.Contains(stdout, "note: gone left out: no device here\n") {
		t.Errorf("no note that gone was left out:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if strings.Contains(stdout, "alias") {
		t.Errorf("the alias backend was benchmarked:\n%s", stdout)
	}

	code, _, stderr = run(context.Background(), append(args, "--engines", "gone")...)
	if want := "gpusim: error: --engines: gone cannot run here: no device here\n"; code != exitFailure || stderr != want {
		t.Errorf("--engines gone: got exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
	code, _, stderr = run(context.Background(), append(args, "--engines", "alias")...)
	if want := "gpusim: error: --engines: unknown engine \"alias\" (valid: serial, gone)\n"; code != exitUsage || stderr != want {
		t.Errorf("--engines alias: got exit %d, stderr %q; want exit 2 and %q", code, stderr, want)
	}
}

// TestBenchEngineStarts checks that an engine that fails to start for a
// worker count reports it from Run rather than panicking.
func TestBenchEngineStarts(t *testing.T) {
	withBackends(t, serialBackend(),
		backend{"picky", "", func(o engineOptions) (sim.Engine, error) {
			if o.Workers > 1 {
				return nil, errors.New("one worker at most")
			}
			return cpu.Serial{}, nil
		}, benchScales})
	code, _, stderr := run(context.Background(), "bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--workers", "2", "--no-sweep", "--baseline", "none", "-q")
	if want := "gpusim: error: bench: picky/2 on 100 x 4: start picky: one worker at most\n"; code != exitFailure || stderr != want {
		t.Errorf("got exit %d, stderr %q; want exit 1 and %q", code, stderr, want)
	}
}

// TestSelectEngines checks --engines against a backend with an engine per
// device: the backend's name picks them all, an engine's name one.
func TestSelectEngines(t *testing.T) {
	spec := func(name string) bench.EngineSpec {
		return bench.EngineSpec{Name: name, New: func(int) sim.Engine { return cpu.Serial{} }}
	}
	engines := []benchEngine{{"serial", spec("serial")}, {"ocl", spec("ocl:a")}, {"ocl", spec("ocl:b")}}
	withBackends(t, serialBackend(), backend{"ocl", "", newSerial, benchOne})
	names := func(specs []bench.EngineSpec) []string {
		var ns []string
		for _, s := range specs {
			ns = append(ns, s.Name)
		}
		return ns
	}
	for list, want := range map[string][]string{
		"":               {"serial", "ocl:a", "ocl:b"},
		"ocl":            {"ocl:a", "ocl:b"},
		"ocl:b, serial":  {"serial", "ocl:b"},
		"ocl:a,ocl,ocl":  {"ocl:a", "ocl:b"},
		"serial,serial,": nil,
	} {
		specs, err := selectEngines(list, engines, nil)
		if want == nil {
			if err == nil || !strings.Contains(err.Error(), `unknown engine "" (valid: serial, ocl, ocl:a, ocl:b)`) {
				t.Errorf("selectEngines(%q): got %v, %v; want an unknown engine error", list, names(specs), err)
			}
			continue
		}
		if err != nil || !slices.Equal(names(specs), want) {
			t.Errorf("selectEngines(%q) = %v, %v; want %v", list, names(specs), err, want)
		}
	}
}

func TestBenchCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := run(ctx, "bench", "--lanes", "1000", "--steps", "4", "--reps", "1", "--baseline", "none", "-q")
	if code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, "gpusim: error: bench: serial on 1k x 4: ") || !strings.Contains(stderr, "context canceled") {
		t.Errorf("got exit %d, stdout %q, stderr %q; want exit 1 and a cancellation error", code, stdout, stderr)
	}
}

func TestParseCountList(t *testing.T) {
	got, err := parseCountList("lanes", "5M, 5e6,5_000_000,2^20,1k", 1, 1<<40)
	if want := []uint64{5e6, 5e6, 5e6, 1 << 20, 1000}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for _, s := range []string{"", "0", "1,,2", "2^41", "1.5", "-3"} {
		if got, err := parseCountList("lanes", s, 1, 1<<40); err == nil {
			t.Errorf("parseCountList(%q) = %v, want an error", s, got)
		}
	}
}

func TestLoadAverage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loadavg")
	if err := os.WriteFile(path, []byte("0.92 1.95 1.83 2/345 6789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := loadAverage(path), "0.92, 1.95, 1.83"; got != want {
		t.Errorf("loadAverage = %q, want %q", got, want)
	}
	if got := loadAverage(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Errorf("loadAverage of a missing file = %q, want \"\"", got)
	}
}

// TestBenchNoNumPy checks that without a python3 that imports numpy the
// default baseline is skipped with a note, and an explicit one is an error.
func TestBenchNoNumPy(t *testing.T) {
	old := bench.PythonCandidates
	bench.PythonCandidates = []string{filepath.Join(t.TempDir(), "no-python3")}
	t.Cleanup(func() { bench.PythonCandidates = old })
	args := []string{"bench", "--lanes", "100", "--steps", "4", "--reps", "1", "--no-scaling", "--no-sweep"}

	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bench: note: Python baseline skipped: no python3 with numpy found\n") {
		t.Errorf("stderr has no note that the baseline was skipped:\n%s", stderr)
	}
	if !strings.Contains(stdout, "\nPython baseline\n  skipped: no python3 with numpy found") {
		t.Errorf("the report does not say the baseline was skipped:\n%s", stdout)
	}

	code, _, stderr = run(context.Background(), append(args, "--baseline", "python")...)
	if code != exitFailure || !strings.HasPrefix(stderr, "gpusim: error: --baseline python: no python3 with numpy found") || strings.Contains(stderr, "bench: serial") {
		t.Errorf("--baseline python: got exit %d, stderr %q; want exit 1 before anything runs", code, stderr)
	}
}
