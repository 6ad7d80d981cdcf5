package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/interrupt"
	"github.com/gpusim/gpusim/sim"
)

// ProcessesEngine is the name of the multi-processing engine in reports.
const ProcessesEngine = "processes"

// ChildEngine is the engine each child process of Processes runs: one
// goroutine per process, so the processes are the only parallelism.
const ChildEngine = "serial"

// ChildArgs are the arguments of child i of n running job p's shard i/n
// with engine and saving it as part: the one place the processes engine
// spells gpusim's run flags.
func ChildArgs(p sim.Params, engine string, i, n int, part string) []string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return []string{"run",
		"--lanes", strconv.FormatUint(p.Lanes, 10), "--steps", strconv.Itoa(p.Steps),
		"--start", f(p.Start), "--anchor", f(p.Anchor), "--persistence", f(p.Persistence),
		"--sigma", f(p.Sigma), "--seed", strconv.FormatUint(p.Seed, 10),
		"--engine", engine, "--shard", fmt.Sprintf("%d/%d", i, n), "--save", part,
		"--format", "json", "--quiet"}
}

// MergeArgs are the arguments of the process that merges the parts. A
// part whose path starts with "-" (under TMPDIR=-x) is written as ./-x/...,
// which merge reads as a file, not a flag.
func MergeArgs(parts []string) []string {
	args := []string{"merge", "--format", "json"}
	for _, p := range parts {
		if strings.HasPrefix(p, "-") {
			p = "./" + p
		}
		args = append(args, p)
	}
	return args
}

// Overhead is where a run's time went outside the parallel work, for the
// engines that know: the processes engine's start-up and merge.
type Overhead struct {
	// Startup is the longest child's wall time, as the parent saw it, less
	// the compute time the child reported: exec, runtime start, argument
	// parsing, writing its part, exit.
	Startup time.Duration
	// Merge is the wall time of the merge process.
	Merge time.Duration
}

// overheadReporter is an engine that reports its last run's Overhead.
type overheadReporter interface {
	LastOverhead() Overhead
}

// Processes runs a job as Workers gpusim child processes (Binary), at
// most one a lane (fewer lanes start fewer, and its device says how many
// ran), shard i/n each on ChildEngine, saving a part file, then merges the parts
// with a gpusim merge process: multi-processing, as joblib or a cluster
// does it, beside the parallel engine's goroutines in one process. Its
// Result has the merged count, moments, extremes and digest, not the
// histogram, and it runs whole jobs only, without finals or daily
// statistics.
type Processes struct {
	Binary  string // the path of the gpusim binary the children run
	Workers int    // 0: runtime.GOMAXPROCS(0), the cores the parallel engine uses

	mu   sync.Mutex
	last Overhead
}

// ProcessesSpec is the processes engine for bench, running binary.
func ProcessesSpec(binary string) EngineSpec {
	return EngineSpec{Name: ProcessesEngine, Entry: ProcessesEngine, Scales: true, New: func(n int, _ func(string)) sim.Engine { return &Processes{Binary: binary, Workers: n} },
		MaxWorkers: processesFor}
}

// Name is ProcessesEngine.
func (e *Processes) Name() string { return ProcessesEngine }

