package cputime

import (
	"testing"
	"time"
)

// TestSuspended counts the gaps of suspendGap or more between beats, the
// one open now too, and nothing of a process that runs or of a gap under
// suspendGap.
func TestSuspended(t *testing.T) {
	now := time.Unix(1e9, 0)
	fakeSuspendWatch(t, func() time.Time { return now }, func() (map[int]int64, bool) { return nil, false })
	suspension.Lock()
	suspension.watching, suspension.last, suspension.total = true, now, 0
	suspension.Unlock()
	for i, c := range []struct {
		advance time.Duration
		beat    bool
		want    time.Duration
	}{
		{suspendBeat, true, 0},                            // running
		{400 * time.Millisecond, true, 0},                 // a scheduling delay, under suspendGap
		{3 * time.Second, false, 2900 * time.Millisecond}, // stopped, seen before the watch's beat
		{0, true, 2900 * time.Millisecond},                // the beat counts it once
		{suspendBeat, true, 2900 * time.Millisecond},
		{time.Second, true, 3800 * time.Millisecond}, // a second stop
	} {
		now = now.Add(c.advance)
		if c.beat {
			beat()
		}
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: Suspended() = %v, want %v", i, got, c.want)
		}
	}
}

// fakeSuspendWatch gives the watch a clock and a reading of the threads
// for the test, and puts the real ones back after it.
func fakeSuspendWatch(t *testing.T, clock func() time.Time, alive func() (map[int]int64, bool)) {
	t.Helper()
	suspension.Lock()
	oldClock, oldAlive, oldStolen := suspendNow, suspendAlive, suspendStolen
	watching, last, total := suspension.watching, suspension.last, suspension.total
	a, aok := suspension.alive, suspension.aliveOK
	cont, contBeat := suspension.continued, suspension.continuedBeat
	pending := suspension.pending
	suspension.pending = false
	suspendNow, suspendAlive = clock, alive
	suspendStolen = func() time.Duration { return 0 }
	stolen := suspension.stolen
	suspension.stolen = 0
	suspension.Unlock()
	t.Cleanup(func() {
		suspension.Lock()
		defer suspension.Unlock()
		suspendNow, suspendAlive, suspendStolen = oldClock, oldAlive, oldStolen
		suspension.stolen = stolen
		suspension.watching, suspension.last, suspension.total = watching, last, total
		suspension.alive, suspension.aliveOK = a, aok
		suspension.continued, suspension.continuedBeat = cont, contBeat
		suspension.pending = pending
	})
}

// TestSuspendedOverloaded: a gap through which a thread of the process ran
// or waited to run (its schedstat time grew by about the gap) is an
// overloaded machine, not a suspension. Six runs at once beside a test
// suite on 2 cores each printed "the run was suspended for 0.4 to 3.6 s"
// though nothing stopped them: gaps of 0.3 to 1 s in the beat.
func TestSuspendedOverloaded(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	for i, c := range []struct {
		advance time.Duration
		grow    map[int]int64 // each thread's growth of time alive, ns
		beat    bool
		want    time.Duration
	}{
		{time.Second, map[int]int64{1: ms(950), 2: ms(20)}, true, 0},                             // one thread ran or waited through it
		{2 * time.Second, map[int]int64{1: ms(100), 2: ms(100)}, false, 1900 * time.Millisecond}, // stopped, seen before the beat
		{0, nil, true, 1900 * time.Millisecond},                                                  // the beat counts it once
		{time.Second, map[int]int64{3: ms(900)}, true, 1900 * time.Millisecond},                  // a thread started in the gap and ran
		{time.Second, map[int]int64{1: ms(650)}, true, 1900 * time.Millisecond},                  // 350 ms unexplained: under suspendGap - suspendBeat
		{time.Second, map[int]int64{1: ms(500)}, true, 2800 * time.Millisecond},                  // 500 ms unexplained: a stop
		{3 * time.Second, nil, true, 5700 * time.Millisecond},                                    // nothing alive: a stop
	} {
		now = now.Add(c.advance)
		for k, g := range c.grow {
			threads[k] += g
		}
		if c.beat {
			beat()
		}
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: Suspended() = %v, want %v", i, got, c.want)
		}
	}
}

