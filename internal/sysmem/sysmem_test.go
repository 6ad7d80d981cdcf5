package sysmem

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fake points the package at files under a temporary directory.
func fake(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := [3]string{meminfo, cgroups, cgroupFS}
	meminfo, cgroups, cgroupFS = filepath.Join(dir, "meminfo"), filepath.Join(dir, "cgroup"), filepath.Join(dir, "fs")
	t.Cleanup(func() { meminfo, cgroups, cgroupFS = old[0], old[1], old[2] })
}

const meminfoText = "MemTotal:       32000000 kB\nMemFree:         1000000 kB\nMemAvailable:   23349648 kB\nBuffers:          500000 kB\n"

func TestAvailable(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  uint64
		ok    bool
	}{
		{"meminfo", map[string]string{"meminfo": meminfoText}, 23349648 << 10, true},
		{"no MemAvailable", map[string]string{"meminfo": "MemTotal: 1 kB\n"}, 0, false},
		{"nothing", nil, 0, false},
		{"v2 limit", map[string]string{"meminfo": meminfoText, "cgroup": "0::/job\n",
			"fs/job/memory.max": "1073741824\n", "fs/job/memory.current": "73741824\n"}, 1<<30 - 73741824, true},
		{"v2 no limit", map[string]string{"meminfo": meminfoText, "cgroup": "0::/job\n",
			"fs/job/memory.max": "max\n", "fs/job/memory.current": "73741824\n"}, 23349648 << 10, true},
		{"v2 namespace root", map[string]string{"meminfo": meminfoText, "cgroup": "0::/elsewhere\n",
			"fs/memory.max": "2000000000\n", "fs/memory.current": "1000000000\n"}, 1e9, true},
		{"v1 limit", map[string]string{"meminfo": meminfoText, "cgroup": "4:memory:/job\n3:cpu:/\n",
			"fs/memory/job/memory.limit_in_bytes": "500000000\n", "fs/memory/job/memory.usage_in_bytes": "100000000\n"}, 4e8, true},
		{"v1 unlimited", map[string]string{"meminfo": meminfoText, "cgroup": "4:memory:/job\n",
			"fs/memory/job/memory.limit_in_bytes": "9223372036854771712\n", "fs/memory/job/memory.usage_in_bytes": "100000000\n"}, 23349648 << 10, true},
		{"v2 a parent's limit", map[string]string{"meminfo": meminfoText, "cgroup": "0::/a/b\n",
			"fs/a/b/memory.max": "max\n", "fs/a/b/memory.current": "73741824\n",
			"fs/a/memory.max": "300000000\n", "fs/a/memory.current": "100000000\n"}, 2e8, true},
		{"v2 the least level", map[string]string{"meminfo": meminfoText, "cgroup": "0::/a/b/\n",
			"fs/a/b/memory.max": "1000000000\n", "fs/a/b/memory.current": "100000000\n",
			"fs/a/memory.max": "2000000000\n", "fs/a/memory.current": "1500000000\n",
			"fs/memory.max": "max\n"}, 5e8, true},
		{"v1 a parent's limit", map[string]string{"meminfo": meminfoText, "cgroup": "4:memory:/a/b\n",
			"fs/memory/a/b/memory.limit_in_bytes": "9223372036854771712\n", "fs/memory/a/b/memory.usage_in_bytes": "100000000\n",
			"fs/memory/a/memory.limit_in_bytes": "314572800\n", "fs/memory/a/memory.usage_in_bytes": "114572800\n",
			"fs/memory/memory.limit_in_bytes": "9223372036854771712\n", "fs/memory/memory.usage_in_bytes": "5000000000\n"}, 2e8, true},
		{"v1 and v2 both", map[string]string{"meminfo": meminfoText, "cgroup": "4:memory:/a\n0::/\n",
			"fs/memory/a/memory.limit_in_bytes": "9223372036854771712\n", "fs/memory/a/memory.usage_in_bytes": "100000000\n",
			"fs/memory.max": "400000000\n", "fs/memory.current": "100000000\n"}, 3e8, true},
		{"v2 page cache", map[string]string{"meminfo": meminfoText, "cgroup": "0::/job\n",
			"fs/job/memory.max": "300000000\n", "fs/job/memory.current": "270000000\n",
			"fs/job/memory.stat": "anon 180000\nfile 262000000\nactive_file 12000000\ninactive_file 250000000\n"}, 292000000, true}, // all the cache, active too
		{"v1 page cache", map[string]string{"meminfo": meminfoText, "cgroup": "4:memory:/a/b\n",
			"fs/memory/a/memory.limit_in_bytes": "300000000\n", "fs/memory/a/memory.usage_in_bytes": "270000000\n",
			"fs/memory/a/memory.stat": "cache 0\ninactive_file 0\ntotal_cache 262000000\ntotal_inactive_file 250000000\n"}, 280000000, true},
		{"v2 cache past usage", map[string]string{"meminfo": meminfoText, "cgroup": "0::/job\n",
			"fs/job/memory.max": "300000000\n", "fs/job/memory.current": "100\n",
			"fs/job/memory.stat": "inactive_file 200\n"}, 300000000, true},
		{"over the limit", map[string]string{"meminfo": meminfoText, "cgroup": "0::/\n",
			"fs/memory.max": "100\n", "fs/memory.current": "200\n"}, 0, true},
		{"limit without meminfo", map[string]string{"cgroup": "0::/\n",
			"fs/memory.max": "300\n", "fs/memory.current": "200\n"}, 100, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake(t, c.files)
			if got, ok := Available(); got != c.want || ok != c.ok {
				t.Errorf("Available() = %d, %v, want %d, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

// TestCgroupMemory: the limit that leaves the least room, with the folder
// and file that set it and the usage less the page cache, for a
// message that names it; none without a limit.
func TestCgroupMemory(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  CgroupLimit
		ok    bool
	}{
		{"v2 a parent's limit", map[string]string{"cgroup": "0::/a/b\n",
			"fs/a/b/memory.max": "max\n", "fs/a/b/memory.current": "73741824\n",
			"fs/a/memory.max": "300000000\n", "fs/a/memory.current": "100000000\n",
			"fs/a/memory.stat": "inactive_file 20000000\n"}, CgroupLimit{"fs/a", "memory.max", 3e8, 8e7, false}, true},
		{"v2 the least room, not the least limit", map[string]string{"cgroup": "0::/a/b\n",
			"fs/a/b/memory.max": "1000000000\n", "fs/a/b/memory.current": "100000000\n",
			"fs/a/memory.max": "2000000000\n", "fs/a/memory.current": "1500000000\n"}, CgroupLimit{"fs/a", "memory.max", 2e9, 15e8, false}, true},
		{"v1", map[string]string{"cgroup": "4:memory:/job\n",
			"fs/memory/job/memory.limit_in_bytes": "500000000\n", "fs/memory/job/memory.usage_in_bytes": "600000000\n"},
			CgroupLimit{"fs/memory/job", "memory.limit_in_bytes", 5e8, 6e8, false}, true},
		{"v2 root in a namespace", map[string]string{"cgroup": "0::/\n",
			"fs/memory.max": "300\n", "fs/memory.current": "200\n"}, CgroupLimit{"fs", "memory.max", 300, 200, false}, true},
		// The kernel reclaims all the page cache, active too, before it
		// OOM-kills: only the inactive part was counted as room.
		{"v2 active cache", map[string]string{"cgroup": "0::/job\n",
			"fs/job/memory.max": "500000000\n", "fs/job/memory.current": "350000000\n",
			"fs/job/memory.stat": "anon 100000000\nfile 250000000\nactive_file 250000000\ninactive_file 0\n"}, CgroupLimit{"fs/job", "memory.max", 5e8, 1e8, false}, true},
		{"v1 active cache", map[string]string{"cgroup": "4:memory:/job\n",
			"fs/memory/job/memory.limit_in_bytes": "500000000\n", "fs/memory/job/memory.usage_in_bytes": "350000000\n",
			"fs/memory/job/memory.stat": "cache 250000000\ntotal_inactive_file 50000000\ntotal_active_file 200000000\n"}, CgroupLimit{"fs/memory/job", "memory.limit_in_bytes", 5e8, 1e8, false}, true},
		// Past a limit that may swap, the kernel swaps: Swap says so.
		{"v2 swap", map[string]string{"cgroup": "0::/job\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/job/memory.max": "300\n", "fs/job/memory.current": "200\n", "fs/job/memory.swap.max": "max\n"}, CgroupLimit{"fs/job", "memory.max", 300, 200, true}, true},
		{"v2 swap.max 0", map[string]string{"cgroup": "0::/job\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/job/memory.max": "300\n", "fs/job/memory.current": "200\n", "fs/job/memory.swap.max": "0\n"}, CgroupLimit{"fs/job", "memory.max", 300, 200, false}, true},
		// A level below or above the limit's that bars swap bars it for
		// the process's pages: the limit's own "max" was taken for swap.
		{"v2 swap.max 0 below the limit", map[string]string{"cgroup": "0::/job/step\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/job/memory.max": "300\n", "fs/job/memory.current": "200\n", "fs/job/memory.swap.max": "max\n",
			"fs/job/step/memory.max": "max\n", "fs/job/step/memory.current": "150\n", "fs/job/step/memory.swap.max": "0\n"},
			CgroupLimit{"fs/job", "memory.max", 300, 200, false}, true},
		{"v2 swap.max 0 above the limit", map[string]string{"cgroup": "0::/user/job\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/user/memory.max": "max\n", "fs/user/memory.current": "250\n", "fs/user/memory.swap.max": "0\n",
			"fs/user/job/memory.max": "300\n", "fs/user/job/memory.current": "200\n", "fs/user/job/memory.swap.max": "max\n"},
			CgroupLimit{"fs/user/job", "memory.max", 300, 200, false}, true},
		{"v2 no swap on the machine", map[string]string{"cgroup": "0::/job\n", "meminfo": "SwapTotal: 0 kB\n",
			"fs/job/memory.max": "300\n", "fs/job/memory.current": "200\n", "fs/job/memory.swap.max": "max\n"}, CgroupLimit{"fs/job", "memory.max", 300, 200, false}, true},
		{"v1 memsw", map[string]string{"cgroup": "4:memory:/job\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/memory/job/memory.limit_in_bytes": "500\n", "fs/memory/job/memory.usage_in_bytes": "100\n",
			"fs/memory/job/memory.memsw.limit_in_bytes": "900\n"}, CgroupLimit{"fs/memory/job", "memory.limit_in_bytes", 500, 100, true}, true},
		{"v1 memsw at the limit", map[string]string{"cgroup": "4:memory:/job\n", "meminfo": "SwapTotal: 1000 kB\n",
			"fs/memory/job/memory.limit_in_bytes": "500\n", "fs/memory/job/memory.usage_in_bytes": "100\n",
			"fs/memory/job/memory.memsw.limit_in_bytes": "500\n"}, CgroupLimit{"fs/memory/job", "memory.limit_in_bytes", 500, 100, false}, true},
		{"no limit", map[string]string{"cgroup": "0::/job\n", "fs/job/memory.max": "max\n", "fs/job/memory.current": "5\n"}, CgroupLimit{}, false},
		{"no usage", map[string]string{"cgroup": "0::/job\n", "fs/job/memory.max": "300\n"}, CgroupLimit{}, false},
		{"no cgroup", nil, CgroupLimit{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake(t, c.files)
			got, ok := CgroupMemory()
			if ok {
				// The folder under the fake file system's root.
				got.Dir = strings.TrimPrefix(got.Dir, filepath.Dir(cgroupFS)+"/")
			}
			if got != c.want || ok != c.ok {
				t.Errorf("CgroupMemory() = %+v, %v, want %+v, %v", got, ok, c.want, c.ok)
			}
			if want := c.want.Limit - min(c.want.Used, c.want.Limit); ok && got.Room() != want {
				t.Errorf("Room() = %d, want %d", got.Room(), want)
			}
		})
	}
}

// TestThisMachine: on Linux, Available reads a plausible figure.
func TestThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo")
	}
	b, _ := os.ReadFile("/proc/meminfo")
	n, ok := Available()
	if strings.Contains(string(b), "MemAvailable:") && (!ok || n == 0) {
		t.Errorf("Available() = %d, %v on a machine with MemAvailable", n, ok)
	}
	t.Logf("available: %d bytes", n)
}

// TestProcNumber: a key's value in bytes where it is in kB, and the line
// must say kB then; a count where it has no unit; none past 2^64-1 bytes.
func TestProcNumber(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	text := "Name:\tgpusim\nVmSize: 12\nVmSize:\t 1500 kB\nThreads:\t6\nVmPeak:\t x kB\nVmRSS: 18014398509481984 kB\nVmData: 18014398509481983 kB\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key  string
		kB   bool
		want uint64
		ok   bool
	}{
		{"VmSize", true, 1500 << 10, true}, {"Threads", false, 6, true}, {"Threads", true, 0, false},
		{"VmPeak", true, 0, false}, {"VmRSS", true, 0, false}, {"VmData", true, 18014398509481983 << 10, true},
		{"VmSwap", true, 0, false}, {"Name", false, 0, false},
	} {
		if n, ok := procNumber(path, c.key, c.kB); n != c.want || ok != c.ok {
			t.Errorf("procNumber(%s, %v) = %d, %v; want %d, %v", c.key, c.kB, n, ok, c.want, c.ok)
		}
	}
}
