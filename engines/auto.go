package engines

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cpuinfo"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/jsonnum"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/sim"
)

// Choice is what auto chose and why, for the report.
type Choice struct {
	Engine string        `json:"engine"` // the engine auto started, as --engine names it
	Reason string        `json:"reason"` // why, one line for the report
	Probe  time.Duration `json:"-"`      // time spent starting and measuring candidates

	key       string  // the calibration that predicted the choice, or ""
	predicted float64 // its predicted seconds for the job, start-up included
	// measured is that calibration's Measured, its identity: what the
	// run says of the calibration as a whole (a run off its prediction,
	// devices that do not start together) is kept only while the one
	// under key is still it (dropCalibration, dropMulti).
	measured time.Time
	// work is the job's lane-steps, device the chosen engine's place in
	// the calibration (-1: simd) and startup the seconds of device
	// start-up counted in predicted: what Observe needs to confirm the
	// engine's cost from the run (confirm).
	work    float64
	device  int
	startup float64
	// check says the run checks a runner-up (pick): one on a busy
	// machine is counted (busyChecks).
	check bool
	// fresh says Auto started the chosen device for this run alone
	// (chooseCalibrated, its program loaded, not compiled, its own or,
	// waited for, another process's build: coldStarted; and no
	// devices opened before it for a run on several): the time
	// from Auto's call to its return is a start-up of it, as a later
	// process pays it, which Observe keeps for a GPU (learnStartup).
	fresh bool
	// label is the chosen device's Label in the calibration (device is
	// its place there), which Observe's updates check: a calibration
	// dropped and measured again under key meanwhile (another process)
	// may list another device at that place.
	label string
	// multi names the devices of a run on several at once (chooseMulti:
	// "devices 0-7 (8 NVIDIA H200)"), which Observe judges as a whole
	// (observeMulti), and multiList lists them as --device does ("0,1"),
	// under which a fresh run's start-up is kept (learnMultiStart); both
	// "" for a run on one engine. fresh says for such a run that
	// chooseCalibrated opened them before any other device.
	multi, multiList string
	// coldKey is the calibration a device was chosen from whose start
	// compiled its program (chooseCalibrated's compiles), where key is
	// "": the run measures the device's cold start (learnColdStart).
	coldKey string

	// The run's share of its cores: cpuBound says the chosen engine
	// computes on this machine's cores (simd, a CPU device), cores how
	// many it may use (usableCores: at most the cgroup's CPU limit), and
	// at and cpu0 the wall clock and the process's CPU time when Auto
	// returned.
	cpuBound bool
	cores    float64
	at       time.Time
	cpu0     time.Duration
	// For a run on a GPU, which computes off the machine's cores: the
	// cores simd would have (simdCores) and the machine's idle CPU time
	// from Auto's call (spare), which tell whether simd would have got
	// them (spareShare).
	simdCores float64
	spare     spare
	// suspended0 is suspended() when Auto was called: a run after which
	// it is more was suspended (Ctrl-Z, SIGSTOP, Slurm's suspend), and
	// Observe does not judge it.
	suspended0 time.Duration
	// waited is the time Auto waited for another run's calibration
	// (calibrationTurn) and then chose from it: Observe leaves it out of
	// the run's time, whose start-up it would otherwise be counted in.
	waited time.Duration
}

// suspended is the wall time the process has spent suspended so far
// (cputime.Suspended; a variable for tests): a timing that spans a
// suspension counts the time stopped as the engine's.
var suspended = cputime.Suspended

// started records the clocks the run's CPU share is measured from: its
// engine is chosen and started. m0 is the machine's idle CPU time when
// Auto was called, kept for a GPU's run.
func (ch *Choice) started(m0 spare) {
	ch.at, ch.cpu0 = now(), processCPU()
	if !ch.cpuBound {
		ch.spare = m0
	}
}

// onCores sets ch.cpuBound and ch.cores for simd, or a device whose
// gpu says whether it computes off the machine's cores, running p's job
// (jobParams), and ch.simdCores.
func (ch *Choice) onCores(simd cpu.SIMD, device, gpu bool, p sim.Params) {
	simdN := simdJobCores(simd, p)
	n := deviceJobCores(p) // a CPU device's: deviceClock
	if !device {
		n = simdN
	}
	ch.cpuBound = !device || !gpu
	ch.cores, _ = usableCores(n)
	ch.simdCores, _ = usableCores(simdN)
}

// spare is the machine's idle CPU time (machineIdle, summed over its CPUs)
// and the process's CPU time at a wall time: the zero spare where the
// machine's is not known.
type spare struct {
	at        time.Time
	idle, cpu time.Duration
}

// machineIdle is the idle time of the CPUs the process may run on
// (cputime.Idle; a variable for tests).
var machineIdle = cputime.Idle

// spareNow is the spare from now on.
func spareNow() spare {
	idle, ok := machineIdle()
	if !ok {
		return spare{}
	}
	return spare{at: now(), idle: idle, cpu: processCPU()}
}

// spareShare is the share of simd's cores the machine had to spare since
// Auto's call, for a run on a GPU: the idle time of the CPUs the process
// may run on (cputime.Idle: a Slurm job's cpuset, not the node) and its
// own CPU time (a GPU's host thread, which simd's would replace) over the
// wall time times simd's cores, or -1 where it is not measured (a run on
// the machine's cores, which runShare measures; no /proc/stat; under
// minObserved of wall time, a few of its 10 ms ticks). Under a cgroup CPU
// limit, other processes of the cgroup may use what the machine has idle:
// the file is the host's.
func (ch Choice) spareShare() float64 {
	s := ch.spare
	if ch.cpuBound || s.at.IsZero() || ch.simdCores <= 0 {
		return -1
	}
	idle, ok := machineIdle()
	wall := now().Sub(s.at).Seconds()
	if !ok || wall < minObserved || idle < s.idle {
		return -1
	}
	own := time.Duration(0)
	if s.cpu > 0 {
		own = max(processCPU()-s.cpu, 0)
	}
	return (idle - s.idle + own).Seconds() / wall / ch.simdCores
}

// cpuLimit is the process's cgroup CPU limit in CPUs (cputime.Limit, read
// once: it reads a few files, and auto asks on every run; a variable for
// tests).
var cpuLimit = sync.OnceValues(cputime.Limit)

// usableCores is the cores an engine on n of this machine's cores can
// use: n, or the cgroup's CPU limit where that is less (limited true).
// Go rounds GOMAXPROCS up from the limit, and up to 2: on 2 cores under
// half a CPU (a container's --cpus 0.5), runs got a quarter of the 2
// cores auto counted, were taken for a loaded machine's and never judged,
// and auto checked the same runner-up on every run, predicting 0.09 s
// for runs of 0.32 s.
func usableCores(n int) (cores float64, limited bool) {
	if l, ok := cpuLimit(); ok && l > 0 && l < float64(n) {
		return l, true
	}
	return float64(n), false
}

// runShare is the share of its cores the run since Auto returned got (CPU
// time over wall time times cores), or -1 where it is not measured.
func (ch Choice) runShare() float64 {
	if ch.cores <= 0 || ch.at.IsZero() || ch.cpu0 <= 0 {
		return -1
	}
	cpu1, wall := processCPU(), now().Sub(ch.at).Seconds()
	if cpu1 <= 0 || wall <= 0 {
		return -1
	}
	return (cpu1 - ch.cpu0).Seconds() / wall / ch.cores
}

// Observe compares a finished run with what auto's calibration predicted
// for it. took is the time from Auto's call to the end of the run, less
// ch.Probe, for the plain job Auto was asked about (not a shard, not
// --daily, whose calibration is its own and not judged by runs); Observe leaves out of
// it the time Auto waited for another run's calibration (Choice.waited). A run that took or was
// predicted to take 50 ms or more and took less than half or more than
// twice the prediction drops the calibration, so that the next run
// measures again: one noisy probe (a fresh user saw predictions 5.5x off)
// no longer stands until the binary changes. (Judging by the prediction
// alone kept one 15x too fast: it predicted 13 ms for runs of 205 ms.)
//
// A run on the machine's cores (simd, a CPU device) is first measured for
// its share of them: one that got less than busyShare (75%) ran on a busy
// machine and says nothing of the figures, which stay (dropping them
// re-measured on every run of a loaded machine, and auto took 1.6x simd's
// time). One that got them is timed as the probes are (clock): its run by
// CPU time over its cores, the start-up before it by wall time. A GPU's
// run confirms its cost from the time after its start-up (Auto's return),
// which varies from run to run by more than a GPU's run takes, and is
// judged with the calibrated start-up in place of its own: a GPU's
// start-up is kept as one more sample of it (learnStartup), so that one
// slow start (seconds, the first after boot) no longer drops a
// calibration whose run matched it, nor does one fast start where the
// calibration's own start-up was the slow one. A check of
// a runner-up on a busy machine is counted (busyChecks, at most 2), and the count
// cleared by the next run that got its cores, or by a GPU's run over which
// the machine had busyShare of simd's cores to spare (spareShare: idle, or
// the process's own): where a GPU runs every job, no run on the machine's
// cores came to clear it, and simd went unchecked until the next
// calibration. A run whose start compiled its program, which Observe does
// not judge, keeps its start-up as the device's cold start
// (learnColdStart). A run on several devices at once is judged as a
// whole, and may drop only that choice; its start-up is kept as one of
// that set of devices (observeMulti). What it drops is the calibration
// the run was chosen from (Choice.measured): one another process dropped
// and measured again meanwhile stays. A run the process was suspended in
// between Auto's call and its end (Ctrl-Z, SIGSTOP, Slurm's suspend:
// suspended) is not judged, nor is its start-up kept. It returns a note
// saying what it dropped, or "".
func Observe(ch Choice, took time.Duration) string {
	if suspended() > ch.suspended0 {
		// Suspended from Auto's call to the run's end: its time
		// counts the stop, and a GPU's run, judged by wall time,
		// dropped its calibration or confirmed a cost some times its
		// own (a CPU's, by CPU time, was taken for a busy machine's).
		return ""
	}
	took -= min(ch.waited, took)
	if ch.coldKey != "" && !ch.at.IsZero() {
		learnColdStart(ch, took.Seconds()-min(now().Sub(ch.at), took).Seconds())
	}
	if ch.key == "" || max(ch.predicted, took.Seconds()) < minObserved {
		return ""
	}
	t := took.Seconds()
	run := t // the run after its engine started (Choice.started)
	if !ch.at.IsZero() {
		run = min(now().Sub(ch.at).Seconds(), t)
	}
	if ch.multi != "" {
		return observeMulti(ch, t, run)
	}
	if ch.device >= 0 && !ch.cpuBound && !ch.at.IsZero() {
		// A GPU's start-up varies by far more than its run takes (an
		// H200's, 0.15 to 0.4 s, against 3.3 ms for 1e9 lane-steps):
		// it is one sample of the start-up, and the run is judged, and
		// its cost confirmed, from the time after it. Less the
		// calibrated start-up, a start of 0.4 s where 0.25 s was
		// calibrated confirmed 46x its time per lane-step; judged
		// whole, one start of seconds dropped the calibration.
		if ch.fresh {
			learnStartup(ch, t-run)
		}
		t = ch.startup + run
	}
	quiet := false // a run on the machine's cores that got them
	if share := ch.runShare(); ch.cpuBound && share >= 0 {
		if share < busyShare {
			if ch.check {
				countBusyCheck(ch)
			}
			return ""
		}
		quiet = true
		t -= run * (1 - min(share, 1))
	}
	r := t / ch.predicted
	if r >= 0.5 && r <= 2 {
		confirm(ch, t)
		if quiet || ch.spareShare() >= busyShare {
			clearBusyChecks(ch.key)
		}
		return ""
	}
	if !dropCalibration(ch.key, ch.measured) {
		return "" // measured again since: the run was predicted by the calibration before
	}
	return fmt.Sprintf("auto: the run took %s where this machine's calibration predicted %s: it is measured again next time", count.Seconds(took.Seconds()), count.Seconds(ch.predicted))
}

// confirm replaces the cost of the engine ch chose in its calibration by
// the run's own, took seconds (as Observe times it) for ch.work lane-steps (less the start-up
// and fixed time the calibration counts), and marks it confirmed: a run of
// 50 ms or more times an engine far better than the probe's few
// milliseconds (on a 2-core VM, probes of one job predicted simd at 0.32
// to 0.76 s and pocl at 0.32 to 1.12 s, where both took 0.35 s).
// chooseCalibrated then compares engines on real runs' costs, and checks an
// unconfirmed runner-up with one run (exploreMargin).
func confirm(ch Choice, took float64) {
	if ch.work <= 0 {
		return
	}
	if c, ok := loadCalibration(ch.key); ok {
		// A cost a run confirmed within confirmSlack: the file is not
		// written again (a rewrite and its lock on every run of 50 ms
		// or more).
		x := c.SIMD
		if ch.device >= 0 {
			if !ch.deviceIn(c) {
				return
			}
			x = c.Devices[ch.device].cost
		}
		// A recheck's faster run is written (pick, recheckOdds): the
		// cost it replaces lost the engine every choice within
		// confirmSlack.
		if ns := (took - ch.startup - x.Fixed) / ch.work * 1e9; x.runs() >= trustedRuns && math.Abs(ns/x.Ns-1) <= confirmSlack && !(ch.check && ns < x.Ns) {
			return
		}
	}
	updateCost(ch, func(x *cost) {
		ns := (took - ch.startup - x.Fixed) / ch.work * 1e9
		if !(ns > 0) || math.IsInf(ns, 0) {
			return
		}
		runs := x.runs() + 1
		slow := 0.0
		switch {
		case runs == 1 && math.Abs(ns/x.Ns-1) <= confirmSlack:
			// The run agrees with the probe: two measures of it.
			runs = trustedRuns
		case runs == 2 && x.Slow > 0:
			// The run after one that contradicted a trusted cost by
			// being slower: the less of those two runs, so that two
			// slow runs in a row make the engine's new cost.
			ns = min(ns, x.Slow)
		case runs == 2:
			// The second run: the less of the two, as another
			// process's work only slows a run.
			ns = min(ns, x.Ns)
		case runs > trustedRuns && ns > x.Ns:
			// A slower run contradicts a trusted cost (past
			// confirmSlack, or it returned above): the cost stands
			// for the prediction, one run's again, so that the
			// engine, still predicted as before, runs next and that
			// run decides (above). Taken as the cost, one slow run
			// (0.51 s of simd at 5M x 100, every backend slow that
			// round, where its runs take 0.33 s) put simd 1.38x
			// behind pocl's trusted 0.363 s, past recheckMargin, and
			// auto ran pocl (0.39 s) for good; replaced as trusted,
			// one slow run (0.142 s where simd's take 0.095 s, at 1e7
			// x 10) had done the same.
			runs, slow, ns = 1, ns, x.Ns
		case runs > trustedRuns:
			// A faster run contradicts a trusted cost: one run's
			// again, at the faster, which the next run confirms or
			// not (the less of the two).
			runs = 1
		}
		x.Ns, x.Confirmed, x.Runs, x.Slow = ns, true, min(runs, trustedRuns), slow
	})
}

// updateCost changes, under the calibration file's lock, the cost of the
// engine ch chose in the calibration ch was predicted from: nothing where
// that calibration or the device is gone (deviceIn).
func updateCost(ch Choice, change func(*cost)) {
	updateCalibration(func(f calibrationFile) {
		c, ok := f[ch.key]
		if !ok {
			return
		}
		x := &c.SIMD
		if ch.device >= 0 {
			if !ch.deviceIn(c) {
				return
			}
			x = &c.Devices[ch.device].cost
		}
		change(x)
		f[ch.key] = c
	})
}

// deviceIn says whether c lists the device ch chose at its place
// (ch.device): its label is the same. A calibration dropped and measured
// again by another process between Auto and Observe may list other
// devices, or the same in another order (a device failed, or its program
// compiled since): the run's start-up and cost are the chosen device's,
// and had been written into whichever device took its place.
func (ch Choice) deviceIn(c calibration) bool {
	return ch.device >= 0 && ch.device < len(c.Devices) && c.Devices[ch.device].Label == ch.label
}

// countBusyCheck counts ch's run, a check of a runner-up that got less than
// busyShare of its cores, against its engine in the calibration.
func countBusyCheck(ch Choice) {
	updateCost(ch, func(x *cost) { x.Busy = min(x.Busy+1, busyChecks) })
}

// clearBusyChecks clears the counts of checks on a busy machine in the
// calibration under key, after a run on the machine's cores that got
// them: its runner-up may be checked again. The file is rewritten only
// where a count is set.
func clearBusyChecks(key string) {
	busy := func(c calibration) bool {
		return c.SIMD.Busy > 0 || slices.ContainsFunc(c.Devices, func(d deviceTiming) bool { return d.Busy > 0 })
	}
	if c, ok := loadCalibration(key); !ok || !busy(c) {
		return
	}
	updateCalibration(func(f calibrationFile) {
		c, ok := f[key]
		if !ok || !busy(c) {
			return
		}
		c.SIMD.Busy = 0
		c.Devices = slices.Clone(c.Devices)
		for i := range c.Devices {
			c.Devices[i].Busy = 0
		}
		f[key] = c
	})
}

// busyChecks is how many runs on a busy machine (Observe's busyShare) pick
// spends checking a runner-up, which such a run cannot confirm, before it
// stops checking it until a run gets its cores: on a 2-core VM beside two
// CPU hogs, with simd trusted and pocl's cost not yet confirmed, every run
// of 1e7 x 10 checked pocl and confirmed nothing.
const busyChecks = 2

// confirmSlack is how far, as a ratio, a run's time per lane-step may lie
// from a cost a run has confirmed before confirm writes it again: about
// the spread of one engine's runs here.
const confirmSlack = 0.1

// minObserved is the least run, taken or predicted, in seconds, that Observe judges:
// shorter ones vary too much from run to run on a shared machine.
const minObserved = 0.05

// The cost model for jobs auto decides without measuring. simdNsPerCore is
// simd's time per lane-step on one core on each batch path it may run
// (cpu.SIMD.Path), rounded up from measurements on this project's 2-core
// AVX-512 VM: "avx512" from docs/benchmarks.md (0.93 to 1.0 ns per
// lane-step on two cores at 5M x 100, measured on different days);
// "avx2" (GODEBUG=cpu.avx512f=off, one worker, 1e6 lanes) 3.9-4.8 ns at 10
// steps and 3.05-3.9 at 100; "portable" (a build without
// GOEXPERIMENT=simd, one worker, 1e6 lanes) 16.8-22.0 ns at 10 steps
// (median 18.2) and 18.0-20.7 at 100 (median 19.0). Taking AVX-512's cost
// for the portable path had a plain build run 2.9e6 lanes x 10 steps on it
// for 0.6-0.9 s as "a small job" where opencl took 0.13 s.
var simdNsPerCore = map[string]float64{"avx512": 2, "avx2": 4, "portable": 20}