// TestSuspendedStarved: a gap through which the process's threads waited
// for a core in turns, none of them through the whole gap but together
// through all of it, is a starved process, not a stopped one, unless a
// SIGCONT came in it. The bench of 512 processes on 2 cores read as
// suspended for 5 to 12 s of each 9 to 14 s run, and ran each again ten
// times over.
func TestSuspendedStarved(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{}
	for tid := range 20 {
		threads[tid] = 0
	}
	watchThreads(t, &now, threads)
	suspension.Lock()
	suspension.continued, suspension.continuedBeat = 0, 0
	suspension.Unlock()
	starve := func() {
		now = now.Add(8 * time.Second)
		for tid := range threads {
			threads[tid] += int64(400 * time.Millisecond) // 20 x 0.4 s: the 8 s gap
		}
	}
	starve()
	beat()
	if got := Suspended(); got != 0 {
		t.Errorf("starved 8 s, no SIGCONT: Suspended() = %v, want 0", got)
	}
	starve()
	suspension.Lock()
	suspension.continued++ // the gap ended a stop
	suspension.Unlock()
	beat()
	// Counted as stopped: the 8 s less the 0.4 s a thread was alive.
	if got, want := Suspended(), 7600*time.Millisecond; got != want {
		t.Errorf("the same gap with a SIGCONT: Suspended() = %v, want %v", got, want)
	}
	// Children that waited for a core through the gap (their whole time
	// alive, read at the gap), while the thread that started one waited
	// for it to exec, or children reaped in the gap (their CPU time):
	// starved too, but no thread of the process's own through a gap with
	// a SIGCONT.
	children, reaped := time.Duration(0), time.Duration(0)
	oldChildren, oldReaped := suspendChildren, suspendReaped
	suspendChildren, suspendReaped = func() time.Duration { return children }, func() time.Duration { return reaped }
	t.Cleanup(func() { suspendChildren, suspendReaped = oldChildren, oldReaped })
	beat()
	for _, c := range []struct {
		children, reaped time.Duration
		cont             bool
		want             time.Duration
	}{
		{3 * time.Second, 0, false, 7600 * time.Millisecond},
		{0, 3 * time.Second, false, 7600 * time.Millisecond},
		{time.Second, time.Second, false, 7600*time.Millisecond + 2900*time.Millisecond}, // 1 s unexplained
		{3 * time.Second, 0, true, 7600*time.Millisecond + 2*2900*time.Millisecond},
	} {
		now = now.Add(3 * time.Second)
		children, reaped = c.children, reaped+c.reaped
		if c.cont {
			suspension.Lock()
			suspension.continued++
			suspension.Unlock()
		}
		beat()
		if got := Suspended(); got != c.want {
			t.Errorf("children alive %v, reaped %v in the gap, SIGCONT %v: Suspended() = %v, want %v", c.children, c.reaped, c.cont, got, c.want)
		}
	}
}

// watchThreads starts the watch at *now, its clock, with threads (thread
// id or -PID: time alive, ns) as its reading of the threads, which the
// test changes as it goes.
func watchThreads(t *testing.T, now *time.Time, threads map[int]int64) {
	read := func() (map[int]int64, bool) {
		m := make(map[int]int64, len(threads))
		for k, v := range threads {
			m[k] = v
		}
		return m, true
	}
	fakeSuspendWatch(t, func() time.Time { return *now }, read)
	suspension.Lock()
	defer suspension.Unlock()
	suspension.watching, suspension.last, suspension.total = true, *now, 0
	suspension.alive, suspension.aliveOK = read()
}

