package sysmem

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestRestartForLimit: under an address-space limit the program runs
// again, its arguments as they are, with MALLOC_ARENA_MAX=1 unless the
// environment already sets glibc's arena count, and under an RLIMIT_STACK
// of restartStack where the caller's gives threads more, given back if the
// exec fails; with neither to change, or without a limit, it goes on. A
// caller's MALLOC_ARENA_MAX=1 under ulimit -s 8192 went on with 8 MiB
// stacks, and a run on 64 threads aborted in pthread_create where 2 MiB
// stacks fit.
func TestRestartForLimit(t *testing.T) {
	oldExec, oldLimit, oldGet, oldSet := exec, rlimitAS, getStack, setStack
	t.Cleanup(func() { exec, rlimitAS, getStack, setStack = oldExec, oldLimit, oldGet, oldSet })
	var got []string  // the environment exec was given, nil when not called
	var atExec uint64 // the stack limit when exec was called
	stack := syscall.Rlimit{Max: ^uint64(0)}
	getStack = func(rl *syscall.Rlimit) error { *rl = stack; return nil }
	setStack = func(rl *syscall.Rlimit) error { stack = *rl; return nil }
	exec = func(path string, args, env []string) error {
		if path != "/proc/self/exe" || !slices.Equal(args, os.Args) {
			t.Errorf("exec(%q, %q): want /proc/self/exe and the process's arguments", path, args)
		}
		got, atExec = env, stack.Cur
		return syscall.ENOENT
	}
	for _, k := range []string{"MALLOC_ARENA_MAX", "GLIBC_TUNABLES"} {
		t.Setenv(k, "") // restored after the test
	}
	for _, c := range []struct {
		name    string
		limited bool
		env     map[string]string
		stack   uint64 // the caller's soft RLIMIT_STACK
		arena   bool   // exec with ArenaEnv
		lower   bool   // exec under restartStack
	}{
		{"no limit", false, nil, 8 << 20, false, false},
		{"a limit", true, nil, 8 << 20, true, true},
		{"MALLOC_ARENA_MAX set", true, map[string]string{"MALLOC_ARENA_MAX": "4"}, 8 << 20, false, true},
		{"a tunable", true, map[string]string{"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}, 8 << 20, false, true},
		{"MALLOC_ARENA_MAX set, 2 MiB stacks", true, map[string]string{"MALLOC_ARENA_MAX": "1"}, restartStack, false, false},
	} {
		got, atExec = nil, 0
		stack.Cur = c.stack
		rlimitAS = func() (uint64, bool) { return 1 << 31, c.limited }
		os.Unsetenv("MALLOC_ARENA_MAX")
		os.Unsetenv("GLIBC_TUNABLES")
		for k, v := range c.env {
			os.Setenv(k, v)
		}
		before := stack.Cur
		RestartForLimit()
		if execs := got != nil; execs != (c.arena || c.lower) {
			t.Errorf("%s: exec %v, want %v", c.name, execs, c.arena || c.lower)
			continue
		}
		if got == nil {
			continue
		}
		if slices.Contains(got, ArenaEnv) != c.arena || slices.Contains(got, arenaEnv+"=1") != c.arena {
			t.Errorf("%s: exec's environment has %s: %v, want %v", c.name, ArenaEnv, slices.Contains(got, ArenaEnv), c.arena)
		}
		if !slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, threadsEnv+"=") }) {
			t.Errorf("%s: exec without %s, the start's threads", c.name, threadsEnv)
		}
		want := fmt.Sprintf("%s=%d,%d", stackEnv, before, before)
		if c.lower && (atExec != restartStack || !slices.Contains(got, want)) {
			t.Errorf("%s: exec under RLIMIT_STACK %d with %q, want %d and %q", c.name, atExec, got, restartStack, want)
		}
		if stack.Cur != before {
			t.Errorf("%s: RLIMIT_STACK %d after a failed exec, want the caller's %d", c.name, stack.Cur, before)
		}
	}
}

