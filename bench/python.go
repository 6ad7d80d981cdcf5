package bench

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/sim"
)

//go:embed baseline.py
var baselineScript []byte

// PythonCandidates are the interpreters FindPython tries, in order.
var PythonCandidates = []string{"python3", "/usr/bin/python3"}

// probeTimeout bounds each probe of an interpreter (probePython); tests
// shorten it.
var probeTimeout = 30 * time.Second

// probePython runs the interpreter at path with -c code and returns its
// output (stdout, and stderr too with both), within probeTimeout: one that
// has not answered by then is killed, and a process it started that still
// holds the output pipe is not waited for (exec.Cmd.WaitDelay), so that a
// wrapper whose child waits on a lock cannot hold bench before its work.
// One that prints more than childOutputCap is killed as it passes it, an
// *outputFloodError (runChildProcess).
func probePython(ctx context.Context, path, code string, both bool) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// A child of bench's own (command): in a process group of its own,
	// ended whole. Started alone, a wrapper's children (a script that
	// runs python3 after a wait) outlived a Ctrl-C of bench, a SIGKILL
	// and the probe's own time limit.
	cmd := command(cctx, path, "-c", code)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if both {
		cmd.Stderr = &out
	}
	err := runChildProcess(cctx, cmd)
	if cctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
		return out.Bytes(), &probeTimeoutError{path: path, limit: probeTimeout}
	}
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && !both {
		ee.Stderr = stderr.Bytes() // as cmd.Output gives it (FindPython's limit signs)
	}
	return out.Bytes(), err
}

// probeTimeoutError is an interpreter that did not answer a probe in time.
type probeTimeoutError struct {
	path  string
	limit time.Duration
}

func (e *probeTimeoutError) Error() string {
	return fmt.Sprintf("%q did not answer within %v, asked to import numpy", e.path, e.limit)
}

// ErrNoNumPy is returned by FindPython when no candidate imports numpy.
var ErrNoNumPy = errors.New("no python3 with numpy found")

// NumPyLimitError is FindPython's ErrNoNumPy where a limit stopped a
// candidate's import of numpy (OpenBLAS's threads under ulimit -u, a
// library not mapped under ulimit -v): not a NumPy to install but a
// failure of the baseline, which RunPython reports as failed (bench exits
// 1) rather than skipped.
type NumPyLimitError struct {
	Tried string // the candidates tried, comma-separated
	Path  string // the interpreter whose import a limit stopped
	Cause string // the line of its stderr that names the limit
}

func (e *NumPyLimitError) Error() string {
	return fmt.Sprintf("%v (tried %s); %s cannot import numpy: %s", ErrNoNumPy, e.Tried, e.Path, e.Cause)
}

// Unwrap is ErrNoNumPy.
func (e *NumPyLimitError) Unwrap() error { return ErrNoNumPy }

// ToolModules are the Python modules of the baselines beyond NumPy, each in
// the Debian package the report names when it is missing.
var ToolModules = []string{"joblib", "numba", "pyopencl"}

