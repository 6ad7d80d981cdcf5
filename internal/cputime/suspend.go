package cputime

import (
	"sync"
	"time"
)

// suspendBeat is how often the watch started by WatchSuspend notes that
// the process runs, and suspendGap the least gap between two of its beats
// counted as a suspension: five beats missed, far less than a stop anyone
// sends by hand or by a scheduler. A loaded machine delays a runnable
// thread by milliseconds, but an overloaded one by seconds (six runs at
// once beside a test suite on 2 cores, a load average near 20, gave gaps
// of 0.3 to 1 s, in which a run got 13 to 80 ms of CPU time); where the
// threads' schedstat files say the process wanted to run through the gap,
// it was not suspended (threadsAlive): where one of its threads did so
// through nearly all the gap, or, where no SIGCONT came in it (every stop
// ends with one), its threads together did (aliveGrowth). The bench of 512
// processes on 2 cores, whose parent's threads each waited for a core in
// turns, read as suspended for 5 to 12 s of each 9 to 14 s run, which it
// ran again ten times over.
const (
	suspendBeat = 100 * time.Millisecond
	suspendGap  = 500 * time.Millisecond
)

// suspension is the state of the watch: the time of its last beat and
// its threads' time alive then (threadsAlive; aliveOK false where that is
// unknown), and the suspensions counted before it.
var suspension struct {
	sync.Mutex
	watching bool
	// pending is true from WatchSuspend to the watch's first reading of
	// the threads (firstReading), when a gap is a stop only where a
	// SIGCONT came in it.
	pending bool
	// last is the time of the last beat, taken before its reading of the
	// threads, and readEnd the time that reading ended (gapSince).
	last, readEnd time.Time
	alive         map[int]int64
	aliveOK       bool
	total         time.Duration
	// continued counts the SIGCONTs the process got (watchContinued),
	// and continuedBeat the count at the last beat: a gap in which it
	// grew ended a stop.
	continued, continuedBeat int
	// continuedWake is closed at the next SIGCONT (noteContinued), where
	// a reading waits for one (awaitContinued); nil where none waits.
	continuedWake chan struct{}
	// reaped is the children's CPU time waited for (reapedCPU) at the
	// last beat, and stolen the machine's steal time (stolenTime).
	reaped, stolen time.Duration
}

// suspendNow is the clock of the watch and suspendAlive its reading of
// the threads; variables for tests.
var (
	suspendNow      = time.Now
	suspendAlive    = threadsAlive
	suspendChildren = childrenAlive
	suspendReaped   = reapedCPU
	suspendStolen   = stolenTime
)

// continuedWait is how long a reading after a gap waits at most for a
// SIGCONT that ended it to be counted (awaitContinued; watchContinued's
// goroutine is woken with the reading's): a stop of a process with
// children was judged a starvation when the beat came first, and a stop
// before the watch's first reading, which only a SIGCONT tells, was lost
// when that reading came first (TestSuspendedRunNote stopped a run at its
// first progress bar, 10 ms into the process: 1 in 10 runs printed no note
// on a quiet 2-core machine, with a fixed wait of 20 ms after a beat and
// none before the first reading). The wait ends as the SIGCONT is counted;
// it lasts in full only for a gap no SIGCONT ended.
const continuedWait = 100 * time.Millisecond

// noteContinued counts a SIGCONT (watchContinued) and wakes the readings
// waiting for one (awaitContinued).
func noteContinued() {
	suspension.Lock()
	defer suspension.Unlock()
	suspension.continued++
	if suspension.continuedWake != nil {
		close(suspension.continuedWake)
		suspension.continuedWake = nil
	}
}

// awaitContinued waits, where the gap since the last beat (or since
// WatchSuspend) reached suspendGap at now and no SIGCONT came in it yet,
// for one to be counted (noteContinued), continuedWait at most. It returns
// the SIGCONTs counted when it returns.
func awaitContinued(now time.Time) int {
	suspension.Lock()
	if now.Sub(suspension.last) < suspendGap || suspension.continued != suspension.continuedBeat {
		defer suspension.Unlock()
		return suspension.continued
	}
	if suspension.continuedWake == nil {
		suspension.continuedWake = make(chan struct{})
	}
	wake := suspension.continuedWake
	suspension.Unlock()
	t := time.NewTimer(continuedWait)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	}
	suspension.Lock()
	defer suspension.Unlock()
	return suspension.continued
}

// reading is one reading of the watch (takeReading), begun at start and
// ended at end: the SIGCONTs counted before the threads were read, the
// threads' times alive (threadsAlive; ok false where unknown), the reaped
// children's CPU time and the machine's steal time.
type reading struct {
	start, end     time.Time
	continued      int
	alive          map[int]int64
	ok             bool
	reaped, stolen time.Duration
}

