package bench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The pessimistic costs behind the Python script's deadline
// (scriptDeadline), far over what any machine this runs on takes, so that
// the deadline ends only a script that hangs (one under a tiny ulimit -v
// hung at its exit, and bench waited on it for good); tests shorten them.
var (
	// scriptStart is the interpreter's start, numpy's import and the
	// exit (about a second on the development VM).
	scriptStart = 2 * time.Minute
	// toolSetup is one tool's one-off set-up (joblib's worker start,
	// Numba's compile, the OpenCL builds: 1 to 10 s there).
	toolSetup = 2 * time.Minute
	// versionSlack is each version's cost on each workload beyond its
	// budget: its arrays, a dispatch, its JSON line.
	versionSlack = 30 * time.Second
	// loopStepCost is a lane-step of the pure Python loop (0.46 µs in
	// the course's figures, 23.1 s for 5M x 10).
	loopStepCost = 20 * time.Microsecond
	// joblibTaskCost is a joblib task's cost beyond its lane-steps
	// (joblib-lane runs one a lane: about 20 µs of a worker each in the
	// course's figures).
	joblibTaskCost = time.Millisecond
	// budgetFactor is a bounded version's time over its budget: the
	// budget its timed repetitions share, its untimed pilots (a tenth to
	// a fifth more, baseline.py's plan), and room for a loaded machine.
	budgetFactor = 3.0
)

// scriptDeadline is how long the script may run on workloads ws with
// cfg's budgets before it is taken for hung, killed with its process group
// and reported as failed: scriptStart, toolSetup for each tool among the
// versions, and for each version on each workload versionSlack and its
// budget's worth: the loop's and joblib-lane's lane-steps (PythonLoopBudget,
// PythonJoblibBudget; joblib-lane's tasks too) at the pessimistic costs
// above, budgetFactor times PythonBudget for the versions it bounds. ok is
// false where a version the budget would bound runs with none
// (PythonBudget 0, not a CLI setting): its time is unbounded, and so is
// the script's. how says what it was set from, for the failure's message.
func scriptDeadline(cfg *Config, ws []Workload) (d time.Duration, how string, ok bool) {
	only := cfg.PythonOnly
	if only == "" {
		only = pythonVersions
	}
	loopBudget, joblibBudget := cfg.PythonLoopBudget, cfg.PythonJoblibBudget
	if loopBudget == 0 {
		loopBudget = 1_000_000 // the script's defaults
	}
	if joblibBudget == 0 {
		joblibBudget = 200_000
	}
	reps := time.Duration(max(cfg.PythonReps, 1))
	budget := time.Duration(budgetFactor * float64(cfg.PythonBudget))
	versions := strings.Split(only, ",")
	d = scriptStart
	tools := map[string]bool{}
	for _, v := range versions {
		if pkg := methodPackage(v); pkg != "" && !tools[pkg] {
			tools[pkg] = true
			d += toolSetup
		}
	}
	for _, w := range ws {
		steps := max(uint64(w.Steps), 1)
		for _, v := range versions {
			d += versionSlack
			switch v {
			case "loop":
				d += reps * time.Duration(loopBudget) * loopStepCost
			case "joblib-lane":
				lanes := max(1, joblibBudget/steps)
				d += reps * (time.Duration(joblibBudget)*loopStepCost + time.Duration(lanes)*joblibTaskCost)
			default:
				if cfg.PythonBudget <= 0 {
					return 0, "", false
				}
				d += budget
			}
		}
	}
	how = fmt.Sprintf("%v to start, %v a tool's set-up, %v a version on each of %d %s, %g times its %v budget for a bounded one, %v a lane-step of the loop's %s and joblib's %s, %v a joblib task",
		scriptStart, toolSetup, versionSlack, len(ws), nounFor(uint64(len(ws)), "workload"), budgetFactor, cfg.PythonBudget, loopStepCost, FormatCount(loopBudget), FormatCount(joblibBudget), joblibTaskCost)
	return d, how, true
}

// scriptDeadlineError is the failure of a script that ran past its
// deadline (scriptDeadline).
type scriptDeadlineError struct {
	deadline time.Duration
	how      string
}

func (e *scriptDeadlineError) Error() string {
	d := e.deadline.Round(100 * time.Millisecond)
	if d >= time.Minute {
		d = d.Round(time.Second)
	}
	return fmt.Sprintf("the script ran past its deadline of %v and was killed with its process group (a hang: the deadline is set from its budgets, %s)", d, e.how)
}

// withDeadline is ctx cancelled with cause once d of wall time has passed
// with the process running: the time it spent suspended (Ctrl-Z, SIGSTOP,
// which bench forwards to the script's group; suspended) is not counted,
// so that a bench stopped for an hour does not find its script past its
// deadline as it continues. stop releases it.
func withDeadline(ctx context.Context, d time.Duration, cause error) (context.Context, func()) {
	cctx, cancel := context.WithCancelCause(ctx)
	start, was := time.Now(), suspended()
	done := make(chan struct{})
	go func() {
		for {
			left := d - (time.Since(start) - (suspended() - was))
			if left <= 0 {
				cancel(cause)
				return
			}
			select {
			case <-time.After(left):
			case <-done:
				return
			case <-cctx.Done():
				return
			}
		}
	}()
	return cctx, func() {
		close(done)
		cancel(nil)
	}
}