// deviceStartupFloor is the least time any OpenCL device took here to
// start (context, program from pocl's warm cache, first launch: 30 ms,
// docs/benchmarks.md). A job that simd finishes within the floor never
// starts a device.
const deviceStartupFloor = 30 * time.Millisecond

// coldStartCost is what auto takes a device's cold start to cost: a start
// whose program is not in the disk cache (Entry.ProgramFile), which builds
// it from source before its first launch. Measured here on pocl with both
// caches empty (a first run): 6.1-10 s of start-up, 2.5-4.1 s of it the
// compile, against 0.075 s warm; with pocl's own cache warm but gpusim's
// empty, 0.19-0.24 s. A job simd finishes within it runs on simd while the
// device is cold: a newcomer's first `gpusim run` (5M x 10, 55 ms on simd)
// took 6 s, nearly all of it pocl compiling a device auto then did not
// choose. A larger job, `gpusim selftest` or `--engine opencl` compiles
// the program, and the next run measures the device. One second is under
// every cold start measured with pocl's cache empty, and leaves a device
// whose driver compiles faster (a GPU's) unstarted only for jobs that simd
// finishes within a second. These are pocl's figures, the only ones
// measured here: no NVIDIA GPU's cold start (a build of kernels/weather.cl
// from source, with or without its driver's own compute cache) has been.
// Where a device's cold start was measured (deviceTiming.ColdStart:
// calibrate's first start on a program it then cached, or a run that
// compiled), a start that compiles is costed with it instead
// (compiledStartup); the threshold for leaving an unmeasured device cold
// stays this one, as no start of it has been measured.
const coldStartCost = time.Second

// coldStartBound is the longest cold start measured here: pocl's with both
// caches empty, 6.1 to 10 s (coldStartCost), which a run under a time
// limit must leave room for to start a device that compiles.
const coldStartBound = 10 * time.Second

// timeLeft is the time ctx's deadline leaves (at least 1 ns), or 0 where
// it has none.
func timeLeft(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), time.Nanosecond)
	}
	return 0
}

// coldRisksLimit reports whether a device's cold start (its program
// compiled at its start) risks the run's time limit (o.limit) where simd
// alone fits it: simd's predicted simdT seconds, and a quarter more for a
// busy machine (limitMargin), are within the time left, and a cold start
// of coldStartBound and simd's time besides are not. `gpusim run --lanes
// 6e7 --timeout 6s`, which simd finishes in 2.7 s, compiled pocl's program
// for 6 s and exited 124 with no result. A margin of 2 still sent it to
// the compile, on a busy machine whose probe put simd at over 3 s.
func (o Options) coldRisksLimit(simdT float64) bool {
	left, t := o.limit.Seconds(), limitMargin*simdT
	return o.limit > 0 && t <= left && left < coldStartBound.Seconds()+t
}

// limitMargin is how much more than its prediction simd is allowed under a
// time limit (coldRisksLimit). Measured here on 6e7 x 100: runs took 1.04
// times simd's prediction on a quiet machine and up to 2.1 times beside
// other processes' tests, which slow a cold start (6 to 10 s of pocl's
// compile, on the same cores) as much: simd is the better bet wherever its
// prediction is within the time left, and a quarter more is kept for the
// load.
const limitMargin = 1.25

// simdPath is the batch path simd runs in this build on this CPU (a
// variable for tests).
var simdPath = func() string {
	name, _ := cpu.SIMD{}.Path()
	return name
}

// simdWidths is the lanes each batch path computes at once (cpu.SIMD.Path's
// width): a job of fewer lanes, or of lanes not a multiple of it, computes
// the rest of its last batch too.
var simdWidths = map[string]uint64{"avx512": 16, "avx2": 8, "portable": 4}

// simdDailyFactor is how many times its plain time simd takes a lane-step
// with --daily (each step's temperatures kept for the per-step statistics,
// the pairs computed one group at a time), on each batch path; a --daily
// job also pays dailyStepCost a step. Measured here (helper 243, the 2-core
// AVX-512 VM, wall time of the engine in the report, GPUSIM_CACHE_DIR=off):
// avx512 2e7 x 20, 5e6 x 100, 1e6 x 200, 2e5 x 1000 and 1e5 x 1000 took
// 0.70-0.91 ns a lane-step plain and 1.84-2.12 with --daily (2.3 to 2.8
// times); avx2 (GODEBUG=cpu.avx512f=off) 5e6 x 100 and 1e5 x 1000 2.70-2.84
// and 6.15-6.19 (2.2 to 2.3 times); portable (a build without
// GOEXPERIMENT=simd) 11.7-17.3 and 21.3-23.6 (1.2 to 2.0 times). Without
// it, the cost model quoted a --daily job at its plain time: 2e7 x 20 read
// "simd finishes in about 400 ms" with and without --daily, which took
// 0.36 and 1.11 s, so a --daily job near a cut-off (the small job's 30 ms,
// the cache off's 1 s, a device's start-up) went to simd at a third of its
// time.
var simdDailyFactor = map[string]float64{"avx512": 2.5, "avx2": 2.3, "portable": 1.6}

// dailyStepCost is what a step of a --daily job costs simd besides its
// lanes' (the step's statistics across lanes): measured here with 1 lane x
// 1e4 steps, 66 ms to 184 ms with --daily against 0.3 to 0.5 ms without it
// on the avx512 and avx2 paths (6.5 to 18 us a step, on a machine shared
// with other processes), and 1e3 lanes x 1e4 steps, 114 ms against 9.5 ms.
const dailyStepCost = 10 * time.Microsecond

// simdLaneNsPerCore is simd's time per lane on one core besides its
// steps' (simdNsPerCore's), on each batch path, plain and with --daily:
// the lane's Philox counter seeded and its first block's normals (a job of
// 1 to 4 steps costs about the same), its temperature read and written,
// and its final counted into the statistics (the reduction,
// about 1.1 ns a lane on AVX-512: docs/benchmarks.md), with --daily its
// step's rows too. Measured here (helper 349, the 2-core AMD Turin VM,
// beside other processes: cpu.BenchmarkSIMDLane, -count 3, medians of the
// CPU time a lane at 1e6 x 1 less the slope to 1e6 x 33): avx512 6.1 less
// 0.94 plain and 8.0 less 2.25 with --daily; avx2 12.5 less 2.0 and 14.9
// less 5.2; portable 53 less 13.9 and 66 less 21.9. Counted by lane-steps
// alone, --lanes 1e7 --steps 1 was "a small job ... (about 10 ms)" whose
// run took 54 to 108 ms of CPU time on the two cores, 70 at the median (a
// process's, less a 16-lane run's): at few steps a lane's own work is
// most of a job's. Against half the CPU time of five runs (the two cores'
// share, medians), avx512 1e7 x 1 now reads 35 ms for 33 ms (10 before),
// 1e8 x 1 350 ms for 319 (100), 1e7 x 1 --daily 55 ms for 37 (25).
var simdLaneNsPerCore = map[string][2]float64{"avx512": {5, 6}, "avx2": {10.5, 10}, "portable": {40, 45}}

// simdEstimate is simd's predicted time for a job of lanes x steps from
// the cost model: the path it runs here, on the cores its run uses
// (simdRunCores), for the lanes its batches compute (simdWidths), each
// lane's own work (simdLaneNsPerCore) besides its steps', and with daily
// (--daily) simdDailyFactor times the steps' and dailyStepCost a step.
// Counted by lane-steps alone, 1 lane x 1e7 steps was "a small job (about
// 20 ms)" that took 0.19 s: a step of one lane costs a batch of 16's.
func simdEstimate(simd cpu.SIMD, lanes uint64, steps int, daily bool) time.Duration {
	path := simdPath()
	ns, ok := simdNsPerCore[path]
	if !ok {
		path = "portable" // a path not measured: the slowest's cost
		ns = simdNsPerCore[path]
	}
	w := simdWidths[path]
	batched := float64(lanes/w*w) + float64(min(lanes%w, 1)*w)
	stepNs, lane := float64(max(steps, 1))*ns, simdLaneNsPerCore[path][0]
	if daily {
		stepNs, lane = stepNs*simdDailyFactor[path], simdLaneNsPerCore[path][1]
	}
	t := batched * (stepNs + lane) / simdRunCores(simd, lanes, steps)
	if daily && lanes > 0 {
		t += float64(steps) * float64(dailyStepCost)
	}
	// float64(math.MaxInt64) is 2^63, one past the largest Duration, which
	// it became as a negative one: --lanes 1e18 --timeout 1h, some 300
	// years, was "a small job" of "about 1 us", no device considered.
	if !(t < float64(math.MaxInt64)) {
		return math.MaxInt64
	}
	return time.Duration(t)
}

// modelPath names what simdEstimate costs a job on, for a reason: simd's
// batch path here, and --daily's statistics where the job keeps them.
func modelPath(daily bool) string {
	if daily {
		return simdPath() + " path with --daily"
	}
	return simdPath() + " path"
}

// simdRunCores is the cores simd's run of lanes x steps keeps busy: its
// goroutines (cpu.RunWorkers: one a block of lanes at most), but no more
// than GOMAXPROCS and the CPUs the process may run on, nor the cgroup's CPU
// limit (usableCores). --workers 64 on 2 cores counted 64 cores, and a job
// of 0.9 s was called "a small job (about 31 ms)", no device considered;
// 1e3 lanes, one goroutine's block, counted both cores.
func simdRunCores(simd cpu.SIMD, lanes uint64, steps int) float64 {
	cores, _ := usableCores(min(simdJobCores(simd, sim.Params{Lanes: lanes, Steps: steps}), runtime.NumCPU()))
	return cores
}

// probeLaneSteps bounds the work of each measured candidate: about 2 ms on
// simd with two cores, so a probe costs a few milliseconds whatever the
// job's size. A device first runs a pilot of pilotLaneSteps, and its probe
// runs only when they are predicted to take at most deviceMeasureBudget:
// Oclgrind's simulator, thousands of times slower than pocl, took about a
// minute over the probe's runs.
//
// pilotLanes is the most lanes of a narrow job's pilot (pilotJob): over
// more than probeMaxSteps steps, its lane-steps stay about pilotLaneSteps.
const (
	pilotLanes          = pilotLaneSteps / (2 * probeMaxSteps)
	probeLaneSteps      = 1 << 21
	probeMaxSteps       = 32
	pilotLaneSteps      = 1 << 12
	deviceMeasureBudget = 0.5 // seconds
)

// Auto chooses the engine expected to finish o.Params's job (a shard's
// lanes of it when o.Sharded) first and starts it:
//
//  1. a job simd finishes within deviceStartupFloor (30 ms, by the cost
//     model simdNsPerCore: 2, 4 or 20 ns per lane-step a core on the
//     avx512, avx2 or portable path, simdDailyFactor times that and
//     dailyStepCost a step with --daily, and simdLaneNsPerCore a lane)
//     runs on simd, without loading any device driver;
//  2. otherwise, where an earlier listing of the devices did not answer
//     in the driver's wait and gpusim's cache remembers it (a mark that
//     stands: Entry.Unanswered, unasked), simd runs it, the driver not
//     asked again: every run waited the whole wait;
//     otherwise, with a calibration cached for this machine, binary and
//     options, the engine with the least predicted time (device start-up
//     plus lane-steps times its measured rate) runs it, and a device is
//     started only when it is the one chosen (a calibration with a device
//     left cold is measured again, as in 3, once that device's program is
//     compiled or for a job simd takes coldStartCost (1 s) or more, and a
//     device whose program a start cannot load now, pickLoadable, is
//     costed with coldStartCost more); where the calibration holds two or more GPUs
//     (those measured and the identical ones each stands for), a run on
//     several at once is predicted from their own costs and start-ups
//     (planMulti) and chosen where it beats the fastest single engine by
//     multiMargin (chooseMulti); a runner-up is checked with a run by
//     pick's rules (one in recheckOdds where trusted and close);
//  3. otherwise, unless simd finishes the job within the least device
//     start-up a kept calibration measured here under this OpenCL set-up
//     (knownStartup: for other options or another step count; then simd
//     runs it, no driver loaded), each device is started and it and simd run the same
//     bounded probe (at most probeLaneSteps, 2^21 lane-steps, cancellable
//     with ctx; a device too slow to run it within deviceMeasureBudget,
//     0.5 s, is costed from a
//     pilot); the engine predicted to finish first keeps the job, and the
//     costs are cached, an engine on the machine's cores timed by its CPU
//     time over its cores (engineClock), so that a probe that got part of
//     them is kept as measured. A device whose program is not compiled or
//     cannot be loaded (a cold start; with the cache off, every start) is
//     not started when simd's probe says
//     simd finishes the job within coldStartCost, or within the time
//     left of ctx's deadline where a cold start would not fit beside it
//     (Options.coldRisksLimit): the calibration records it cold, and a run
//     measures it once its program is there or a job is worth the compile.
//     No device is started where simd's probe puts the job within what
//     deciding has spent and a device's start-up (devicesOutweigh): the
//     calibration keeps that bound (Unstarted), and a job simd takes
//     longer on under its key measures the devices (needsDevices).
//
// Errors are ctx's, and CheckOptions' *sim.ParamError for o's values; a
// device that cannot start or run is a note, and simd runs the job.
// docs/auto.md describes these rules for users, with Observe's and the
// fields of auto.json (calibration), which it must be kept in step with.
func Auto(ctx context.Context, o Options) (sim.Engine, Choice, error) {
	if ctx.Err() != nil {
		return nil, Choice{}, context.Cause(ctx)
	}
	start, s0, spent := time.Now(), suspended(), decidingSpan()
	o.limit = timeLeft(ctx)
	simd := cpu.SIMD{Workers: o.Workers}
	p := o.Params
	lanes := p.Lanes
	if o.Sharded {
		lanes = o.Lanes
	}
	work := float64(lanes) * float64(max(p.Steps, 1))
	simdEst := simdEstimate(simd, lanes, p.Steps, o.Daily)
	if p.Steps == 0 {
		return simd, Choice{Engine: "simd", Reason: "no steps to run (0 lane-steps): no device is started"}, nil
	}
	if ch, ok := smallJob(simdEst, work, o.Daily); ok {
		return simd, ch, nil
	}
	dev, err := DeviceEntry()
	if err != nil {
		return simd, Choice{Engine: "simd", Reason: "no engine here runs on devices"}, nil
	}
	m0 := spareNow() // for a GPU's run: the machine's load from here (spareShare)
	if reason, ok := unasked(dev, o, simdEst); ok {
		return simd, Choice{Engine: "simd", Reason: reason}, nil
	}
	key := calibrationKey(o)
	known, ok := loadCalibration(key)
	if ok && known.stands(dev, o, work) {
		return chooseKnown(ctx, dev, o, simd, known, key, work, m0, s0)
	}
	if err := CheckOptions(o); err != nil {
		return nil, Choice{}, err
	}
	if s, label := knownStartup(); simdEst.Seconds() < s {
		return simd, Choice{Engine: "simd", Reason: fmt.Sprintf("%s finishes it in about %s on its %s, before a device could start (%s at the least: the start-up of %s in this machine's calibrations under the same OpenCL settings)",
			simdLabel(o), count.Seconds(simdEst.Seconds()), modelPath(o.Daily), count.Seconds(s), deviceName(label))}, nil
	}
	t0, cpu0 := time.Now(), processCPU()
	ds, err := dev.Devices()
	enum := since(t0, cpu0) // loading the driver, which the job's process pays too
	switch {
	case err != nil && ctx.Err() != nil:
		// A stop in the listing is the stop, not a driver that failed:
		// it read "opencl failed, running on simd: stopped while the
		// OpenCL driver listed its devices" of a run that did not go on.
		return nil, Choice{}, context.Cause(ctx)
	case errors.Is(err, errListingStopped):
		return nil, Choice{}, err
	case err != nil:
		return simd, Choice{Engine: "simd", Reason: devicesFailed(dev, o, err)}, nil
	}
	tw, turnSpan := time.Now(), decidingSpan()
	unlock, c, ok := calibrationTurn(ctx, o, key)
	turnWait, turnSpent := time.Since(tw), turnSpan()
	if ok && c.stands(dev, o, work) {
		// Measured by another run meanwhile: the wait is no part of
		// this run's start or run (Choice.waited), nor is the load of
		// the machine over it, which that run's probes made.
		unlock()
		eng, ch, err := chooseKnown(ctx, dev, o, simd, c, key, work, spareNow(), s0)
		ch.waited = time.Since(tw)
		return eng, ch, err
	}
	defer unlock()
	known.sayLifted(dev, o)
	o.measuring, o.bounded = max(spent()-turnSpent, 0), true
	c, eng, ch, err := calibrate(ctx, dev, ds, o, simd, work, enum)
	if err != nil {
		return nil, Choice{}, err
	}
	var keepTook time.Duration
	if suspended() > s0 {
		// Its start-ups and a GPU's probes, wall-timed, counted the stop.
		o.note("auto: the process was suspended while it measured this machine (SIGSTOP, Ctrl-Z), so the measurements are not kept and the next run measures again")
	} else {
		tk := time.Now()
		kept := keepCalibration(o, key, c)
		keepTook = time.Since(tk)
		if kept {
			ch.key, ch.measured = key, c.Measured
			cs := c.at(p.Steps)
			if eng, ch, err = cs.multiAfterCalibrate(ctx, dev, o, simd, key, eng, ch); err != nil {
				return nil, Choice{}, err
			}
		}
	}
	// The waits for other runs, for the turn to measure and for the
	// file's lock as the calibration is kept (up to its 2 s), are not
	// measuring: probe_s and "measuring took" counted them (3.7 s for a
	// measurement of 0.2 s). Observe leaves them out of the run's time
	// (Choice.waited), as it does a wait it chose after.
	ch.waited = turnWait + keepTook
	ch.Probe = max(time.Since(start)-ch.waited, 0)
	ch.started(m0)
	ch.suspended0 = s0
	return eng, ch, nil
}

// unasked is Auto's reason to run on simd without loading dev's driver,
// ok, before any calibration is read: a cache that keeps nothing for a
// job simd finishes within coldStartCost (rule 4), or a driver that did
// not list its devices in its wait before, as gpusim's cache remembers
// (Entry.Unanswered), where every run waited it out again; not where
// --device lists the devices to choose among.
func unasked(dev Entry, o Options, simdEst time.Duration) (reason string, ok bool) {
	if dev.ProgramFile != nil && simdEst < coldStartCost {
		if why := cacheHolds(); why != "" {
			// Nothing kept: no calibration, and no compiled program, so
			// every start of a device compiles it, which calibrate would
			// not do for this job. Loading the driver and probing simd to
			// find that out took 40 to 50 ms a run (a 50 ms job took
			// 0.11 s).
			return fmt.Sprintf("%s is not started, as every start compiles its program, a cold start of seconds for a job %s finishes in about %s on its %s; %s",
				dev.Name, simdLabel(o), smallDuration(simdEst), modelPath(o.Daily), why), true
		}
	}
	if dev.Unanswered != nil && strings.TrimSpace(o.Devices) == "" {
		// A --device list names the devices: they are asked for, as
		// run --device N asks.
		if err := dev.Unanswered(); err != nil {
			return unansweredReason(dev, o, err), true
		}
	}
	return "", false
}