// takeReading reads the threads now, waiting first, after a gap, for the
// SIGCONT that ended it to be counted (awaitContinued). A SIGCONT counted
// later, in the reading, belongs to the next gap: a stop that came between
// the reading's start and its end (a beat's start and its reading of the
// files) is seen by the next beat, whose gap from this one's start holds
// it. Such a stop was lost when the reading's count took it in: the next
// gap, with no SIGCONT of its own, was judged from the reading's end, after
// the stop (TestSuspendedRunNote printed no note in 1 of 30 runs).
func takeReading() reading {
	r := reading{start: suspendNow()}
	r.continued = awaitContinued(r.start)
	r.alive, r.ok = suspendAlive()
	r.reaped, r.stolen = suspendReaped(), suspendStolen()
	r.end = suspendNow()
	return r
}

// keep makes r the watch's last reading. The caller holds suspension's
// lock.
func keep(r reading) {
	suspension.last, suspension.readEnd = r.start, r.end
	suspension.alive, suspension.aliveOK = r.alive, r.ok
	suspension.continuedBeat, suspension.reaped, suspension.stolen = r.continued, r.reaped, r.stolen
}

// WatchSuspend starts, once per process, the watch behind Suspended: a
// goroutine that wakes every 100 ms (suspendBeat). A program's main calls
// it; without it Suspended is always 0.
func WatchSuspend() {
	suspension.Lock()
	defer suspension.Unlock()
	if suspension.watching {
		return
	}
	suspension.watching, suspension.last = true, suspendNow()
	suspension.pending, suspension.continuedBeat = true, suspension.continued
	watchContinued()
	go func() {
		// The threads' first reading is the watch's, off the caller's
		// start (a process's start-up is timed: it reads files).
		watchStart()
		t := time.NewTicker(suspendBeat)
		for range t.C {
			beat()
		}
	}()
}

// watchStart takes the watch's first reading of the threads
// (firstReading), waiting first for the SIGCONT that ended a stop since
// WatchSuspend to be counted (takeReading): the stop is lost otherwise, as
// only a SIGCONT tells one before the first reading.
func watchStart() {
	firstReading(takeReading())
}

// firstReading puts in the watch's first reading of the threads, r, and
// counts the gap since WatchSuspend as a suspension only where a SIGCONT
// ended it, and then no more than the time the thread alive longest was
// not (gapSince, stoppedFor; suspension.alive is nil until it): the reading is the start of the next gap, not
// WatchSuspend's time. On a loaded machine the watch's goroutine got to it
// up to 0.56 s after WatchSuspend (GOMAXPROCS=2000, 611 goroutines on 2
// cores), and the first beat, measuring that whole wait against the
// threads' growth since the reading, said "suspended for 400ms".
func firstReading(r reading) {
	suspension.Lock()
	defer suspension.Unlock()
	if !suspension.pending {
		return
	}
	suspension.total += gapSince(r.start, r.end, r.continued, r.alive, r.ok)
	suspension.pending = false
	keep(r)
}

// beat notes that the process runs now, counting the gap since the last
// beat as a suspension where it is one (gapSince).
func beat() {
	r := takeReading()
	suspension.Lock()
	defer suspension.Unlock()
	suspension.total += gapSince(r.start, r.end, r.continued, r.alive, r.ok)
	keep(r)
}

// gapSince is the time the process was suspended between its last beat
// and now, given its threads' time alive (threadsAlive) read from now to
// end and the SIGCONTs counted at now (a SIGCONT counted in the reading
// belongs to the next gap, as keep holds: judged in this one too, its stop
// was counted twice, 'suspended for 4.7s' of 2 s): the gap less the beat's own interval (which a running process
// spends too) where the gap is suspendGap or more, and 0 for a shorter gap
// or one through which the process ran or waited to run (an overloaded
// machine, not a stop): one thread's time alive grew by all but less than
// suspendGap - suspendBeat of the gap (stoppedFor, which also bounds the
// time counted), or, where no SIGCONT came in the gap
// (continued), the sum of its threads' growths, its running
// children's whole time alive (read only here, suspendChildren: a child
// it starts holds a thread until it execs), its reaped children's CPU
// time since the last beat and the machine's steal time in the gap (a
// virtual machine whose host ran others on its CPUs: a thread running on
// a CPU the host took grows neither its time on a CPU nor its wait, so
// that a loaded host's steal read as a stop) did. A starved process's
// threads wait for a core in turns, none through the whole gap; a stopped
// one's grow only before the stop and after its SIGCONT, whose gap is
// judged by one thread's alone, as many threads running before a stop
// would sum to the gap. Where the threads' times are unknown, the length
// alone decides, but before the watch's first reading (suspension.pending)
// only a SIGCONT in the gap does. The caller holds suspension's lock.
func gapSince(now, end time.Time, continued int, alive map[int]int64, ok bool) time.Duration {
	d := now.Sub(suspension.last)
	if d < suspendGap {
		return 0
	}
	if suspension.pending && continued == suspension.continuedBeat {
		return 0 // before the first reading only a SIGCONT tells a stop
	}
	if suspension.pending && ok {
		// No reading before: each thread's whole time alive is its
		// growth (stoppedFor), all but the few milliseconds before
		// WatchSuspend. The whole gap counted: GOMAXPROCS=300 run
		// --engine parallel, stopped for 1 s 20 ms into the process on
		// a loaded machine, read 'suspended for 4.1s'.
		return stoppedFor(d, end, alive)
	}
	if !ok || !suspension.aliveOK {
		return d - suspendBeat
	}
	if continued != suspension.continuedBeat {
		return stoppedFor(d, end, alive)
	}
	_, most := aliveGrowth(suspension.alive, alive)
	// Each thread's growth runs from when the last reading read its
	// file: what all of them cover starts where the reading ended.
	// Reading 505 threads' files on a loaded 2-core machine took up to
	// 0.37 s, and a gap of 0.5 s after it, with 0.04 to 0.1 s of growth
	// since, read as suspended.
	if suspension.readEnd.After(suspension.last) {
		d = now.Sub(suspension.readEnd)
		if d < suspendGap {
			return 0
		}
	}
	if d-most >= suspendGap-suspendBeat {
		most += suspendChildren() + max(suspendReaped()-suspension.reaped, 0) + max(suspendStolen()-suspension.stolen, 0)
	}
	if d-most < suspendGap-suspendBeat {
		return 0
	}
	return d - suspendBeat
}

