package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/cgroup"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/shard"
)

// TestMergeRealCgroupLimit: a merge started in a real cgroup whose memory
// limit leaves less than the merge keeps resident (shard.MergeFloor) is
// refused before any part is read (exit 2, "gpusim: error: memory: ...",
// naming the limit's file and folder as sysmem.CgroupMemory read them
// from /sys/fs/cgroup), and merges under the limit it names. Without the
// refusal the merge was killed by the kernel's OOM killer (exit 137, no
// report; seen with the check taken out). TestMergeCgroupLimit fakes the
// limit; this one makes a cgroup below the test's own (v1's memory
// hierarchy, or v2's where the memory controller is on for its children),
// which needs root. Skipped, with the reason, where it cannot make or join
// one, under CI=true too: the sandbox decides that, not gpusim (the VM it
// was written on, cgroup v1 as root, can, and runs it).
func TestMergeRealCgroupLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gpusim")
	}
	dir := newMemoryCgroup(t)
	bin := buildGpusim(t)
	parts := make([]string, 2)
	for i := range parts {
		parts[i] = filepath.Join(t.TempDir(), fmt.Sprintf("p%d.json", i))
		if out, err := exec.Command(bin, "run", "--engine", "simd", "--daily", "--lanes", "20", "--steps", "2500", "--shard", fmt.Sprintf("%d/2", i), "--save", parts[i], "-q").CombinedOutput(); err != nil {
			t.Fatalf("shard %d: %v\n%s", i, err, out)
		}
	}
	floor := shard.MergeFloor(parts) // some 25 MB
	// Half the floor, and 8 MB for what Go's runtime holds as it starts
	// (some 4 MB): room enough to start and refuse, not to merge.
	limit := setCgroupLimit(t, dir, floor/2+8_000_000)
	out, code := mergeIn(t, dir, bin, parts)
	want := fmt.Sprintf("gpusim: error: memory: the cgroup's memory limit (memory.%s of %s, %s) leaves ", limitFile(dir), dir, diskfree.SizeText(limit))
	if code != exitUsage || !strings.HasPrefix(out, want) || !strings.Contains(out, fmt.Sprintf("under the %s this merge holds at the least", diskfree.SizeText(floor))) {
		t.Fatalf("merge under a cgroup limit of %d bytes (floor %d): exit %d, want 2 and %q\n%.600s", limit, floor, code, want, out)
	}
	m := regexp.MustCompile(`: raise it to [^(]* \(([0-9]+)\) or more\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the refusal names no limit: %s", out)
	}
	named, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || named <= limit {
		t.Fatalf("the refusal names %s, not above the limit %d: %s", m[1], limit, out)
	}
	setCgroupLimit(t, dir, named)
	if out, code := mergeIn(t, dir, bin, parts); code != 0 || !strings.Contains(out, "digest ") {
		t.Fatalf("merge under the limit the refusal named, %d bytes: exit %d\n%.600s", named, code, out)
	}
}

// newMemoryCgroup makes a cgroup with the memory controller below the
// test's own and returns its folder, removed at the test's end; it skips
// t where it cannot (not root, no memory controller, a read-only cgroup
// file system), under CI=true too: a CI machine whose sandbox gives no
// cgroup to make is no fault of gpusim's (this VM's cgroup v1 can).
func newMemoryCgroup(t *testing.T) string {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		t.Skipf(format, args...)
	}
	if os.Geteuid() != 0 {
		t.Skip("making a cgroup needs root")
	}
	hs := cgroup.Find("/proc/self/cgroup", "/sys/fs/cgroup", "memory")
	var tried []string
	for _, h := range hs {
		parent := filepath.Join(h.Root, h.Path)
		if _, err := os.Stat(filepath.Join(parent, "cgroup.procs")); err != nil {
			// Not a cgroup folder: v2's entry where its hierarchy is
			// mounted elsewhere (/sys/fs/cgroup/unified), a tmpfs here.
			tried = append(tried, err.Error())
			continue
		}
		dir := filepath.Join(parent, fmt.Sprintf("gpusim-test-%d", os.Getpid()))
		if err := os.Mkdir(dir, 0o755); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		t.Cleanup(func() {
			// The cgroup's last process may still be leaving it.
			for i := 0; os.Remove(dir) != nil && i < 50; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		})
		if limitFile(dir) == "" {
			tried = append(tried, dir+": no memory limit file (the memory controller is not on for its children)")
			continue
		}
		return dir
	}
	skip("no cgroup with a memory limit could be made below this process's (/proc/self/cgroup's memory hierarchies: %d): %s", len(hs), strings.Join(tried, "; "))
	return ""
}

// limitFile is the name of the memory limit's file in a cgroup folder
// dir, without "memory.": v1's limit_in_bytes, v2's max; "" where neither
// is there.
func limitFile(dir string) string {
	for _, f := range []string{"limit_in_bytes", "max"} {
		if _, err := os.Stat(filepath.Join(dir, "memory."+f)); err == nil {
			return f
		}
	}
	return ""
}

// setCgroupLimit sets the memory limit of the cgroup dir to about limit
// bytes, and returns the limit the kernel set (v1 rounds it to pages).
func setCgroupLimit(t *testing.T, dir string, limit uint64) uint64 {
	t.Helper()
	file := filepath.Join(dir, "memory."+limitFile(dir))
	if err := os.WriteFile(file, []byte(strconv.FormatUint(limit, 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	set, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("%s: %q: %v", file, b, err)
	}
	return set
}

// mergeIn merges parts with bin in the cgroup dir (sh moves itself there,
// then runs gpusim), and returns its output and exit status.
func mergeIn(t *testing.T, dir, bin string, parts []string) (string, int) {
	t.Helper()
	cmd := exec.Command("sh", append([]string{"-c", `echo $$ > "$0/cgroup.procs" || exit 99; exec "$@"`, dir, bin, "merge"}, parts...)...)
	out, _ := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if code == 99 {
		t.Skipf("could not join the cgroup %s (a cgroup v2 parent with processes of its own refuses one): %s", dir, out)
	}
	return string(out), code
}