// LastOverhead is the start-up and merge time of the last run.
func (e *Processes) LastOverhead() Overhead {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// childReport is what gpusim run and merge print with --format json that
// the processes engine reads.
type childReport struct {
	Device  string `json:"device"`
	Summary struct {
		Count uint64   `json:"count"`
		Mean  *float64 `json:"mean"`
		Std   *float64 `json:"std"`
		Min   *float64 `json:"min"`
		Max   *float64 `json:"max"`
		// FloatDepth is the merge's float32 summation depth, absent
		// for float64's sums (sim.Summary.FloatDepth).
		FloatDepth uint64 `json:"float_depth"`
	} `json:"summary"`
	Digest string `json:"digest"`
	Timing struct {
		Wall float64 `json:"wall_s"`
	} `json:"timing"`
}

// processesFor is the most children the processes engine starts for a
// job of lanes lanes: one a lane (EngineSpec.MaxWorkers).
func processesFor(lanes uint64, _ int) int { return int(min(lanes, math.MaxInt)) }

// processesDevice is the processes engine's device label for n children.
func processesDevice(n int) string {
	if n == 1 {
		return "1 process x " + ChildEngine
	}
	return fmt.Sprintf("%d processes x %s", n, ChildEngine)
}

// Run runs job's lanes in Workers child processes and merges their parts.
func (e *Processes) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	if job.First != 0 || (job.Count != 0 && job.Count != job.Params.Lanes) || job.KeepFinals || job.Daily {
		return nil, errors.New("processes: runs whole jobs only, without finals or daily statistics")
	}
	n := e.Workers
	if n <= 0 {
		// At most the most --workers takes, as the CPU engines'
		// goroutines: GOMAXPROCS=2000 started up to 2000 children.
		n = min(runtime.GOMAXPROCS(0), engines.MaxWorkers)
	}
	// A child a lane at most, as the CPU engines start a goroutine a
	// block of lanes at most: --workers 4 on 2 lanes started 4 children,
	// 2 of them on shards without lanes.
	n = min(n, processesFor(job.Params.Lanes, job.Params.Steps))
	dir, remove, err := partsDir()
	if err != nil {
		return nil, fmt.Errorf("processes: %w", err)
	}
	defer remove()
	t0 := time.Now()
	parts, startup, err := e.children(ctx, job.Params, n, dir)
	if err != nil {
		return nil, err
	}
	tm := time.Now()
	var merged childReport
	if _, err := runChild(ctx, e.Binary, MergeArgs(parts), &merged); err != nil {
		return nil, fmt.Errorf("processes: merge: %w", err)
	}
	mergeTime := time.Since(tm)
	res := sim.NewResult(ProcessesEngine, processesDevice(n), job, 0, job.Params.Lanes)
	if err := fillSummary(res.Summary, &merged); err != nil {
		return nil, fmt.Errorf("processes: merge: %w", err)
	}
	res.Timing.Wall = time.Since(t0)
	e.mu.Lock()
	e.last = Overhead{Startup: startup, Merge: mergeTime}
	e.mu.Unlock()
	return res, nil
}

// TempDirVar is the environment variable that names the temporary folder
// (os.TempDir) where the processes engine keeps its part files.
func TempDirVar() string {
	if runtime.GOOS == "windows" {
		return "TMP"
	}
	return "TMPDIR"
}

// TempDirError is a temporary folder (os.TempDir) the processes engine
// cannot keep its part files in; Var names the variable that moves it
// (TempDirVar), so that the CLI can name it as it names a flag.
type TempDirError struct {
	Var  string // TMPDIR, or TMP on Windows
	Dir  string // the folder, os.TempDir
	What string // what could not be done, up to the folder: "make a folder for its part files in"
	Err  error  // the reason, without the path
}

func (e *TempDirError) Error() string {
	return fmt.Sprintf("cannot %s the temporary folder %q (%s): %v", e.What, e.Dir, e.Var, e.Err)
}

func (e *TempDirError) Unwrap() error { return e.Err }

// tempDirError is a *TempDirError for what, with err's reason without its
// path.
func tempDirError(what string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &TempDirError{Var: TempDirVar(), Dir: os.TempDir(), What: what, Err: err}
}

// processesDirPrefix starts the name of a processes engine's folder.
const processesDirPrefix = "gpusim-processes-"

// partsDir makes a folder for a run's part files in the temporary folder,
// locked while the run lasts (lockDir), and returns the func that removes
// it. A forced exit (interrupt.Exit, a second stop) removes it too, after
// it has killed the children (their BeforeExit funcs, registered later,
// run first): it left the folder, with the children's part files, to the
// next bench's removeStale, and for good in a temporary folder that takes
// no lock.
func partsDir() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", processesDirPrefix)
	if err != nil {
		return "", nil, tempDirError("make a folder for its part files in", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, tempDirError("write its part files into", err)
	}
	unhook := interrupt.BeforeExit(func() { os.RemoveAll(dir) })
	return dir, func() { unhook(); os.RemoveAll(dir); unlock() }, nil
}

