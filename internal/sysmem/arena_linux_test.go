package sysmem

import (
	"os"
	"slices"
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
	}
}
