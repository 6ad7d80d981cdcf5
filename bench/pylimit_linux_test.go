package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// limitedPython is an interpreter that runs py as testenv.Nobody (a uid
// of no account; "nobody" below) under a process limit (ulimit -u) of
// nobody's threads now and more: with 2, the
// interpreter's own and one more, NumPy imports (with none, it did not),
// OpenBLAS's threads and joblib's workers do not start, and Numba's
// libgomp ends the script. settled reports whether nobody's threads are
// still those counted for the limit once the script's own processes have
// ended (a child of a baseline under the limit outlives it for seconds):
// the test holds LockNobody, so where they are not, a nobody process of the
// machine's own (outside the test's control) started or ended threads,
// and the limit left the script more or less room than the test meant.
func limitedPython(t *testing.T, py string, more int) (wrapper string, settled func() bool) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root, to run the baseline as nobody: a limit on this user's threads counts the test's own")
	}
	for _, tool := range []string{"setpriv", "prlimit"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(err)
		}
	}
	testenv.LockNobody(t)
	testenv.SettleNobody(t)
	base := testenv.UserThreads(t, testenv.Nobody)
	wrapper = filepath.Join(t.TempDir(), "python3")
	script := fmt.Sprintf("#!/bin/sh\nexec setpriv --reuid=%d --regid=%d --clear-groups prlimit --nproc=%d -- %q \"$@\"\n", testenv.Nobody, testenv.Nobody, base+more, py)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return wrapper, func() bool {
		testenv.SettleNobody(t) // the script's own children outlive it
		now := testenv.UserThreads(t, testenv.Nobody)
		if now != base {
			t.Logf("nobody's threads were %d when the limit was set, %d after the try", base, now)
		}
		return now == base
	}
}

// tryLimited runs try on an interpreter limited to nobody's threads and
// more (limitedPython) until nobody's threads settled through it, 3 tries
// at most, and reports the problems try returns of that try (or the last):
// a try through which a process outside the test's control changed them
// did not test the limit meant, and its problems are logged only.
func tryLimited(t *testing.T, more int, try func(py string) (problems []string)) {
	t.Helper()
	for n := 1; ; n++ {
		py, settled := limitedPython(t, findPython(t), more)
		problems := try(py)
		if settled() || n == 3 {
			for _, p := range problems {
				t.Error(p)
			}
			return
		}
		t.Logf("try %d not settled, run again; its problems: %q", n, problems)
	}
}

// TestBaselineThreadLimit: a baseline whose threads and processes cannot
// start under the process limit (ulimit -u) fails, naming the limit and
// the ulimit -u to set, never a package to install, and each failed
// version is a failure of the benchmark (Report.Failures, exit status 1):
// joblib's workers did not start (BlockingIOError, "can't start new
// thread") and both its versions read "skipped ...; the Debian package
// python3-joblib provides it", and Numba's libgomp ended the script with
// exit 1, its cause read from the last line of stderr, "warnings.warn(",
// while bench exited 0.
func TestBaselineThreadLimit(t *testing.T) {
	tryLimited(t, 2, func(py string) (problems []string) {
		bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
		c := tinyConfig()
		c.Python, c.PythonPath, c.PythonReps = true, py, 1
		c.Workloads = []Workload{{1000, 10}}
		c.PythonOnly = "joblib-lane,joblib-chunk,vector,numba"
		pr, err := RunPython(context.Background(), &c, nil)
		if err != nil {
			bad("the baseline: %v", err)
			return problems
		}
		rep := &Report{Python: pr}
		pythonFailures(rep, c.Workloads)
		failed := map[string]string{}
		for _, f := range rep.Failures {
			failed[f.Engine] = f.Error
		}
		for _, r := range pr.Results {
			t.Logf("%s: failed %v, %s", r.Method, r.Failed, r.Skipped)
			switch {
			case r.Package != "" && strings.Contains(r.Skipped, "Resource temporarily unavailable"):
				bad("%s names the package %s to install: %s", r.Method, r.Package, r.Skipped)
			case r.Package != "":
				// Not installed here (pyopencl, on a machine without
				// it): a skip, truly named.
			case r.Method == "vector" || (r.Method == "numba" && r.Skipped == ""):
				// vector starts no thread; Numba ran where its one more
				// thread started, as the joblib's workers left.
				if r.Skipped != "" {
					bad("vector, which starts no thread, did not run: %s", r.Skipped)
				}
			case !r.Failed || !strings.Contains(r.Skipped, "the process limit (ulimit -u ") || !strings.Contains(r.Skipped, "raise it to ulimit -u "):
				bad("%s: failed %v, %q; want a failure naming the process limit and the ulimit -u to set", r.Method, r.Failed, r.Skipped)
			case failed["python/"+r.Method] != r.Skipped:
				bad("%s is not among the benchmark's failures %v", r.Method, rep.Failures)
			}
		}
		if pr.Failed != "" && !strings.Contains(pr.Failed, "ulimit -u ") {
			bad("the script's death: %q; want it to name the process limit", pr.Failed)
		}
		if len(rep.Failures) == 0 {
			bad("no failure of the benchmark: bench would exit 0")
		}
		return problems
	})
}