// CheckTempDir says why the processes engine cannot keep its part files in
// the temporary folder (os.TempDir: $TMPDIR, else /tmp), or returns nil:
// it makes a folder there and writes a file into it, as each run does, so
// that a missing, read-only or full temporary folder is found before the
// benchmark rather than in the middle of it. Its errors are
// *TempDirError. First it removes the folders there that a bench killed
// where no handler ran left (removeStale: SIGKILL, the OOM killer).
func CheckTempDir() error {
	removeStale()
	dir, remove, err := partsDir()
	if err != nil {
		return err
	}
	defer remove()
	if err := os.WriteFile(filepath.Join(dir, "part-0.json"), []byte("{}\n"), 0o666); err != nil {
		return tempDirError("write its part files into", err)
	}
	return nil
}

// children runs the n shards at once and returns their part files and the
// longest child's wall time outside its own compute time. The first child
// to fail stops the others, and its error is the run's: the others' are
// that stop's ("signal: terminated"), not causes.
func (e *Processes) children(ctx context.Context, p sim.Params, n int, dir string) ([]string, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([]string, n)
	startup := make([]time.Duration, n)
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for i := range n {
		parts[i] = filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		wg.Go(func() {
			var rep childReport
			wall, err := runChild(ctx, e.Binary, ChildArgs(p, ChildEngine, i, n, parts[i]), &rep)
			if err != nil {
				once.Do(func() {
					first = fmt.Errorf("processes: shard %d/%d: %w", i, n, err)
					cancel()
				})
				return
			}
			startup[i] = max(wall-time.Duration(rep.Timing.Wall*float64(time.Second)), 0)
		})
	}
	wg.Wait()
	if err := first; err != nil {
		if ctx.Err() != nil && context.Cause(ctx) != context.Canceled {
			return nil, 0, context.Cause(ctx)
		}
		return nil, 0, err
	}
	return parts, maxDuration(startup), nil
}

// ChildError is a gpusim child process that failed (a shard's run, the
// merge): how it ended, what its stderr said of it, and its hint, which
// the report gives as a run's own error's (Hint; EngineFailure.Hint).
type ChildError struct {
	Command string // the binary and its command: "/usr/bin/gpusim run"
	Err     error  // how it ended: an *exec.ExitError ("exit status 2"), a signal, a start that failed
	// Message is what its stderr said of its failure (childFailure), ""
	// where it said nothing.
	Message string
	hint    string
}

func (e *ChildError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", e.Command, e.Err, e.Message)
}

func (e *ChildError) Unwrap() error { return e.Err }

// Hint is the child's "gpusim: hint:" lines after its error, without the
// prefix (several joined by "; "), or "".
func (e *ChildError) Hint() string { return e.hint }

const (
	childErrorPrefix = "gpusim: error: "
	childHintPrefix  = "gpusim: hint: "
)

// childFailure is what a failed child's stderr says of its failure, and
// its hint. The failure is its last error, every line of it: the last
// "gpusim: error:" line, those before it and the indented ones after it
// (a build log, a list of devices), the first with its prefix and the
// others without; else a Go panic's or fatal error's line; else its last
// line. A child refused under ulimit -v wrote its error, naming the limit
// to set, and a hint after it, and the hint alone was shown ("Go's runtime
// reserves about 1.2 GB ...", not what was wrong); then the error's last
// line alone (a build log's last line, not the status), and never the
// hint.
func childFailure(stderr string) (msg, hint string) {
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, childErrorPrefix) {
			last = i
		}
	}
	if last < 0 {
		for _, l := range lines {
			if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
				return l, childHint(lines)
			}
		}
		return lastLine(stderr), childHint(lines)
	}
	indented := func(l string) bool { return strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") }
	first, end := last, last+1
	for first > 0 && (strings.HasPrefix(lines[first-1], childErrorPrefix) || indented(lines[first-1])) {
		first--
	}
	for end < len(lines) && indented(lines[end]) {
		end++
	}
	out := []string{strings.TrimSpace(lines[first])}
	for _, l := range lines[first+1 : end] {
		out = append(out, strings.TrimPrefix(l, childErrorPrefix))
	}
	return strings.Join(out, "\n"), childHint(lines[end:])
}

