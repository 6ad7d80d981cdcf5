package testenv

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ChildTimeout is how long RunTest waits for its child.
const ChildTimeout = time.Minute

// RunTest runs test, a test of this test binary, in a child process with
// env (KEY=value) added to this process's environment, and returns its
// output. The test fails unless the child's test passes; a child that has
// not returned after ChildTimeout is killed and fails it too (an OpenCL
// loader held in open(2) for ever). The child tells itself from the parent
// by a variable of env. For what must run in a process of its own: a library
// loaded once per process, a driver that aborts its process, a check that
// nothing loaded OpenCL.
func RunTest(t *testing.T, test string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ChildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("child %s %v has not returned after %v:\n%s", test, env, ChildTimeout, out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("child %s %v: %v\n%s", test, env, err, out)
	}
	return string(out)
}
