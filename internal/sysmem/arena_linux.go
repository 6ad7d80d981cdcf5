package sysmem

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
)

// ArenaEnv is the setting RestartForLimit adds to the environment:
// glibc's malloc keeps to its main arena (mallopt(3), M_ARENA_MAX).
const ArenaEnv = "MALLOC_ARENA_MAX=1"

// commEnv carries the process's name (comm) over the restart; see
// restoreName. threadsEnv carries the thread count of the start before it
// (ArenaStartRoom, StackStartRoom) after the process's id, "PID:N", and
// marks a restart (ownRestart). arenaEnv is set
// where the restart added ArenaEnv; stackEnv carries the stack glibc gave
// the threads of the start before it and the soft RLIMIT_STACK its caller
// set, given back after the restart (restartStack).
const (
	commEnv    = "GPUSIM_RESTART_COMM"
	threadsEnv = "GPUSIM_RESTART_THREADS"
	arenaEnv   = "GPUSIM_RESTART_ARENA"
	stackEnv   = "GPUSIM_RESTART_STACK"
)

// restartStack is the soft RLIMIT_STACK the restart runs under, and so the
// stack glibc gives each thread it starts (pthread_create's default, read
// from RLIMIT_STACK once as a program starts): 2 MiB, what glibc gives
// them under ulimit -s unlimited on amd64 (ARCH_STACK_DEFAULT_SIZE), where
// pocl compiles and runs its kernels as under 8 MiB (checked with 1 MiB
// too). Go's goroutines run on stacks of Go's own; a thread's stack holds
// only the runtime's and C's calls.
const restartStack = 2 << 20

// The start before the restart: its thread count, 0 where this process is
// not a restart; whether the restart added ArenaEnv; the stack glibc gave
// its threads.
var (
	firstThreads int
	firstArena   bool
	firstStack   uint64
)

// exec is syscall.Exec, and setStack sets RLIMIT_STACK; tests replace
// them.
var (
	exec     = syscall.Exec
	setStack = func(rl *syscall.Rlimit) error { return syscall.Setrlimit(syscall.RLIMIT_STACK, rl) }
)

// RestartForLimit runs the program again in this process (execve of
// /proc/self/exe, same arguments and descriptors) when the process runs
// under an address-space limit (RLIMIT_AS, ulimit -v), so that its threads
// take less of it: with ArenaEnv in its environment where the environment
// does not already set glibc's arena count, and with restartStack for each
// thread's stack where RLIMIT_STACK gives them more (ulimit -s, 8 MiB on
// most systems), the caller's RLIMIT_STACK given back once it has started,
// for the processes it starts. Else, or when the exec fails, it returns
// and the program goes on as it is. Call it first in main.
//
// Arenas: gpusim's threads are started through pthread_create
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
// do not; the variable is inherited by the processes gpusim starts.
//
// Stacks: glibc maps RLIMIT_STACK of address space for each thread's
// stack, and a run starts about GOMAXPROCS + 5 threads: 8 MiB each, 554 MB
// for GOMAXPROCS=64. With them, runs of --engine parallel --lanes 1e6 with
// GOMAXPROCS=64 and MALLOC_ARENA_MAX=1 aborted in pthread_create 3 of 3
// times under ulimit -v 1450000 on 2 CPUs (127 MB left after the start);
// the restart's own start takes less than the first (its arenas, its
// stacks), so a first start that got to main is not lost in the
// restart's.
//
// The kernel names a process after the file it executes, and execve of
// /proc/self/exe names it "exe" (comm: what ps, top, pgrep -x and killall
// see), so the name it had is carried over in commEnv and given back to it
// and its threads after the restart (restoreName).
//
// Under a limit, it also records what the process has mapped once it has
// started (startMapped), from which SuggestLimit tells the Go runtime's
// smaller start from its full one.
func RestartForLimit() {
	restartForLimit()
	if _, limited := rlimitAS(); limited {
		startMapped, _ = vmSize() // 0 where unknown: no start recorded
	}
}

// restartForLimit is RestartForLimit but for the record of startMapped.
func restartForLimit() {
	if n, ok := ownRestart(); ok {
		restarted(n)
		return
	}
	if _, limited := rlimitAS(); !limited {
		return
	}
	_, set := os.LookupEnv("MALLOC_ARENA_MAX")
	arena := !set && !strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.arena_max")
	var stack syscall.Rlimit
	lower := getStack(&stack) == nil && stackLimit() > restartStack
	if !arena && !lower || !selfIsProgram() {
		return
	}
	env := append(os.Environ(), threadsEnv+"="+strconv.Itoa(os.Getpid())+":"+strconv.Itoa(threads()))
	if arena {
		env = append(env, ArenaEnv, arenaEnv+"=1")
	}
	if lower {
		first := stackLimit()
		if setStack(&syscall.Rlimit{Cur: restartStack, Max: stack.Max}) != nil {
			lower = false
		} else {
			env = append(env, stackEnv+"="+strconv.FormatUint(first, 10)+","+strconv.FormatUint(uint64(stack.Cur), 10))
		}
	}
	if !arena && !lower {
		return
	}
	if b, err := os.ReadFile("/proc/self/comm"); err == nil {
		env = append(env, commEnv+"="+strings.TrimSuffix(string(b), "\n"))
	}
	_ = exec("/proc/self/exe", os.Args, env)
	if lower {
		_ = setStack(&stack)
	}
}