// TestSuspendedStolen: a gap through which the process's threads neither
// ran nor waited, while the virtual machine's host ran others on its CPUs
// (its steal time grew by the gap), is a loaded host, not a suspension: a
// thread running on a CPU the host took grows neither time, and such a
// gap counted as a stop (a run on a loaded machine said it was suspended
// for 600 ms). A gap with as much steal that a SIGCONT ended is a stop,
// and one without steal too.
func TestSuspendedStolen(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	var stolen time.Duration
	suspendStolen = func() time.Duration { return stolen }
	suspension.Lock()
	suspension.continued, suspension.continuedBeat = 0, 0
	suspension.Unlock()
	gap := func(steal time.Duration, cont bool) {
		now = now.Add(time.Second)
		for tid := range threads {
			threads[tid] += int64(100 * time.Millisecond) // 0.8 s unexplained
		}
		stolen += steal
		if cont {
			suspension.Lock()
			suspension.continued++
			suspension.Unlock()
		}
		beat()
	}
	for i, c := range []struct {
		steal time.Duration
		cont  bool
		want  time.Duration
	}{
		{1600 * time.Millisecond, false, 0},                      // both CPUs taken by the host for 0.8 s
		{0, false, 900 * time.Millisecond},                       // nothing explains it: a stop (a cgroup freezer's)
		{1600 * time.Millisecond, true, 1800 * time.Millisecond}, // a SIGCONT ended it: a stop
		{300 * time.Millisecond, false, 2700 * time.Millisecond}, // 0.5 s unexplained: a stop
	} {
		gap(c.steal, c.cont)
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: steal %v, SIGCONT %v: Suspended() = %v, want %v", i, c.steal, c.cont, got, c.want)
		}
	}
}

// TestSuspendedFirstReading: the wait from WatchSuspend to the watch's
// first reading of the threads is no stop without a SIGCONT in it, and
// the first beat's gap runs from that reading, not from WatchSuspend.
// GOMAXPROCS=2000 bin/gpusim run --engine parallel --lanes 1e7 --steps 1
// (611 goroutines) on a loaded 2-core machine got its first reading
// 0.53 s after WatchSuspend, and said "suspended for 400ms".
func TestSuspendedFirstReading(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	for i, c := range []struct {
		cont bool // a SIGCONT came in before the first reading
		want time.Duration
	}{
		{false, 0},
		{true, 1200 * time.Millisecond},
	} {
		suspension.Lock()
		suspension.pending, suspension.last, suspension.total = true, now, 0
		suspension.alive, suspension.aliveOK = nil, false
		if c.cont {
			suspension.continued++
		}
		suspension.Unlock()
		now = now.Add(1300 * time.Millisecond)
		if got := Suspended(); got != c.want { // before the reading
			t.Errorf("#%d: before the first reading: Suspended() = %v, want %v", i, got, c.want)
		}
		alive, ok := suspendAlive()
		firstReading(reading{start: now, end: now, continued: suspension.continued, alive: alive, ok: ok})
		now = now.Add(suspendBeat)
		threads[1] += ms(60)
		threads[2] += ms(40)
		beat()
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: after the first beat: Suspended() = %v, want %v", i, got, c.want)
		}
	}
}

// TestSuspendedFirstReadingLoaded: a stop before the watch's first reading,
// in a gap a loaded machine stretched, counts no more than the time the
// thread alive longest was not: GOMAXPROCS=300 run --engine parallel,
// stopped for 1 s 20 ms into the process, read 'suspended for 4.1s', the
// whole gap less the beat.
func TestSuspendedFirstReadingLoaded(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	suspension.Lock()
	suspension.pending, suspension.last, suspension.total = true, now, 0
	suspension.alive, suspension.aliveOK = nil, false
	suspension.continuedBeat = suspension.continued
	suspension.continued++ // the stop's SIGCONT
	suspension.Unlock()
	// A 1 s stop in a 4.2 s gap: thread 1 ran or waited to run for the
	// rest of it, thread 2 for 0.5 s.
	now = now.Add(4200 * time.Millisecond)
	threads[1] += int64(3200 * time.Millisecond)
	threads[2] += int64(500 * time.Millisecond)
	want := time.Second
	if got := Suspended(); got != want { // before the reading
		t.Errorf("before the first reading: Suspended() = %v, want %v", got, want)
	}
	alive, ok := suspendAlive()
	firstReading(reading{start: now, end: now, continued: suspension.continued, alive: alive, ok: ok})
	if got := Suspended(); got != want {
		t.Errorf("after the first reading: Suspended() = %v, want %v", got, want)
	}
}

