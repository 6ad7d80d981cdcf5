package sysmem

import (
	"math/bits"
	"os"
	"path"
	"runtime/metrics"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/cgroup"
)

// The files Available reads; tests point them elsewhere.
var (
	meminfo  = "/proc/meminfo"
	cgroups  = "/proc/self/cgroup"
	cgroupFS = "/sys/fs/cgroup"
)

// Available returns the bytes this process can allocate without swapping:
// MemAvailable of /proc/meminfo (Linux 3.14 and later), lowered to the room
// left under the process's cgroup memory limits when one is set (v2
// memory.max less memory.current, v1 memory.limit_in_bytes less
// memory.usage_in_bytes, each usage less its inactive page cache; the
// least along the cgroup's path), as in a container, and to the address space
// left under RLIMIT_AS (ulimit -v) when one is set, and, in a 32-bit
// build, to the address space left of the process's own (wordSpace) less
// what it has mapped, whatever the machine's memory. ok is false when none
// is known, as on systems without /proc.
func Available() (n uint64, ok bool) {
	n, ok = memAvailable()
	if room, limited := cgroupRoom(); limited && (!ok || room < n) {
		n, ok = room, true
	}
	if room, limited := addressRoom(); limited && (!ok || room < n) {
		n, ok = room, true
	}
	if room, limited := wordRoom(); limited && (!ok || room < n) {
		n, ok = room, true
	}
	return n, ok
}

// wordSpace is the most address space a process of this build may map
// whatever the machine's memory and limits, where that binds: 3 GiB for a
// 32-bit build (4 GiB of addresses, less the kernel's part of them: 1 GiB
// under Linux's default split on a 32-bit kernel, CONFIG_VMSPLIT_3G, and
// Windows' 2 GiB by default; a 32-bit process on a 64-bit Linux kernel
// has 4 GiB; 3 GiB, then, as a bound, not a promise, since one allocation
// also needs that much in one piece), and 0, no bound, for a 64-bit build.
// A 32-bit gpusim checked its per-lane outputs against the machine's 24 GB
// and let --out of 9e8 lanes (3.6 GB of finals) start, which its address
// space cannot hold. Tests replace it.
var wordSpace = func() uint64 {
	if bits.UintSize == 32 {
		return 3 << 30
	}
	return 0
}()

// wordRoom is the address space left of wordSpace, less what the process
// has mapped (VmSize where it can be read and below 4 GiB, else what Go's
// runtime has mapped), and whether wordSpace binds. Under a user-mode
// emulator (qemu-arm on amd64) /proc/self/status is the emulator's, a
// 64-bit process's: VmSize read 4.6 GB there, which left a 32-bit gpusim
// no room at all, so a VmSize no 32-bit process can have is not its own.
func wordRoom() (uint64, bool) {
	if wordSpace == 0 {
		return 0, false
	}
	mapped, ok := vmSize()
	if !ok || mapped >= 1<<32 {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		metrics.Read(s)
		mapped = s[0].Value.Uint64()
	}
	return wordSpace - min(mapped, wordSpace), true
}

// MachineAvailable is Available without the address-space limit: the
// bytes this process and the processes it starts can allocate together
// without swapping, MemAvailable lowered to the room under the cgroup's
// memory limit (which counts its children too). RLIMIT_AS bounds each
// process apart, so it is no bound on their sum. ok is false when neither
// is known.
func MachineAvailable() (n uint64, ok bool) {
	n, ok = memAvailable()
	if room, limited := cgroupRoom(); limited && (!ok || room < n) {
		n, ok = room, true
	}
	return n, ok
}

// AddressSpace returns the process's address-space limit (RLIMIT_AS, set
// with ulimit -v) and the address space it has mapped (VmSize of
// /proc/self/status), and whether a limit is set and what is mapped known
// (limited is false where VmSize cannot be read, as without a limit). What is
// left, limit less mapped, is what mmap can still give: Go's heap, a
// thread's stack, a library loaded at run time (an OpenCL driver).
func AddressSpace() (limit, mapped uint64, limited bool) { return addressSpace() }

func memAvailable() (uint64, bool) { return procNumber(meminfo, "MemAvailable", true) }

// procNumber is the value of key in path, a /proc file of "Key: value"
// lines (/proc/meminfo, /proc/self/status): in bytes where kB says the
// value is in kB, as the line must then say; ok is false where no line of
// key has a whole number, or its bytes are past 2^64-1.
func procNumber(path, key string, kB bool) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != key+":" || (kB && (len(f) != 3 || f[2] != "kB")) || (!kB && len(f) != 2) {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		switch {
		case err != nil:
		case !kB:
			return n, true
		case n <= ^uint64(0)>>10:
			return n << 10, true
		}
	}
	return 0, false
}

// cgroupRoom returns the room left under the memory limits of this
// process's cgroup, the least along its path up to the hierarchy's root:
// a parent's limit bounds its children's, whose own files say "max" (v2)
// or 2^63-1 (v1) where only the parent has one, as for a process a
// systemd scope or a job's own sub-cgroup puts under a limited slice (a
// process in /a/b under a 300 MB limit on /a was let start --out of 408
// MB and was killed out of memory, exit 137, its report lost). limited is
// false when there is none or none can be read.
func cgroupRoom() (room uint64, limited bool) {
	c, limited := CgroupMemory()
	return c.Room(), limited
}

