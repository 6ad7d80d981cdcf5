package sysmem

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRestartWithOneArena: under an address-space limit the program runs
// again with MALLOC_ARENA_MAX=1, its arguments as they are, unless the
// environment already sets glibc's arena count; without a limit it goes on.
func TestRestartWithOneArena(t *testing.T) {
	oldExec, oldLimit := exec, rlimitAS
	t.Cleanup(func() { exec, rlimitAS = oldExec, oldLimit })
	var got []string // the environment exec was given, nil when not called
	exec = func(path string, args, env []string) error {
		if path != "/proc/self/exe" || !slices.Equal(args, os.Args) {
			t.Errorf("exec(%q, %q): want /proc/self/exe and the process's arguments", path, args)
		}
		got = env
		return nil
	}
	for _, k := range []string{"MALLOC_ARENA_MAX", "GLIBC_TUNABLES"} {
		t.Setenv(k, "") // restored after the test
	}
	for _, c := range []struct {
		name    string
		limited bool
		env     map[string]string
		execs   bool
	}{
		{"no limit", false, nil, false},
		{"a limit", true, nil, true},
		{"MALLOC_ARENA_MAX set", true, map[string]string{"MALLOC_ARENA_MAX": "4"}, false},
		{"a tunable", true, map[string]string{"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}, false},
	} {
		got = nil
		rlimitAS = func() (uint64, bool) { return 1 << 31, c.limited }
		os.Unsetenv("MALLOC_ARENA_MAX")
		os.Unsetenv("GLIBC_TUNABLES")
		for k, v := range c.env {
			os.Setenv(k, v)
		}
		RestartWithOneArena()
		if execs := got != nil; execs != c.execs {
			t.Errorf("%s: exec %v, want %v", c.name, execs, c.execs)
		}
		if c.execs && !slices.Contains(got, ArenaEnv) {
			t.Errorf("%s: exec without %s", c.name, ArenaEnv)
		}
		if c.execs && !slices.ContainsFunc(got, func(kv string) bool { return strings.HasPrefix(kv, threadsEnv+"=") }) {
			t.Errorf("%s: exec without %s, the start's threads", c.name, threadsEnv)
		}
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
	cmd := osexec.Command(sh, "-c", `ulimit -v 4000000 || exit 99; exec "$0" -test.run='^TestRestartHelper$' -test.v`, bin)
	cmd.Env = append(os.Environ(), "SYSMEM_RESTART_HELPER=1")
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "MALLOC_ARENA_MAX=") || strings.HasPrefix(kv, "GLIBC_TUNABLES=")
	})
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 99 {
		t.Skipf("ulimit -v 4000000 refused here: %s", out)
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
}

// TestRestartHelper is TestRestartKeepsName's child.
func TestRestartHelper(t *testing.T) {
	if os.Getenv("SYSMEM_RESTART_HELPER") == "" {
		t.Skip("run by TestRestartKeepsName")
	}
	RestartWithOneArena()
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
	if room, ok := ArenaStartRoom(); ok && room >= 3*arenaBytes && room%arenaBytes == 0 {
		fmt.Println("arena start room known")
	} else {
		fmt.Printf("arena start room %d, %v\n", room, ok)
	}
}
