package sysmem

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
)

// ArenaEnv is the setting RestartWithOneArena adds to the environment:
// glibc's malloc keeps to its main arena (mallopt(3), M_ARENA_MAX).
const ArenaEnv = "MALLOC_ARENA_MAX=1"

// commEnv carries the process's name (comm) over the restart; see
// restoreName. threadsEnv carries the thread count of the start before it
// (ArenaStartRoom).
const (
	commEnv    = "GPUSIM_RESTART_COMM"
	threadsEnv = "GPUSIM_RESTART_THREADS"
)

// firstThreads is the thread count of the start before the restart, 0
// where this process is not a restart.
var firstThreads int

// exec is syscall.Exec; tests replace it.
var exec = syscall.Exec

// RestartWithOneArena runs the program again in this process (execve of
// /proc/self/exe, same arguments and descriptors) with ArenaEnv in its
// environment when the process runs under an address-space limit
// (RLIMIT_AS, ulimit -v) and the environment does not already set glibc's
// arena count; else, or when the exec fails, it returns and the program
// goes on as it is. gpusim's threads are started through pthread_create
// (purego's fake cgo, as cgo's), each new thread mallocs (its stack's
// bounds, pthread_getattr_np), and glibc gives each such thread an arena
// of its own: 64 MiB of address space, 128 MiB while it is aligned, up to
// 8 per CPU, three of them before the first package is initialized, so
// that mallopt from Go comes too late. Under a limit they took the room
// the next thread's stack needed, and the process aborted in
// pthread_create ("fakecgo: pthread_create failed: 11"): 4 of 15 runs of
// --lanes 1e6 --daily under ulimit -v 1450000, 18 of 20 under 1500000, on
// 2 CPUs; with one arena from the start, none of 30 under 1400000 or
// 1430000. Restarted, none of 20 under 1450000 aborted; under 1500000 they
// still do, before main, among the arenas Go's runtime makes as it starts,
// which only the variable set by the caller avoids. One arena costs
// contention between threads that malloc at once, which gpusim's engines
// do not; the variable is inherited by the processes gpusim starts. Call
// it first in main.
//
// The kernel names a process after the file it executes, and execve of
// /proc/self/exe names it "exe" (comm: what ps, top, pgrep -x and killall
// see), so the name it had is carried over in commEnv and given back to it
// and its threads after the restart (restoreName).
func RestartWithOneArena() {
	if n, ok := os.LookupEnv(threadsEnv); ok {
		// Not for the processes gpusim starts.
		os.Unsetenv(threadsEnv)
		firstThreads, _ = strconv.Atoi(n)
		firstThreads = max(firstThreads, 1)
		if name, ok := os.LookupEnv(commEnv); ok {
			os.Unsetenv(commEnv)
			restoreName(name)
		}
		return
	}
	if _, limited := rlimitAS(); !limited {
		return
	}
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); set || strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.arena_max") {
		return
	}
	if !selfIsProgram() {
		return
	}
	env := append(os.Environ(), ArenaEnv, threadsEnv+"="+strconv.Itoa(threads()))
	if b, err := os.ReadFile("/proc/self/comm"); err == nil {
		env = append(env, commEnv+"="+strings.TrimSuffix(string(b), "\n"))
	}
	_ = exec("/proc/self/exe", os.Args, env)
}

// arenaBytes is the address space of one of glibc's malloc arenas on
// 64-bit systems (HEAP_MAX_SIZE: 2 DEFAULT_MMAP_THRESHOLD_MAX, 64 MiB); it
// maps twice that while it aligns a new one.
const arenaBytes = 64 << 20

// ArenaStartRoom is how much more address space than this process's start
// a start of gpusim takes where its caller does not set MALLOC_ARENA_MAX,
// and whether that is known: it is where this process is the restart of
// such a start (RestartWithOneArena). That start runs Go's runtime and
// its first threads (5 or 6 of them before main, whatever the CPUs, on
// linux/amd64 with Go 1.26) with glibc's arenas, before any of gpusim can
// run: each thread but the first takes an arena of arenaBytes, some starts
// have a thread more, and the next arena maps arenaBytes more while it is
// aligned, so it counts an arena per thread of that start and one more.
// Where the limit leaves room for some of those arenas but not the next
// thread's stack, the start aborts in pthread_create (fakecgo:
// pthread_create failed: 11) or dies of Go's "fatal error: out of memory",
// with no word of gpusim's: measured on 2 CPUs with --lanes 1e3, 15 of 20
// starts under ulimit -v 1500000 and 2 of 40 under 1550000 died, none of
// 40 under 1600000 to 1750000 did, and their first starts mapped 1.44 to
// 1.65 GB where the restarts mapped 1.31 (1.37 in some).
func ArenaStartRoom() (uint64, bool) {
	if firstThreads == 0 {
		return 0, false
	}
	return uint64(firstThreads+1) * arenaBytes, true
}

// selfIsProgram reports whether /proc/self/exe is the file of this
// program's code, as /proc/self/maps maps it. It is not when the program
// was started through its dynamic loader (ld-linux-x86-64.so.2
// bin/gpusim run ...): /proc/self/exe is the loader, and execve of it with
// the program's arguments made the loader take "run" for the program to
// load (exit 127).
func selfIsProgram() bool {
	var exe syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &exe) != nil {
		return false
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return false
	}
	pc := uint64(reflect.ValueOf(selfIsProgram).Pointer())
	for line := range strings.Lines(string(maps)) {
		// start-end perms offset major:minor inode path
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || pc < start || pc >= end {
			continue
		}
		major, minor, _ := strings.Cut(f[3], ":")
		maj, err1 := strconv.ParseUint(major, 16, 32)
		mnr, err2 := strconv.ParseUint(minor, 16, 32)
		ino, err3 := strconv.ParseUint(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return false
		}
		dev := uint64(exe.Dev)
		// Linux's dev_t: the major number in bits 8-19 and 32-43, the
		// minor in bits 0-7 and 20-31.
		exeMaj := (dev>>8)&0xfff | (dev>>32)&^0xfff
		exeMin := dev&0xff | (dev>>12)&^0xff
		return ino == exe.Ino && maj == exeMaj && mnr == exeMin
	}
	return false
}

// restoreName names the process and the threads it has started name
// (/proc/self/task/*/comm: a thread started later takes the name of the
// thread that starts it); where it cannot, the name stays "exe".
func restoreName(name string) {
	if name == "" {
		return
	}
	tasks, _ := filepath.Glob("/proc/self/task/*/comm")
	for _, p := range tasks {
		_ = os.WriteFile(p, []byte(name), 0)
	}
}