// TestRestartIgnoresUserVariables: the restart's variables set by a user
// (or left in an environment copied from a restarted gpusim's) are removed,
// not taken: GPUSIM_RESTART_THREADS=1 skipped the restart under ulimit -v
// and let GPUSIM_RESTART_COMM rename the process and GPUSIM_RESTART_STACK
// set the stack limit it gives the processes it starts. The restart's own
// carries the process's id, which execve keeps.
func TestRestartIgnoresUserVariables(t *testing.T) {
	oldExec, oldLimit, oldGet, oldSet := exec, rlimitAS, getStack, setStack
	t.Cleanup(func() { exec, rlimitAS, getStack, setStack = oldExec, oldLimit, oldGet, oldSet })
	var got []string // the environment exec was given, nil when not called
	stack := syscall.Rlimit{Cur: 8 << 20, Max: ^uint64(0)}
	getStack = func(rl *syscall.Rlimit) error { *rl = stack; return nil }
	setStack = func(rl *syscall.Rlimit) error { stack = *rl; return nil }
	exec = func(path string, args, env []string) error { got = env; return syscall.ENOENT }
	user := map[string]string{threadsEnv: "1", commEnv: "evilname", stackEnv: "1,1", arenaEnv: "user"}
	for _, limited := range []bool{false, true} {
		for k, v := range user {
			t.Setenv(k, v)
		}
		t.Setenv("MALLOC_ARENA_MAX", "")
		os.Unsetenv("MALLOC_ARENA_MAX")
		got, stack.Cur = nil, 8<<20
		rlimitAS = func() (uint64, bool) { return 1 << 31, limited }
		RestartForLimit()
		if (got != nil) != limited {
			t.Errorf("limited %v: exec %v, want %v", limited, got != nil, limited)
		}
		for k, v := range user {
			if _, ok := os.LookupEnv(k); ok {
				t.Errorf("limited %v: %s=%s the user set is still in the environment", limited, k, v)
			}
			if slices.Contains(got, k+"="+v) {
				t.Errorf("limited %v: the restart is given the user's %s=%s", limited, k, v)
			}
		}
		if stack.Cur != 8<<20 {
			t.Errorf("limited %v: RLIMIT_STACK %d after the start, want the caller's %d", limited, stack.Cur, 8<<20)
		}
		own := fmt.Sprintf("%s=%d:", threadsEnv, os.Getpid())
		if limited && !slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, own) }) {
			t.Errorf("the restart's environment %q lacks %s, its own mark", got, own)
		}
	}
	if comm, err := os.ReadFile("/proc/self/comm"); err == nil && strings.HasPrefix(string(comm), "evilname") {
		t.Errorf("the process was renamed %q from the user's %s", comm, commEnv)
	}
}

// TestRestartKeepsName: the restarted process keeps its name (comm, what
// ps, top, pgrep -x and killall show): execve of /proc/self/exe names a
// process "exe", so gpusim under ulimit -v was not found by pgrep -x gpusim
// or killall gpusim. The test binary runs itself under ulimit -v as the
// helper below, which restarts and prints its name and environment.
func TestRestartKeepsName(t *testing.T) {
	if os.Getenv("SYSMEM_RESTART_HELPER") != "" {
		return
	}
	if _, err := os.Stat("/proc/self/comm"); err != nil {
		t.Skip("no /proc/self/comm")
	}
	sh, err := osexec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(sh, "-c", `ulimit -s 8192 && ulimit -v 4000000 || exit 99; exec "$0" -test.run='^TestRestartHelper$' -test.v`, bin)
	cmd.Env = append(os.Environ(), "SYSMEM_RESTART_HELPER=1")
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "MALLOC_ARENA_MAX=") || strings.HasPrefix(kv, "GLIBC_TUNABLES=")
	})
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 99 {
		t.Skipf("ulimit -s 8192 or -v 4000000 refused here: %s", out)
	}
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	want := "comm " + filepath.Base(bin)
	if len(want) > 20 {
		want = want[:20] // the kernel keeps 15 bytes of a name
	}
	for _, line := range []string{want + "\n", "env " + ArenaEnv + "\n", "tasks named\n"} {
		if !strings.Contains(string(out), line) {
			t.Errorf("helper's output lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(string(out), commEnv) || strings.Contains(string(out), threadsEnv) {
		t.Errorf("helper's environment keeps %s or %s:\n%s", commEnv, threadsEnv, out)
	}
	// The restart knows the arenas of the start before it: one per
	// thread of that start (a few, at least the first) and one more.
	if !strings.Contains(string(out), "arena start room known\n") {
		t.Errorf("helper's restart does not know its first start's arenas:\n%s", out)
	}
	// Its threads have restartStack, and RLIMIT_STACK is the caller's
	// again, for the processes it starts.
	if !strings.Contains(string(out), "threads' stacks 2097152, RLIMIT_STACK 8388608, first start's stacks 8388608\n") {
		t.Errorf("helper's restart does not run its threads on 2 MiB stacks under the caller's ulimit -s 8192:\n%s", out)
	}
}

// TestRestartHelper is TestRestartKeepsName's child.
func TestRestartHelper(t *testing.T) {
	if os.Getenv("SYSMEM_RESTART_HELPER") == "" {
		t.Skip("run by TestRestartKeepsName")
	}
	RestartForLimit()
	comm, _ := os.ReadFile("/proc/self/comm")
	fmt.Printf("comm %s", comm)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "MALLOC_ARENA_MAX=") || strings.HasPrefix(kv, "GPUSIM_") {
			fmt.Printf("env %s\n", kv)
		}
	}
	tasks, _ := filepath.Glob("/proc/self/task/*/comm")
	named := len(tasks) > 0
	for _, p := range tasks {
		if b, _ := os.ReadFile(p); string(b) != string(comm) {
			named = false
			fmt.Printf("task %s: %s", p, b)
		}
	}
	if named {
		fmt.Println("tasks named")
	}
	var rl syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_STACK, &rl)
	fmt.Printf("threads' stacks %d, RLIMIT_STACK %d, first start's stacks %d\n", stackLimit(), rl.Cur, firstStack)
	if room, ok := ArenaStartRoom(); ok && room >= 3*arenaBytes && room%arenaBytes == 0 {
		fmt.Println("arena start room known")
	} else {
		fmt.Printf("arena start room %d, %v\n", room, ok)
	}
}