// devicesOutweigh says whether starting and measuring a device would take
// longer than simd's whole job, simdT seconds as its probe predicts it,
// and the seconds that measuring would take at the least: what Auto spent
// before calibrate (o.measuring: the driver's loading and listing) and
// calibrate so far (spent: simd's probe), and a device's start-up, the
// least a calibration here measured under this OpenCL set-up
// (knownStartup), else the least any took in gpusim's benchmarks
// (deviceStartupFloor). Such a device could not finish this job first,
// nor a later run of it, which pays its start-up too: 1 lane x 1e4 steps
// with --daily measured for 0.42 s, pocl's start and probe among it, for a
// job of 0.065 s on simd. Always false where Auto did not bound the
// measuring (o.bounded: a test's call of calibrate).
func (o Options) devicesOutweigh(simdT float64, spent time.Duration) (under float64, outweigh bool) {
	if !o.bounded {
		return 0, false
	}
	s, _ := knownStartup()
	if s <= 0 {
		s = deviceStartupFloor.Seconds()
	}
	under = (o.measuring + spent).Seconds() + s
	return under, simdT < under
}

// decidingSpan starts timing what deciding spends, for the bound on
// measuring (devicesOutweigh), and returns what it has spent since: wall
// time, which the user waits. The tests of other rules, whose jobs simd
// finishes within a second, time it by the process's CPU time, which a
// loaded machine does not stretch past the job (engines_test.go's
// cpuDeciding).
var decidingSpan = func() func() time.Duration {
	t := time.Now()
	return func() time.Duration { return time.Since(t) }
}

// needsDevices says whether c, whose devices were not started for a job
// simd finished within c.Unstarted, is measured again for a job of work
// lane-steps that simd takes as long or longer.
func (c calibration) needsDevices(work float64) bool {
	return c.incomplete() || (c.Unstarted > 0 && c.SIMD.time(work) >= c.Unstarted)
}

// incomplete says that c names no device, none cold, failed or left
// unstarted, nor that the driver listed none (NoDevices): an older gpusim
// that rewrote auto.json dropped the fields it did not know, and c's
// unstarted_under_s among them read as a machine without devices, which
// kept every later job under its key on simd without measuring them. It
// is measured again, by a job rule 6 (knownStartup) does not keep on simd.
func (c calibration) incomplete() bool {
	return len(c.Devices) == 0 && len(c.Cold) == 0 && len(c.Failed) == 0 && c.Unstarted == 0 && !c.NoDevices
}

// unstartedNote is the part of a reason that says the devices were not
// started (calibration.Unstarted), "" where they were.
func (c calibration) unstartedNote(dev Entry) string {
	if c.Unstarted <= 0 {
		return ""
	}
	return fmt.Sprintf("; %s's devices not started: with a device's start-up and probes, deciding would have taken %s or more, longer than the job on simd", dev.Name, count.Seconds(c.Unstarted))
}

// smallJob is auto's choice for a job simd finishes, by its estimate
// simdEst of work lane-steps, in less than any OpenCL device took to start
// in gpusim's benchmarks (deviceStartupFloor): simd, with no driver
// loaded; false for a larger job.
func smallJob(simdEst time.Duration, work float64, daily bool) (Choice, bool) {
	if simdEst >= deviceStartupFloor {
		return Choice{}, false
	}
	if work == 0 {
		// A shard without lanes (a job of no steps is said before):
		// nothing runs, as there.
		return Choice{Engine: "simd", Reason: "no lanes to run (0 lane-steps): no device is started"}, true
	}
	noun := "lane-steps"
	if work == 1 {
		noun = "lane-step"
	}
	// Written out: "a small job (1e+04 lane-steps) ... (about 1e-05
	// s)" read as a formula. No driver is loaded, so nothing here is
	// known of this machine's devices: the floor is gpusim's
	// benchmarks', and the reason says so (it said "before a device
	// could start", as if measured, on a machine whose OpenCL did
	// not work at all).
	return Choice{Engine: "simd", Reason: fmt.Sprintf("a small job (%.0f %s): simd finishes it on its %s (about %s), within %s, less than any OpenCL device took to start in gpusim's benchmarks (pocl's quickest, its program cached)",
		work, noun, modelPath(daily), smallDuration(simdEst), smallDuration(deviceStartupFloor))}, true
}

// chooseKnown is chooseCalibrated's choice from the calibration c, with
// the machine's load from m0 (spareNow) and the process's suspensions
// from s0 (suspended) that the run's Observe compares against.
func chooseKnown(ctx context.Context, dev Entry, o Options, simd cpu.SIMD, c calibration, key string, work float64, m0 spare, s0 time.Duration) (sim.Engine, Choice, error) {
	eng, ch, err := chooseCalibrated(ctx, dev, o, simd, c.at(o.Params.Steps), key, work)
	ch.started(m0)
	ch.suspended0 = s0
	return eng, ch, err
}

// calibrationTurn waits for this run's turn to calibrate among the
// processes sharing the cache folder (flock on auto.json.measure.lock,
// cachedir.Lock), and returns the function that ends it, which the caller
// calls once the calibration is stored, with the calibration under key that
// another run stored meanwhile (ok), which the caller takes instead of
// measuring. A wait past cachedir.NoteAfter (1 s) is said to o.Progress,
// with the lock's holder, before one past calibrationWait is said to
// o.Note (as cachedir.LockWaiting does: a wait stalled past both, on a
// loaded machine, said only that it gave up): a run
// waiting for a stopped holder said nothing for a minute. Runs that started at once with no calibration (a Slurm
// array's tasks on one node) each measured, every probe slowed by the
// others' on the same cores, and the last one's write kept. The wait ends
// with ctx, or after calibrationWait (a holder stopped, or measuring a
// device that compiles its program): the run then measures, as it did
// before; a holder that ends, however it ends, ends its turn. A damaged
// file's note that another run has since replaced is dropped.
func calibrationTurn(ctx context.Context, o Options, key string) (unlock func(), c calibration, ok bool) {
	path := calibrationPath()
	if path == "" || cachedir.MkdirAll(filepath.Dir(path)) != nil {
		return func() {}, calibration{}, false
	}
	lock := path + ".measure.lock"
	unlock = func() {}
	said, holder := false, ""
	for t0 := now(); ; {
		var err error
		if unlock, err = cachedir.Lock(lock, 100*time.Millisecond); !errors.Is(err, cachedir.ErrLockBusy) {
			break
		}
		if ctx.Err() != nil {
			break
		}
		waited := now().Sub(t0)
		if !said && waited >= cachedir.NoteAfter {
			said, holder = true, cachedir.Holder(lock)
			o.progress("auto: waiting for another run's calibration (%s is held%s): at most %v, then this run measures", lock, cachedir.ByHolder(holder), calibrationWait)
		}
		if waited >= calibrationWait {
			o.note("auto: gave up waiting for another run's calibration after %v (%s is still held%s: a run stopped, or measuring a device that compiles its program): measuring here", calibrationWait, lock, cachedir.ByHolder(holder))
			break
		}
	}
	if c, ok = loadCalibration(key); ok {
		dropCalibrationNotes(path)
	}
	return unlock, c, ok
}

// calibrationWait bounds calibrationTurn's wait for another run's
// calibration: a probe takes a second or less, a device's cold start
// seconds. A var for tests.
var calibrationWait = time.Minute

// keepCalibration stores c, which Auto measured, under key, and reports
// whether it is kept: Observe judges a calibration kept, and one the
// cache could not keep has nothing to drop. One that refused the probe
// (c.refused) is not stored; one the cache could not take is said once.
func keepCalibration(o Options, key string, c calibration) bool {
	if c.refused {
		return false
	}
	stored := storeCalibration(key, c)
	if stored != nil && calibrationPath() != "" {
		// A folder that takes no file, a disk without room for the
		// entry and its margin (cachedir.Margin): the runs measured
		// again, one after another, without a word. This note says
		// what is wrong with the file once: the read's note on it (a
		// folder in its place, unreadable and in a folder this user
		// cannot write) was a second note, after the run, on every run.
		dropCalibrationNotes(calibrationPath())
		o.note("auto: the measurements are not kept, so the next run measures again: %v", stored)
	}
	return stored == nil
}

// knownStartup is the least start-up, in seconds, of the devices in the
// calibrations kept on this machine under this OpenCL set-up (for any
// options and step count: openCLSetup, their keys' tail; this CPU's model,
// path and count, not another machine's sharing the cache folder), and the device's
// label, or 0 and "" where none is kept: no device starts faster here, so
// a job simd finishes within it does not start one to be measured. A
// device's start-up is startupEstimate of its samples in every calibration
// (its label names it in each): the least calibration's, one sample each
// where no run has started the device since, let one fast start send every
// job of a new step count that simd finishes within the usual start-up to
// be measured, as one slow one alone would keep jobs from it. A GPU's
// start-up (0.15 to 0.4 s on an H200) is several times deviceStartupFloor,
// pocl's: each new step count or option set (its own calibration) started
// the GPU for jobs simd finished in 50 ms. A calibration of another set-up
// (another library, folder of drivers or device selection) is left out:
// with OpenCL broken by such a variable, where no device could start at
// all, the reason quoted pocl's start-up measured under the working one
// "as measured here".
func knownStartup() (float64, string) {
	path := calibrationPath()
	if path == "" {
		return 0, ""
	}
	b, err := cachedir.ReadFileMax(path, maxCalibrationFile)
	if err != nil {
		return 0, "" // loadCalibration notes what is wrong with the file
	}
	f, _, ok := decodeCalibrations(b)
	if !ok {
		return 0, ""
	}
	setup, machine, cpus := openCLSetup(), cpuKey(), fmt.Sprintf("cpus %d ", runtime.NumCPU())
	starts := map[string][]float64{} // each device's, by label
	for k, c := range f {
		if c.invalid() != "" || !binaryExists(k) || !strings.HasSuffix(k, ";"+setup) || !strings.Contains(k, machine) || !strings.Contains(k, cpus) {
			// Another machine's (a cache folder shared by machines
			// of one binary and OpenCL set-up): its GPU's start-up kept
			// this machine's jobs on simd, unmeasured.
			continue
		}
		for _, d := range c.Devices {
			starts[d.Label] = append(starts[d.Label], d.samples()...)
		}
	}
	least, label := math.Inf(1), ""
	for _, l := range slices.Sorted(maps.Keys(starts)) {
		if s := startupEstimate(starts[l]); s < least {
			least, label = s, l
		}
	}
	if math.IsInf(least, 1) {
		return 0, ""
	}
	return least, label
}

// cacheHolds says why gpusim's cache can neither hold nor keep anything
// (no calibration, no compiled program), or is "" where it may: the cache
// is off (cachedir.Dir is ""), or its folder is not one and cannot be made
// (a file in its place, a path on a read-only file system). A folder that
// cannot be written may hold programs others compiled (a cache shared
// read-only), which a start can load: it is measured. With a file for its
// folder, every run loaded the driver and probed simd, 45% of a 0.09 s
// job, to leave the device cold and keep nothing, with a note.
func cacheHolds() string {
	d := cachedir.Dir()
	if d == "" {
		return cachedir.Writable().Error()
	}
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return ""
	}
	if err := cachedir.Writable(); err != nil { // makes the folder where it can
		return fmt.Sprintf("gpusim's cache folder cannot keep it: %v; set %s to a writable folder", err, cachedir.Env)
	}
	return ""
}

// calibration is what auto measured on this machine for one set of options
// (the fields' table is in docs/auto.md).
// An engine's run of w lane-steps is predicted to take fixed + w*ns (cost);
// a device adds its start-up once per process.
type calibration struct {
	SIMD    cost           `json:"simd"`
	Devices []deviceTiming `json:"devices"`
	// Cold are the candidate devices left unmeasured: their programs were
	// not compiled, and simd finished the job within coldStartCost, a
	// cold start risked the run's time limit, or no start here may build
	// them (Entry.BuildRefused).
	Cold []coldDevice `json:"cold,omitempty"`
	// Failed are the candidate devices that did not start or run the
	// probe: said in every reason while the calibration stands.
	Failed []failedDevice `json:"failed,omitempty"`
	// List is the seconds listing the devices took (loading the driver
	// and its initialization, by wall time), which every device's
	// Startup counts and a process that opens several devices pays once
	// (multiStartup); 0 in a file written before it was kept.
	List float64 `json:"list_s,omitempty"`
	// MultiStarts are the start-ups of runs on several devices at once,
	// by set of devices (learnMultiStart), which multiStartup predicts
	// that set's from in place of the sum of its devices' start-ups.
	MultiStarts []multiStart `json:"multi_starts,omitempty"`
	// MultiDropped says why auto no longer runs a job on several devices
	// at once from this calibration (chooseMulti): such a run took over
	// twice its prediction (observeMulti), or the devices did not start.
	// "" otherwise.
	MultiDropped string `json:"multi_dropped,omitempty"`
	// Unstarted, where not 0, says that no device was started: simd's
	// probe put the job under this many seconds, the time measuring a
	// device would have taken at the least (devicesOutweigh), and a job
	// simd takes as long or longer measures again (needsDevices).
	Unstarted float64 `json:"unstarted_under_s,omitempty"`
	// NoDevices says that the driver listed no candidate device: a
	// calibration without devices, cold, failed or unstarted ones that
	// lacks it lost a field to an older gpusim that rewrote auto.json
	// (incomplete).
	NoDevices bool `json:"no_devices,omitempty"`
	// Measured is when calibrate measured it (UTC, to the nanosecond):
	// its identity, which a choice carries (Choice.measured), so that a
	// run judged after another process dropped it and measured the
	// machine again drops nothing of the new one. Zero in a file written
	// before it was kept, or rewritten by a gpusim that does not keep it
	// (isMeasured).
	Measured time.Time `json:"measured_at,omitzero"`

	// refused says a device refused the probe, which has the job's
	// parameters (refusal): it went unmeasured, so the calibration is
	// not stored.
	refused bool
	// refusals are this measuring's devices that refuse the job itself,
	// each "NAME DEVICE refuses this job (WHY)", for its reason
	// (hereNote); not stored, as a later job may be one they take.
	refusals []string
	// multiOpened says chooseMulti opened devices for a run on several
	// that did not go ahead (refused, not loaded, not started): the time
	// from Auto's call counts their opening and this process's loading
	// of the driver, so a device started after them has no start-up of
	// its own to learn (Choice.fresh, coldKey).
	multiOpened bool
	// recheck says this run may recheck a trusted runner-up predicted
	// within confirmSlack of the fastest (pick): drawn once a choice
	// (recheckDraw), so that every pick of one choice agrees.
	recheck bool
	// simdName is simd as reasons name it (simdLabel): with --workers,
	// the goroutines its costs are for. "" reads as "simd".
	simdName string
}

// simdLabel is simd as a reason names it for o: "simd", or with --workers
// N, "simd on N workers", as its time is for those goroutines, where an
// OpenCL device (which --workers does not apply to) computes on every
// core: --workers 1 read "simd at 0.722 s" beside pocl's 0.35 s, as if
// simd were slower on the same cores.
func simdLabel(o Options) string {
	switch o.Workers {
	case 0:
		return "simd"
	case 1:
		return "simd on 1 worker"
	}
	return fmt.Sprintf("simd on %d workers", o.Workers)
}

// simdLabel is simd as c's reasons name it (calibration.simdName).
func (c calibration) simdLabel() string {
	if c.simdName == "" {
		return "simd"
	}
	return c.simdName
}

// busyShare is the least share of its cores a run on the machine's cores
// must get for Observe to judge it: one that got less ran on a busy
// machine and says nothing of the figures, which the probes measured by
// CPU time (clock). Measured here on two cores: whole runs of 5M x 100 got
// 92 to 99% of them on an idle machine, and 36 to 62% beside one and two
// busy processes.
const busyShare = 0.75

// coldDevice is a device whose start would have compiled its program
// (Entry.ProgramFile's file was missing).
type coldDevice struct {
	Index   int    `json:"index"`
	Label   string `json:"label"`
	Program string `json:"program"`
	// Keys are what the engine reads a crash's marks by
	// (Entry.RefusalKeys), kept where the devices were listed: a later
	// run loads no driver to say that such a mark refuses the device
	// (coldNote), where it said to compile the program with gpusim
	// selftest, which the mark then refused.
	Keys []string `json:"keys,omitempty"`
}

