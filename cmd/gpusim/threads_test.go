package main

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestThreadsShort: under a process limit (ulimit -u) that leaves fewer
// threads than a run on GOMAXPROCS starts, a command runs on the
// GOMAXPROCS that fit, with a note naming the limit and the one to set,
// and where not even GOMAXPROCS=1's fit it is refused with exit 2 before
// any work: a non-root user's gpusim aborted in pthread_create ("fakecgo:
// pthread_create failed: 11", a page of Go's trace). Version still
// answers.
func TestThreadsShort(t *testing.T) {
	keepExits(t)
	oldFree, oldSelf := threadsFree, threadsSelf
	defer func() { threadsFree, threadsSelf = oldFree, oldSelf }()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	threadsSelf = func() uint64 { return 5 }
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 20, 12, true }
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--lanes", "1e3", "--steps", "10", "--engine", "parallel"}, strings.NewReader(""), &stdout, &stderr)
	want := "gpusim: note: ulimit -u: the process limit (ulimit -u 20) leaves 8 threads free (the user's processes (uid " +
		strconv.Itoa(os.Getuid()) + ") run 12 threads, 5 of them this one's), under the 19 more a run with GOMAXPROCS=16 may start (Go's runtime runs up to 24 threads there): raise it to ulimit -u 31 or more; this run goes on with GOMAXPROCS=3 (of 16), the threads that fit\n"
	if code != 0 || !strings.Contains(stdout.String(), "digest ") || stderr.String() != want {
		t.Errorf("run: exit %d, stdout %q, stderr %q; want 0, the report and %q", code, stdout.String(), stderr.String(), want)
	}
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS %d, want the 3 that fit with threads.GoMargin spare (13 threads less GoSpare's 8 and 2)", n)
	}
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 20, 17, true }
	stdout.Reset()
	stderr.Reset()
	code = Run([]string{"run", "--lanes", "1e3", "--steps", "10"}, strings.NewReader(""), &stdout, &stderr)
	want = "gpusim: error: ulimit -u: the process limit (ulimit -u 20) leaves 3 threads free (the user's processes (uid " +
		strconv.Itoa(os.Getuid()) + ") run 17 threads, 5 of them this one's), under the 4 more even a run with GOMAXPROCS=1 may start (Go's runtime runs up to 9 threads there): raise it to ulimit -u 21 or more\n" +
		"gpusim: hint: " + threadsHint + "\n"
	if code != exitUsage || stdout.Len() != 0 || stderr.String() != want {
		t.Errorf("run with no room: exit %d, stdout %q, stderr %q; want 2, nothing and %q", code, stdout.String(), stderr.String(), want)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Run([]string{"version"}, strings.NewReader(""), &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("version: exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
	// A thread of the process's own started while the user's were
	// counted (Go's runtime starts them as it needs): counted among the
	// user's and read after the process's own, it was stated as another
	// process's ("12 threads, 5 of them this one's" where 6 were). The
	// counts are read again until the process's own stayed the same
	// across the user's (threadsCounted).
	selfReads := []uint64{5, 6, 6, 6}
	threadsSelf = func() uint64 {
		n := selfReads[0]
		if len(selfReads) > 1 {
			selfReads = selfReads[1:]
		}
		return n
	}
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 20, 12, true }
	runtime.GOMAXPROCS(16)
	stdout.Reset()
	stderr.Reset()
	code = Run([]string{"run", "--lanes", "1e3", "--steps", "10", "--engine", "parallel", "-q"}, strings.NewReader(""), &stdout, &stderr)
	if want := "run 12 threads, 6 of them this one's)"; code != 0 || !strings.Contains(stderr.String(), want) {
		t.Errorf("a thread started during the count: exit %d, stderr %q; want 0 and %q", code, stderr.String(), want)
	}
	// No limit (root, unlimited): nothing said, GOMAXPROCS kept, and the
	// process's own threads not read (a /proc read at every start).
	threadsFree = func(need uint64) (limit, used uint64, limited bool) { return 0, 0, false }
	threadsSelf = func() uint64 { t.Error("the process's threads read with no limit"); return 5 }
	runtime.GOMAXPROCS(16)
	stderr.Reset()
	if code := Run([]string{"run", "--lanes", "1e3", "--steps", "10", "-q"}, strings.NewReader(""), &stdout, &stderr); code != 0 || stderr.Len() != 0 || runtime.GOMAXPROCS(0) != 16 {
		t.Errorf("no limit: exit %d, stderr %q, GOMAXPROCS %d; want 0, nothing and 16", code, stderr.String(), runtime.GOMAXPROCS(0))
	}
}
