package cputime

import (
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/cgroup"
)

// The files Limit reads; tests point them elsewhere.
var (
	cgroups  = "/proc/self/cgroup"
	cgroupFS = "/sys/fs/cgroup"
)

// Limit is the CPU bandwidth the process's cgroup may use, in CPUs
// (quota over period: cgroup v2's cpu.max, v1's cpu.cfs_quota_us over
// cpu.cfs_period_us), the least along its cgroup's path up to the
// hierarchy's root, as in a container with --cpus or under systemd's
// CPUQuota; ok is false where none is set or it cannot be read (no
// /proc, another system). Go sets GOMAXPROCS from it (Go 1.25 and later)
// but rounds it up, and up to 2: on a 2-core machine, a limit of half a
// CPU left GOMAXPROCS at 2.
func Limit() (cpus float64, ok bool) {
	for _, h := range cgroup.Find(cgroups, cgroupFS, "cpu") {
		if !strings.HasPrefix(h.Path, "/") {
			continue
		}
		// Every level from the process's cgroup up to the root: a
		// parent's limit bounds its children's. Inside a cgroup
		// namespace the process's own cgroup is the root, and the
		// levels below it are missing.
		for p := path.Clean(h.Path); ; p = path.Dir(p) {
			if c, set := limitIn(h.Root+p, h.V2); set && (!ok || c < cpus) {
				cpus, ok = c, true
			}
			if p == "/" {
				break
			}
		}
	}
	return cpus, ok
}

// limitIn reads the CPU limit of the cgroup folder dir: v2's cpu.max
// ("max 100000", or "50000 100000" for half a CPU), or v1's
// cpu.cfs_quota_us (-1: none) over cpu.cfs_period_us.
func limitIn(dir string, v2 bool) (cpus float64, set bool) {
	var quota, period string
	if v2 {
		b, err := os.ReadFile(dir + "/cpu.max")
		if err != nil {
			return 0, false
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return 0, false
		}
		quota, period = f[0], f[1]
	} else {
		q, err1 := os.ReadFile(dir + "/cpu.cfs_quota_us")
		p, err2 := os.ReadFile(dir + "/cpu.cfs_period_us")
		if err1 != nil || err2 != nil {
			return 0, false
		}
		quota, period = strings.TrimSpace(string(q)), strings.TrimSpace(string(p))
	}
	q, err1 := strconv.ParseInt(quota, 10, 64)
	p, err2 := strconv.ParseInt(period, 10, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0, false // "max", -1: no limit
	}
	return float64(q) / float64(p), true
}