// stoppedFor is the time the process was stopped in a gap of d since the
// last beat that a SIGCONT ended, given its threads' time alive read up to
// end: the time the thread that grew most was not alive, from the last
// beat to end, where that is suspendGap - suspendBeat or more, and at most
// d - suspendBeat; 0 otherwise. A thread's time alive cannot grow while
// the process is stopped, and grows through a wait for a core: a process
// of 1000 goroutines stopped for 2 s on a loaded 2-core machine had gaps
// of 5 to 8 s, the rest of them spent waiting to run, and its whole gap
// was counted ('suspended for 6.7s', 8.2s and 17.3s). Its threads' files
// are read up to end (0.5 to 1.5 s after the reading's start, for 400
// threads), and their growth is measured to then: the gap alone would
// count 0.73 s of that 2 s stop. The caller holds suspension's lock.
func stoppedFor(d time.Duration, end time.Time, alive map[int]int64) time.Duration {
	most, _ := aliveGrowth(suspension.alive, alive)
	idle := max(end.Sub(suspension.last), d) - most
	if idle < suspendGap-suspendBeat {
		return 0
	}
	return min(idle, d-suspendBeat)
}

// aliveGrowth is the most any one thread's time alive grew from before to
// after, and the sum of their growths: a thread not in before started
// between them, and all its time counts.
func aliveGrowth(before, after map[int]int64) (most, sum time.Duration) {
	for tid, a := range after {
		g := time.Duration(a - before[tid])
		most, sum = max(most, g), sum+max(g, 0)
	}
	return most, sum
}

// Suspended is the wall time the process has spent suspended since
// WatchSuspend: stopped (SIGSTOP; Ctrl-Z's SIGTSTP; Slurm's scontrol
// suspend, which sends SIGSTOP) until its SIGCONT, or the whole machine
// paused (a virtual machine's), measured as the gaps of 0.5 s or more
// (suspendGap) in a beat every 0.1 s, the one open now included: a caller
// that runs first after a SIGCONT, before the watch's goroutine, sees the
// stop too. A stop under 0.5 s is not counted, and each is counted to
// within 0.1 s, or, on Linux, at most the time the thread of the process
// that grew most was not alive in its gap, where a loaded machine made the
// gap longer than the stop (stoppedFor). On Linux a gap through which one of the process's threads
// ran or waited on a run queue (an overloaded machine) is not counted
// (threadsAlive), nor, without a SIGCONT in it, one the virtual machine's
// steal time explains (stolenTime); a thread blocked on I/O meanwhile (heavy swapping) still
// counts as suspended. It is 0 without WatchSuspend. Wall time less
// Suspended is the time the process could run: what a rate or a timing is
// measured over.
func Suspended() time.Duration {
	now := suspendNow()
	suspension.Lock()
	open := suspension.watching && now.Sub(suspension.last) >= suspendGap
	suspension.Unlock()
	var alive map[int]int64
	ok := false
	end := now
	continued := -1 // read below, where no gap is open
	if open {       // read only where a gap is open: it is rare, and reads files
		continued = awaitContinued(now)
		alive, ok = suspendAlive()
		end = suspendNow()
	}
	suspension.Lock()
	defer suspension.Unlock()
	if !suspension.watching {
		return 0
	}
	if continued < 0 {
		continued = suspension.continued
	}
	return suspension.total + gapSince(now, end, continued, alive, ok)
}