// FindPython returns the one of PythonCandidates that imports numpy and
// finds the most of ToolModules, the first of those on a tie: a pyenv
// python3 with numpy alone loses to the system one with joblib and Numba.
// Where none does, it returns ErrNoNumPy, naming the candidates whose
// probe printed more than bench reads, or a *NumPyLimitError naming the
// first whose import of numpy a limit stopped (a line of its stderr names
// one: limitSigns).
func FindPython(ctx context.Context) (string, error) {
	best, bestTools := "", -1
	var limited *NumPyLimitError
	var floods []string
	probe := "import numpy, importlib.util as u; print(sum(u.find_spec(m) is not None for m in " + pyList(ToolModules) + "))"
	for _, c := range PythonCandidates {
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		out, err := probePython(ctx, path, probe, false)
		var ee *exec.ExitError
		if errors.As(err, &ee) && limited == nil && hasLimitSign(string(ee.Stderr)) {
			limited = &NumPyLimitError{Path: path, Cause: deathCause(string(ee.Stderr), nil)}
		}
		if fe := (*outputFloodError)(nil); errors.As(err, &fe) {
			// Not a Python: named, for a python3 on PATH that is
			// not one is otherwise passed over without a word.
			floods = append(floods, fmt.Sprintf("; %q %v", path, fe))
		}
		if err != nil {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > bestTools {
			best, bestTools = path, n
		}
	}
	if best == "" {
		// A limit that stopped numpy's import (its OpenBLAS threads
		// under ulimit -u) is named: not a Python to install.
		tried := strings.Join(PythonCandidates, ", ")
		if limited != nil {
			limited.Tried = tried
			return "", limited
		}
		return "", fmt.Errorf("%w (tried %s)%s", ErrNoNumPy, tried, strings.Join(floods, ""))
	}
	return best, nil
}

// pyList writes names as a Python list literal.
func pyList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// PythonResult is one Python version of the simulation on one workload:
// loop, joblib-lane, joblib-chunk, matrix, vector, numba or pyopencl (the
// script's doc describes each).
type PythonResult struct {
	Workload    Workload `json:"workload"`
	Method      string   `json:"method"`      // the version: loop, joblib-lane, ...
	Description string   `json:"description"` // one line on how it computes
	// Skipped says why the version did not run: its module is not
	// installed (Package is then the Debian package that provides it), is
	// installed but does not import or set up (what failed: a dependency
	// missing, PyOpenCL with no OpenCL platform; Package ""), or it
	// cannot run the workload (the matrix when one lane's row is over
	// Config.PythonMatrixBytes, a version out of memory; Package ""). With
	// Failed set, it is why the version did not end: the script died while
	// it ran (the OOM killer, a signal), and the cause is given.
	Skipped string `json:"skipped,omitempty"`
	Package string `json:"package,omitempty"`
	Failed  bool   `json:"failed,omitempty"` // the version failed (a limit), or the script died while it ran
	// Limit is the limit the version ran into, where the script saw one:
	// "threads" (ulimit -u) or "memory" (ulimit -v, or memory out); Skipped
	// names it with its value and the fix (limitNote).
	Limit string `json:"limit,omitempty"`
	// SampleLanes and SampleSteps are how many lanes and steps actually
	// ran (SampleSteps fewer than the workload's where Config.PythonBudget
	// was spent; 0 in a report from before it, read as all); when either
	// is fewer than the workload's, Scaled is set and WorkloadSeconds is
	// extrapolated from them.
	SampleLanes     uint64  `json:"sample_lanes,omitempty"`
	SampleSteps     int     `json:"sample_steps,omitempty"`
	Seconds         float64 `json:"seconds,omitempty"`          // median wall time of Config.PythonReps runs of the sample, seconds
	NsPerLaneStep   float64 `json:"ns_per_lane_step,omitempty"` // Seconds over the sample's lane-steps, ns
	WorkloadSeconds float64 `json:"workload_seconds,omitempty"` // NsPerLaneStep times the workload's lane-steps, seconds
	Scaled          bool    `json:"scaled"`                     // the sample is smaller than the workload
	// Workers is joblib's n_jobs or Numba's threads; Device the OpenCL device.
	Workers int    `json:"workers,omitempty"`
	Device  string `json:"device,omitempty"`
	// Mean and Std are the sample's final temperatures; Law checks them.
	Mean float64  `json:"mean,omitempty"` // degrees
	Std  float64  `json:"std,omitempty"`  // degrees
	Law  LawCheck `json:"law,omitzero"`
}

// LawTolerance is how many sampling standard deviations a baseline's mean
// and std may stray from the exact law's before the check fails: a correct
// version fails it about once in 7,900 runs (the two-sided normal tail at 4
// sd, 6.3e-5 or 1 in 15,800, for each of the two z-scores), a wrong update
// rule at every sample size the bench uses.
const LawTolerance = 4

// LawCheck compares a sample's mean and std with the model's exact law, in
// sampling standard deviations (sim.ZMean, sim.ZStd). A sample of one lane
// has no spread to test: its ZStd is NaN, written "-" in the tables and
// null in JSON (which has no NaN), and the mean alone decides OK.
type LawCheck struct {
	ZMean float64 // the mean's z-score (sim.ZMean)
	ZStd  float64 // the std's (sim.ZStd), NaN for one lane
	OK    bool    // both within LawTolerance
}

// CheckLaw scores mean and std of n lanes of p against the exact law. A
// version run on one lane (a loop or joblib budget below twice the steps:
// bench --quick --steps 5000 runs joblib-lane on 1) is checked on its mean:
// its std scored NaN, which failed the check and the JSON report with it.
func CheckLaw(p sim.Params, n uint64, mean, std float64) LawCheck {
	law := p.Law(p.Steps)
	zm, zs := sim.ZMean(mean, n, law), sim.ZStd(std, n, law)
	stdOK := math.Abs(zs) <= LawTolerance || (n < 2 && math.IsNaN(zs))
	return LawCheck{ZMean: zm, ZStd: zs, OK: math.Abs(zm) <= LawTolerance && stdOK}
}

// String is "z +0.31, -1.20" ("-" for an untested std, as of one lane)
// and "FAILS" in front when out of tolerance.
func (c LawCheck) String() string {
	s := "z " + sim.FormatZ(c.ZMean) + ", " + sim.FormatZ(c.ZStd)
	if !c.OK {
		s = "FAILS " + s
	}
	return s
}

// lawJSON is LawCheck in JSON: an undefined z-score is null.
type lawJSON struct {
	ZMean *float64 `json:"z_mean"`
	ZStd  *float64 `json:"z_std"`
	OK    bool     `json:"ok"`
}

// MarshalJSON writes an undefined z-score as null.
func (c LawCheck) MarshalJSON() ([]byte, error) {
	finite := func(z float64) *float64 {
		if math.IsNaN(z) || math.IsInf(z, 0) {
			return nil
		}
		return &z
	}
	return json.Marshal(lawJSON{finite(c.ZMean), finite(c.ZStd), c.OK})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (c *LawCheck) UnmarshalJSON(b []byte) error {
	var v lawJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	z := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*c = LawCheck{ZMean: z(v.ZMean), ZStd: z(v.ZStd), OK: v.OK}
	return nil
}

// PythonReport is the Python baseline, or why it was skipped.
type PythonReport struct {
	Interpreter string `json:"interpreter,omitempty"` // the interpreter's path
	Python      string `json:"python,omitempty"`      // its version
	NumPy       string `json:"numpy,omitempty"`       // NumPy's version
	// Modules are the versions of the tools beyond NumPy that imported, by
	// Debian package name.
	Modules map[string]string `json:"modules,omitempty"`
	Cores   int               `json:"cores,omitempty"` // the CPUs Python may run on (os.sched_getaffinity, else os.cpu_count())
	// Setup is each tool's one-off set-up in seconds, by module (joblib's
	// worker start, numba's compile, pyopencl's builds): paid once, before
	// the tool's first version ran, and in no result's time.
	Setup   map[string]float64 `json:"setup_s,omitempty"`
	Skipped string             `json:"skipped,omitempty"` // why the baseline did not run, or ""
	// Failed is why the baseline, started, gave no results (the script's
	// error, or output that is not its JSON), or, beside the results it
	// gave, why it ended before its last version (a death: the version
	// running is a result with Failed set, the ones after it did not run);
	// the engines' results stand.
	Failed  string         `json:"failed,omitempty"`
	Results []PythonResult `json:"results,omitempty"` // by workload, then version, as they ran
}

// methodPackage is the Debian package of the module a version needs beyond
// NumPy, or "" for the loop, matrix and vector versions.
func methodPackage(method string) string {
	switch method {
	case "joblib-lane", "joblib-chunk":
		return "python3-joblib"
	case "numba":
		return "python3-numba"
	case "pyopencl":
		return "python3-pyopencl"
	}
	return ""
}

// device is where version p ran, as an engine's device says it: the OpenCL
// device for pyopencl, joblib's processes, Numba's threads, else the one
// thread of the interpreter.
func (r *PythonReport) device(p PythonResult) string {
	workers := p.Workers
	if workers == 0 {
		workers = r.Cores // a report from before results carried it
	}
	switch methodPackage(p.Method) {
	case "python3-pyopencl":
		return p.Device
	case "python3-joblib":
		if workers == 1 {
			return "1 process"
		}
		return fmt.Sprintf("%d processes", workers)
	case "python3-numba":
		return count.Noun(workers, "thread")
	}
	return "1 thread"
}

// versions are Python's and NumPy's versions, and that of the module
// version p needs beyond them: "Python 3.11.2, NumPy 1.24.2,
// python3-numba 0.56.4".
func (r *PythonReport) versions(p PythonResult) string {
	s := "Python " + r.Python + ", NumPy " + r.NumPy
	if pkg := methodPackage(p.Method); pkg != "" && r.Modules[pkg] != "" {
		s += ", " + pkg + " " + r.Modules[pkg]
	}
	return s
}

// skipNote says why version p did not run: its module is missing (with the
// Debian package that provides it), installed but failed to import or set
// up (what failed: no package), or it cannot run the workload (the
// matrix over its cap, out of memory: no package). A skip of the loop,
// matrix or vector version used to get no note, and one without a package
// read "the Debian package  provides it".
func (p PythonResult) skipNote() string {
	if p.Failed {
		return fmt.Sprintf("%s failed: %s", p.Method, p.Skipped)
	}
	if p.Package == "" {
		return fmt.Sprintf("%s skipped: %s", p.Method, p.Skipped)
	}
	return fmt.Sprintf("%s skipped: %s; the Debian package %s provides it", p.Method, p.Skipped, p.Package)
}

// LawFailures lists the versions whose sample disagrees with the exact law.
func (r *PythonReport) LawFailures() []string {
	var out []string
	for _, p := range r.Results {
		if p.Skipped == "" && !p.Law.OK {
			out = append(out, fmt.Sprintf("python/%s on %s: mean %.4f, std %.4f: %v", p.Method, p.Workload, p.Mean, p.Std, p.Law))
		}
	}
	return out
}

// RunPython runs the embedded baseline on each of cfg's workloads. A missing
// interpreter or numpy is not an error: the report says it was skipped. One
// whose import of numpy a limit stopped (*NumPyLimitError) is not missing:
// the report says the baseline failed (Failed), which fails the benchmark
// (pythonFailures), as a version's limit does. Stopped (ctx), it returns
// the stop's cause with the report of the versions that ended before the
// stop, or with nil where none did (RunBaseline).
func RunPython(ctx context.Context, cfg *Config, progress func(string, ...any)) (*PythonReport, error) {
	py := cfg.PythonPath
	if py == "" {
		var err error
		if py, err = FindPython(ctx); err != nil {
			if le := (*NumPyLimitError)(nil); errors.As(err, &le) {
				if progress != nil {
					progress("python baseline failed: %v", err)
				}
				return &PythonReport{Failed: err.Error()}, nil
			}
			return &PythonReport{Skipped: err.Error()}, nil
		}
	}
	out, err := RunBaseline(ctx, py, cfg, cfg.Workloads...)
	if out == nil {
		return nil, err
	}
	rep := pythonReport(py, out)
	if progress != nil && out.Died != "" {
		// Each version's end was said as it ended (scriptStderr); the
		// death is said once, of the version it cut short where one ran.
		if n := len(out.Results); n > 0 && out.Results[n-1].Failed {
			r := out.Results[n-1]
			progress("%-19s %-12s failed: %s", "python/"+r.Method, r.Workload, out.Died)
		} else {
			progress("python baseline: %s", out.Died)
		}
	}
	return rep, err
}

// pythonReport is the report of the baseline py (the interpreter's path)
// gave out.
func pythonReport(py string, out *BaselineOutput) *PythonReport {
	return &PythonReport{Interpreter: py, Python: out.Python, NumPy: out.NumPy, Modules: out.Modules, Cores: out.Cores, Setup: out.Setup, Results: out.Results, Failed: out.Died}
}

// pythonLive gives a Snapshot the Python baseline's versions that have
// ended while its script runs: a forced exit (a second signal, or a stop
// whose script had not returned within the grace) printed a partial report
// without them, which only the script's return gave (runner.python).
type pythonLive struct {
	mu   sync.Mutex
	read func() *PythonReport // the versions so far, nil for none; nil outside a script
}

// set makes read give the versions the script py runs has ended so far,
// out of its stdout (guarded by out's lock), the script started at t0.
func (l *pythonLive) set(py string, out *lockedBuffer, cfg *Config, plan scriptPlan, t0 time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.read = func() *PythonReport {
		res := stoppedScript(out.bytes(), cfg, plan, time.Since(t0))
		if res == nil {
			return nil
		}
		return pythonReport(py, res)
	}
}

// report is the versions that have ended so far, nil for none.
func (l *pythonLive) report() *PythonReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.read == nil {
		return nil
	}
	return l.read()
}

// lockedBuffer is a bytes.Buffer a child's output is copied into as it is
// read (a liveOutput: captureOutputs kept it until the child ended) while
// another goroutine reads it (pythonLive).
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) live() {}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// bytes is a copy of what was written so far.
func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// endNote is what a version's end line in the progress says of result r:
// the lanes and steps it ran, its time (and the workload's, scaled up,
// where it ran a sample), its ns per lane-step and the law's z-scores; or
// why it was skipped. The script's end line and a summary after the
// script each said part of it, the time in both.
func endNote(r PythonResult) string {
	if r.Skipped != "" {
		return strings.TrimPrefix(r.skipNote(), r.Method+" ")
	}
	s := "end on " + FormatCount(r.SampleLanes) + " " + nounFor(r.SampleLanes, "lane")
	if r.SampleSteps > 0 && r.SampleSteps < r.Workload.Steps {
		s += fmt.Sprintf(" of %s steps (time budget spent)", FormatCount(uint64(r.SampleSteps)))
	}
	// In the tables' units (fmtSec, fmtG): %.3g wrote 999.7 s as
	// "1e+03 s" in the progress line.
	s += ", " + fmtSec(r.Seconds)
	if r.Scaled {
		s += ", " + fmtSec(r.WorkloadSeconds) + " scaled up to the workload"
	}
	return s + fmt.Sprintf(" (%s ns/lane-step), %v", fmtG(r.NsPerLaneStep), r.Law)
}