// duringReading makes each reading of the threads (suspendAlive) that
// comes while *on is true run during first, then the reading set before
// it (watchThreads'): a test's slow reading, or a stop in one. The watch's
// fakes put the real reading back when the test ends.
func duringReading(during func()) (on *bool) {
	read := suspendAlive
	on = new(bool)
	suspendAlive = func() (map[int]int64, bool) {
		if *on {
			during()
		}
		return read()
	}
	return on
}

// TestSuspendedSlowReading: a gap with no SIGCONT is judged by the
// threads' growth from where the last reading of them ended, as each
// thread's growth runs from when its file was read. Reading 505 threads'
// files on a loaded 2-core machine took up to 0.37 s, and a gap of 0.5 s
// from the reading's start, with 0.04 to 0.1 s of growth since, read as
// suspended (GOMAXPROCS=2000 bin/gpusim run --engine parallel --lanes 1e7
// --steps 1). A stop ended by a SIGCONT still counts in full.
func TestSuspendedSlowReading(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	slow := duringReading(func() { // the reading takes 0.4 s, in which the threads grow
		now = now.Add(400 * time.Millisecond)
		threads[1] += ms(400)
	})
	for i, c := range []struct {
		cont bool // a SIGCONT came in the gap
		want time.Duration
	}{
		{false, 0},
		{true, 450 * time.Millisecond},
	} {
		suspension.Lock()
		suspension.total = 0
		suspension.Unlock()
		*slow = true
		beat() // starts at now, ends 0.4 s later
		*slow = false
		now = now.Add(150 * time.Millisecond) // 0.55 s after the beat's start
		threads[1] += ms(60)
		if c.cont {
			suspension.Lock()
			suspension.continued++
			suspension.Unlock()
		}
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: Suspended() = %v, want %v", i, got, c.want)
		}
		beat()
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: after the beat: Suspended() = %v, want %v", i, got, c.want)
		}
	}
}

// TestSuspendedAmongMany: a gap a SIGCONT ended counts the time the
// thread that grew most was not alive, measured up to the end of the
// reading of its file, where the gap is longer: a process of 1000
// goroutines (GOMAXPROCS=1000 bin/gpusim run --engine parallel --lanes 3e7
// --steps 20) stopped for 2 s on a loaded 2-core machine had gaps of 5 to
// 8 s, the rest waiting to run, and said "suspended for 6.7s" (8.2s,
// 17.3s); its 400 threads' files took 0.5 to 1.5 s to read, and judged
// from the gap alone a stop of 1.8 s read as 0.3 s, none.
func TestSuspendedAmongMany(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	read := suspendAlive
	var readTook, grow time.Duration // the reading's time, and thread 1's growth by its end
	suspendAlive = func() (map[int]int64, bool) {
		now = now.Add(readTook)
		threads[1] += int64(grow)
		return read()
	}
	for i, c := range []struct {
		gap, readTook, grow, want time.Duration
	}{
		{time.Second, 0, 100 * time.Millisecond, 900 * time.Millisecond},                                     // the beat's interval is not counted
		{6 * time.Second, 0, 4 * time.Second, 2 * time.Second},                                               // stopped 2 s, waiting to run 4 s
		{6800 * time.Millisecond, 1500 * time.Millisecond, 6500 * time.Millisecond, 1800 * time.Millisecond}, // its reading 1.5 s long
	} {
		suspension.Lock()
		suspension.total = 0
		suspension.continued++
		suspension.Unlock()
		now = now.Add(c.gap)
		readTook, grow = c.readTook, c.grow
		beat()
		readTook, grow = 0, 0
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: a gap of %v, read in %v, one thread alive %v of it: Suspended() = %v, want %v", i, c.gap, c.readTook, c.grow, got, c.want)
		}
	}
}