// CgroupLimit is the memory limit of one of the process's cgroups, as its
// files give it.
type CgroupLimit struct {
	Dir   string // the cgroup's folder: /sys/fs/cgroup/user.slice/job.scope
	File  string // the limit's file in Dir: memory.max (v2), memory.limit_in_bytes (v1)
	Limit uint64 // the limit, in bytes
	// Used is what the cgroup's processes use, in bytes: memory.current
	// (v2) or memory.usage_in_bytes (v1), less the page cache (limitIn),
	// this process's own memory among it.
	Used uint64
	// Swap says the cgroup may swap past Limit: v2's memory.swap.max or
	// v1's memory.memsw.limit_in_bytes allows it, no v2 level from the
	// process's cgroup up has a memory.swap.max of 0 (swapBarred), and
	// the machine has swap (SwapTotal of /proc/meminfo). Past Limit its
	// pages are then swapped out, rather than a process ended by the OOM
	// killer.
	Swap bool
}

// Room is what c leaves, in bytes: Limit less Used, 0 where Used is over it.
func (c CgroupLimit) Room() uint64 { return c.Limit - min(c.Used, c.Limit) }

// CgroupMemory returns the memory limit of the process's cgroups that
// leaves it the least room (cgroupRoom: each level of each hierarchy with
// the memory controller, the process's own cgroup and its parents), the
// one beyond which the kernel's OOM killer ends the process (exit 137)
// rather than an allocation failing. ok is false where no limit is set or
// none can be read (no cgroup file system, a limit of "max").
func CgroupMemory() (c CgroupLimit, ok bool) {
	for _, h := range cgroup.Find(cgroups, cgroupFS, "memory") {
		limit, usage, cache := "memory.limit_in_bytes", "memory.usage_in_bytes", []string{"total_inactive_file", "total_active_file"}
		if h.V2 {
			limit, usage, cache = "memory.max", "memory.current", []string{"inactive_file", "active_file"}
		}
		// Every level from the process's cgroup up to the root. Inside
		// a cgroup namespace the process's own cgroup is mounted at the
		// root, and the levels below it are missing.
		p := "/"
		if strings.HasPrefix(h.Path, "/") {
			p = path.Clean(h.Path)
		}
		noSwap := h.V2 && swapBarred(h.Root, p)
		for ; ; p = path.Dir(p) {
			if l, u, set := limitIn(h.Root+p, limit, usage, cache); set {
				at := CgroupLimit{Dir: path.Clean(h.Root + p), File: limit, Limit: l, Used: u, Swap: !noSwap && swapAllowed(h.Root+p, h.V2, l)}
				if !ok || at.Room() < c.Room() {
					c, ok = at, true
				}
			}
			if p == "/" {
				break
			}
		}
	}
	return c, ok
}

// noLimit is where a v1 limit counts as none: the kernel reports "no
// limit" as a page-rounded 2^63-1.
const noLimit = 1 << 62

// swapAllowed says whether the cgroup folder dir, of limit, may swap:
// v2's memory.swap.max is not 0 (it is "max" unless set), v1's
// memory.memsw.limit_in_bytes (memory and swap) is above limit, and the
// machine has swap to use.
func swapAllowed(dir string, v2 bool, limit uint64) bool {
	if total, ok := procNumber(meminfo, "SwapTotal", true); !ok || total == 0 {
		return false
	}
	file := "memory.memsw.limit_in_bytes"
	if v2 {
		file = "memory.swap.max"
	}
	b, err := os.ReadFile(dir + "/" + file)
	if err != nil {
		return false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return true
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return false
	}
	if v2 {
		return n > 0
	}
	return n > limit
}

// swapBarred says whether a level of the v2 hierarchy at root, from the
// process's cgroup p up to the root, has a memory.swap.max of 0: the
// swap a page takes is charged to its cgroup and to each parent, so
// none of the process's pages is swapped out, whatever the swap.max of
// the level whose limit is met ("max" unless set). A Slurm step, a
// systemd service (MemorySwapMax=0) or a container below the limit's
// level sets it there.
func swapBarred(root, p string) bool {
	for ; ; p = path.Dir(p) {
		if b, err := os.ReadFile(root + p + "/memory.swap.max"); err == nil && strings.TrimSpace(string(b)) == "0" {
			return true
		}
		if p == "/" {
			return false
		}
	}
}

// limitIn is the limit of the cgroup folder dir and its usage, where the
// limit is set and both can be read. The usage counts the page cache of
// the files the cgroup's processes read and wrote, which the kernel
// reclaims before it fails an allocation or OOM-kills, so it (memory.stat's
// cacheKeys, inactive_file and active_file, v1's hierarchical
// total_inactive_file and total_active_file) is not counted as used, as
// the kernel's MemAvailable counts it available: a run after 250 MB were
// written under a 300 MB limit was told 0.0412 GB are available and "no
// --lanes fits with --out here" where 200 MB could be allocated, and where
// only the inactive part was left out, a merge was refused room that 250
// MB of active cache held.
func limitIn(dir, limitFile, usageFile string, cacheKeys []string) (limit, usage uint64, set bool) {
	lb, err := os.ReadFile(dir + "/" + limitFile)
	if err != nil {
		return 0, 0, false
	}
	ls := strings.TrimSpace(string(lb))
	if ls == "max" {
		return 0, 0, false
	}
	limit, err = strconv.ParseUint(ls, 10, 64)
	if err != nil || limit >= noLimit {
		return 0, 0, false
	}
	ub, err := os.ReadFile(dir + "/" + usageFile)
	if err != nil {
		return 0, 0, false
	}
	usage, err = strconv.ParseUint(strings.TrimSpace(string(ub)), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	for _, k := range cacheKeys {
		usage -= min(statNumber(dir+"/memory.stat", k), usage)
	}
	return limit, usage, true
}

// statNumber is the value of key in a cgroup's memory.stat ("key value"
// lines), 0 where the file or the key cannot be read.
func statNumber(path, key string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
				return n
			}
		}
	}
	return 0
}