// TestNumPyThreadLimit: an interpreter whose import of numpy a limit stops
// (OpenBLAS's threads under ulimit -u with no thread to spare) is named for
// the limit by --python's check and by the search for an interpreter:
// CheckPython gave the last line of the traceback ("Original error was:
// PyCapsule_Import could not import module "datetime""), and FindPython
// "no python3 with numpy found", a NumPy to install. The baseline run with
// it (no --python) is a failure of the benchmark (exit status 1), not a
// skip: bench said "skipped" and exited 0.
func TestNumPyThreadLimit(t *testing.T) {
	tryLimited(t, 1, func(py string) (problems []string) {
		err := CheckPython(context.Background(), py)
		if err == nil || !strings.Contains(err.Error(), "pthread_create failed") {
			problems = append(problems, fmt.Sprintf("CheckPython: %v; want the line naming the threads that did not start", err))
		}
		was := PythonCandidates
		PythonCandidates = []string{py}
		defer func() { PythonCandidates = was }()
		_, err = FindPython(context.Background())
		if !errors.Is(err, ErrNoNumPy) || !strings.Contains(err.Error(), "cannot import numpy: OpenBLAS blas_thread_init: pthread_create failed") {
			problems = append(problems, fmt.Sprintf("FindPython: %v; want the limit that stopped numpy's import named", err))
		}
		if le := (*NumPyLimitError)(nil); !errors.As(err, &le) || le.Path != py {
			problems = append(problems, fmt.Sprintf("FindPython: %#v; want a *NumPyLimitError naming %s", err, py))
		}
		c := tinyConfig()
		c.Python, c.PythonPath, c.PythonReps = true, "", 1
		c.Workloads = []Workload{{1000, 10}}
		pr, err := RunPython(context.Background(), &c, nil)
		if err != nil {
			return append(problems, fmt.Sprintf("RunPython: %v", err))
		}
		rep := &Report{Python: pr}
		pythonFailures(rep, c.Workloads)
		if pr.Skipped != "" || !strings.Contains(pr.Failed, "pthread_create failed") || len(rep.Failures) != 1 || rep.Failures[0].Engine != "python" {
			problems = append(problems, fmt.Sprintf("RunPython: skipped %q, failed %q, failures %v; want the baseline failed of the limit, a failure of the benchmark", pr.Skipped, pr.Failed, rep.Failures))
		}
		return problems
	})
}

// TestDeathCause: a dead script's cause is the line of its stderr that
// names a limit, with the limit's value and fix from its header, not the
// last line (loky's warnings at the exit); else the last line that is not a
// warning's.
func TestDeathCause(t *testing.T) {
	stderr := "libgomp: Thread creation failed: Resource temporarily unavailable\n" +
		"/usr/lib/python3/dist-packages/joblib/externals/loky/backend/resource_tracker.py:310: UserWarning: resource_tracker: There appear to be 7 leaked semlock objects to clean up at shutdown\n" +
		"  warnings.warn(\n"
	got := deathCause(stderr, &BaselineOutput{Cores: 2, NProc: 17})
	if !strings.HasPrefix(got, "libgomp: Thread creation failed") || !strings.Contains(got, "the process limit (ulimit -u 17)") || !strings.Contains(got, "raise it to ulimit -u 33 or more") {
		t.Errorf("deathCause: %q", got)
	}
	got = deathCause("Traceback (most recent call last):\nValueError: bad\n/x.py:1: UserWarning: w\n  warnings.warn(\n", nil)
	if got != "ValueError: bad" {
		t.Errorf("deathCause of a traceback: %q, want its error line", got)
	}
	if n := limitNote("memory", 600000<<10, 2); !strings.Contains(n, "ulimit -v 600000") {
		t.Errorf("limitNote(memory): %q", n)
	}
}