// childHint is the "gpusim: hint:" lines among lines, without the prefix,
// joined by "; ".
func childHint(lines []string) string {
	var hints []string
	for _, l := range lines {
		if h, ok := strings.CutPrefix(l, childHintPrefix); ok {
			hints = append(hints, strings.TrimSpace(h))
		}
	}
	return strings.Join(hints, "; ")
}

func maxDuration(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// runChild runs binary with args, decodes its JSON report into rep and
// returns its wall time.
func runChild(ctx context.Context, binary string, args []string, rep *childReport) (time.Duration, error) {
	cmd := command(ctx, binary, args...)
	var stdout bytes.Buffer
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// merge's report lists its part files: up to 6 bytes of JSON
	// (\ufffd) for each byte of their paths, which a long TMPDIR at
	// 1024 workers makes megabytes.
	limit := int64(childOutputCap)
	for _, a := range args {
		limit += 6 * int64(len(a))
	}
	t0 := time.Now()
	err := runChildProcessUpTo(ctx, cmd, limit)
	wall := time.Since(t0)
	out := stdout.Bytes()
	if err != nil {
		msg, hint := childFailure(stderr.String())
		return wall, &ChildError{Command: binary + " " + args[0], Err: err, Message: msg, hint: hint}
	}
	if err := json.Unmarshal(out, rep); err != nil {
		return wall, fmt.Errorf("%s %s: reading its report: %w", binary, args[0], err)
	}
	return wall, nil
}

// fillSummary copies a merged report into s.
func fillSummary(s *sim.Summary, r *childReport) error {
	d, err := strconv.ParseUint(r.Digest, 16, 64)
	if err != nil {
		return fmt.Errorf("digest %q: %w", r.Digest, err)
	}
	s.Count, s.Digest, s.FloatDepth = r.Summary.Count, d, r.Summary.FloatDepth
	if r.Summary.Count == 0 {
		return nil
	}
	if r.Summary.Mean == nil || r.Summary.Std == nil || r.Summary.Min == nil || r.Summary.Max == nil {
		return errors.New("the report has no mean, std, min or max")
	}
	s.Mean = *r.Summary.Mean
	s.M2 = *r.Summary.Std * *r.Summary.Std * float64(r.Summary.Count)
	s.Min, s.Max = float32(*r.Summary.Min), float32(*r.Summary.Max)
	if math.IsNaN(s.Mean) {
		return errors.New("the report's mean is not a number")
	}
	return nil
}

// WithProcesses adds bench's processes engine, running this gpusim as its
// child processes, to the engines b lists. A Go test binary (name.test) is
// not gpusim: there it is left out with the reason, and the tests that need
// it build gpusim or run it from a script, where the test binary runs as
// gpusim under that name.
func WithProcesses(b engines.Benchable) engines.Benchable {
	b.Entries = append(b.Entries, ProcessesEngine)
	bin, err := selfBinary()
	if err != nil {
		b.Missing[ProcessesEngine] = err
		return b
	}
	b.Specs = append(b.Specs, ProcessesSpec(bin))
	return b
}

// selfBinary is the path this gpusim was started as: argv[0] looked up on
// PATH or made absolute, so a gpusim reached through a link runs as itself
// (os.Executable resolves links), else os.Executable.
func selfBinary() (string, error) {
	bin, err := exec.LookPath(os.Args[0])
	if err == nil {
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		if bin, err = os.Executable(); err != nil {
			return "", fmt.Errorf("cannot find the gpusim binary to run as child processes: %w", err)
		}
	}
	if strings.HasSuffix(strings.TrimSuffix(filepath.Base(bin), ".exe"), ".test") {
		return "", errors.New("the running program is a Go test binary, not gpusim")
	}
	return bin, nil
}
