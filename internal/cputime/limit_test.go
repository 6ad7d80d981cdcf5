package cputime

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLimit checks the cgroup CPU limit read from v2's cpu.max and v1's
// CFS quota, the least along the cgroup's path, and none where none is
// set: a container's half a CPU was read as the 2 CPUs Go rounds
// GOMAXPROCS up to.
func TestLimit(t *testing.T) {
	for _, c := range []struct {
		name    string
		cgroup  string
		files   map[string]string // under the cgroup file system
		want    float64
		limited bool
	}{
		{"v2 half a CPU", "0::/a/b\n", map[string]string{"a/b/cpu.max": "50000 100000\n"}, 0.5, true},
		{"v2 none", "0::/a\n", map[string]string{"a/cpu.max": "max 100000\n"}, 0, false},
		{"v2 a parent's", "0::/a/b\n", map[string]string{"a/b/cpu.max": "max 100000\n", "a/cpu.max": "150000 100000\n"}, 1.5, true},
		{"v2 the least", "0::/a/b\n", map[string]string{"a/b/cpu.max": "25000 100000\n", "cpu.max": "300000 100000\n"}, 0.25, true},
		{"v2 namespace root", "0::/\n", map[string]string{"cpu.max": "100000 100000\n"}, 1, true},
		{"v1", "12:cpu,cpuacct:/x\n3:memory:/x\n", map[string]string{"cpu/x/cpu.cfs_quota_us": "50000\n", "cpu/x/cpu.cfs_period_us": "100000\n"}, 0.5, true},
		{"v1 none", "12:cpu,cpuacct:/x\n", map[string]string{"cpu/x/cpu.cfs_quota_us": "-1\n", "cpu/x/cpu.cfs_period_us": "100000\n"}, 0, false},
		{"v1 beside v2 without cpu", "1:cpu:/x\n0::/\n", map[string]string{"cpu/x/cpu.cfs_quota_us": "200000\n", "cpu/x/cpu.cfs_period_us": "100000\n"}, 2, true},
		{"not cpu", "3:memory:/x\n", map[string]string{"memory/x/cpu.cfs_quota_us": "50000\n", "memory/x/cpu.cfs_period_us": "100000\n"}, 0, false},
		{"garbage", "0::/a\n", map[string]string{"a/cpu.max": "fifty\n"}, 0, false},
		{"no cgroup file", "", nil, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			old := [2]string{cgroups, cgroupFS}
			cgroups, cgroupFS = filepath.Join(dir, "cgroup"), filepath.Join(dir, "fs")
			t.Cleanup(func() { cgroups, cgroupFS = old[0], old[1] })
			if c.cgroup != "" {
				write(t, cgroups, c.cgroup)
			}
			for name, s := range c.files {
				write(t, filepath.Join(cgroupFS, name), s)
			}
			if got, ok := Limit(); got != c.want || ok != c.limited {
				t.Errorf("Limit() = %v, %v; want %v, %v", got, ok, c.want, c.limited)
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
