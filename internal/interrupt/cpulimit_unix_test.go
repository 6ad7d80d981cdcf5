//go:build unix

package interrupt

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCPUCheck: a hard CPU time limit that leaves less than a run needs
// to work a beat and stop on one CPU, with a slack for every CPU it may
// run on (ulimit -t 1 on 64 CPUs, ulimit -t 0, one mostly spent before
// the run), is refused with the limit to set; ulimit -t 1 on a few CPUs,
// ulimit -t 2 on 64 and a limit past a Duration are not.
func TestCPUCheck(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct {
		hard  uint64
		used  time.Duration
		cpus  int
		least string // "": not refused
	}{
		{1, 0, 1, ""},
		{1, 50 * ms, 2, ""},
		{1, 0, 16, ""},
		{1, 0, 64, "ulimit -t 2 or more"},
		{2, 0, 64, ""},
		{0, 0, 1, "ulimit -t 1 or more"},
		{1, 700 * ms, 1, "ulimit -t 2 or more"},
		{1 << 62, 0, 1, ""}, // beyond a Duration: capped, not wrapped
	} {
		err := cpuCheck(c.hard, c.used, c.cpus)
		var le *CPULimitError
		if c.least == "" && err != nil || c.least != "" && (!errors.As(err, &le) || !strings.Contains(err.Error(), c.least)) {
			t.Errorf("cpuCheck(%d, %v, %d) = %v; want %q", c.hard, c.used, c.cpus, err, c.least)
		}
	}
}

// TestCPUStep: the watch stops where what is left of the limit is what
// its stop takes at the rate the process runs, with a forced exit's grace
// that fits what is left, and until then sleeps no longer than all its
// CPUs take to reach that point, a beat at most.
func TestCPUStep(t *testing.T) {
	ms := time.Millisecond
	s := time.Second
	for _, c := range []struct {
		limit time.Duration
		used  time.Duration
		rate  float64
		cpus  int
		sleep time.Duration // when not stopped
		grace time.Duration // when stopped
	}{
		// ulimit -t 1 on 2 CPUs, one busy: 0.12 s of slack, a stop's 0.2 s.
		{s, 0, 1, 2, cpuBeat, 0},         // far off: a beat
		{s, 600 * ms, 1, 2, 40 * ms, 0},  // 80 ms to the stop, which 2 CPUs take in 40
		{s, 680 * ms, 1, 2, 0, 200 * ms}, // the stop, with the whole grace
		{s, 780 * ms, 1, 2, 0, 100 * ms}, // past it (a late wake): the grace left
		{s, 880 * ms, 1, 2, 0, cpuReact}, // nothing left: the least grace
		// ulimit -t 5 on 16 CPUs: 0.26 s of slack, a stop's 16 x 0.2 s.
		{5 * s, 0, 16, 16, 96250 * time.Microsecond, 0}, // 1.54 s to the stop
		{5 * s, 1540 * ms, 16, 16, 0, 200 * ms},         // the stop
		{5 * s, 1640 * ms, 16, 16, 0, 193750 * time.Microsecond},
		{5 * s, 1540 * ms, 4, 16, 100 * ms, 0}, // 4 busy: its stop is 2.4 s off
		{5 * s, 3900 * ms, 4, 16, cpuReact, 0}, // 40 ms off, which 16 CPUs take in 2.5: the least sleep
	} {
		sleep, grace, stop := cpuStep(c.limit, c.used, c.rate, c.cpus)
		switch {
		case c.grace > 0 && (!stop || absDiff(grace, c.grace) > ms/10):
			t.Errorf("cpuStep(%v, %v, %v, %d) = %v, %v, %v; want a stop with grace %v", c.limit, c.used, c.rate, c.cpus, sleep, grace, stop, c.grace)
		case c.grace == 0 && (stop || absDiff(sleep, c.sleep) > ms/10):
			t.Errorf("cpuStep(%v, %v, %v, %d) = %v, %v, %v; want a sleep of %v", c.limit, c.used, c.rate, c.cpus, sleep, grace, stop, c.sleep)
		}
	}
}

func absDiff(a, b time.Duration) time.Duration { return max(a-b, b-a) }

// TestRusageCPU: getrusage's CPU time, processCPU's where the system has
// no CLOCK_PROCESS_CPUTIME_ID (NetBSD, AIX: gpusim did not build there
// while it read that clock everywhere), counts what the process spins, as
// the clock does.
func TestRusageCPU(t *testing.T) {
	// Spun until the system's clock has counted 100 ms of CPU, however
	// long a loaded machine takes to give it: getrusage must count at
	// least half of it (it may count in ticks of 10 ms).
	r0, c0 := rusageCPU(), systemCPU()
	for start := time.Now(); systemCPU()-c0 < 100*time.Millisecond; {
		if time.Since(start) > 30*time.Second {
			t.Skip("100 ms of CPU not given in 30 s")
		}
	}
	if r := rusageCPU() - r0; r < 50*time.Millisecond {
		t.Errorf("100 ms of CPU spun by the system's clock: getrusage counted %v (from %v)", r, r0)
	}
}

// TestCPULimitErrorSeconds: the refusal writes its times in seconds as it
// writes the limit, "1 s ... 0.04 s of it used ... the 1.3 s a run needs",
// where it read "1 s ... 40ms of it used ... the 1.3s a run needs".
func TestCPULimitErrorSeconds(t *testing.T) {
	err := &CPULimitError{Limit: 1, Used: 41 * time.Millisecond, Need: 1300 * time.Millisecond, CPUs: 2}
	want := "(ulimit -t 1: 1 s of CPU time on all threads together, 0.04 s of it used before the run) leaves less than the 1.3 s a run on 2 CPUs needs"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s\nwant it to hold %q", err, want)
	}
}
