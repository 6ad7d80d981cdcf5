package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// RunTogether runs test, a test of this test binary, in n child processes
// at once, with env added to each, and returns what each printed. The
// children wait in Together until all have started, and are then released
// at the same instant: processes sharing one cache folder that start
// together (a Slurm array's tasks on one node). Each child's test must
// pass, within ChildTimeout.
func RunTogether(t *testing.T, test string, n int, env ...string) []string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), ChildTimeout)
	defer cancel()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*strings.Builder, n)
	for i := range cmds {
		c := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+test+"$", "-test.v")
		c.Env = append(os.Environ(), append(env, togetherEnv+"="+dir, fmt.Sprintf("%s=%d", togetherEnv+"_ID", i))...)
		outs[i] = new(strings.Builder)
		c.Stdout, c.Stderr = outs[i], outs[i]
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = c
	}
	for deadline := time.Now().Add(ChildTimeout / 2); ; time.Sleep(5 * time.Millisecond) {
		ready, _ := filepath.Glob(filepath.Join(dir, "ready.*"))
		if len(ready) == n || time.Now().After(deadline) {
			break
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make([]string, n)
	for i, c := range cmds {
		err := c.Wait()
		got[i] = outs[i].String()
		if ctx.Err() != nil {
			t.Errorf("child %d of %s has not returned after %v:\n%s", i, test, ChildTimeout, got[i])
		} else if err != nil || !strings.Contains(got[i], "--- PASS") {
			t.Errorf("child %d of %s: %v\n%s", i, test, err, got[i])
		}
	}
	return got
}

// togetherEnv names the folder where RunTogether's children meet.
const togetherEnv = "GPUSIM_TEST_TOGETHER"

// Together reports whether the process is one of RunTogether's children;
// a child returns once all have started.
func Together(t *testing.T) bool {
	t.Helper()
	dir := os.Getenv(togetherEnv)
	if dir == "" {
		return false
	}
	if err := os.WriteFile(filepath.Join(dir, "ready."+os.Getenv(togetherEnv+"_ID")), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(ChildTimeout / 2); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "go")); err == nil {
			return true
		}
	}
	t.Fatal("not released by RunTogether")
	return true
}
