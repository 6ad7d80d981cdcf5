package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestThreadsLimit: gpusim run as a user other than root
// (testenv.Nobody, a uid of no account; "nobody" below) under a
// process limit (ulimit -u) that leaves Go's start its threads but not a
// run's on GOMAXPROCS=16 runs on the threads that fit, with a note and the
// digest of a run without the limit, every time; under one that leaves not
// even a run on one thread's it is refused with exit 2. It aborted in
// pthread_create ("fakecgo: pthread_create failed: 11", a page of Go's
// trace, exit 2) under both. Root drops to nobody for the child
// (SysProcAttr.Credential), as the limit does not bind root; as another
// user the test skips, as its own threads count against the limit.
func TestThreadsLimit(t *testing.T) {
	// stated is the user's threads and the process's own that gpusim's
	// note or refusal under the limit states.
	stated := regexp.MustCompile(`the user's processes \(uid \d+\) run (\d+) threads?, (\d+) of them this one's`)
	if os.Getuid() != 0 {
		t.Skip("needs root, to run gpusim as nobody: a limit on this user's threads counts the test's own")
	}
	testenv.LockNobody(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := buildGpusim(t)
	// nobody must reach the binary and a cache folder of its own.
	for d := filepath.Dir(bin); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir()
	if err := os.Chown(home, testenv.Nobody, testenv.Nobody); err != nil {
		t.Skip(err)
	}
	for d := filepath.Dir(home); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	procs := "16"
	gpusim := func(limit string, args ...string) (string, int) {
		cmd := exec.Command(bash, append([]string{"-c", `[ -z "$0" ] || ulimit -u "$0" || exit 99; exec "$@"`, limit, bin}, args...)...)
		cmd.Env = []string{"HOME=" + home, "GPUSIM_CACHE_DIR=" + filepath.Join(home, "cache"), "PATH=/usr/bin:/bin", "GOMAXPROCS=" + procs}
		cmd.Dir = home
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testenv.Nobody, Gid: testenv.Nobody}}
		out, _ := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if code == 99 {
			t.Skipf("ulimit -u %s refused here: %s", limit, out)
		}
		return string(out), code
	}
	run := []string{"run", "--engine", "parallel", "--lanes", "1e6", "--steps", "10", "-q"}
	// limited runs gpusim as nobody under a limit of nobody's threads now
	// and extra, and returns the limit, the output and the exit status.
	// The margins below are the threads gpusim's checks count on, so they
	// hold only where nobody's other threads (none of the test's: it holds
	// LockNobody, and every child is waited for) are the same at gpusim's
	// checks as at the count: a nobody process of the machine's own that
	// starts or ends a thread in between is outside the test's control,
	// and flipped which check refused a run. Such a run is run again (up
	// to 5 tries), seen by the count after it and by the count gpusim's
	// note or error states (the user's threads less its own). gpusim reads
	// its own threads again where they changed while it counted the
	// user's (threadsCounted), so a thread it starts during the count no
	// longer looks like one more of nobody's (one retry under load did).
	limited := func(extra int, args ...string) (int, string, int) {
		for try := 1; ; try++ {
			testenv.SettleNobody(t)
			base := testenv.UserThreads(t, testenv.Nobody)
			out, code := gpusim(strconv.Itoa(base+extra), args...)
			after := testenv.UserThreads(t, testenv.Nobody)
			others := base
			if m := stated.FindStringSubmatch(out); m != nil {
				used, _ := strconv.Atoi(m[1])
				self, _ := strconv.Atoi(m[2])
				others = used - self
			}
			if after == base && others == base {
				return base + extra, out, code
			}
			// Which processes of nobody's run now: a failure under load
			// (once in a full run) said only that the counts moved.
			procs := testenv.UserProcesses(testenv.Nobody)
			if try == 5 {
				t.Fatalf("nobody's threads other than gpusim's changed in each of %d tries (last: %d before, %d at gpusim's check, %d after; nobody's processes after: %s): the limits cannot be set", try, base, others, after, procs)
			}
			t.Logf("ulimit -u %d: nobody's other threads were %d before, %d at gpusim's check, %d after (nobody's processes after: %s); again", base+extra, base, others, after, procs)
		}
	}
	ref, code := gpusim("", run...)
	digest := ""
	if i := strings.Index(ref, "digest "); code == 0 && i >= 0 {
		digest = strings.Fields(ref[i:])[1]
	}
	if digest == "" {
		t.Fatalf("without a limit: exit %d\n%s", code, ref)
	}
	for range 4 {
		// Go's start takes up to 7 threads with GOMAXPROCS=16 here; 12
		// leave room for a run on a few, not on 16 (24 threads).
		limit, out, code := limited(12, run...)
		if code != 0 || !strings.Contains(out, "digest    "+digest) || !strings.Contains(out, "gpusim: note: ulimit -u: the process limit (ulimit -u "+strconv.Itoa(limit)+")") || !strings.Contains(out, "(of 16), the threads that fit") {
			t.Fatalf("ulimit -u %d (%d threads of nobody's before): exit %d; want 0, the note and digest %s\n%s", limit, limit-12, code, digest, out)
		}
	}
	for range 4 {
		limit, out, code := limited(7, append(run[:len(run):len(run)], "--workers", "1")...)
		if !strings.Contains(out, "gpusim") && !strings.Contains(out, "main.main") {
			t.Logf("ulimit -u %d: Go's runtime died as it started: %.200s", limit, out)
			continue
		}
		if want := fmt.Sprintf("gpusim: error: ulimit -u: the process limit (ulimit -u %d)", limit); code != exitUsage || !strings.HasPrefix(out, want) || !strings.Contains(out, "gpusim: hint: ulimit -u (RLIMIT_NPROC) counts") {
			t.Fatalf("ulimit -u %d: exit %d; want 2 and %q\n%s", limit, code, want, out)
		}
	}
	// bench's processes engine runs a gpusim child per worker at once,
	// each with Go's threads: under ulimit -u 14 and 18 with 2 children one
	// aborted or was refused mid-benchmark, which went on without the
	// engine (exit 1). It is refused before the benchmark now.
	procs = "2"
	for range 2 {
		limit, out, code := limited(16, "bench", "--engines", "processes", "--lanes", "1e5", "--steps", "10", "--reps", "1", "--warmup", "0", "--no-sweep", "--baseline", "none", "--workers", "1,2", "-q")
		if want := fmt.Sprintf("gpusim: error: ulimit -u: the process limit (ulimit -u %d) leaves ", limit); code != exitUsage || !strings.HasPrefix(out, want) || !strings.Contains(out, "the processes engine's 2 children at once may start") {
			t.Fatalf("bench --engines processes under ulimit -u %d: exit %d; want 2 and %q\n%s", limit, code, want, out)
		}
	}
	// pocl starts a worker per CPU as it loads, and aborted the process
	// where one could not start ("PTHREAD ERROR in
	// pthread_scheduler_init()", exit 134): 4 of 5 runs with GOMAXPROCS=2
	// under ulimit -u 9 on 2 CPUs. OpenCL is not loaded there now.
	if out, code := gpusim("", "run", "--engine", "opencl", "--lanes", "1e4", "--steps", "2", "-q"); code != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("--engine opencl without a limit: exit %d\n%s", code, out)
		}
		t.Skipf("--engine opencl without a limit: exit %d\n%s", code, out)
	}
	for range 3 {
		limit, out, code := limited(11, "run", "--engine", "opencl", "--lanes", "1e6", "--steps", "10", "-q")
		// Exit 2: it could not run, no device failed (it exited 1).
		if code != exitUsage || !strings.Contains(out, "gpusim: error: run: could not run: OpenCL not loaded: the process limit (ulimit -u "+strconv.Itoa(limit)+")") || strings.Contains(out, "PTHREAD") {
			t.Fatalf("--engine opencl under ulimit -u %d: exit %d; want 2 and OpenCL not loaded\n%s", limit, code, out)
		}
	}
}