// ownRestart returns the thread count the start before this process's
// restart carried over (threadsEnv, after this process's id, which execve
// keeps) and true. Otherwise it removes the restart's variables, which a
// user set, and returns false: taken, GPUSIM_RESTART_THREADS=1 skipped the
// restart, GPUSIM_RESTART_COMM renamed the process and GPUSIM_RESTART_STACK
// set the stack limit of the processes it starts (as the probe's variable
// a user sets is ignored, gpu/cl's GPUSIM_OPENCL_PROBE).
func ownRestart() (string, bool) {
	if v, ok := os.LookupEnv(threadsEnv); ok {
		if pid, n, found := strings.Cut(v, ":"); found && pid == strconv.Itoa(os.Getpid()) {
			return n, true
		}
	}
	for _, name := range []string{threadsEnv, arenaEnv, stackEnv, commEnv} {
		os.Unsetenv(name)
	}
	return "", false
}

// restarted takes what the start before the restart carried over (n, its
// thread count): the variables are unset, not for the processes gpusim
// starts; the caller's RLIMIT_STACK is given back, while this process's
// threads keep restartStack (threadStack); and the name is restored.
func restarted(n string) {
	os.Unsetenv(threadsEnv)
	firstThreads, _ = strconv.Atoi(n)
	firstThreads = max(firstThreads, 1)
	if _, ok := os.LookupEnv(arenaEnv); ok {
		os.Unsetenv(arenaEnv)
		firstArena = true
	}
	if v, ok := os.LookupEnv(stackEnv); ok {
		os.Unsetenv(stackEnv)
		first, limit, _ := strings.Cut(v, ",")
		firstBytes, err1 := strconv.ParseUint(first, 10, 64)
		cur, err2 := strconv.ParseUint(limit, 10, 64)
		var rl syscall.Rlimit
		if err1 == nil && err2 == nil && getStack(&rl) == nil {
			firstStack, threadStack = firstBytes, restartStack
			rl.Cur = cur
			_ = setStack(&rl)
		}
	}
	if name, ok := os.LookupEnv(commEnv); ok {
		os.Unsetenv(commEnv)
		restoreName(name)
	}
}

// arenaBytes is the address space of one of glibc's malloc arenas on
// 64-bit systems (HEAP_MAX_SIZE: 2 DEFAULT_MMAP_THRESHOLD_MAX, 64 MiB); it
// maps twice that while it aligns a new one.
const arenaBytes = 64 << 20

// ArenaStartRoom is how much more address space than this process's start
// a start of gpusim takes where its caller does not set MALLOC_ARENA_MAX,
// and whether that is known: it is where this process is the restart of
// such a start that added ArenaEnv (RestartForLimit). That start runs Go's runtime and
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
	if !firstArena {
		return 0, false
	}
	return uint64(firstThreads+1) * arenaBytes, true
}

// StackStartRoom is how much more address space the start before this
// restart took in its threads' stacks than this process's start, which gave
// them restartStack (RestartForLimit): a stack's difference for each of its
// threads; 0 where this process is not such a restart.
func StackStartRoom() uint64 {
	if threadStack == 0 || firstStack <= threadStack {
		return 0
	}
	return uint64(firstThreads) * (firstStack - threadStack)
}

// selfIsProgram reports whether /proc/self/exe is the file of this
// program's code, as /proc/self/maps maps it. It is not when the program
// was started through its dynamic loader (ld-linux-x86-64.so.2
// bin/gpusim run ...): /proc/self/exe is the loader, and execve of it with
// the program's arguments made the loader take "run" for the program to
// load (exit 127).
func selfIsProgram() bool {
	_, self, ok := programFile()
	return ok && self
}

// LoaderProgram is the path of this program's file where the process was
// started through its dynamic loader (/lib64/ld-linux-x86-64.so.2
// bin/gpusim run ...), so that /proc/self/exe is the loader: the path
// /proc/self/maps gives the file of the program's code. "" where
// /proc/self/exe is the program's own file, where that file was replaced
// or removed since ("(deleted)"), or where either cannot be read. A child
// that runs the program again runs the loader with it: /proc/self/exe
// alone is the loader without a program ("missing program name").
func LoaderProgram() string {
	path, self, ok := programFile()
	if !ok || self || !filepath.IsAbs(path) || strings.HasSuffix(path, " (deleted)") {
		return ""
	}
	return path
}

// programFile finds the mapping of this program's code in
// /proc/self/maps: its path, and whether it is /proc/self/exe's file (the
// same device and inode); ok false where either cannot be read.
func programFile() (path string, self, ok bool) {
	var exe syscall.Stat_t
	if syscall.Stat("/proc/self/exe", &exe) != nil {
		return "", false, false
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return "", false, false
	}
	pc := uint64(reflect.ValueOf(programFile).Pointer())
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
			return "", false, false
		}
		dev := uint64(exe.Dev)
		// Linux's dev_t: the major number in bits 8-19 and 32-43, the
		// minor in bits 0-7 and 20-31.
		exeMaj := (dev>>8)&0xfff | (dev>>32)&^0xfff
		exeMin := dev&0xff | (dev>>12)&^0xff
		return strings.Join(f[5:], " "), ino == exe.Ino && maj == exeMaj && mnr == exeMin, true
	}
	return "", false, false
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
