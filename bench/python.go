package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

//go:embed baseline.py
var baselineScript []byte

// BaselineScript returns the embedded Python baseline, for users who want to
// run it themselves.
func BaselineScript() []byte { return bytes.Clone(baselineScript) }

// PythonCandidates are the interpreters FindPython tries, in order.
var PythonCandidates = []string{"python3", "/usr/bin/python3"}

// ErrNoNumPy is returned by FindPython when no candidate imports numpy.
var ErrNoNumPy = errors.New("no python3 with numpy found")

// FindPython returns the first of PythonCandidates that imports numpy.
func FindPython(ctx context.Context) (string, error) {
	for _, c := range PythonCandidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = exec.CommandContext(cctx, path, "-c", "import numpy").Run()
		cancel()
		if err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("%w (tried %s)", ErrNoNumPy, strings.Join(PythonCandidates, ", "))
}

// PythonResult is one Python version of the simulation on one workload.
type PythonResult struct {
	Workload    Workload `json:"workload"`
	Method      string   `json:"method"` // loop, matrix or vector
	Description string   `json:"description"`
	// SampleLanes is how many lanes actually ran; when it is fewer than the
	// workload's, Scaled is set and WorkloadSeconds is extrapolated from it.
	SampleLanes     uint64  `json:"sample_lanes"`
	Seconds         float64 `json:"seconds"`
	NsPerLaneStep   float64 `json:"ns_per_lane_step"`
	WorkloadSeconds float64 `json:"workload_seconds"`
	Scaled          bool    `json:"scaled"`
	// Mean is the sample's mean final temperature, a sanity check.
	Mean float64 `json:"mean"`
}

// PythonReport is the Python baseline, or why it was skipped.
type PythonReport struct {
	Interpreter string         `json:"interpreter,omitempty"`
	Python      string         `json:"python,omitempty"`
	NumPy       string         `json:"numpy,omitempty"`
	Skipped     string         `json:"skipped,omitempty"`
	Results     []PythonResult `json:"results,omitempty"`
}

// RunPython runs the embedded baseline on each of cfg's workloads. A missing
// interpreter or numpy is not an error: the report says it was skipped.
func RunPython(ctx context.Context, cfg *Config, progress func(string, ...any)) (*PythonReport, error) {
	py := cfg.PythonPath
	if py == "" {
		var err error
		if py, err = FindPython(ctx); err != nil {
			return &PythonReport{Skipped: err.Error()}, nil
		}
	}
	rep := &PythonReport{Interpreter: py}
	for _, w := range cfg.Workloads {
		out, err := RunBaseline(ctx, py, cfg, w)
		if err != nil {
			return nil, err
		}
		rep.Python, rep.NumPy = out.Python, out.NumPy
		rep.Results = append(rep.Results, out.Results...)
		if progress != nil {
			for _, r := range out.Results {
				progress("%-14s %-12s %.3g s (%.3g ns/lane-step%s)", "python/"+r.Method, w, r.WorkloadSeconds, r.NsPerLaneStep, sampled(r))
			}
		}
	}
	return rep, nil
}

func sampled(r PythonResult) string {
	if !r.Scaled {
		return ""
	}
	return fmt.Sprintf(", scaled from %s lanes", FormatCount(r.SampleLanes))
}

// BaselineOutput is what the script prints.
type BaselineOutput struct {
	Python  string         `json:"python"`
	NumPy   string         `json:"numpy"`
	Results []PythonResult `json:"results"`
}

// RunBaseline runs the embedded script (read from stdin) with interpreter py
// on workload w.
func RunBaseline(ctx context.Context, py string, cfg *Config, w Workload) (*BaselineOutput, error) {
	p := cfg.params(w)
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	args := []string{"-",
		"--lanes", strconv.FormatUint(w.Lanes, 10), "--steps", strconv.Itoa(w.Steps),
		"--start", f(p.Start), "--anchor", f(p.Anchor), "--persistence", f(p.Persistence),
		"--sigma", f(p.Sigma), "--seed", strconv.FormatUint(p.Seed, 10),
		"--reps", strconv.Itoa(max(cfg.PythonReps, 1)),
	}
	if cfg.PythonLoopBudget > 0 {
		args = append(args, "--loop-budget", strconv.FormatUint(cfg.PythonLoopBudget, 10))
	}
	if cfg.PythonMatrixBytes > 0 {
		args = append(args, "--matrix-bytes", strconv.FormatUint(cfg.PythonMatrixBytes, 10))
	}
	if cfg.PythonVectorLanes > 0 {
		args = append(args, "--vector-lanes", strconv.FormatUint(cfg.PythonVectorLanes, 10))
	}
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Stdin = bytes.NewReader(baselineScript)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench: python baseline on %s: %w: %s", w, err, strings.TrimSpace(lastLine(stderr.String())))
	}
	var out BaselineOutput
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("bench: python baseline on %s: reading its output: %w", w, err)
	}
	for i := range out.Results {
		out.Results[i].Workload = w
	}
	return &out, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