// BaselineOutput is what the script prints.
type BaselineOutput struct {
	Python  string            `json:"python"`  // Python's version
	NumPy   string            `json:"numpy"`   // NumPy's version
	Modules map[string]string `json:"modules"` // the tools' versions, by Debian package
	Cores   int               `json:"cores"`   // the CPUs it may run on (os.sched_getaffinity, else os.cpu_count())
	// Setup is each tool's one-off set-up in seconds, by module.
	Setup   map[string]float64 `json:"setup"`
	Results []PythonResult     `json:"results"` // as the versions ended
	// NProc and AddressSpace are the script's soft process limit (ulimit
	// -u; 0 for none, or root's, which it does not bind) and address-space
	// limit in bytes (ulimit -v; 0 for none), which a death names.
	NProc        uint64 `json:"nproc"`
	AddressSpace uint64 `json:"address_space"`
	// Died, when not empty, is why the script ended before its last
	// version, or failed after it (ran past its deadline: a hang at its
	// exit): the results it gave stand, the version it was running is
	// among them with Failed set.
	Died string `json:"-"`
}

// RunBaseline runs the embedded script (read from stdin) with interpreter py
// on workloads ws (the model is cfg's, and so are the caps, and the deadline
// set from its budgets: scriptDeadline), and checks each version's sample
// against the exact law. A result's Workload is one of ws. Stopped (ctx),
// it returns the stop's cause with the header and results of the versions
// that ended before the stop (the one running is cut short, and left
// out), or with nil where none had ended.
func RunBaseline(ctx context.Context, py string, cfg *Config, ws ...Workload) (*BaselineOutput, error) {
	if len(ws) == 0 {
		return nil, errors.New("bench: python baseline: no workloads")
	}
	p := cfg.Params
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	args := []string{"-",
		"--start", f(p.Start), "--anchor", f(p.Anchor), "--persistence", f(p.Persistence),
		"--sigma", f(p.Sigma), "--seed", strconv.FormatUint(p.Seed, 10),
		"--reps", strconv.Itoa(max(cfg.PythonReps, 1)),
	}
	for _, w := range ws {
		args = append(args, "--workload", fmt.Sprintf("%dx%d", w.Lanes, w.Steps))
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
	if cfg.PythonJoblibBudget > 0 {
		args = append(args, "--joblib-budget", strconv.FormatUint(cfg.PythonJoblibBudget, 10))
	}
	if cfg.PythonToolLanes > 0 {
		args = append(args, "--tool-lanes", strconv.FormatUint(cfg.PythonToolLanes, 10))
	}
	if cfg.OpenCLDevice != "" {
		args = append(args, "--cl-device", cfg.OpenCLDevice)
	}
	if cfg.PythonMemory > 0 {
		args = append(args, "--memory-bytes", strconv.FormatUint(cfg.PythonMemory, 10))
	}
	if cfg.PythonOnly != "" {
		args = append(args, "--only", cfg.PythonOnly)
	}
	if cfg.PythonBudget > 0 {
		args = append(args, "--budget", f(cfg.PythonBudget.Seconds()))
	}
	return runScript(ctx, py, cfg, args, scriptPlan{ws: ws, methods: cfg.pythonMethods()})
}

// pythonMethods are the Python versions the baseline runs on each
// workload: --python-only's, else every one (pythonVersions).
func (c *Config) pythonMethods() []string {
	return strings.Split(cmp.Or(c.PythonOnly, pythonVersions), ",")
}

// scriptPlan is what the script is asked for: a result of each of methods
// on each of workloads ws.
type scriptPlan struct {
	ws      []Workload
	methods []string
}

// results is how many results the script gives when it runs to its end.
func (p scriptPlan) results() int { return len(p.ws) * len(p.methods) }

// resultOutput is what the script may print for each result it is asked
// for, on stdout and on stderr each, beyond childOutputCap: a result's
// line is under a kilobyte (374 to 650 bytes measured), its progress
// lines twice that, a version's warnings (Numba's) a few kilobytes more.
// Many workloads (--lanes and --steps lists of tens each) are then no
// flood.
const resultOutput = 64 << 10

// runScript runs the script with args and reads and checks its output: a
// JSON line for its header and one for each version as it ends, so that a
// script that dies (the OOM killer, a signal) loses only the version it was
// running, which its last "start" line on stderr names. Its progress lines
// go to cfg.Progress as "bench: python/VERSION WORKLOAD start|end ...".
// plan is the results the script gives when it runs to its end (a version
// on a workload each), so that a death's note says whether versions after
// the one running did not run, and a result it was not asked for fails
// the baseline (scriptPlan.check). The script has a deadline from its
// budgets on the plan's workloads (scriptDeadline): one that runs past it
// (a hang, as at its exit under a tiny ulimit -v) is killed with its
// process group and fails as a death does, the deadline named, its
// results before it standing. One that prints more than bench reads
// (childOutputCap, and resultOutput for each result) is killed and the
// baseline fails, naming the flood. One a stop (ctx) kills returns the
// stop's cause with the versions that ended before it (stoppedScript), or
// where every version had ended (the stop cut its exit), its results
// alone, as a script that ended.
func runScript(ctx context.Context, py string, cfg *Config, args []string, plan scriptPlan) (*BaselineOutput, error) {
	sctx := ctx
	if d, how, ok := scriptDeadline(cfg, plan.ws); ok {
		var stop func()
		sctx, stop = withDeadline(ctx, d, &scriptDeadlineError{deadline: d, how: how})
		defer stop()
	}
	// In a process group of its own, ended whole: joblib's workers
	// outlived an interrupted bench.
	cmd := command(sctx, py, args...)
	cmd.Stdin = bytes.NewReader(baselineScript)
	stdout := new(lockedBuffer)
	stderr := &scriptStderr{progress: cfg.Progress, cfg: cfg}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	t0 := time.Now()
	if cfg.pythonLive != nil {
		cfg.pythonLive.set(py, stdout, cfg, plan, t0)
	}
	runErr := runChildProcessUpTo(sctx, cmd, childOutputCap+int64(plan.results())*resultOutput)
	ran := time.Since(t0)
	if fe := (*outputFloodError)(nil); errors.As(runErr, &fe) && ctx.Err() == nil {
		// Its last line, cut at the cap, is not said.
		return nil, fmt.Errorf("bench: python baseline: the script %w", fe)
	}
	stderr.flush()
	if runErr != nil && ctx.Err() != nil {
		// The child was killed because the benchmark was stopped: the
		// cause (a signal, a deadline) is the error, not "signal: killed",
		// and the versions that ended before it stand beside it.
		res := stoppedScript(stdout.bytes(), cfg, plan, ran)
		if res != nil && len(res.Results) == plan.results() {
			// Every version had ended: the stop cut its exit alone.
			return res, nil
		}
		return res, context.Cause(ctx)
	}
	de := (*scriptDeadlineError)(nil)
	if runErr != nil && errors.As(context.Cause(sctx), &de) {
		runErr = de
	}
	res, running, err := readScript(stdout.bytes(), stderr.running, cfg, plan, ran)
	if bad := (*badResultError)(nil); errors.As(err, &bad) {
		// A result it cannot have given fails the baseline, whatever
		// else happened to the script.
		return nil, fmt.Errorf("bench: python baseline: reading its output: %w", err)
	}
	switch {
	case runErr == nil && err != nil:
		return nil, fmt.Errorf("bench: python baseline: reading its output: %w", err)
	case runErr == nil:
		return res, nil
	case res == nil || (len(res.Results) == 0 && running == nil):
		return nil, fmt.Errorf("bench: python baseline: %w: %s", runErr, deathCause(stderr.other.String(), res))
	}
	cause := fmt.Sprintf("the script died (%v)", runErr)
	if de != nil {
		cause = de.Error()
	}
	if l := deathCause(stderr.other.String(), res); l != "" {
		cause += ": " + l
	}
	if running != nil {
		res.Results = append(res.Results, PythonResult{Workload: running.Workload, Method: running.Method, Skipped: cause, Failed: true})
	}
	res.Died = cause
	if len(res.Results) < plan.results() {
		// Not where the one it ran was its last: the note said so then
		// too.
		res.Died += "; the versions after the one it ran did not run"
	}
	return res, nil
}

// stoppedScript is what a script a stop killed gave, out its stdout: its
// header and the results of the versions that ended before the stop, the
// one it was running (cut short) not among them; nil where it gave no
// result or output that does not read (the stop's error is then all).
func stoppedScript(out []byte, cfg *Config, plan scriptPlan, ran time.Duration) *BaselineOutput {
	res, _, err := readScript(out, nil, cfg, plan, ran)
	if err != nil || len(res.Results) == 0 {
		return nil
	}
	return res
}

// readScript reads the script's JSON lines: its header and a result for
// each version that ended, each result checked against the plan and the
// time the script ran (scriptPlan.check: a *badResultError) and against
// the exact law at the steps it ran. running is the version the script
// last started (nil when none); it is returned unless a result ended it.
// A torn last line, as a death leaves, ends the reading without an error.
func readScript(out []byte, running *PythonResult, cfg *Config, plan scriptPlan, ran time.Duration) (*BaselineOutput, *PythonResult, error) {
	var res *BaselineOutput
	seen := map[resultKey]bool{}
	lines := bytes.Split(out, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l struct {
			BaselineOutput
			Result *scriptResult `json:"result"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			if i == len(lines)-1 && res != nil {
				break // cut short by a death
			}
			return nil, nil, err
		}
		if l.Result == nil {
			res = &l.BaselineOutput
			continue
		}
		if res == nil {
			return nil, nil, errors.New("a result before the header")
		}
		res.Modules, res.Setup = l.Modules, l.Setup
		pr := l.Result.result(cfg)
		if err := plan.check(pr, seen, ran); err != nil {
			return nil, nil, err
		}
		res.Results = append(res.Results, pr)
		if running != nil && running.Method == pr.Method && running.Workload == pr.Workload {
			running = nil
		}
	}
	if res == nil {
		return nil, nil, errors.New("no header line")
	}
	return res, running, nil
}

// scriptResult is a version's result as the script writes it.
type scriptResult struct {
	PythonResult
	Lanes uint64 `json:"lanes"`
	Steps int    `json:"steps"`
	// LimitValue is the soft value of the limit the version ran into
	// (Limit), as the script read it: 0 for none.
	LimitValue uint64 `json:"limit_value"`
}

// result is r with its workload, checked against the exact law at the
// steps it ran where it ran.
func (r *scriptResult) result(cfg *Config) PythonResult {
	pr := r.PythonResult
	pr.Workload = Workload{r.Lanes, r.Steps}
	if n := limitNote(pr.Limit, r.LimitValue, pr.Workers); n != "" && pr.Skipped != "" {
		pr.Skipped += ": " + n
	}
	if pr.Skipped == "" {
		steps := pr.Workload.Steps
		if pr.SampleSteps > 0 {
			steps = pr.SampleSteps
		}
		pr.Law = CheckLaw(cfg.params(Workload{pr.Workload.Lanes, steps}), pr.SampleLanes, pr.Mean, pr.Std)
	}
	return pr
}

// resultKey is a result's version and workload: one result of each.
type resultKey struct {
	method string
	w      Workload
}

// badResultError is a result the script cannot have given, and why: a
// fake or broken script's results were taken as they came, with exit
// status 0: a time of -1 s read "0 s" with a slowdown of -1890x, one of
// 1e300 s a slowdown of 1.89e+303x, and versions never asked for (a
// workload not given, a method named "<b>weird|x</b>", loop twice on one
// workload) were rows of the report.
type badResultError struct{ why string }

func (e *badResultError) Error() string { return e.why }

// check says why r cannot be one of the plan's results: its version or
// workload was not asked for, or was given before (seen, which check
// fills), or its times or sample are not those of a run (checkRun).
func (p scriptPlan) check(r PythonResult, seen map[resultKey]bool, ran time.Duration) error {
	bad := func(format string, args ...any) error { return &badResultError{fmt.Sprintf(format, args...)} }
	if !slices.Contains(p.methods, r.Method) {
		// Quoted and cut short: the name is the script's, any text.
		return bad("a result of version %.40q, not one asked for (%s)", r.Method, strings.Join(p.methods, ", "))
	}
	if !slices.Contains(p.ws, r.Workload) {
		ws := make([]string, len(p.ws))
		for i, w := range p.ws {
			ws[i] = w.String()
		}
		return bad("a result of %s on %v, a workload not asked for (%s)", r.Method, r.Workload, strings.Join(ws, ", "))
	}
	k := resultKey{r.Method, r.Workload}
	if seen[k] {
		return bad("a second result of %s on %v", r.Method, r.Workload)
	}
	seen[k] = true
	if r.Skipped != "" {
		return nil
	}
	if why := checkRun(r, ran); why != "" {
		return bad("%s on %v: %s", r.Method, r.Workload, why)
	}
	return nil
}

// runSlack is how far past the script's own run a result's time may go:
// the check is against the absurd (1e300 s), not a measurement, and a
// hand-written result (a test's fake script) is not timed.
const runSlack = time.Second

// checkRun says why the times and sample of r, a version that ran, are
// not those of a run of the script that took ran: each time is positive
// and finite, the sample's time is within ran (and runSlack), the sample
// is within the workload, and the ns per lane-step and the workload's
// time are the sample's time over its lane-steps and that scaled up, as
// the script computes them. Its numbers are the result's as JSON writes
// them (jsonnum.Text, 100000000 where %g wrote 1e+08; Python's json
// writes 100000000.0), and what they should be, computed, the same way.
func checkRun(r PythonResult, ran time.Duration) string {
	for _, t := range []struct {
		name string
		v    float64
	}{{"seconds", r.Seconds}, {"ns_per_lane_step", r.NsPerLaneStep}, {"workload_seconds", r.WorkloadSeconds}} {
		if !(t.v > 0) || math.IsInf(t.v, 0) {
			return fmt.Sprintf("%s %s, not a time a run takes", t.name, jsonnum.Text(t.v))
		}
	}
	if limit := (ran + runSlack).Seconds(); r.Seconds > limit {
		return fmt.Sprintf("seconds %s, more than the %s the script ran", jsonnum.Text(r.Seconds), count.Seconds(ran.Seconds()))
	}
	steps := r.SampleSteps
	if steps == 0 {
		steps = r.Workload.Steps // a result from before sample_steps
	}
	if r.SampleLanes < 1 || r.SampleLanes > r.Workload.Lanes || steps < 1 || steps > r.Workload.Steps {
		return fmt.Sprintf("a sample of %d lanes of %d steps, not within the workload", r.SampleLanes, steps)
	}
	sample := float64(r.SampleLanes) * float64(steps)
	if ns := r.Seconds * 1e9 / sample; !agrees(r.NsPerLaneStep, ns) {
		return fmt.Sprintf("ns_per_lane_step %s, not its %s s over its %d x %d lane-steps (%s)", jsonnum.Text(r.NsPerLaneStep), jsonnum.Text(r.Seconds), r.SampleLanes, steps, jsonnum.Text(ns))
	}
	if ws := r.NsPerLaneStep * float64(r.Workload.Lanes) * float64(r.Workload.Steps) / 1e9; !agrees(r.WorkloadSeconds, ws) {
		return fmt.Sprintf("workload_seconds %s, not its ns_per_lane_step times the workload's lane-steps (%s)", jsonnum.Text(r.WorkloadSeconds), jsonnum.Text(ws))
	}
	return ""
}

// agrees says whether a and b agree to a millionth: the script's sums and
// bench's, of the same numbers, differ in rounding alone.
func agrees(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }

// baselinePrefix starts the script's progress lines on stderr.
const baselinePrefix = "gpusim-baseline: "

// scriptStderr is the script's stderr: its progress lines go to progress
// as they come, as "bench: python/VERSION WORKLOAD start ..." and, from the
// result an end line carries, "... end ..." (endNote), and the version the
// last "start" line names is running; every other line (a warning, a
// traceback) is kept in other for the error. cfg is the model the results
// are checked against.
type scriptStderr struct {
	progress io.Writer
	cfg      *Config
	partial  []byte
	other    bytes.Buffer
	running  *PythonResult
}

func (s *scriptStderr) Write(b []byte) (int, error) {
	s.partial = append(s.partial, b...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		s.line(string(s.partial[:i]))
		s.partial = s.partial[i+1:]
	}
	return len(b), nil
}

// live makes runChildProcess hand s the script's stderr as it comes.
func (s *scriptStderr) live() {}

// flush takes a last line without its newline.
func (s *scriptStderr) flush() {
	if len(s.partial) > 0 {
		s.line(string(s.partial))
		s.partial = nil
	}
}

func (s *scriptStderr) line(l string) {
	rest, ok := strings.CutPrefix(l, baselinePrefix)
	if !ok {
		s.other.WriteString(l + "\n")
		return
	}
	// "start VERSION LANESxSTEPS on N lanes" or "end VERSION LANESxSTEPS
	// RESULT", written as the engines' progress lines are: "python/loop
	// 1k x 10  start on 1k lanes".
	f := strings.SplitN(rest, " ", 4)
	var w Workload
	if len(f) < 3 || (f[0] != "start" && f[0] != "end") {
		s.say("python %s", rest)
		return
	}
	if _, err := fmt.Sscanf(f[2], "%dx%d", &w.Lanes, &w.Steps); err != nil {
		s.say("python %s", rest)
		return
	}
	if f[0] == "end" {
		var r scriptResult
		if len(f) < 4 || json.Unmarshal([]byte(f[3]), &r) != nil || s.cfg == nil {
			s.say("python %s", rest)
			return
		}
		s.say("%-19s %-12s %s", "python/"+f[1], w, endNote(r.result(s.cfg)))
		return
	}
	f = strings.Fields(rest)
	if len(f) >= 5 && f[3] == "on" {
		if n, err := strconv.ParseUint(f[4], 10, 64); err == nil {
			f[4] = FormatCount(n)
		}
	}
	s.say("%-19s %-12s %s", "python/"+f[1], w, strings.Join(append(f[:1:1], f[3:]...), " "))
	s.running = &PythonResult{Method: f[1], Workload: w}
}

// say writes a progress line, as the runner's progress does.
func (s *scriptStderr) say(format string, args ...any) {
	if s.progress != nil {
		fmt.Fprintf(s.progress, "bench: "+format+"\n", args...)
	}
}

// limitSigns are what a script's stderr says where a limit killed it, by
// the limit (limitNote's names): libgomp's exit(1) on a thread that did not
// start (Numba's workers), OpenBLAS's and Python's words for one, and the
// allocations refused.
var limitSigns = []struct{ sign, limit string }{
	{"can't start new thread", "threads"},
	{"Thread creation failed", "threads"},
	{"pthread_create failed", "threads"},
	{"Resource temporarily unavailable", "threads"},
	{"MemoryError", "memory"},
	{"Cannot allocate memory", "memory"},
	{"failed to map segment", "memory"},
	{"std::bad_alloc", "memory"},
}

// deathCause is what the script's stderr says of its death: the last line
// that names a limit (limitSigns), with the limit's value and fix
// (limitNote, from the limits and cores in the script's header h, where it
// printed one), else its last line that is not a warning's. The last line
// alone read "warnings.warn(", from loky's note on leaked semaphores at
// the exit, after libgomp's "Thread creation failed".
func deathCause(stderr string, h *BaselineOutput) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range slices.Backward(lines) {
		for _, s := range limitSigns {
			if strings.Contains(l, s.sign) {
				if h == nil {
					return strings.TrimSpace(l)
				}
				value := h.NProc
				if s.limit == "memory" {
					value = h.AddressSpace
				}
				if n := limitNote(s.limit, value, h.Cores); n != "" {
					return strings.TrimSpace(l) + ": " + n
				}
				return strings.TrimSpace(l)
			}
		}
	}
	for _, l := range slices.Backward(lines) {
		t := strings.TrimSpace(l)
		if t != "" && t != "warnings.warn(" && !strings.Contains(t, "Warning: ") {
			return t
		}
	}
	return ""
}

// hasLimitSign says whether stderr has a line that names a limit
// (limitSigns).
func hasLimitSign(stderr string) bool {
	return slices.ContainsFunc(limitSigns, func(s struct{ sign, limit string }) bool { return strings.Contains(stderr, s.sign) })
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