// coldChanged reports whether a device c left cold must be measured now:
// its program has been compiled since (by `gpusim selftest`, `--engine
// opencl` or a larger job) and dev can load it, or simd would take work
// lane-steps at least coldStartCost, which is worth compiling it, unless
// the compile risks the run's time limit (Options.coldRisksLimit) or no
// start here may compile it (Entry.BuildRefused, asked of the device's
// label without loading the driver: pocl under ulimit -f): such a job
// listed the devices (loading the driver) to start a device whose build
// was then refused, and kept a calibration that had left it out as failed.
func (c calibration) coldChanged(dev Entry, o Options, work float64) bool {
	if len(c.Cold) == 0 {
		return false
	}
	if simdT := c.SIMD.time(work); simdT >= coldStartCost.Seconds() && !o.coldRisksLimit(simdT) {
		for _, d := range c.Cold {
			if buildRefused(dev, d.Index, d.Label) == nil {
				return true
			}
		}
	}
	for _, d := range c.Cold {
		if warmProgram(dev, d.Program) {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// warmProgram reports whether a start of dev loads the compiled program
// at file: it is there, and dev can load it (Entry.ProgramLoadable). A
// cache shared read-only whose entries take no loading mark here (TMPDIR
// unwritable, XDG_RUNTIME_DIR unset) holds the program, but every start
// compiles it: auto took such a device for warm and started it on every
// run, 5 s of compiling with pocl's own cache off for a job simd ran in
// 0.08 s.
func warmProgram(dev Entry, file string) bool {
	return exists(file) && (dev.ProgramLoadable == nil || dev.ProgramLoadable(file) == nil)
}

// coldNote says which devices of c were left cold and why, for a reason,
// for a run of o. A device that an earlier crash's mark refuses
// (Entry.CrashRefused) is said apart, the refusal noted with its hint: the
// note said to compile its program with gpusim selftest, which the mark
// then refused.
func (c calibration) coldNote(dev Entry, o Options, work float64) string {
	var names []string
	file, crashed := "", ""
	var refused error
	for _, d := range c.Cold {
		if note := crashNote(dev, o, d.Label, d.Keys); note != "" {
			crashed += note
			continue
		}
		names = append(names, deviceName(d.Label))
		if file == "" || d.Program != "" && !warmProgram(dev, d.Program) && exists(d.Program) {
			file = d.Program // one whose program is there but cannot be loaded says why
		}
		if refused == nil {
			refused = buildRefused(dev, d.Index, d.Label)
		}
	}
	if len(names) == 0 {
		return crashed
	}
	return "; " + compileNote(dev, o, "not started on", strings.Join(names, " and "), file, c.SIMD.time(work), refused) + crashed
}

// crashNote says, for a reason, that dev's device labeled label, whose
// RefusalKeys are keys, is not started as an earlier crash's mark refuses
// it, and the mark to remove, and notes the refusal with its hint; "" where
// no mark refuses it.
func crashNote(dev Entry, o Options, label string, keys []string) string {
	err := crashRefused(dev, keys)
	if err == nil {
		return ""
	}
	again := ""
	if ec := (*gpu.EarlierCrashError)(nil); errors.As(err, &ec) {
		again = fmt.Sprintf(" (rm -f %s to ask it again)", quote.ShellWords(ec.Marks))
	}
	o.note("%s %s: not a candidate, as an earlier crash's mark refuses it: %v", dev.Name, deviceName(label), err)
	if h := gpu.CrashHint(err); h != "" {
		o.note("hint for %s: %s", dev.Name, h)
	}
	return fmt.Sprintf("; %s not started on %s: an earlier crash's mark refuses it: %v%s", dev.Name, deviceName(label), err, again)
}

// refusalKeys is dev.RefusalKeys(index), or nil where dev has none.
func refusalKeys(dev Entry, index int) []string {
	if dev.RefusalKeys == nil {
		return nil
	}
	return dev.RefusalKeys(index)
}

// crashRefused is dev.CrashRefused(keys), or nil where dev has none or
// keys are none (a calibration written before they were kept).
func crashRefused(dev Entry, keys []string) error {
	if dev.CrashRefused == nil || len(keys) == 0 {
		return nil
	}
	return dev.CrashRefused(keys)
}

// processCPU is the process's CPU time (a variable for tests).
var processCPU = cputime.Process

// now is the wall clock of a device's measurement (measureDevice, timeRun),
// of a run's, from its start (Choice.started) to Observe, and of the wait
// for the turn to measure (calibrationTurn): a variable
// for tests, whose fake devices then take their time without sleeping,
// which a loaded machine wakes late, and whose runs' times are then exact
// (a test's run of 0.05 s read as 0.050112 s, preempted on a loaded
// machine between its start and Observe).
var now = time.Now

type deviceTiming struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	// Startup is the seconds a process takes to start the device (the
	// driver's loading and listing, opening it, its first launch), as
	// predictions count it: startupEstimate of Starts, or the one start-up
	// calibrate measured where Starts is empty (a file written before
	// Starts was kept, or a device no run has started since).
	Startup float64 `json:"startup_s"`
	// Starts are a GPU's latest start-ups in seconds, oldest first, at
	// most startupSamples: calibrate's, then those of the runs that
	// started it (learnStartup).
	Starts []float64 `json:"startup_samples_s,omitempty"`
	// ColdStart is the seconds of the device's latest measured start
	// that compiled its program (its binary not in gpusim's cache, or not
	// loadable there): calibrate's first start on a program it then
	// cached, or its only start on one it could not, timed as Startup is
	// (a CPU device's by CPU time), or a run's start that compiled
	// (learnColdStart), by wall time from Auto's call, or that of the
	// calibration measured before under its key (dropped or replaced:
	// storeCalibration) where calibrate's start did not compile; 0 where
	// none was measured (compiledStartup).
	ColdStart float64 `json:"cold_start_s,omitempty"`
	// GPU says it computes off the machine's cores (Device.GPU): a run's
	// CPU share says nothing of its speed.
	GPU bool `json:"gpu,omitempty"`
	// Identical are the indexes of the devices identical to this one
	// (Device.model) that calibrate left unstarted, as it measures one
	// of identical devices: a run on several devices at once counts each
	// at this one's timing (multiMembers). None in a file written before
	// they were kept, where each device stands for itself alone.
	Identical []int `json:"identical,omitempty"`
	// Program is the device's compiled program's file in the cache
	// (Entry.ProgramFile), as calibrate found it, which pickLoadable
	// checks: asking Entry.ProgramFile loads the driver to list the
	// devices, 0.18 s on an H200's (NVIDIA's libnvidia-opencl), which a
	// run on simd then counted against simd's 0.05 s prediction, so that
	// every other default run there dropped the calibration and measured
	// again. "" where the cache keeps none, or in a file written before
	// it was kept (then Entry.ProgramFile is asked).
	Program string `json:"program,omitempty"`
	// Keys are coldDevice.Keys for a measured device, whose program may
	// be gone since (pickLoadable's note of a device not started).
	Keys []string `json:"keys,omitempty"`
	cost
}

// startupSamples is how many of a GPU's latest start-ups deviceTiming
// keeps: enough that one slow or fast start among them does not move
// their estimate (startupEstimate), few enough that a lasting change (a
// driver that now unloads between processes) shows within three runs.
const startupSamples = 5

// samples are d's start-ups: Starts, or Startup alone where none is kept.
func (d deviceTiming) samples() []float64 {
	if len(d.Starts) > 0 {
		return slices.Clone(d.Starts)
	}
	return []float64{d.Startup}
}

// addStartup keeps s seconds as d's latest start-up, the oldest of more
// than startupSamples dropped, and sets Startup from them.
func (d *deviceTiming) addStartup(s float64) {
	starts := append(d.samples(), s)
	d.Starts = starts[max(len(starts)-startupSamples, 0):]
	d.Startup = startupEstimate(d.Starts)
}

// startupEstimate is the start-up auto predicts from the samples xs (at
// least one): their lower median, the ceil(n/2)-th least. A GPU's
// start-up varies from run to run (an H200's 0.15 to 0.4 s with a warm
// program cache) and now and then far more: the first start after boot,
// while the driver loads and initializes, can take seconds. One such
// sample taken as the start-up kept jobs simd takes a second or two off
// the GPU for good (no run started it again to correct it), and the least
// sample would let one fast start send jobs simd finishes within the
// usual start-up to the GPU. The lower median leaves one slow sample out
// from two samples on and one fast one from three, and so any one of
// five; of two it is the less, as other work only slows a start (confirm
// takes the less of two runs for the same reason).
func startupEstimate(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[(len(s)-1)/2]
}

// learnStartup keeps s seconds, a start-up of the GPU ch chose that the
// run measured (Observe: from Auto's call to its return, which loaded the
// driver, listed the devices and opened this one alone, as a later
// process does), in the calibration ch was predicted from. Only a GPU's:
// a CPU device's start-up (pocl's, tens of milliseconds) is timed by the
// process's CPU time (startClock), which other processes do not stretch,
// and stands as calibrated. A run alone on the device also corrects a
// start-up calibrate measured beside other devices in one process.
func learnStartup(ch Choice, s float64) {
	updateDevice(ch, ch.key, s, (*deviceTiming).addStartup)
}

// learnColdStart keeps s seconds, the start-up of a run whose start of
// the device ch chose compiled its program (chooseCalibrated's compiles:
// from Auto's call to its return, by wall time), as the device's
// ColdStart in the calibration it was chosen from.
func learnColdStart(ch Choice, s float64) {
	updateDevice(ch, ch.coldKey, s, func(d *deviceTiming, s float64) { d.ColdStart = s })
}

// updateDevice applies set with s seconds, finite and not negative, to
// the device ch chose in the calibration under key, under the file's lock:
// nothing where that calibration or the device is gone (deviceIn).
func updateDevice(ch Choice, key string, s float64, set func(*deviceTiming, float64)) {
	if !(s >= 0) || math.IsInf(s, 0) || ch.device < 0 {
		return
	}
	updateCalibration(func(f calibrationFile) {
		c, ok := f[key]
		if !ok || !ch.deviceIn(c) {
			return
		}
		c.Devices = slices.Clone(c.Devices)
		set(&c.Devices[ch.device], s)
		f[key] = c
	})
}

// compiledStartup is d's start-up where a start compiles its program: its
// measured cold start (ColdStart, at least its warm start-up) where there
// is one, else coldStartCost more than its warm start-up. A measured cold
// start was left out: pocl's of 6 to 10 s with its own cache empty was
// taken for 1 s more, so a device that then compiled at every start ran
// jobs it finished seconds after simd would have.
func (d deviceTiming) compiledStartup() float64 {
	if d.ColdStart > 0 {
		return max(d.ColdStart, d.Startup)
	}
	return d.Startup + coldStartCost.Seconds()
}

// cost is an engine's measured time for a run: fixed seconds (planning,
// launches and the per-run reduction) plus ns per lane-step.
type cost struct {
	Fixed float64 `json:"fixed_s"`
	Ns    float64 `json:"ns_per_lane_step"`
	// Confirmed says Ns is a real run's (Observe), not the probe's.
	Confirmed bool `json:"confirmed,omitempty"`
	// Runs is how many runs have confirmed Ns, counted up to
	// trustedRuns.
	Runs int `json:"runs,omitempty"`
	// Busy is how many checks of the engine ran on a busy machine since
	// a run got its cores, counted up to busyChecks.
	Busy int `json:"busy_checks,omitempty"`
	// Slow is the time per lane-step (ns) of a run that contradicted
	// the trusted Ns by being slower, kept while Ns, one run's again,
	// stands for the prediction: the next run's cost is the less of it
	// and Slow (confirm). 0 otherwise.
	Slow float64 `json:"slow_ns_per_lane_step,omitempty"`
	// StepS is the seconds each step of a run costs beyond its lanes'
	// (a --daily job's statistics across lanes, measured by
	// measureStepCost), which Fixed then leaves out: a job of n steps
	// takes Fixed + n*StepS more than its lane-steps (at). 0 where it
	// was not measured: Fixed then holds the probe's steps' share.
	StepS float64 `json:"step_s,omitempty"`
}

// at is x for a job of steps: its per-step time (StepS) counted in Fixed.
func (x cost) at(steps int) cost {
	x.Fixed += float64(max(steps, 1)) * x.StepS
	x.StepS = 0
	return x
}

// at is c for a job of steps: each cost's per-step time counted in its
// fixed time (cost.at), as the predictions from c read it.
func (c calibration) at(steps int) calibration {
	c.SIMD = c.SIMD.at(steps)
	c.Devices = slices.Clone(c.Devices)
	for i := range c.Devices {
		c.Devices[i].cost = c.Devices[i].cost.at(steps)
	}
	return c
}

// trustedRuns is how many runs must confirm an engine's cost before pick
// stops checking it as a runner-up, a first run within confirmSlack of the
// probe counting as two (a second check of each engine at the size a
// sweep first calibrates at made three of its five runs there checks,
// 1.54x simd's median at 1e6 x 100): one slow run (0.133 s where the
// engine's runs take 0.09 to 0.10 s, in a sweep on the 2-core VM) had
// confirmed simd at 1.33 ns per lane-step, pocl's 0.87 and 0.045 s of
// start-up then predicted 1 ms less, and auto ran every later 1e7 x 10 job
// on pocl, 1.48x simd's time. The second run's cost is the less of the
// two, and a run that contradicts a trusted cost makes it one run's again
// (confirm), a slower one with the trusted cost kept for the prediction
// until the next run decides.
const trustedRuns = 2

// runs is how many runs have confirmed c's cost: 1 for a cost confirmed
// before Runs was kept.
func (c cost) runs() int {
	if c.Confirmed {
		return max(c.Runs, 1)
	}
	return 0
}

// time is the predicted seconds of a run of work lane-steps.
func (c cost) time(work float64) float64 { return c.Fixed + work*c.Ns*1e-9 }

// calibrate starts each candidate device of ds (of identical ones, the
// first that starts, which records the others as its Identical:
// Device.model), keeps the time listing them took (enum's wall time) as
// List, measures each device started and simd on the same probe, and
// returns the calibration and the faster engine, keeping a
// started device open only when it is chosen. A device's start-up counts
// enum, the time listing the devices took (loading the driver library and
// its initialization), which a later process that starts the device pays
// too, besides opening it and its first launch; for a device on the
// machine's cores it is timed by startClock. A device whose start would
// compile its program is left cold, unopened, for a short job, one whose
// compile risks the time limit, or one whose build this process's limits
// refuse (pocl under ulimit -f: it was opened to be refused and kept as
// failed, where a run without the limit measures it: coldChanged).
func calibrate(ctx context.Context, dev Entry, ds []Device, o Options, simd cpu.SIMD, work float64, enum span) (calibration, sim.Engine, Choice, error) {
	spent := decidingSpan()
	probe := probeJob(jobParams(o), o.Daily)
	c := calibration{Measured: time.Now().UTC().Round(0), simdName: simdLabel(o)}
	sc, err := measureSIMD(ctx, o, simd, probe)
	if err != nil {
		return c, nil, Choice{}, err
	}
	c.SIMD = sc
	steps := o.Params.Steps
	// The started device's start-up is spent: the job goes to the engine
	// that finishes it first from here.
	best, bestT, bestLabel := sim.Engine(simd), c.SIMD.at(steps).time(work), c.simdLabel()
	bestDevice, bestGPU, bestIndex := false, false, -1
	devT, devLabel := math.Inf(1), ""
	c.List = enum.wall.Seconds()
	measured := map[string]int{} // the models of c.Devices, to their place there
	under, outweigh := o.devicesOutweigh(bestT, spent())
	cands := candidates(ds, o)
	c.NoDevices = len(cands) == 0
	for _, d := range cands {
		if m, ok := measured[d.model()]; ok {
			// One of identical devices is measured, and stands for
			// the others (a run on several, multiMembers): starting
			// each in turn cost a node of eight GPUs eight start-ups
			// (0.15 to 0.4 s each on an H200) on every calibration.
			c.Devices[m].Identical = append(c.Devices[m].Identical, d.Index)
			continue
		}
		f, compiles := programCold(dev, o, d.Index)
		if simdT := c.SIMD.at(steps).time(work); compiles && (simdT < coldStartCost.Seconds() || o.coldRisksLimit(simdT) || buildRefused(dev, d.Index, d.Label) != nil) {
			c.Cold = append(c.Cold, coldDevice{d.Index, d.Label, f, refusalKeys(dev, d.Index)})
			continue
		}
		if outweigh { // a cold one is said as before
			c.Unstarted = under
			continue
		}
		do := o
		do.Devices = strconv.Itoa(d.Index)
		e, st, cold, err := startDevice(ctx, dev, do, probe)
		startup, coldStart := startTimes(dev, o, d, compiles, enum, st, cold)
		if err != nil {
			if rerr := refusal(e, o); rerr != nil {
				// The probe has the job's parameters: the device is
				// not measured, and the calibration, which would
				// leave it out of every later job's choice, is not
				// kept.
				sim.CloseNoted(e, o.Note)
				c.refused = true
				c.refuse(dev, o, d, rerr)
				continue
			}
			sim.CloseNoted(e, o.Note)
			if ctx.Err() != nil {
				return c, nil, Choice{}, context.Cause(ctx)
			}
			c.fail(dev, o, d, fmt.Sprintf("did not start (%s)", firstLine(err)), err)
			continue
		}
		dc, full, err := measureJobDevice(ctx, d, o, e, probe)
		if err != nil {
			sim.CloseNoted(e, o.Note)
			if ctx.Err() != nil {
				return c, nil, Choice{}, context.Cause(ctx)
			}
			c.fail(dev, o, d, fmt.Sprintf("failed its probe (%s)", firstLine(err)), err)
			continue
		}
		if !full {
			// The budget and the cost as run's time line writes them
			// (count.Seconds, count.Nanos): it read "within 0.5 s
			// ... (5011 ns per lane-step)".
			o.note("%s %s is too slow to measure within %s: costed from a pilot run (%s per lane-step)", dev.Name, deviceName(d.Label), count.Seconds(deviceMeasureBudget), count.Nanos(dc.Ns))
		}
		c.Devices = append(c.Devices, deviceTiming{Index: d.Index, Label: d.Label, Startup: startup, ColdStart: coldStart, GPU: d.GPU, Program: f, Keys: refusalKeys(dev, d.Index), cost: dc})
		measured[d.model()] = len(c.Devices) - 1
		if rerr := refusal(e, o); rerr != nil {
			// Measured (the probe keeps no per-step statistics), but
			// the job itself would be refused.
			sim.CloseNoted(e, o.Note)
			c.refuse(dev, o, d, rerr)
			continue
		}
		if t := dc.at(steps).time(work); t < devT {
			devT, devLabel = t, dev.Name+" on "+deviceName(d.Label)
		}
		if t := dc.at(steps).time(work); t < bestT {
			sim.CloseNoted(best, o.Note)
			best, bestT, bestLabel = e, t, dev.Name+" on "+deviceName(d.Label)
			bestDevice, bestGPU, bestIndex = true, d.GPU, len(c.Devices)-1
		} else {
			sim.CloseNoted(e, o.Note)
		}
	}
	reason := c.at(steps).measuredReason(work, bestLabel, bestT, bestIndex, devLabel, devT) + c.at(steps).coldNote(dev, o, work) + c.unstartedNote(dev) + c.hereNote(dev)
	ch := Choice{Engine: best.Name(), Reason: reason, predicted: bestT, work: work, device: bestIndex, label: c.label(bestIndex)} // start-up spent
	ch.onCores(simd, bestDevice, bestGPU, jobParams(o))
	return c, best, ch, nil
}

// startTimes is the start-up of d, started in st (cold: its start that
// compiled, measured apart, where one did), with the listing of the devices
// in enum, and its cold start: cold's, or its start's where a start of it
// compiles (compiles) and still does after it, else 0.
func startTimes(dev Entry, o Options, d Device, compiles bool, enum, st, cold span) (startup, coldStart float64) {
	startup = startClock(d.GPU).seconds((st.wall + enum.wall).Seconds(), st.cpu+enum.cpu)
	switch {
	case cold.wall > 0:
		coldStart = startClock(d.GPU).seconds((cold.wall + enum.wall).Seconds(), cold.cpu+enum.cpu)
	case compiles:
		if _, still := programCold(dev, o, d.Index); still {
			// Not cached, or not loadable, after its start: the
			// start measured compiled, as every start will.
			coldStart = startup
		}
	}
	return startup, coldStart
}

// measureSIMD is simd's cost on probe, o's job's, timed over the cores
// the job keeps busy (simdJobCores). A probe whose pair is flat grows, as
// a device's does (measureProbe): a narrow one of hundreds of lanes runs
// in about a millisecond, much of it the run's own (its goroutines, its
// blocks, which differ with the steps), and its pair read 0.15 ns a
// lane-step where 1000 lanes x 1e6 steps take 0.6 ns; a wide one's, in CI
// beside other packages' tests, read 0.02 ns.
func measureSIMD(ctx context.Context, o Options, simd cpu.SIMD, probe *sim.Job) (cost, error) {
	k := engineClock(true, simdJobCores(simd, jobParams(o)))
	c, _, err := measureProbe(ctx, k, simd, probe, jobSize(probe, jobParams(o).Lanes, o.Params.Steps), now())
	if err != nil {
		return c, err
	}
	return measureStepCost(ctx, k, simd, probe, c)
}

// measureJobDevice is measureDevice for d, started as e, on probe, o's
// job's, with its per-step time (measureStepCost) where its probe ran
// whole (full).
func measureJobDevice(ctx context.Context, d Device, o Options, e sim.Engine, probe *sim.Job) (c cost, full bool, err error) {
	k := deviceClock(d.GPU, jobParams(o))
	c, full, err = measureDevice(ctx, k, e, probe, jobSize(probe, jobParams(o).Lanes, o.Params.Steps))
	if err != nil || !full {
		return c, full, err
	}
	c, err = measureStepCost(ctx, k, e, probe, c)
	return c, full, err
}

// measureStepCost is c, e's cost measured on probe, with its per-step
// time (cost.StepS) apart from its fixed time, where probe is a --daily
// job's over its lanes (stepsAxis false) and of at least 4 steps: its
// pair, over the probe's steps, counted each step's statistics across
// lanes in the fixed time, and a job of more steps (a wide job's probe
// stops at probeMaxSteps) paid them each step: 1e5 x 1e4 with --daily was
// predicted about 4% low. One more run size, a quarter of the probe's
// lanes over a quarter of its steps (the least of two runs, a sixteenth
// of the probe's lane-steps), tells the fixed time of a run of those
// steps, and the difference of the two fixed times is the steps'.
func measureStepCost(ctx context.Context, k clock, e sim.Engine, probe *sim.Job, c cost) (cost, error) {
	s := probe.Params.Steps
	if !probe.Daily || stepsAxis(probe) || s < 4 {
		return c, nil
	}
	j := resized(probe, probeSize(probe)/4)
	j.Params.Steps = s / 4
	t, err := bestRun(ctx, k, e, j)
	if err != nil {
		return c, err
	}
	fixed := max(t-laneSteps(j)*c.Ns*1e-9, 0) // a run of s/4 steps
	step := min(max(c.Fixed-fixed, 0)/float64(s-s/4), c.Fixed/float64(s))
	c.StepS = step
	c.Fixed -= float64(s) * step
	return c, nil
}

// label is the Label of c.Devices[i], "" for simd (i < 0).
func (c calibration) label(i int) string {
	if i < 0 || i >= len(c.Devices) {
		return ""
	}
	return c.Devices[i].Label
}

// fail records d, which did not start or failed its probe (what says
// which, and why; err is the error), in c.Failed, with a note, and the
// engine's hint for err where it has one, without its advice to run on a
// CPU engine (auto runs on one): a GPU that failed its self-test under
// POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math was noted without the
// hint that names the variable, which --engine opencl gives.
func (c *calibration) fail(dev Entry, o Options, d Device, what string, err error) {
	f := failedDevice{Index: d.Index, Label: d.Label, Error: what}
	if ec := (*gpu.EarlierCrashError)(nil); errors.As(err, &ec) {
		f.Marks = slices.Clone(ec.Marks)
	}
	c.Failed = append(c.Failed, f)
	o.note("%s %s %s: not a candidate", dev.Name, deviceName(d.Label), what)
	if dev.Hint != nil {
		if h := strings.Trim(cl.WithoutCPU(dev.Hint(err)), "; "); h != "" {
			o.note("hint for %s: %s", dev.Name, h)
		}
	}
}

// programCold says whether a start of dev's device index for o compiles
// its program, and the program's file in gpusim's cache ("" where it keeps
// none): the file is missing or cannot be loaded (warmProgram), or the
// cache is off (cachedir.Dir is ""), where no program is ever kept.
func programCold(dev Entry, o Options, index int) (file string, compiles bool) {
	if dev.ProgramFile == nil {
		return "", false
	}
	f := dev.ProgramFile(o, index)
	return f, f != "" && !warmProgram(dev, f) || f == "" && cachedir.Dir() == ""
}

// measuredReason is the reason for calibrate's choice from c: label,
// predicted at t seconds (index in c.Devices, or -1 for simd), and the
// fastest device, devLabel, at devT seconds once started ("" for none).
func (c calibration) measuredReason(work float64, label string, t float64, index int, devLabel string, devT float64) string {
	reason := fmt.Sprintf("measured here: %s predicted at %s", label, count.Seconds(t))
	if index >= 0 {
		// The start-up spent measuring it, left out of t: a GPU's (0.2
		// s on an H200) is most of a job's time, and the next run of
		// the same job, which pays it, may go to simd.
		return reason + fmt.Sprintf(" now that it is started (a later run pays its %s of start-up too), %s at %s", count.Seconds(c.Devices[index].Startup), c.simdLabel(), count.Seconds(c.SIMD.time(work)))
	}
	if devLabel != "" {
		// The started device's start-up is spent; a later process, which
		// pays it again, compares it too.
		reason += fmt.Sprintf(", %s at %s once started", devLabel, count.Seconds(devT))
	}
	return reason
}

// refuse notes that dev's device d refuses this job (rerr: refusal's
// error), and keeps it for the choice's reason (hereNote).
func (c *calibration) refuse(dev Entry, o Options, d Device, rerr error) {
	what := fmt.Sprintf("%s %s refuses this job (%s)", dev.Name, deviceName(d.Label), firstLine(rerr))
	c.refusals = append(c.refusals, what)
	o.note("%s: not a candidate", what)
}

// hereNote says, for the reason of the choice that measured c, which
// devices did not start, failed their probe or refuse the job: said only
// in a note above the report, a GPU that failed its self-test on the
// run that measured it was missing from that run's reason ("measured
// here: simd predicted at 1.73 s"), where every later run's reason names
// it (failedNote).
func (c calibration) hereNote(dev Entry) string {
	var b strings.Builder
	for _, d := range c.Failed {
		fmt.Fprintf(&b, "; %s %s was left out, as it %s", dev.Name, deviceName(d.Label), d.Error)
	}
	for _, r := range c.refusals {
		fmt.Fprintf(&b, "; %s", r)
	}
	return b.String()
}

// failedDevice is a device that did not start, or failed its probe, when
// its calibration was measured (a GPU that fails its self-test): not a
// candidate while the calibration stands.
type failedDevice struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	Error string `json:"error"` // what failed, and its first line
	// Marks are the marks of an earlier crash that refused the device's
	// start (gpu.EarlierCrashError.Marks), absent where none did: once
	// none is there (removed, as the refusal's hint says), neither is the
	// refusal, and the calibration is measured again (liftedRefusals).
	Marks []string `json:"marks,omitempty"`
}

// stands says whether Auto chooses from c, loaded for a job of o of work
// lane-steps, without measuring: no device it left cold must be measured
// now (coldChanged), nor the devices it left unstarted (needsDevices), and
// no crash's marks that refused a device are gone (liftedRefusals).
func (c calibration) stands(dev Entry, o Options, work float64) bool {
	cs := c.at(o.Params.Steps)
	return len(c.liftedRefusals()) == 0 && !cs.coldChanged(dev, o, work) && !cs.needsDevices(work)
}

// sayLifted notes, for a run that measures the machine where c stood, the
// devices of c whose refusal is gone (liftedRefusals); nothing where none
// is.
func (c calibration) sayLifted(dev Entry, o Options) {
	if lifted := c.liftedRefusals(); len(lifted) > 0 {
		o.note("%s", liftedNote(dev, lifted))
	}
}

// liftedRefusals are the devices of c left out as a crash's marks refused
// them (failedDevice.Marks) whose marks are all gone since: removed, as
// the refusal's hint says (after which `gpusim selftest` passed). Auto
// measures such a calibration again: it left the device out of every
// choice, in a reason that still named the crash, without a hint, until
// auto.json was removed too.
func (c calibration) liftedRefusals() []failedDevice {
	var lifted []failedDevice
	for _, d := range c.Failed {
		if len(d.Marks) > 0 && !slices.ContainsFunc(d.Marks, markStands) {
			lifted = append(lifted, d)
		}
	}
	return lifted
}

// markStands says whether the crash's mark at path may still refuse a
// start: any answer but that nothing is there (a folder that cannot be
// read) keeps it.
func markStands(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// liftedNote says that the devices lifted (liftedRefusals) are measured
// again, as their refusal is gone.
func liftedNote(dev Entry, lifted []failedDevice) string {
	names := make([]string, len(lifted))
	var marks []string
	for i, d := range lifted {
		names[i] = fmt.Sprintf("%s %s", dev.Name, deviceName(d.Label))
		marks = append(marks, d.Marks...)
	}
	what := "its mark is"
	if len(marks) > 1 {
		what = "the marks are"
	}
	return fmt.Sprintf("auto: %s was left out when this machine was measured, as an earlier crash's mark refused it; %s gone (%s), so this run measures the machine again",
		strings.Join(names, " and "), what, strings.Join(marks, " "))
}

// failedNote says which devices of c failed when it was measured, for a
// reason. Said only in the note of the run that measured them, a GPU that
// failed its self-test was left out of every later run's choice without a
// word.
func (c calibration) failedNote(dev Entry) string {
	var b strings.Builder
	for _, d := range c.Failed {
		fmt.Fprintf(&b, "; %s %s was left out when this machine was measured, as it %s", dev.Name, deviceName(d.Label), d.Error)
	}
	return b.String()
}

// coldStarted reports whether e's start compiled its program (ColdStart:
// built from source and stored, or waited for another process sharing the
// cache folder to build it): such a start is no sample of the device's
// warm start-up.
func coldStarted(e sim.Engine) bool {
	c, ok := e.(interface{ ColdStart() bool })
	return ok && c.ColdStart()
}

// startDevice opens the device engine o names and runs the pilot, whose
// first launch finishes starting the device, and returns it with the time
// that took, wall and CPU: the start-up a later process pays. After a cold start (the
// program built from source and its binary now cached, as on a first run
// or after the cache was emptied) it closes the engine and times a second
// start: the seconds of a compile that later processes skip would
// otherwise stand in the calibration as the device's start-up (6 s on pocl
// for a 0.075 s warm start); cold is that first start's time, the cold
// start calibrate keeps (ColdStart), zero where the start was warm.
func startDevice(ctx context.Context, dev Entry, o Options, probe *sim.Job) (e sim.Engine, took, cold span, err error) {
	for attempt := 0; ; attempt++ {
		t0, cpu0 := time.Now(), processCPU()
		e, err = dev.Open(ctx, o)
		if err == nil {
			_, err = e.Run(ctx, pilotJob(probe))
		}
		took = since(t0, cpu0)
		if err != nil {
			return e, took, cold, err
		}
		if attempt > 0 || !coldStarted(e) {
			return e, took, cold, nil
		}
		cold = took
		sim.CloseNoted(e, o.Note)
	}
}

// candidates are the devices auto considers: o.Devices' when given, else
// the GPUs that are not also CPUs (gpu.DeviceDesc.GPUNotCPU), else the
// devices of one type (not Oclgrind's simulator, CPU|GPU|ACCELERATOR), else
// every device, as gpu.PickDefault picks.
func candidates(ds []Device, o Options) []Device {
	if o.Devices != "" {
		idx, why := parseDevices(o.Devices, len(ds))
		if why != "" {
			return nil
		}
		var out []Device
		for _, i := range idx {
			if i < len(ds) { // Check refused the others
				out = append(out, ds[i])
			}
		}
		return out
	}
	var gpus, single []Device
	for _, d := range ds {
		if d.GPU {
			gpus = append(gpus, d)
		}
		if !strings.Contains(d.Type, "|") {
			single = append(single, d)
		}
	}
	switch {
	case len(gpus) > 0:
		return gpus
	case len(single) > 0:
		return single
	}
	return ds
}

// chooseCalibrated predicts each candidate's time from c, the calibration
// stored under key, and starts the fastest; only a chosen device is
// started. Several GPUs at once are a candidate too (chooseMulti), chosen
// only where predicted faster than every single engine by multiMargin. A choice it predicted carries key for Observe; the fall-back to
// simd when the device does not start drops the calibration and carries
// none (Observe judged it against a prediction of 0 s and said the
// calibration predicted 0 s).
func chooseCalibrated(ctx context.Context, dev Entry, o Options, simd cpu.SIMD, c calibration, key string, work float64) (sim.Engine, Choice, error) {
	c.simdName = simdLabel(o)
	c.recheck = recheckDraw()
	if e, ch, ok, err := c.chooseMulti(ctx, dev, o, simd, key, work, c.fastestSingle(dev, o, work), true); ok || err != nil {
		return e, ch, err
	}
	// A run not observed (Observe: a shard's, a --daily run, another
	// caller's): checking an engine on it would confirm nothing, and
	// check it again every time.
	best, bestT, why, compiles := c.pickLoadable(dev, o, work)
	check := why != ""
	if why == "" {
		why = "predicted fastest from this machine's calibration"
	}
	if best < 0 {
		ch := Choice{Engine: "simd", Reason: fmt.Sprintf("%s: %s on %s", why, count.Seconds(bestT), c.simdLabel()) + c.coldNote(dev, o, work) + c.unstartedNote(dev) + compiles + c.failedNote(dev) + c.multiNote(), predicted: bestT, key: key,
			measured: c.Measured, work: work, device: -1, check: check}
		ch.onCores(simd, false, false, jobParams(o))
		return simd, ch, nil
	}
	d := c.Devices[best]
	do := o
	do.Devices = strconv.Itoa(d.Index)
	e, err := dev.Open(ctx, do)
	if err != nil {
		if ctx.Err() != nil {
			return nil, Choice{}, context.Cause(ctx)
		}
		if dev.NotLoaded != nil && dev.NotLoaded(err) {
			// Not loaded in this process (under its ulimit -v): the
			// calibration stands for runs with room.
			o.note("%s is not loaded, running on simd: %s", dev.Name, firstLine(err))
			return simd, Choice{Engine: "simd", Reason: dev.Name + " is not loaded"}, nil
		}
		if noAnswer(err) {
			return simd, Choice{Engine: "simd", Reason: devicesFailed(dev, o, err)}, nil
		}
		// The machine changed since it was measured (a device gone, a
		// driver broken): the next run measures again rather than
		// failing the same way each time.
		dropCalibration(key, c.Measured)
		o.note("%s %s, as measured, did not start (%s): running on simd; auto measures again next time", dev.Name, deviceName(d.Label), firstLine(err))
		return simd, Choice{Engine: "simd", Reason: dev.Name + " did not start"}, nil
	}
	if got, ok := e.(interface{ Device() gpu.DeviceDesc }); ok && got.Device().String() != d.Label {
		// Another device at the measured place (a cache shared by
		// machines of one set-up, a GPU swapped): the calibration's
		// costs are another device's, never trusted.
		sim.CloseNoted(e, o.Note)
		dropCalibration(key, c.Measured)
		o.note("%s %s, as measured, is %s now: running on simd; auto measures again next time", dev.Name, deviceName(d.Label), deviceName(got.Device().String()))
		return simd, Choice{Engine: "simd", Reason: dev.Name + " device changed since it was measured"}, nil
	}
	if rerr := refusal(e, o); rerr != nil {
		// This job only (a device that flushes subnormals, a job that
		// can reach them): the calibration stands for the others.
		sim.CloseNoted(e, o.Note)
		o.note("%s %s refuses this job (%s): running on simd", dev.Name, deviceName(d.Label), firstLine(rerr))
		return simd, Choice{Engine: "simd", Reason: fmt.Sprintf("%s on %s refuses this job", dev.Name, deviceName(d.Label))}, nil
	}
	// A start after devices opened for several (multiOpened) is no start
	// of this one alone: the others' opening and the driver's loading
	// count in it.
	ch := Choice{Engine: e.Name(), Reason: fmt.Sprintf("%s: %s on %s", why, count.Seconds(bestT), deviceName(d.Label)) + compiles + c.failedNote(dev) + c.multiNote(), predicted: bestT, key: key,
		measured: c.Measured, work: work, device: best, label: d.Label, startup: d.Startup, check: check, fresh: !c.multiOpened && !coldStarted(e)}
	if compiles != "" {
		// Its start compiles: a run says nothing of its cost, but
		// measures its cold start (learnColdStart).
		ch.key = ""
		if !c.multiOpened {
			ch.coldKey = key
		}
	}
	ch.onCores(simd, true, d.GPU, jobParams(o))
	return e, ch, nil
}

// pickLoadable is pick for chooseCalibrated: a device whose compiled
// program a start cannot load now (warmProgram: gone from the cache, or in
// a read-only cache that takes no loading mark since it was measured)
// compiles it at its start, so its start-up is taken to be its cold
// start's (compiledStartup: the measured one, else coldStartCost more than
// its warm start-up), and the engine picked again. compiles says so for
// the reason ("" when no device was affected). A calibration written while
// the cache was writable predicted a warm start of a device that then
// compiled at every start, and could not be rewritten there. A device
// whose build no start here may do (Entry.BuildRefused) is not picked: its
// start loaded the driver to be refused, and dropped the calibration.
func (c calibration) pickLoadable(dev Entry, o Options, work float64) (best int, t float64, why, compiles string) {
	observed := o.Observed && !o.Sharded && !o.Daily
	c.Devices = slices.Clone(c.Devices)
	files := map[int]string{} // the devices that compile, by index in c.Devices
	for {
		best, t, why = c.pick(work, observed)
		if best < 0 || dev.ProgramFile == nil {
			break
		}
		if _, ok := files[best]; ok {
			break
		}
		d := c.Devices[best]
		f := d.Program
		if f == "" {
			f = dev.ProgramFile(o, d.Index)
		}
		if f == "" || warmProgram(dev, f) {
			break
		}
		files[best] = f
		c.Devices[best].Startup = c.Devices[best].compiledStartup()
		if o.coldRisksLimit(c.SIMD.time(work)) || buildRefused(dev, d.Index, d.Label) != nil {
			c.Devices[best].Startup = math.Inf(1)
		}
	}
	for i := range c.Devices {
		f, ok := files[i]
		if !ok {
			continue
		}
		verb := "not started on"
		if i == best {
			verb = "started on"
		} else if crashed := crashNote(dev, o, c.Devices[i].Label, c.Devices[i].Keys); crashed != "" {
			compiles += crashed
			continue
		}
		compiles += "; " + compileNote(dev, o, verb, deviceName(c.Devices[i].Label), f, c.SIMD.time(work), buildRefused(dev, c.Devices[i].Index, c.Devices[i].Label))
	}
	return best, t, why, compiles
}

// buildRefused is dev.BuildRefused(index, label), or nil where dev has
// none: the note on a device of a calibration, which the process need not
// have loaded the driver for.
func buildRefused(dev Entry, index int, label string) error {
	if dev.BuildRefused == nil {
		return nil
	}
	return dev.BuildRefused(index, label)
}

// compileNote says, for a reason, why a start of dev on the devices named
// compiles its program, whose file in the cache is file ("" where the
// cache keeps none), against simd's simdT seconds for the job; verb is
// "not started on" or "started on". Where refused (Entry.BuildRefused) is
// not nil, no start here can compile it, and the note says why instead of
// naming what would compile it (selftest, --engine, a longer job: each
// refused under a limit such as ulimit -f on pocl).
func compileNote(dev Entry, o Options, verb, devices, file string, simdT float64, refused error) string {
	if refused != nil {
		return fmt.Sprintf("%s %s %s: its program is not compiled yet, and cannot be compiled here: %v", dev.Name, verb, devices, refused)
	}
	if o.coldRisksLimit(simdT) {
		return fmt.Sprintf("%s %s %s: its program is not compiled yet, and a cold start (up to %g s measured) could overrun the run's time limit (%s left), which simd's %s fits",
			dev.Name, verb, devices, coldStartBound.Seconds(), count.Seconds(o.limit.Seconds()), count.Seconds(simdT))
	}
	head := fmt.Sprintf("%s %s %s: every start compiles its program, a cold start of seconds for a job %s finishes in %s", dev.Name, verb, devices, simdLabel(o), count.Seconds(simdT))
	if file != "" && exists(file) && dev.ProgramLoadable != nil {
		if err := dev.ProgramLoadable(file); err != nil {
			return fmt.Sprintf("%s, as gpusim's cache holds it but cannot load it: %v; set TMPDIR or XDG_RUNTIME_DIR to a folder this user can write, or %s to a writable cache folder",
				head, err, cachedir.Env)
		}
	}
	room := ""
	if err := gpu.CacheWritable(); gpu.IsCacheRoom(err) {
		// Short of room as judged before a build: the compiled
		// program, smaller than taken, may be kept after all, so
		// selftest's compile is still the advice (on 1 MB free, every
		// start was said to compile a program that selftest cached).
		room = fmt.Sprintf("; gpusim's cache folder may not keep it: %v", err)
	} else if err != nil {
		// selftest's compile could not be kept either: every start
		// compiles, whatever the advice said.
		return fmt.Sprintf("%s, as gpusim's cache folder cannot keep it: %v; set %s to a writable folder", head, err, cachedir.Env)
	}
	return fmt.Sprintf("%s %s %s: its program is not compiled yet, a cold start of seconds for a job %s is predicted to finish in %s (`gpusim selftest` compiles it, as do `--engine %s` and a job predicted at %g s or more on simd)%s",
		dev.Name, verb, devices, simdLabel(o), count.Seconds(simdT), dev.Name, coldStartCost.Seconds(), room)
}

// exploreMargin is how close (as a ratio of predicted times) an engine
// whose cost fewer than trustedRuns runs have confirmed must come to the
// fastest predicted, itself trusted, for pick to take it, so that its
// cost is confirmed
// (Observe): the
// probes' few milliseconds, on a noisy machine, can misjudge two engines
// by far more than the 10% between them, and a calibration that is wrong
// about the engine not chosen was never corrected, as only the chosen
// engine's runs are observed. Checking costs at most this much, at most
// trustedRuns times an engine.
// At 1.25 the probes' own spread left the calibration wrong for good: 16
// fresh calibrations of 5M x 100 on the 2-core VM of docs/benchmarks.md
// measured simd at 0.63 to 0.99 ns per lane-step (its runs take 0.6) and
// pocl at 0.63 to 0.91, so that 6 of them chose pocl, 1.15x simd's time
// as a whole process (0.39 against 0.34 s), with simd predicted 1.1 to
// 1.3x slower; those past 1.25x were never checked. 2 covers that spread.
const exploreMargin = 2.0

// recheckMargin is exploreMargin for a runner-up whose cost one run has
// confirmed, which measures it far better than a probe (a run of 50 ms
// or more against milliseconds): it is checked again only where that run
// may have been one slow run of an engine as fast as the first. With
// exploreMargin there, a sweep's five runs at the size it calibrated at
// held the calibration and two checks of pocl, 1.57x simd's median at 1e7
// x 10.
const recheckMargin = 1.25

// recheckOdds is how rarely pick reruns a runner-up whose cost trustedRuns
// runs have confirmed and which is predicted within confirmSlack of the
// fastest: one observed choice in recheckOdds. Within confirmSlack two
// engines' predictions differ by no more than one engine's runs do, and a
// trusted cost is written again only past confirmSlack (confirm), so a
// runner-up confirmed on two slow runs was never run again: simd at 0.739
// ns a lane-step, whose runs took 0.695, lost 5M x 100 to pocl predicted
// 0.364 s against 0.370 s, for good, and auto's runs took 0.376 s where
// simd's took 0.352 (interleaved, medians of 7; docs/benchmarks.md). A
// recheck costs at most confirmSlack on one run in recheckOdds (1.25% of
// the time); a faster run is written at once (confirm), and the next run
// confirms it.
const recheckOdds = 8

// recheckDraw says whether a choice from a calibration may recheck a
// trusted runner-up (calibration.recheck): true one time in recheckOdds. A
// variable for tests.
var recheckDraw = func() bool { return rand.IntN(recheckOdds) == 0 }

// pick is the engine chooseCalibrated runs a job of work lane-steps on:
// -1 for simd, else the index in c.Devices, with its predicted seconds
// (start-up included). It is the fastest predicted, unless trustedRuns
// runs have confirmed the fastest's cost and fewer the runner-up's, the
// runner-up is predicted within exploreMargin of the fastest
// (recheckMargin once a run has confirmed it), and the job is long
// enough to observe (minObserved), and fewer than busyChecks checks of it
// ran on a busy machine since a run got its cores: then the runner-up,
// and why says so ("" otherwise); or, where c.recheck (recheckOdds), the
// runner-up trustedRuns runs have confirmed, predicted within confirmSlack
// of the fastest. Without observed (a run Observe does not judge) it is
// the fastest predicted.
func (c calibration) pick(work float64, observed bool) (best int, t float64, why string) {
	type cand struct {
		i    int
		t    float64
		runs int // runs that confirmed its cost
		busy int // checks of it on a busy machine
	}
	cands := []cand{{-1, c.SIMD.time(work), c.SIMD.runs(), c.SIMD.Busy}}
	for i, d := range c.Devices {
		cands = append(cands, cand{i, d.Startup + d.time(work), d.runs(), d.Busy})
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(a.t, b.t) })
	first := cands[0]
	if len(cands) < 2 || first.t < minObserved || !observed {
		return first.i, first.t, ""
	}
	if first.runs < trustedRuns {
		// The fastest predicted is itself not yet trusted: its run is
		// the job's best guess and its check at once. Checking the
		// runner-up first ran two checks where one would do: a probe
		// that put simd at 1.10 ns a lane-step (its runs take 0.88)
		// had pocl, confirmed once, checked again at 1e7 x 10, 1.6x
		// simd's time, before simd's own run showed pocl 1.4x slower.
		return first.i, first.t, ""
	}
	next := cands[1]
	label := func(i int) string {
		if i < 0 {
			return c.simdLabel()
		}
		return deviceName(c.Devices[i].Label)
	}
	if c.recheck && next.runs >= trustedRuns && next.busy < busyChecks && next.t <= (1+confirmSlack)*first.t {
		return next.i, next.t, fmt.Sprintf("rechecking %s with a run, one in %d (this machine's calibration predicts it at %s, within %.0f%% of the fastest, %s at %s, as close as one engine's runs lie)",
			label(next.i), recheckOdds, count.Seconds(next.t), confirmSlack*100, label(first.i), count.Seconds(first.t))
	}
	margin := exploreMargin
	if next.runs > 0 {
		margin = recheckMargin
	}
	if next.runs >= trustedRuns || next.busy >= busyChecks || next.t > margin*first.t {
		return first.i, first.t, ""
	}
	confirmed := "no run has confirmed its cost yet"
	if next.runs > 0 {
		confirmed = "one run has confirmed its cost, where two are trusted"
	}
	return next.i, next.t, fmt.Sprintf("checking %s with a run (this machine's calibration predicts it at %s, within %gx the fastest, %s at %s, and %s)",
		label(next.i), count.Seconds(next.t), margin, label(first.i), count.Seconds(first.t), confirmed)
}

// refusal is the error with which the device engine e (nil after a failed
// open) would refuse o's job before running any of it (gpu.Engine.Refuses:
// a job that can reach subnormal values on a device that flushes them, or
// whose buffers and finals do not fit an address-space limit), or nil.
// auto then runs the job on simd rather than failing it.
func refusal(e sim.Engine, o Options) error {
	r, ok := e.(interface{ Refuses(*sim.Job) error })
	if !ok || e == nil {
		return nil
	}
	j := &sim.Job{Params: o.Params, Daily: o.Daily, KeepFinals: o.KeepFinals}
	if o.Sharded {
		// The shard's lanes (a shard of none is asked about one: it
		// runs nothing the device could refuse for its size).
		j.Count = max(o.Lanes, 1)
	}
	return r.Refuses(j)
}

// jobParams is o's job as auto decides it: a shard's own lanes where
// o.Sharded (a shard of none counted as one lane).
func jobParams(o Options) sim.Params {
	p := o.Params
	if o.Sharded {
		p.Lanes = max(o.Lanes, 1)
	}
	return p
}

// probeJob is the bounded slice of p's job that candidates run, of the
// shape probeShape gives its lanes and steps, with its per-step statistics
// where daily (--daily), whose cost differs by engine: at 5M x 100 on the
// 2-core VM, simd took 0.33 s plain and 1.02 s daily, pocl 0.39 and 0.72
// s, so a --daily job chosen from the plain probes ran on simd at 1.4x
// pocl's time, its reason predicting 0.333 s.
func probeJob(p sim.Params, daily bool) *sim.Job {
	q := p
	q.Lanes, q.Steps, _ = probeShape(p.Lanes, p.Steps)
	return &sim.Job{Params: q, Daily: daily}
}

// probeShape is the lanes and steps of the probe for a job of lanes x
// steps, about probeLaneSteps (2^21) lane-steps. A wide job's (narrow
// false) is its step count up to probeMaxSteps (32) on as many lanes as
// make probeLaneSteps, which fill every engine's lanes and cores at once,
// so that a job's time is its lane-steps times the probe's cost per
// lane-step. A narrow job, of fewer lanes than that, leaves an engine's
// vector lanes and cores idle (simd computes 16 lanes an instruction and
// one core a block of lanes, an OpenCL device a work-item a vector of
// lanes), so that its cost per lane-step is many times a wide job's: one
// lane's, on simd, 19 ns a step against 0.66 on the 2-core VM. Its probe
// is as narrow, the largest power of two of lanes at most the job's, on
// the job's step count up to probeLaneSteps of lane-steps (a power of two
// of steps), and it is scaled by its steps (stepsAxis): measured on the wide probe's shape, or on the job's one lane
// for 32 steps, a job of 1 lane x 1e8 steps was predicted at 422 s (it
// took 2.1 s), and its calibration, kept under the wide jobs' key, then
// predicted 5M x 100 at 2.11e3 s. A narrow probe's steps are at most
// 1/probeJobShare of the job's (but not under 2*probeMaxSteps, which its
// pair's quarter needs): each engine runs it twice and a quarter of it
// twice, and on the job's own steps, 1 lane x 1e7 steps measured for 0.32
// s, more than the job's 0.2 s on the engine it chose.
func probeShape(lanes uint64, steps int) (probeLanes uint64, probeSteps int, narrow bool) {
	s := min(max(steps, 1), probeMaxSteps)
	wide := max(probeLaneSteps/uint64(s), 1)
	if lanes >= wide {
		return wide, s, false
	}
	l := uint64(1) << (bits.Len64(max(lanes, 1)) - 1)
	s = min(max(steps, 1), int(probeLaneSteps/l), max(steps/probeJobShare, 2*probeMaxSteps))
	return l, 1 << (bits.Len(uint(s)) - 1), true
}

// probeJobShare bounds a narrow probe's steps to this share of the job's
// (probeShape): its runs on each engine, twice at its size and twice at a
// quarter of it, then take at most 2.5/16 of the job's time there.
const probeJobShare = 16

// stepsAxis says whether probe is a narrow job's (probeShape) of more
// steps than a wide one's: its size is scaled by its steps (a quarter of
// them for the smaller run of a pair, fourfold to grow), where a wide
// probe's is scaled by its lanes. A narrow job's time grows with its
// steps, not with its lanes: a pair of 1 lane and a quarter of it gave no
// slope, and the larger run's time per lane-step counted all its fixed
// time, 7250 ns a lane-step on simd.
func stepsAxis(probe *sim.Job) bool { return probe.Params.Steps > probeMaxSteps }

// probeSize is probe's size along its axis (stepsAxis): its steps or its
// lanes.
func probeSize(probe *sim.Job) uint64 {
	if stepsAxis(probe) {
		return uint64(probe.Params.Steps)
	}
	return probe.Params.Lanes
}

// resized is probe with its size along its axis (stepsAxis) n, at least 1
// (steps stay above probeMaxSteps, so that the axis stays theirs).
func resized(probe *sim.Job, n uint64) *sim.Job {
	j := *probe
	if stepsAxis(probe) {
		j.Params.Steps = int(min(max(n, probeMaxSteps+1), sim.MaxSteps))
	} else {
		j.Params.Lanes = max(n, 1)
	}
	return &j
}

// jobSize is the size along probe's axis of the job of lanes x steps it
// was made for: the most a probe grows to.
func jobSize(probe *sim.Job, lanes uint64, steps int) uint64 {
	if stepsAxis(probe) {
		return uint64(steps)
	}
	return lanes
}

// clock times the probes' runs. An engine that computes on this machine's
// cores (simd, a CPU device such as pocl's) is timed by the process's CPU
// time over its cores (the time the run takes with its cores to itself,
// at most its wall time; under a cgroup CPU limit below them, over the
// limit, whatever the wall time: a probe of milliseconds runs at full
// speed until the limit's period is spent, a job does not); a GPU, or a
// system without a CPU clock (cputime.Process), by wall time.
//
// A probe's runs take milliseconds, and their wall time says more about
// the scheduler than the engine: on the 2-core VM of docs/benchmarks.md a
// goroutine woken on an idle machine waited 1 to 8 ms for the second core,
// so that most probes ran on one core (simd measured at 1.2 to 1.6 ns per
// lane-step, 0.5 to 1.7 for pocl, where both run 5M x 100 at 0.70), and
// reading that as a busy machine marked 7 of 8 fresh calibrations busy.
// Timed by CPU, the same probes gave 0.53 to 0.71 ns (simd) and 0.62 to
// 0.72 (pocl), with other processes running beside them; the whole runs
// they predict get their cores (92 to 99% of them here).
type clock struct {
	cores   float64 // the cores the engine computes on; 0: wall time
	limited bool    // cores is the cgroup's CPU limit (usableCores)
}

// span is the time a step took: wall time and the process's CPU time spent
// in it (0 where there is no CPU clock).
type span struct{ wall, cpu time.Duration }

// since is the span from the wall clock t0 and the process's CPU time cpu0
// (processCPU) to now.
func since(t0 time.Time, cpu0 time.Duration) span {
	s := span{wall: time.Since(t0)}
	if cpu0 > 0 {
		s.cpu = max(processCPU()-cpu0, 0)
	}
	return s
}

// deviceClock times a device's probes: a GPU's by wall time, a CPU
// device's by CPU time over the CPUs this process may run on
// (runtime.NumCPU, within the cgroup's limit), not GOMAXPROCS: its
// driver (pocl) starts threads of its own for every one of them whatever
// GOMAXPROCS says, so under GOMAXPROCS=1 on 2 cores a run on pocl read as
// having 200% of its cores, and one on a loaded machine was never told
// from one on a quiet one.
//
// A narrow job (probeShape) keeps fewer of them busy, and its probes' CPU
// time over all of them read as a fraction of their time (deviceJobCores).
func deviceClock(gpu bool, p sim.Params) clock { return engineClock(!gpu, deviceJobCores(p)) }

// deviceJobCores is the cores a device on the machine's cores computes
// p's job on, as auto counts them: every CPU the process may run on
// (deviceClock), but 1 for a narrow job (probeShape), whose work-groups,
// which auto does not know, may be fewer than the cores: its probes are
// then timed by their wall time, unless they got less than one core's CPU
// time. Over two cores, the probes of 1 lane x 2^21 steps on pocl, which
// ran on one, read as half their time.
func deviceJobCores(p sim.Params) int {
	if _, _, narrow := probeShape(p.Lanes, p.Steps); narrow {
		return 1
	}
	return runtime.NumCPU()
}

// simdJobCores is the goroutines simd's run of p's job keeps busy
// (cpu.RunWorkers: one a block of lanes at most), at most GOMAXPROCS: the
// cores its probes' CPU time is counted over, as the job's time divides
// the same work among them. Over GOMAXPROCS, the probes of a job of 1 lane,
// one goroutine, read as half their time on two cores, and 1 lane x 1e8
// steps was predicted at 0.72 s; it took 2.3 s.
func simdJobCores(simd cpu.SIMD, p sim.Params) int {
	return max(min(cpu.RunWorkers(simd.Workers, p.Lanes, max(p.Steps, 1), false), runtime.GOMAXPROCS(0)), 1)
}

// startClock times a device's start-up (listing the devices, opening it,
// its first launch): a GPU's by wall time, as much of it waits for the
// device; a device on the machine's cores (pocl's) by the process's CPU
// time, at most its wall time, as its probes are (a start-up is mostly one
// thread's work, and one that kept more busy is timed by wall). Timed by
// wall, a start-up beside two CPU hogs on the 2-core VM of
// docs/benchmarks.md measured 0.30 s where it takes 0.04 s, and stood in
// the calibration once they were gone: no run corrects a CPU device's
// start-up (a GPU's runs do: learnStartup), and pocl, predicted past
// exploreMargin of simd, was never run again.
func startClock(gpu bool) clock { return engineClock(!gpu, 1) }

// engineClock is the clock for an engine on the machine's cores (cpuBound)
// with cores of them (usableCores), or on a GPU.
func engineClock(cpuBound bool, cores int) clock {
	if !cpuBound {
		return clock{}
	}
	c, limited := usableCores(cores)
	return clock{cores: c, limited: limited}
}

// seconds is the time a run took by k, from wall seconds and the
// process's CPU time spent in it (cpu, 0 where there is no CPU clock).
func (k clock) seconds(wall float64, cpu time.Duration) float64 {
	if k.cores <= 0 || cpu <= 0 {
		return wall
	}
	if k.limited {
		return cpu.Seconds() / k.cores
	}
	return min(wall, cpu.Seconds()/k.cores)
}

// pair is the least of two runs' times, t0 and t1 seconds, at two sizes, w0
// and w1 lane-steps (w1 about 4 w0).
type pair struct{ t0, w0, t1, w1 float64 }

func (m pair) fit() cost { return fit(m.t0, m.w0, m.t1, m.w1) }

// flat reports whether the larger size took less than twice the smaller:
// per-run costs (a GPU's launches and read-back) then weigh at least twice
// the smaller run's lane-steps, and the slope between the two is mostly
// noise; a larger probe shows the time per lane-step.
func (m pair) flat() bool { return m.t1 < 2*m.t0 }

// measurePair times probe and a quarter of it (of its lanes, or of a
// narrow job's steps: stepsAxis), the least of two runs each: their fit
// gives the time per lane-step (the slope) and the fixed time of a run,
// which weighs on a small probe (a device's launches and per-run
// reduction) but not on the job.
func measurePair(ctx context.Context, k clock, e sim.Engine, probe *sim.Job) (pair, error) {
	small := resized(probe, probeSize(probe)/4)
	var m pair
	var err error
	if m.t0, err = bestRun(ctx, k, e, small); err != nil {
		return m, err
	}
	if m.t1, err = bestRun(ctx, k, e, probe); err != nil {
		return m, err
	}
	m.w0, m.w1 = laneSteps(small), laneSteps(probe)
	return m, nil
}

// bestRun is the least of two runs' seconds of job on e.
func bestRun(ctx context.Context, k clock, e sim.Engine, job *sim.Job) (float64, error) {
	best := math.Inf(1)
	for range 2 {
		t, err := timeRun(ctx, k, e, job)
		if err != nil {
			return 0, err
		}
		best = min(best, t)
	}
	return best, nil
}

func laneSteps(j *sim.Job) float64 { return float64(j.Params.Lanes) * float64(j.Params.Steps) }

// pilotJob is probe on pilotLaneSteps (at least one lane). A narrow
// job's (stepsAxis) is on its lanes up to pilotLanes, over as many steps,
// more than probeMaxSteps: a pilot of its 32768 lanes, over 33 steps, would
// take Oclgrind's simulator half a minute.
func pilotJob(probe *sim.Job) *sim.Job {
	if stepsAxis(probe) {
		j := *probe
		j.Params.Lanes = min(probe.Params.Lanes, pilotLanes)
		return resized(&j, min(uint64(probe.Params.Steps), pilotLaneSteps/j.Params.Lanes))
	}
	return resized(probe, min(probe.Params.Lanes, max(pilotLaneSteps/uint64(probe.Params.Steps), 1)))
}

// measureDevice is measure for a device, which may be far slower than
// simd or dominated by its fixed time per run. It times the pilot, and
// measures the probe when its four runs, predicted from the cost known so
// far, take at most deviceMeasureBudget; otherwise it grows the pilot
// fourfold while the next run fits in the budget (a GPU's fixed time per
// run makes a small pilot look slow per lane-step), and costs the device
// from its last two runs, reporting full false. A probe whose two sizes
// took about the same time (flat) grows fourfold too, up to maxSize (the
// job's lanes, or a narrow job's steps: jobSize), within the budget: the
// H200 this is for runs 2^21 lane-steps in far less than its launch
// overhead.
func measureDevice(ctx context.Context, k clock, e sim.Engine, probe *sim.Job, maxSize uint64) (c cost, full bool, err error) {
	begin := now()
	spent := func() float64 { return now().Sub(begin).Seconds() } // wall, against the budget
	small := resized(probe, probeSize(probe)/4)
	job := pilotJob(probe)
	t, err := timeRun(ctx, k, e, job)
	if err != nil {
		return cost{}, false, err
	}
	w := laneSteps(job)
	c = cost{Ns: t / w * 1e9}
	for {
		ws, wp := laneSteps(small), laneSteps(probe)
		if 2*c.time(ws)+2*c.time(wp) <= deviceMeasureBudget-spent() {
			return measureProbe(ctx, k, e, probe, maxSize, begin)
		}
		next := resized(job, probeSize(job)*4)
		wn := laneSteps(next)
		if probeSize(next) >= probeSize(small) || spent()+c.time(wn) > deviceMeasureBudget {
			return c, false, nil
		}
		tn, err := timeRun(ctx, k, e, next)
		if err != nil {
			return cost{}, false, err
		}
		c = fit(t, w, tn, wn)
		job, t, w = next, tn, wn
	}
}

// measureProbe is measureDevice's probe, grown while flat; measuring
// began at begin (the budget is wall time).
func measureProbe(ctx context.Context, k clock, e sim.Engine, probe *sim.Job, maxSize uint64, begin time.Time) (cost, bool, error) {
	m, err := measurePair(ctx, k, e, probe)
	if err != nil {
		return cost{}, false, err
	}
	for m.flat() && probeSize(probe) <= maxSize/4 {
		next := resized(probe, probeSize(probe)*4)
		if now().Sub(begin).Seconds()+2*m.fit().time(laneSteps(next)) > deviceMeasureBudget {
			break
		}
		t, err := bestRun(ctx, k, e, next)
		if err != nil {
			return cost{}, false, err
		}
		m = pair{m.t1, m.w1, t, laneSteps(next)}
		probe = next
	}
	return m.fit(), true, nil
}

// timeRun is the seconds one run of job takes on e, by k.
func timeRun(ctx context.Context, k clock, e sim.Engine, job *sim.Job) (float64, error) {
	cpu0, t0 := processCPU(), now()
	if _, err := e.Run(ctx, job); err != nil {
		if ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		return 0, err
	}
	wall := now().Sub(t0).Seconds()
	var cpu time.Duration
	if cpu0 > 0 {
		cpu = processCPU() - cpu0
	}
	return k.seconds(wall, cpu), nil
}

// fit is the cost through two runs: t0 seconds for w0 lane-steps and t1 for
// w1 > w0. Without a positive slope (one lane, or noise larger than the
// difference) it is the larger run's time per lane-step, nothing fixed.
func fit(t0, w0, t1, w1 float64) cost {
	if w1 <= w0 || t1 <= t0 {
		return cost{Ns: t1 / w1 * 1e9}
	}
	ns := (t1 - t0) / (w1 - w0) * 1e9
	return cost{Fixed: max(t0-w0*ns*1e-9, 0), Ns: ns}
}

// cpuModel is the CPU's model name (cpuinfo.Model), part of the
// calibration's key. Tests replace it.
var cpuModel = func() string { return cpuinfo.Model("/proc/cpuinfo") }

// EnvCacheDir moves gpusim's caches, auto's calibration among them, from
// os.UserCacheDir()/gpusim; "off" turns them off.
const EnvCacheDir = cachedir.Env

// calibrationKey names what a calibration depends on: this binary, the
// cores (and a cgroup CPU limit below them), the options that change the
// engines' speed (--daily among them), and last the OpenCL set-up
// (openCLSetup).
func calibrationKey(o Options) string {
	var b strings.Builder
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			fmt.Fprintf(&b, "%s %d %d;", exe, st.Size(), st.ModTime().UnixNano())
		}
	}
	lanes, steps, narrow := probeShape(jobParams(o).Lanes, o.Params.Steps)
	fmt.Fprintf(&b, "cpus %d %d; workers %d; devices %q; math %q; width %d; steps %d;",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), o.Workers, deviceKey(o.Devices), o.Math, o.VectorWidth, steps)
	// The CPU and simd's path on it: a cache shared by machines of
	// other CPUs (a home folder on NFS), or GODEBUG=cpu.avx512f=off,
	// ran simd's avx2 path at the avx512 path's cost.
	b.WriteString(cpuKey())
	if narrow {
		// A narrow job's probe (probeShape): its costs a lane-step
		// are many times a wide job's, measured apart.
		fmt.Fprintf(&b, " lanes %d;", lanes)
	}
	if o.Daily {
		// --daily's per-step statistics cost each engine its own
		// share (probeJob): measured apart.
		b.WriteString(" daily;")
	}
	if o.OneJob && !o.Daily {
		// A device engine opened for the one plain job builds the
		// program without the daily kernels (gpu.Options.NoDaily):
		// its file (deviceTiming.Program) and start-up are its own.
		b.WriteString(" plain program;")
	}
	if c, limited := usableCores(runtime.GOMAXPROCS(0)); limited {
		// A cgroup CPU limit below GOMAXPROCS, which Go rounds up
		// (usableCores): the engines' times scale with it.
		fmt.Fprintf(&b, "cpu limit %g;", c)
	}
	b.WriteString(openCLSetup())
	return b.String()
}