// TestSuspendedContinuedInLongReading: a stop in a beat's reading of the
// threads, after a gap a loaded machine made long, is counted once, by the
// next beat: judged by the SIGCONTs counted when the reading was done, the
// gap before it took the stop in as well (GOMAXPROCS=1000 bin/gpusim run
// --engine parallel --lanes 3e7 --steps 20, stopped for 2 s 0.4 s into the
// run: 'suspended for 4.7s', 2.2 s and 2.5 s).
func TestSuspendedContinuedInLongReading(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	inReading := duringReading(func() { // stopped 2 s of a reading of 2.5 s, then a SIGCONT
		now = now.Add(2500 * time.Millisecond)
		threads[1] += ms(500)
		noteContinued()
	})
	now = now.Add(time.Second) // a loaded gap: thread 1 waited to run through it
	threads[1] += ms(950)
	*inReading = true
	beat()
	*inReading = false
	suspension.Lock()
	counted := suspension.total
	suspension.Unlock()
	if counted != 0 {
		t.Errorf("the beat whose reading held the stop counted %v, want 0 (the gap before it ran)", counted)
	}
	now = now.Add(100 * time.Millisecond)
	threads[1] += ms(100)
	beat()
	// The gap from the last beat's start, 2.6 s, less what thread 1 grew
	// since its reading (0.1 s): 0.5 s above the stop, the reading's time
	// thread 1 was alive before its file was read.
	if got, want := Suspended(), 2500*time.Millisecond; got != want {
		t.Errorf("after the next beat: Suspended() = %v, want %v (the stop of 2 s once)", got, want)
	}
}

// TestSuspendedBeforeFirstReading: a stop before the watch's first
// reading, whose SIGCONT is counted just after the reading began, counts
// in full; a gap as long with no SIGCONT (an overloaded start) does not.
// The first reading counted nothing where it came before the SIGCONT's
// count: TestSuspendedRunNote, stopping a run at its first progress bar,
// printed no note in 1 of 10 runs on a quiet 2-core machine.
func TestSuspendedBeforeFirstReading(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	for i, c := range []struct {
		cont bool // a SIGCONT is counted 10 ms into the reading
		want time.Duration
	}{
		{false, 0},
		{true, 1900 * time.Millisecond},
	} {
		suspension.Lock()
		suspension.pending, suspension.last, suspension.total = true, now, 0
		suspension.continuedBeat = suspension.continued
		suspension.alive, suspension.aliveOK = nil, false
		suspension.Unlock()
		now = now.Add(2 * time.Second)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if c.cont {
				time.Sleep(10 * time.Millisecond)
				noteContinued()
			}
		}()
		start := time.Now()
		watchStart()
		waited := time.Since(start)
		<-done
		if got := Suspended(); got != c.want {
			t.Errorf("#%d: Suspended() = %v, want %v", i, got, c.want)
		}
		if !c.cont && waited < continuedWait {
			t.Errorf("#%d: the reading waited %v for a SIGCONT, want continuedWait (%v)", i, waited, continuedWait)
		}
	}
}

// TestSuspendedInReading: a stop that comes while a beat reads the
// threads' files, whose SIGCONT is counted before the reading ends, is
// counted by the next beat, whose gap from the reading's start holds it.
// It was lost: the reading took the SIGCONT in as its own, and the next
// gap, with none, was judged from the reading's end, after the stop
// (TestSuspendedRunNote printed no note in 1 of 30 runs).
func TestSuspendedInReading(t *testing.T) {
	now := time.Unix(1e9, 0)
	threads := map[int]int64{1: 0, 2: 0}
	watchThreads(t, &now, threads)
	stop := duringReading(func() { // stopped for 2 s in the reading, then continued
		now = now.Add(2 * time.Second)
		noteContinued()
	})
	suspension.Lock()
	suspension.total = 0
	suspension.Unlock()
	now = now.Add(suspendBeat)
	*stop = true
	beat()
	*stop = false
	// The gap open since the beat's start holds the stop already.
	if got, want := Suspended(), 1900*time.Millisecond; got != want {
		t.Errorf("after the reading's beat: Suspended() = %v, want %v", got, want)
	}
	now = now.Add(suspendBeat)
	threads[1] += int64(80 * time.Millisecond)
	threads[2] += int64(40 * time.Millisecond)
	beat()
	if got, want := Suspended(), 2*time.Second; got != want {
		t.Errorf("after the next beat: Suspended() = %v, want %v", got, want)
	}
}
