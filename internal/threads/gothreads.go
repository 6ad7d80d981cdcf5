package threads

// GoSpare is the most threads Go's runtime ran beyond GOMAXPROCS in a
// gpusim process: its first thread, sysmon, the template thread, threads
// spun up to look for work and threads parked after a blocking system
// call, which it keeps. Measured with Go 1.26 on 2 CPUs as a non-root user
// under ulimit -u, 8 runs of bin/gpusim run --engine parallel --lanes 1e6
// --steps 10 at each limit: with GOMAXPROCS=1 5 of 8 ran under a limit of
// 6 threads, 7 of 8 under 7 and 8, and 8 of 8 under 9; with GOMAXPROCS=2
// 7 of 8 under 8 and 8 of 8 under 9; 4, 8 and 16 ran 8 of 8 under 11, 15
// and 22. A thread Go's runtime cannot start aborts the process.
const GoSpare = 8

// GoMargin is the threads kept free beyond GoSpare where GOMAXPROCS is
// lowered to fit the process limit (FitProcs): on a loaded machine Go's
// runtime starts more threads for system calls that a busy core holds up,
// and under ulimit -u 12, with none of the user's other threads running, a
// run lowered to GOMAXPROCS=4 (4 + GoSpare = 12) aborted in pthread_create
// during the project's CI (its full suite on 2 cores). A guess past that
// one reading, not a bound: no bound holds for a thread count a machine's
// load drives.
const GoMargin = 2

// FitProcs is the GOMAXPROCS to run with where total threads in all are
// left to the process (the room the limit leaves and those it runs):
// total less GoSpare, less GoMargin where that leaves at least 1, and at
// most 1<<20; 0 or less where not even GOMAXPROCS=1 fits.
func FitProcs(total uint64) int {
	fit := int(min(total, 1<<20)) - GoSpare
	if fit > 1 {
		fit = max(fit-GoMargin, 1)
	}
	return fit
}

// GoNeed is the threads a process whose Go runtime runs procs threads
// (GOMAXPROCS) starts beyond the self it runs now (Self): procs+GoSpare
// less self, 0 where it runs that many already.
func GoNeed(procs int, self uint64) uint64 {
	n := uint64(max(procs, 1)) + GoSpare
	if self >= n {
		return 0
	}
	return n - self
}

// Short applies free (Free, or a test's stand-in) to need, the threads a
// command would start: the process limit, the user's threads used, the
// room between them (0 where used reaches limit) and whether need is more
// than that room; short is false where no limit applies.
func Short(free func(need uint64) (limit, used uint64, limited bool), need uint64) (limit, used, room uint64, short bool) {
	limit, used, limited := free(need)
	if !limited {
		return 0, 0, 0, false
	}
	if used < limit {
		room = limit - used
	}
	return limit, used, room, room < need
}