// deviceKey is --device's value as a calibration key holds it: the
// indexes it names, in decimal and in its order (candidates measures them
// in that order), so that every spelling of one list is one calibration:
// the raw text made --device 0, 00, +0, 0x0, 0.0 and ' 0' six, each
// measured again. "" (auto's own choice of devices) and all (every device
// there is, which is not counted without loading the driver) stay as they
// are, apart from any list; a value ParseDevices refuses too, which no
// calibration is measured for.
func deviceKey(devices string) string {
	if strings.TrimSpace(devices) == "all" {
		return "all"
	}
	idx, why := parseDevices(devices, -1)
	if why != "" || len(idx) == 0 {
		return devices
	}
	parts := make([]string, len(idx))
	for i, x := range idx {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// cpuKey is the part of a calibration key that names the CPU: simd's
// path on it and its model (cpuModel). knownStartup takes the start-ups of
// the calibrations that hold it, and this machine's CPU count, alone.
func cpuKey() string {
	path, _ := cpu.SIMD{}.Path()
	return fmt.Sprintf(" simd %s; cpu %q;", path, cpuModel())
}

// openCLVars are the variables that choose which OpenCL library, drivers
// and devices a process finds, and so what its devices' start-ups and
// costs are: gpusim's library, the ICD loaders' (ocl-icd's and Khronos's
// folders and files), and the drivers' device selection (pocl's devices
// and their threads, NVIDIA's, AMD's and Intel's visible devices).
// OPENCL_VENDOR_PATH, which the loader reads (gpu/cl/vendors.go), had no part:
// a folder of no drivers there gave the key of the machine's own.
var openCLVars = append(slices.Clip(loaderVars),
	"POCL_DEVICES", "POCL_CPU_MAX_CU_COUNT", "POCL_MAX_PTHREAD_COUNT",
	"CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL", "ZE_AFFINITY_MASK",
)

// loaderVars are the variables of openCLVars that choose which OpenCL
// library and drivers a process loads (gpusim's library, the ICD loaders'
// folders and files).
var loaderVars = []string{"GPUSIM_OPENCL_LIBRARY", "OCL_ICD_VENDORS", "OCL_ICD_FILENAMES", "OPENCL_VENDOR_PATH"}

// openCLSetup is the OpenCL set-up a calibration is measured under, the
// tail of its key: openCLVars' values, the file, size and modification
// time of the library GPUSIM_OPENCL_LIBRARY names, as a path or a soname
// on the loader's search path (libraryFile), or that it is missing, and
// the modification times of the drivers' registrations. A start-up or a
// cost measured under one set-up says nothing of another's: knownStartup
// counts only the calibrations under this one.
func openCLSetup() string {
	var b strings.Builder
	for _, v := range openCLVars {
		fmt.Fprintf(&b, "%s=%q;", v, os.Getenv(v))
	}
	if lib := os.Getenv("GPUSIM_OPENCL_LIBRARY"); lib != "" {
		// A library replaced or removed under the same name, found
		// where the loader would find it (a soname on its search path).
		if file := libraryFile(lib); file == "" {
			b.WriteString("library missing;")
		} else if st, err := os.Stat(file); err == nil {
			fmt.Fprintf(&b, "library %q %d %d;", file, st.Size(), st.ModTime().UnixNano())
		} else {
			b.WriteString("library missing;")
		}
	}
	// The drivers' registrations, wherever the loader reads them: a device
	// added there (an .icd file) is measured, as it would not be if the
	// calibration outlived it.
	for _, path := range []string{"/etc/OpenCL/vendors", os.Getenv("OCL_ICD_VENDORS"), os.Getenv("OPENCL_VENDOR_PATH")} {
		if path == "" {
			continue
		}
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			fmt.Fprintf(&b, "%s %d;", path, info.ModTime().UnixNano())
			b.WriteString(driverLibrary(path))
			continue
		}
		if es, err := os.ReadDir(path); err == nil {
			for _, e := range es {
				if info, err := e.Info(); err == nil {
					fmt.Fprintf(&b, "%s/%s %d;", path, e.Name(), info.ModTime().UnixNano())
					b.WriteString(driverLibrary(filepath.Join(path, e.Name())))
				}
			}
		}
	}
	for _, lib := range filepath.SplitList(os.Getenv("OCL_ICD_FILENAMES")) {
		b.WriteString(libraryStamp(lib))
	}
	b.WriteString(gpuNodes())
	if env := gpu.DriverEnv(); env != "" {
		// The drivers' settings that may change their code
		// (POCL_EXTRA_BUILD_FLAGS and the like), where set: they decide
		// a device's speed and its self-test. A device that failed its
		// self-test under -cl-fast-relaxed-math stayed left out, "as
		// measured", once the setting was gone.
		fmt.Fprintf(&b, "driver settings %q;", env)
	}
	return b.String()
}

// driverLibrary is the stamp (libraryStamp) of the library the driver's
// registration icd (an .icd file: the library's path or soname, one line)
// names, or "" for another file. The registration's own modification time
// is kept where a package replaces it, but a driver updated in place (its
// library rebuilt, a symbolic link moved to another version, a run-file
// install of NVIDIA's) left it as it was, and the devices' costs and
// start-ups measured under the old driver stood.
func driverLibrary(icd string) string {
	if !strings.HasSuffix(icd, ".icd") {
		return ""
	}
	f, err := os.Open(icd)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if line = strings.TrimSpace(line); line == "" {
		return ""
	}
	return libraryStamp(line)
}

// libraryStamp names the library the dynamic loader would open for name
// (libraryFile) by its file, size and modification time (those of the
// file a symbolic link leads to), or says it is missing.
func libraryStamp(name string) string {
	if file := libraryFile(name); file != "" {
		if st, err := os.Stat(file); err == nil {
			return fmt.Sprintf("driver %q %d %d;", file, st.Size(), st.ModTime().UnixNano())
		}
	}
	return fmt.Sprintf("driver %q missing;", name)
}

// devRoot is where gpuNodes looks for the GPUs' device files (a variable
// for tests).
var devRoot = "/dev"

// gpuNodes names the GPUs' device files the kernel shows this process
// (NVIDIA's /dev/nvidiaN, the DRM render nodes of AMD's and Intel's),
// or "" where there are none: a GPU added or removed changes the devices
// a calibration chose among, and only a run that the calibration gave to
// a device would have found it out (a calibration made before a GPU was
// added ran every job on simd or pocl). Their names alone, not their
// times, which every boot renews; listing the devices themselves would
// cost every run the driver's loading, which the calibration spares it.
func gpuNodes() string {
	var names []string
	for _, pattern := range []string{"nvidia[0-9]*", "dri/renderD*", "kfd"} {
		m, _ := filepath.Glob(filepath.Join(devRoot, pattern))
		for _, p := range m {
			names = append(names, strings.TrimPrefix(p, devRoot+"/"))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("gpu nodes %q;", strings.Join(names, " "))
}

// binaryExists reports whether the binary a calibration key names (its
// first field: path, size and modification time) is still there as it was.
// A key without one (os.Executable failed) is kept.
func binaryExists(key string) bool {
	head, _, ok := strings.Cut(key, ";")
	if !ok {
		return true
	}
	f := strings.Fields(head)
	if len(f) < 3 {
		return true
	}
	size, err1 := strconv.ParseInt(f[len(f)-2], 10, 64)
	mtime, err2 := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err1 != nil || err2 != nil {
		return true
	}
	st, err := os.Stat(strings.Join(f[:len(f)-2], " "))
	return err == nil && st.Size() == size && st.ModTime().UnixNano() == mtime
}

// calibrationFile holds one calibration per key.
type calibrationFile map[string]calibration

// readEntry is an entry of the calibration file as read: its text (raw),
// and why it does not read as a calibration (err), or, once
// updateCalibration has encoded it, this gpusim's encoding of it (as).
type readEntry struct {
	raw json.RawMessage
	err error
	as  []byte
}

// decodeCalibrations reads b, the calibration file's contents: f holds
// its entries that read as this gpusim's calibrations, read every entry as
// it was read, and ok is false where b is not a JSON object of entries
// (not JSON, an array, a number: damaged), which nothing gpusim writes
// is. Each entry is read on its own, so that one of another layout (a
// newer gpusim's, sharing the cache folder: a field of another type, an
// entry that is no calibration) is left out of f alone, where the whole
// file was taken for corrupt, measured again and overwritten, and two
// versions of gpusim destroyed each other's calibrations on every run.
// updateCalibration writes such an entry back as it was, and every entry
// it did not change (encodeCalibrations).
func decodeCalibrations(b []byte) (f calibrationFile, read map[string]readEntry, ok bool) {
	var raws map[string]json.RawMessage
	if json.Unmarshal(b, &raws) != nil {
		return nil, nil, false
	}
	f, read = calibrationFile{}, make(map[string]readEntry, len(raws))
	for k, raw := range raws {
		var c calibration
		err := json.Unmarshal(raw, &c)
		if err == nil {
			f[k] = c
		}
		read[k] = readEntry{raw: raw, err: err}
	}
	return f, read, true
}

// encodeCalibrations is the calibration file's new contents: the entries
// of f, each as it was read (read) where this gpusim's encoding of it is
// unchanged (readEntry.as, its encoding before the change), so that the
// fields of a newer gpusim's calibration that this one does not know stay
// (an older gpusim that rewrote the file had dropped them:
// unstarted_under_s, measured_at), and the entries of read this gpusim
// could not read, as they were, where f has none under their key.
func encodeCalibrations(f calibrationFile, read map[string]readEntry) ([]byte, error) {
	out := make(map[string]json.RawMessage, len(f)+len(read))
	for k, r := range read {
		if r.err != nil {
			out[k] = r.raw
		}
	}
	for k, c := range f {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		if r, ok := read[k]; ok && r.as != nil && bytes.Equal(b, r.as) {
			b = r.raw
		}
		out[k] = b
	}
	return json.MarshalIndent(out, "", "  ")
}

// maxCalibrationFile bounds the calibration file auto reads: an entry is
// under a kilobyte (a few more with many devices), one for each set of
// options and binary, and those of binaries since rebuilt are dropped. A
// larger file is damaged, and replaced unread: read under the program
// cache's bound (cachedir.MaxEntry, 256 MiB), a 250 MB one took a run of
// 0.09 s to 5.3 s and 1.2 GB of memory, which a container's limit would
// have ended.
const maxCalibrationFile = 1 << 20

func calibrationPath() string {
	d := cachedir.Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, "auto.json")
}

func loadCalibration(key string) (calibration, bool) {
	path := calibrationPath()
	if path == "" {
		return calibration{}, false
	}
	b, err := cachedir.ReadFileMax(path, maxCalibrationFile)
	if err != nil {
		// As the program cache notes its entries (gpu's cacheLoad): a
		// named pipe or a link to a device in the file's place was
		// replaced by the next store without a word.
		if !os.IsNotExist(err) && !errors.Is(err, syscall.ENOTDIR) {
			calibrationNotes.Add("cache: %v", err)
		}
		return calibration{}, false
	}
	f, read, ok := decodeCalibrations(b)
	if !ok {
		calibrationNotes.Add("cache: %s is corrupt: measured again", path)
		return calibration{}, false
	}
	c, ok := f[key]
	if r, there := read[key]; there && !ok {
		// The key names this binary, so no other gpusim wrote it:
		// damaged or edited, and replaced by the calibration measured
		// now. Entries of other keys this gpusim cannot read are left
		// unread and kept (decodeCalibrations).
		calibrationNotes.Add("cache: %s holds a calibration for this machine that does not read as one (%v): measured again", path, r.err)
		return calibration{}, false
	}
	if !ok {
		return calibration{}, false
	}
	if why := c.invalid(); why != "" {
		// Damaged or edited (a negative start-up predicted -100 s on every
		// run): dropped, and measured anew.
		calibrationNotes.Add("cache: %s holds an invalid calibration for this machine (%s): measured again", path, why)
		dropCalibration(key, c.Measured)
		return calibration{}, false
	}
	return c, true
}

// calibrationNotes are what went wrong with the calibration file, as
// gpu's cacheNotes are for the program cache (Notes).
var calibrationNotes cachedir.Notes

// dropCalibrationNotes forgets the notes so far that name path.
func dropCalibrationNotes(path string) {
	calibrationNotes.Drop(func(n string) bool { return strings.Contains(n, path) })
}

// invalid says what is wrong with c, which no measurement gives, or is ""
// where nothing is: every cost finite, within bounds (costInvalid), no
// negative time, a device's index its own (not negative, its label's, one
// entry for it among the measured, cold and failed devices). A hand-edited
// or damaged file that listed a device as measured and cold, or two cold
// devices at one index, was taken as it was, without a note.
func (c calibration) invalid() string {
	if why := costInvalid("simd", c.SIMD); why != "" {
		return why
	}
	if !(c.List >= 0 && c.List <= mostSeconds) {
		return fmt.Sprintf("list_s %s is not a time", jsonnum.Text(c.List))
	}
	if !(c.Unstarted >= 0 && c.Unstarted <= mostSeconds) {
		return fmt.Sprintf("unstarted_under_s %s is not a time", jsonnum.Text(c.Unstarted))
	}
	if why := c.devicesInvalid(); why != "" {
		return why
	}
	for _, m := range c.MultiStarts {
		if m.Devices == "" || len(m.Starts) == 0 || slices.ContainsFunc(m.Starts, func(x float64) bool { return !(x >= 0) || math.IsInf(x, 0) }) {
			return fmt.Sprintf("multi_starts of devices %q hold no start-up or one that is not a time", m.Devices)
		}
	}
	return ""
}

// Bounds no measurement comes near (a second a lane-step, a year of
// seconds; 1e-6 ns a lane-step, 1e15 lane-steps a second, some thousands
// of times an H200's), so that a prediction stays finite and possible: a
// cost of 1e308 ns a lane-step, finite, predicted +Inf, and one of 1e-300
// ns 0.00047 s on 2 cores.
const leastNs, mostNs, mostSeconds = 1e-6, 1e9, 3.2e7

// costInvalid says what is wrong with the cost x of engine, or "". It and
// invalid echo the file's numbers and their bounds as the file writes
// them (jsonnum.Text: "fixed_s 100000000 is outside 0..32000000"), where
// %g wrote "1e+08 is outside 0..3.2e+07", neither the file's text nor
// the notes' way with numbers.
func costInvalid(engine string, x cost) string {
	switch {
	case !(x.Ns >= leastNs && x.Ns <= mostNs):
		return fmt.Sprintf("%s's ns_per_lane_step %s is outside %s..%s", engine, jsonnum.Text(x.Ns), jsonnum.Text(leastNs), jsonnum.Text(mostNs))
	case !(x.Slow >= 0 && x.Slow <= mostNs):
		return fmt.Sprintf("%s's slow_ns_per_lane_step %s is outside 0..%s", engine, jsonnum.Text(x.Slow), jsonnum.Text(mostNs))
	case !(x.Fixed >= 0 && x.Fixed <= mostSeconds):
		return fmt.Sprintf("%s's fixed_s %s is outside 0..%s", engine, jsonnum.Text(x.Fixed), jsonnum.Text(mostSeconds))
	case !(x.StepS >= 0 && x.StepS <= mostSeconds):
		return fmt.Sprintf("%s's step_s %s is outside 0..%s", engine, jsonnum.Text(x.StepS), jsonnum.Text(mostSeconds))
	}
	return ""
}

// devicesInvalid says what is wrong with c's devices (measured, cold and
// failed), or "".
func (c calibration) devicesInvalid() string {
	seen := map[int]string{} // each index's list
	index := func(list string, i int, label string) string {
		if i < 0 {
			return fmt.Sprintf("a %s device has the index %d", list, i)
		}
		if other, ok := seen[i]; ok && other == list {
			return fmt.Sprintf("device %d is listed twice as %s", i, list)
		} else if ok {
			return fmt.Sprintf("device %d is listed %s and %s", i, other, list)
		}
		seen[i] = list
		if n, _, ok := strings.Cut(label, ": "); ok && n != strconv.Itoa(i) && strings.Trim(n, "0123456789") == "" {
			return fmt.Sprintf("%s device %d is labelled %q, another device's index", list, i, label)
		}
		return ""
	}
	for _, d := range c.Devices {
		name := fmt.Sprintf("device %d", d.Index)
		for _, x := range append([]float64{d.Startup, d.ColdStart}, d.Starts...) {
			if !(x >= 0 && x <= mostSeconds) {
				return fmt.Sprintf("%s's start-up %s is outside 0..%s s", name, jsonnum.Text(x), jsonnum.Text(mostSeconds))
			}
		}
		if why := costInvalid(name, d.cost); why != "" {
			return why
		}
		if why := index("measured", d.Index, d.Label); why != "" {
			return why
		}
		if slices.ContainsFunc(d.Identical, func(i int) bool { return i < 0 }) {
			return fmt.Sprintf("%s's identical devices hold a negative index", name)
		}
	}
	for _, d := range c.Cold {
		if why := index("cold", d.Index, d.Label); why != "" {
			return why
		}
		if d.Program == "" {
			return fmt.Sprintf("cold device %d has no program", d.Index)
		}
	}
	for _, d := range c.Failed {
		if why := index("failed", d.Index, d.Label); why != "" {
			return why
		}
		for _, m := range d.Marks {
			if !filepath.IsAbs(m) {
				// Looked for from the working folder, it would
				// lift the refusal wherever it is missing.
				return fmt.Sprintf("failed device %d has a mark %q that is not an absolute path", d.Index, m)
			}
		}
	}
	return ""
}

// dropCalibration removes key's entry from the calibration file where it
// is still the calibration measured at measured (its Measured), and
// reports whether it did: one another process dropped and measured again
// since predicted nothing of the run that contradicted the other. Its
// devices' cold starts stay, under coldStartsKey, for the next
// measurement (storeCalibration).
func dropCalibration(key string, measured time.Time) bool {
	dropped := false
	updateCalibration(func(f calibrationFile) {
		c, ok := f[key]
		if !ok || !c.isMeasured(measured) {
			return
		}
		delete(f, key)
		dropped = true
		if left := coldStarts(c, f[coldStartsKey(key)]); len(left) > 0 {
			f[coldStartsKey(key)] = calibration{Devices: left}
		}
	})
	return dropped
}

// isMeasured says whether c is the calibration measured at measured (a
// choice's, Choice.measured): its Measured, or any where c has none. A
// binary that keeps Measured writes it in every calibration under its key
// (the key names the binary), but an older gpusim sharing the cache
// folder rewrites the file with the fields it knows alone: every run off
// a prediction of a calibration it had rewritten was taken for one of a
// calibration measured again since, and dropped nothing.
func (c calibration) isMeasured(measured time.Time) bool {
	return c.Measured.IsZero() || c.Measured.Equal(measured)
}

// coldStartsKey is the key under which the calibration file keeps the
// cold starts of the devices of a calibration dropped under key (each
// entry's index, label and cold_start_s alone) until a calibration stored
// under key takes them: a device's cold start (its compile) does not
// change because a run was slow, and calibrate measures one only where its
// start compiles. The entry's simd has no cost, so that no process takes
// it for a calibration (valid: knownStartup skips it), old binaries among
// them; its binary's rebuild drops it with the others (binaryExists).
func coldStartsKey(key string) string { return key + "cold starts of a dropped calibration;" }

// coldStarts are the devices of cs, in order, that have a measured cold
// start (finite and positive), each device (its label) once, with their
// index, label and cold start alone.
func coldStarts(cs ...calibration) []deviceTiming {
	var out []deviceTiming
	seen := map[string]bool{}
	for _, c := range cs {
		for _, d := range c.Devices {
			if d.ColdStart > 0 && !math.IsInf(d.ColdStart, 0) && !seen[d.Label] {
				seen[d.Label] = true
				out = append(out, deviceTiming{Index: d.Index, Label: d.Label, ColdStart: d.ColdStart})
			}
		}
	}
	return out
}

// storeCalibration adds c under key, or says why it could not (the cache is
// off, or cannot be written): the next run then measures again. A device
// of c without a cold start of its own (calibrate's start did not compile)
// takes the one measured for it (same index and label) by the calibration
// it replaces under key, or by one dropped there (coldStartsKey); those of
// devices c does not measure stay under coldStartsKey. A calibration
// measured again lost them, and a start that compiles was costed at
// coldStartCost more than the warm start, where pocl's takes 6 s.
func storeCalibration(key string, c calibration) error {
	return updateCalibration(func(f calibrationFile) {
		ck := coldStartsKey(key)
		var rest []deviceTiming
		c.Devices = slices.Clone(c.Devices)
		for _, l := range coldStarts(f[key], f[ck]) {
			i := slices.IndexFunc(c.Devices, func(d deviceTiming) bool { return d.Index == l.Index && d.Label == l.Label })
			switch {
			case i < 0:
				rest = append(rest, l)
			case c.Devices[i].ColdStart <= 0:
				c.Devices[i].ColdStart = l.ColdStart
			}
		}
		delete(f, ck)
		if len(rest) > 0 {
			f[ck] = calibration{Devices: rest}
		}
		f[key] = c
	})
}

// updateCalibration rewrites the calibration file with change applied,
// dropping the entries of binaries since rebuilt or removed, as one step
// among the processes sharing the cache folder (cachedir.Update).
func updateCalibration(change func(calibrationFile)) error {
	path := calibrationPath()
	if path == "" {
		return cachedir.Writable() // why the cache is off
	}
	// A link in the file's place is replaced by a file of its own
	// (cachedir.WriteFile), which the link's target no longer sees: said,
	// as the program cache says it replaces an entry it could not use.
	link, _ := os.Readlink(path)
	written, trimmed, trimmedOther := false, 0, 0
	defer func() {
		if written && link != "" {
			// The one note on the file: a read through a link to
			// /dev/null had said "not a regular file" before it.
			dropCalibrationNotes(path)
			calibrationNotes.Add("cache: %s was a link to %s: replaced by a file of its own", path, link)
		}
	}()
	// A failed write leaves the old file: the calibration is only a cache.
	err := cachedir.Update(path, maxCalibrationFile, func(old []byte) []byte {
		// A damaged file is replaced; one that reads as JSON null
		// decodes to no map, which change would panic on. Entries of
		// another layout are kept (decodeCalibrations).
		f, read, ok := decodeCalibrations(old)
		if !ok {
			f, read = calibrationFile{}, nil
		}
		for k, r := range read {
			switch {
			case !binaryExists(k):
				// A binary since rebuilt or removed: its entries
				// can never match again.
				delete(f, k)
				delete(read, k)
			case r.err == nil:
				// Its encoding before the change, which
				// encodeCalibrations compares.
				r.as, _ = json.Marshal(f[k])
				read[k] = r
			}
		}
		change(f)
		b, err := encodeCalibrations(f, read)
		if err != nil {
			return nil
		}
		if len(b) > maxCalibrationFile {
			if b, trimmed, trimmedOther = trimCalibrations(f, read, changedCalibrations(f, read), b); b == nil {
				return nil
			}
		}
		written = true
		return b
	})
	written = written && err == nil
	if written && trimmed+trimmedOther > 0 {
		calibrationNotes.Add("cache: %s reached its bound of %s: %s", path, diskfree.SizeText(maxCalibrationFile), trimNote(trimmed, trimmedOther))
	}
	return err
}

// trimNote says what trimCalibrations dropped, by kind: this gpusim's
// calibrations, measured again where a job needs them, and the entries of
// another layout (another gpusim's), which this one cannot read. Both were
// once counted as calibrations.
func trimNote(cals, other int) string {
	var dropped []string
	if cals > 0 {
		dropped = append(dropped, "its "+count.Noun(cals, "calibration")+" measured longest ago")
	}
	if other > 0 {
		entries := fmt.Sprintf("%d entries", other)
		if other == 1 {
			entries = "1 entry"
		}
		dropped = append(dropped, entries+" of another layout (another gpusim's, which this one cannot read)")
	}
	n := strings.Join(dropped, " and ")
	if cals+other == 1 {
		n += " was dropped"
	} else {
		n += " were dropped"
	}
	if cals > 0 {
		n += "; its calibrations are measured again where a job needs them"
	}
	return n
}

// changedCalibrations are the keys of f that the change of
// updateCalibration wrote: new, in place of an entry this gpusim could not
// read, or encoded otherwise than before (readEntry.as). read is nil where
// the file was damaged: every entry of f is then new.
func changedCalibrations(f calibrationFile, read map[string]readEntry) map[string]bool {
	changed := map[string]bool{}
	for k, c := range f {
		r, ok := read[k]
		if !ok || r.err != nil || r.as == nil {
			changed[k] = true
			continue
		}
		if b, err := json.Marshal(c); err != nil || !bytes.Equal(b, r.as) {
			changed[k] = true
		}
	}
	return changed
}

// trimCalibrations drops from f and read, whose encoding b
// (encodeCalibrations) is past maxCalibrationFile, the calibrations
// measured longest ago (those of a file that did not keep the time first),
// then the entries this gpusim cannot read, until its encoding takes at
// most three quarters of the bound, so that the next runs' calibrations
// fit beside it; the entries of keep (the change's: the calibration just
// measured) are never dropped. It returns the new encoding (nil where it
// fails) and how many calibrations and entries of another layout it
// dropped. The file had grown past the bound its reader keeps (each run of
// another set of options adds one), and the next read replaced it unread:
// every calibration was lost at once, with a note that took it for a
// damaged file. The last entry in the order was once kept instead of the
// change's, which was an entry of another layout where any were there:
// a store then dropped every calibration of this gpusim, the one it
// stored too.
func trimCalibrations(f calibrationFile, read map[string]readEntry, keep map[string]bool, b []byte) ([]byte, int, int) {
	var keys []string
	for k := range f {
		if !keep[k] {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y string) int {
		return cmp.Or(f[x].Measured.Compare(f[y].Measured), cmp.Compare(x, y))
	})
	cals := len(keys)
	var unread []string
	for k, r := range read {
		if _, ok := f[k]; !ok && r.err != nil {
			unread = append(unread, k)
		}
	}
	slices.Sort(unread)
	keys = append(keys, unread...)
	dropped := 0
	for len(b) > maxCalibrationFile*3/4 && dropped < len(keys) {
		// A share of the entries at a time, by their mean size: one
		// re-encoding a round, not one an entry.
		n := max(1, (len(b)-maxCalibrationFile*3/4)*(len(keys)-dropped+len(keep))/len(b)+1)
		n = min(n, len(keys)-dropped)
		for _, k := range keys[dropped : dropped+n] {
			delete(f, k)
			delete(read, k)
		}
		dropped += n
		var err error
		if b, err = encodeCalibrations(f, read); err != nil {
			return nil, min(dropped, cals), max(0, dropped-cals)
		}
	}
	return b, min(dropped, cals), max(0, dropped-cals)
}

// noAnswer says whether err, a device's start from a calibration, is a
// driver that did not list its devices in answerWait (*NoAnswerError): auto
// runs the job on simd with devicesFailed's note and hint, as where its own
// listing did not answer, and the calibration stands, the machine
// unchanged (a driver that hangs, or is that slow, for now). The start
// waited for ever on a driver that hangs as it starts.
func noAnswer(err error) bool { return errors.As(err, new(*NoAnswerError)) }

// devicesFailed notes why dev, the device engine, gave no devices (err),
// running on simd, with the fix where it has one, and returns auto's reason
// for simd: "opencl is not here", "is not loaded" (under ulimit -v), or
// "failed" with the cause's first line ("opencl failed" alone did not say
// why, the cause in the notes above it alone). Absent under a setting of
// where the loader looks (loaderSettings: OCL_ICD_VENDORS=/etc/passwd,
// with pocl installed) is "is not usable under" the setting, with the
// cause: "is not here" said a driver that is there was missing, and "is
// not found under" a library that was there but not OpenCL's.
func devicesFailed(dev Entry, o Options, err error) string {
	why := "failed"
	switch {
	case dev.Absent(err) && loaderSettings() != "":
		why = "is not usable under " + loaderSettings()
	case dev.Absent(err):
		why = "is not here"
	case dev.NotLoaded != nil && dev.NotLoaded(err):
		why = "is not loaded"
	}
	// The cause last: its own parentheses (the libraries tried) nested
	// in the note's.
	o.note("%s %s, running on simd: %s", dev.Name, why, firstLine(err))
	if dev.FallbackHint != nil {
		if h := dev.FallbackHint(err); h != "" {
			o.note("hint for %s: %s", dev.Name, h)
		}
	}
	if why == "failed" || strings.HasPrefix(why, "is not usable under ") {
		return dev.Name + " " + why + ": " + firstLine(err)
	}
	return dev.Name + " " + why
}

// loaderSettings names the variables of loaderVars that are set
// ("OCL_ICD_VENDORS", "GPUSIM_OPENCL_LIBRARY and OCL_ICD_VENDORS"), or ""
// for none: under one, a device engine that finds no driver may have one
// the setting hides. Their values are in the cause that follows.
func loaderSettings() string {
	var set []string
	for _, v := range loaderVars {
		if os.Getenv(v) != "" {
			set = append(set, v)
		}
	}
	return strings.Join(set, " and ")
}

// firstLine is err's first line, less a last clause that introduces the
// lines after it (refuseDevice's "; devices:"), which a note of one
// line ended on: "did not start (--device: opencl: no device 7 (valid
// range 0..0); devices:)".
func firstLine(err error) string {
	s, rest, more := strings.Cut(err.Error(), "\n")
	if i := strings.LastIndex(s, "; "); more && rest != "" && strings.HasSuffix(s, ":") && i >= 0 {
		s = s[:i]
	}
	return s
}

// smallDuration writes d, below deviceStartupFloor, to three significant
// digits in microseconds or milliseconds (count.Sig3), in milliseconds
// from where d rounds to one: "10 µs", "2.5 ms", "1 ms" (999.7 µs, which
// %.3g wrote "1e+03 us"). The microsecond is µs (count.Micro): auto's
// notes wrote "us" beside bench's and the docs' µs.
func smallDuration(d time.Duration) string {
	if d < 999_500*time.Nanosecond {
		return count.Sig3(max(float64(d)/float64(time.Microsecond), 1)) + " " + count.Micro
	}
	return count.Sig3(float64(d)/float64(time.Millisecond)) + " ms"
}
