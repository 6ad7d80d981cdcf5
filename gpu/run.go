package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// recWords is the size in ulongs of one statistics record (REC in
// weather.cl): count, sum of deviations, sum of their squares, min, max,
// digest.
const recWords = 6

// chunkTarget is the kernel time a launch aims at: short enough for display
// watchdogs and prompt cancellation, long enough that launch overhead is
// noise.
const chunkTarget = 100 * time.Millisecond

// pilotLaneSteps sizes the first launch of an engine's first run of each
// kernel, before any launch was timed: a few microseconds of work on a CPU
// or GPU, about 50 ms on Oclgrind's simulator (100,000 times slower than
// pocl). adapt then grows launches up to 16 times at a time towards
// chunkTarget (half a dozen launches reach the largest GPU's), and later
// runs of the engine start at the size its last run reached. A first
// launch sized for a fast device (2^24 lane-steps, 20 ms on a two-core
// CPU) took 10 s on Oclgrind, and a cancelled run waited for it.
const pilotLaneSteps = 1 << 12

// laneCost is what a lane costs a launch besides its steps, in lane-steps:
// its first Philox block and its share of the reduction (digest, moments,
// histogram count), or loading and storing its temperature in a part. A
// launch's work is counted as lanes x (steps + laneCost), so that the size
// one run's launches reached fits the next run whatever its steps: on pocl
// a lane of one step took 4.7 ns and a step of a 1000-step lane 0.84 ns, and
// counted in lane-steps alone, a 1-step job after a 1000-step one started
// with launches of 0.5 s, 5 times chunkTarget.
const laneCost = 4

// launchWork is the work of a launch of n lanes through steps steps, in
// lane-steps with laneCost for each lane.
func launchWork(n, steps uint64) uint64 { return n * (steps + laneCost) }

// dailyRecordBytes bounds the per-group, per-step daily records on the
// device, which the host writes empty at each run: a full grid up to about
// a thousand steps on the largest GPUs, whole waves of compute units beyond
// that (dailyGroups).
const dailyRecordBytes = 64 << 20

// Run implements sim.Engine. It checks ctx between launches and returns as
// soon as ctx ends, and it calls job.Progress once per launch, when the launch
// has completed, with its lanes x its part's steps (a job of few long lanes
// is launched a part of the steps at a time). A cancelled run returns within milliseconds, leaving the
// launch in flight and the one queued behind it (at most about 2
// chunkTargets, or 4 times the device's quickest launch where that takes
// longer than half of one: see adapt) to end in the background: the
// engine's next run and its Close wait for them (runUntil, leave).
// Launches start small and grow towards chunkTarget; near ctx's deadline
// they are cut to end by it (run.cut), so that the device is free soon
// after it. Its errors: one after Close, job.Range's, Refuses' (a
// *SubnormalError, a *cl.UnavailableError), the driver's *cl.Error of a
// launch or copy, and ctx's cause.
func (e *Engine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	return e.runInto(ctx, job, nil)
}

// runInto is Run, with the finals of a job that keeps them read into
// finals (of the job's lane count) when it is not nil instead of a slice of
// the result's own: Multi's pieces reuse one slice per device.
func (e *Engine) runInto(ctx context.Context, job *sim.Job, finals []float32) (*sim.Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("opencl: run on a closed engine")
	}
	start := time.Now()
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	if finals != nil && (!job.KeepFinals || uint64(len(finals)) != count) {
		return nil, fmt.Errorf("opencl: %d finals given for %d lanes", len(finals), count)
	}
	if job.Daily && e.opts.NoDaily {
		return nil, ErrNoDaily
	}
	if e.opts.runDelay > 0 {
		select {
		case <-time.After(e.opts.runDelay):
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	if e.opts.stall != nil {
		e.opts.stall()
	}
	if e.opts.runErr != nil {
		return nil, e.opts.runErr
	}
	if err := e.checkSubnormals(job); err != nil {
		return nil, err
	}
	if err := e.checkAddressSpace(job, finals == nil); err != nil {
		return nil, err
	}
	if err := e.settle(ctx); err != nil {
		return nil, err
	}
	if job.Daily {
		if err := e.warmDaily(ctx); err != nil {
			return nil, err
		}
		start = time.Now() // the daily kernels' generation is start-up
	}
	r := &run{e: e, job: job, p: job.Params, m: job.Params.Model(), first: first, count: count, dst: finals}
	res, err := r.runUntil(ctx)
	if err != nil {
		return nil, err
	}
	startup, compile := e.takeStartup()
	res.Timing = sim.Timing{Wall: time.Since(start), Startup: startup, Compile: compile, Kernel: r.kernel, Transfer: r.transfer}
	return res, nil
}

// takeStartup returns the engine's start-up and compile time not yet
// reported in a Result, and clears them.
func (e *Engine) takeStartup() (startup, compile time.Duration) {
	e.pmu.Lock()
	defer e.pmu.Unlock()
	startup, compile = e.startup, e.compile
	e.startup, e.compile = 0, 0
	return startup, compile
}

// run is the state of one Engine.Run.
type run struct {
	e            *Engine
	job          *sim.Job
	p            sim.Params
	m            sim.Model
	first, count uint64
	res          *sim.Result
	dst          []float32 // the finals' slice, or nil for the result's own
	bufs         []*cl.Buffer
	warm         bool // Open's warm-up (driver)

	kernel, transfer time.Duration
	work             uint64    // the next launch's work (launchWork)
	kind             int       // 0: weather, 1: weather_daily (Engine.work, Engine.floor, Engine.rate)
	deadline         time.Time // the context's deadline (cut), or zero

	// The plan: kernel, grid, buffers and arguments.
	k           *cl.Kernel
	args        chunkArgs
	items, wg   int     // work-items per launch, work-group size
	exact       float64 // the exact final mean
	rec         *cl.Buffer
	temps       *cl.Buffer // temperatures between the parts of a chunk; nil: no parts
	tempLanes   uint64     // lanes temps holds
	partBlocks  int        // Philox blocks one launch may take at most; 0: all
	hist, dhist *cl.Buffer
	finals      [2]*cl.Buffer
	stride      uint64 // lanes of one grid-stride pass
	maxChunk    uint64
	pending     []flight
	sums        sumDepth // the chunks, for the float sums' depth
	// unmark removes the loading mark of the run kernel's first launch
	// in the process (Engine.firstLaunch), once it has ended; nil before
	// the run's first launch.
	unmark func()
}

// flight is a launch in flight: its kernel event, the read of its finals,
// the lanes it completes (0 for a part before the last), the lane-steps
// it computes for job.Progress (its lanes x its part's steps, a lane of no
// steps counting one), its work (launchWork), the work planned for it
// (run.work when it was launched, before any cut), and whether it was the
// least launch the geometry allows.
type flight struct {
	kev, rev            *cl.Event
	n, done, work, plan uint64
	least               bool // part.least
}

// firstLaunch is shared.firstLaunch for a kernel of the engine's program,
// launched for a run (or check) whose context is ctx.
func (e *Engine) firstLaunch(ctx context.Context, k *cl.Kernel) (done func()) {
	if k == e.kKAT || k == e.kNorm || k == e.st.kStep {
		return e.sh.firstLaunch(ctx, progKey{e.selfTestSource(), e.st.options}, k.Name())
	}
	return e.sh.firstLaunch(ctx, progKey{e.source(), e.options}, k.Name())
}

// release waits for the run's commands (those a failed or cancelled run
// left in flight too) and releases its events and buffers, each call
// marked (driver): the events' release, which waits for a read into Go
// memory, and the buffers' ran outside any mark, and a stop or a crash
// there named nothing.
func (r *run) release() {
	finishing := r.driver("finish the run's commands")
	for _, f := range r.pending {
		f.kev.Release()
		f.rev.Release() // waits for its read into Go memory
	}
	r.pending = nil
	r.e.q.Finish()
	finishing()
	releasing := r.driver("release the run's buffers")
	made := 0
	for _, b := range r.bufs {
		made += b.Size()
		b.Release()
	}
	releasing()
	if r.e.opts.made != nil {
		r.e.opts.made(uint64(made))
	}
}

func (r *run) alloc(size int) (*cl.Buffer, error) {
	// Named as the buffer it is, with a buffer's hint: it read "to
	// allocate a buffer on", with the hint of a program's build or run.
	defer r.driverAs(fmt.Sprintf("answer when asked for a buffer of %d bytes for the run", max(size, 4)), cl.CrashBuffer)()
	marked := r.e.markBuffer()
	b, err := cl.CreateBuffer(r.e.sh.ctx, cl.MemReadWrite, max(size, 4))
	marked()
	if err != nil {
		return nil, fmt.Errorf("opencl: allocate %d bytes: %w", size, err)
	}
	r.bufs = append(r.bufs, b)
	return b, nil
}

// wait waits for ev, adds its device time to the kernel or transfer total
// and releases it.
func (r *run) wait(ev *cl.Event, kernel bool) (time.Duration, error) {
	what := "finish a transfer"
	if kernel {
		what = "finish a launch"
	}
	defer r.driver(what)()
	defer ev.Release()
	if err := ev.Wait(); err != nil {
		return 0, err
	}
	pr, err := ev.Profile()
	if err != nil {
		return 0, err
	}
	d := pr.Duration()
	if kernel {
		r.kernel += d
	} else {
		r.transfer += d
	}
	return d, nil
}

func (r *run) read(b *cl.Buffer, dst []byte) error {
	return r.transferred("read", func() (*cl.Event, error) { return b.ReadAsync(r.e.q, 0, dst) })
}

func (r *run) write(b *cl.Buffer, src []byte) error {
	return r.transferred("write", func() (*cl.Event, error) { return b.WriteAsync(r.e.q, 0, src) })
}

func (r *run) zero(b *cl.Buffer) error {
	return r.transferred("fill", func() (*cl.Event, error) { return b.Fill(r.e.q, make([]byte, 4), 0, b.Size()) })
}

// transferred queues a transfer (enqueue: what, "read") and waits for it
// (finish), the enqueue marked as "queue a transfer" (driver): it ran
// outside any mark, and a stop or a crash there named nothing.
func (r *run) transferred(what string, enqueue func() (*cl.Event, error)) error {
	queueing := r.driver("queue a transfer")
	ev, err := enqueue()
	queueing()
	return r.finish(what, ev, err)
}

// runWaitPast is how long a run's call into the driver goes on before a
// stop's note names it (driver): a healthy launch's wait takes some
// milliseconds to 0.2 s on pocl, and a stop then said nothing of it.
var runWaitPast = time.Second

// firstWords words a call of Open's warm-up (run.driver) as one of the
// engine's first launch.
var firstWords = strings.NewReplacer("a launch", "the first launch", "the run's", "the first launch's")

// driver marks the run as waiting for the driver to do what ("finish a
// launch") on its device until done: a stop's note names it once it has
// waited runWaitPast (interrupt.WaitingPast), a crash at once. In Open's
// warm-up (warm), the engine's first launch, which may take seconds, a
// stop names it at once too, and its launch is "the first launch" ("queue
// the first launch", "finish the first launch", "finish the first launch's
// commands"): a crash waiting for it (clWaitForEvents, clFinish) read "to
// run the first launch", the warm-up's own words, where a later launch's
// read "to finish a launch".
func (r *run) driver(what string) (done func()) {
	return r.driverAs(what, cl.CrashWork)
}

// driverAs is driver for a call of the kind step, which chooses a crash's
// hint.
func (r *run) driverAs(what string, step cl.CrashStep) (done func()) {
	if r.warm {
		return waitingAs(firstWords.Replace(what)+" on "+r.e.desc.Named(), step)
	}
	return waitingPastAs(what+" on "+r.e.desc.Named(), runWaitPast, step)
}

// setArgs is setArgs for a launch of the run, marked as "set a launch's
// arguments" (driver): a run's later launches set theirs outside any mark,
// and a stop while the driver hung there (clSetKernelArg), or its crash,
// named nothing.
func (r *run) setArgs(k *cl.Kernel, args any) error {
	defer r.driver("set a launch's arguments")()
	return setArgs(k, args, r.e.fp64)
}

// finish waits for the transfer ev that enqueueing returned with err.
func (r *run) finish(what string, ev *cl.Event, err error) error {
	if err == nil {
		_, err = r.wait(ev, false)
	}
	if err != nil {
		return fmt.Errorf("opencl: %s: %w", what, err)
	}
	return nil
}

// shift is the deviation reference as the device holds it.
func (r *run) shift(v float64) float64 {
	if r.e.fp64 {
		return v
	}
	return float64(float32(v))
}

// part is one launch: lanes [off, off+n) of the run through Philox blocks
// [b0, b0+nb) and, when last, the steps past the last whole block. A lane
// chunk whose steps take too long for one launch is run in several parts
// that carry each lane's temperature in a device buffer; the block index
// continues across them, so the stream is the one of a single launch.
type part struct {
	off, n uint64
	b0, nb int
	last   bool
	which  int  // finals buffer
	least  bool // the geometry's least launch, larger than planned
}

// Phase bits of weather.cl's weather kernel.
const (
	phaseLoad = 1
	phaseLast = 2
)

// chunkArgs are the arguments that change from launch to launch.
type chunkArgs interface {
	chunk(r *run, pt part)
}

func (a *weatherArgs) chunk(r *run, pt part) {
	a.First, a.Count, a.Finals = r.first+pt.off, uint32(pt.n), r.finals[pt.which]
	a.B0, a.NBlocks, a.Rem = uint32(pt.b0), uint32(pt.nb), 0
	a.Phase, a.Init = 0, b2u(pt.off == 0 && pt.last)
	if pt.b0 > 0 {
		a.Phase |= phaseLoad
	}
	if pt.last {
		a.Phase |= phaseLast
		a.Rem = uint32(r.p.Steps % 4)
	}
}

func (a *weatherDailyArgs) chunk(r *run, pt part) {
	a.First, a.Count, a.Finals = r.first+pt.off, uint32(pt.n), r.finals[pt.which]
	a.S0, a.NS = uint32(4*pt.b0), uint32(4*pt.nb)
	a.Phase = 0
	if pt.b0 > 0 {
		a.Phase |= phaseLoad
	}
	if pt.last {
		a.Phase |= phaseLast
		a.NS += uint32(r.p.Steps % 4)
	}
	a.local(r.e, r.wg, int(a.NS), pt.last)
}

// local sizes the local memory arguments for ns steps of a launch, the
// last of its chunk when last (weather.cl's weather_daily says how each
// variant uses them).
func (a *weatherDailyArgs) local(e *Engine, wg, ns int, last bool) {
	acc := e.accSize()
	a.LFH = local(4)
	if last {
		a.LFH = local(max(e.dailyFinalLocal(wg), 4))
	}
	if e.dailySerial() {
		a.sizeLocal(ns*wg*e.vw, acc, wg*4)
		a.LDH = local(ns * wg * dailyBins * 4)
		return
	}
	a.sizeLocal(2*wg, acc, 4)
	a.LDH = local(ns * dailyBins * 4)
}

// runUntil is run, returning ctx's cause as soon as ctx ends. OpenCL
// cannot stop a command, and a call may block for long: a wait for the
// launch in flight and the one queued behind it (0.1 to 0.2 s on pocl,
// more on a loaded machine), an enqueue that compiles a kernel at its first
// launch (seconds on a cold start). A cancelled run that waited for them
// took up to the stop's forced exit (interrupt.StopGrace) to end gpusim
// after Ctrl-C. The run goes on in its goroutine, which sees ctx at its
// next launch and returns, and is released in the background (leave); one
// goroutine a run costs nothing beside its launches.
func (r *run) runUntil(ctx context.Context) (*sim.Result, error) {
	type outcome struct {
		res *sim.Result
		err error
	}
	if ctx.Err() != nil {
		// Stopped before it began (a stop during Open's or selftest's
		// earlier checks, which warmDaily's run follows): its goroutine
		// allocated the run's buffers in the background under the
		// device's buffer mark, which the process, ending at once,
		// could leave for the next start to take for a death in the
		// driver.
		return nil, context.Cause(ctx)
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := r.run(ctx)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if r.unmark != nil {
			r.unmark() // a first launch that failed
		}
		r.release()
		return o.res, o.err
	case <-ctx.Done():
		r.e.sh.endLaunchMarks()
		r.e.leave(func() {
			<-done
			r.release()
		})
		return nil, context.Cause(ctx)
	}
}

func (r *run) run(ctx context.Context) (*sim.Result, error) {
	job := r.job
	if r.dst != nil {
		j := *job
		j.KeepFinals = false // no slice of its own
		job = &j
	}
	r.res = sim.NewResult("opencl", r.e.Label(), job, r.first, r.count)
	if r.dst != nil {
		r.res.Finals = r.dst
	}
	if r.e.fast {
		r.res.Math = sim.MathFast
	}
	if err := r.plan(); err != nil {
		return nil, err
	}
	if err := r.launchAll(ctx); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		// Stopped as the last launch ended: runUntil has returned, and
		// a daily job's reduce_daily would be launched for nothing.
		return nil, context.Cause(ctx)
	}
	if err := r.collect(ctx); err != nil {
		return nil, err
	}
	if !r.e.fp64 && r.count > 0 {
		h := min(r.sums.depth(r.dhist != nil, r.e.dailySerial(), r.items, r.wg, r.e.vw), sim.MaxFloatDepth)
		r.res.Summary.FloatDepth = h
		for _, d := range r.res.Daily {
			d.FloatDepth = h
		}
	}
	return r.res, nil
}

// plan allocates the run's device buffers and chooses its kernel, launch
// grid and the arguments that stay fixed for the run. The buffers the run
// will make are checked against an address-space limit all at once, before
// any is made (checkAddressSpace; the finals' copy in host memory is
// allocated by then).
func (r *run) plan() error {
	e := r.e
	s := e.shape(r.job, r.count)
	if err := runAddressSpaceShort(e.sh.ctx, s.buffers, 0); err != nil {
		return err
	}
	var err error
	if r.hist, err = r.alloc(len(r.res.Summary.Hist.Bins) * 4); err != nil {
		return err
	}
	if err := r.zero(r.hist); err != nil {
		return err
	}
	r.exact, _ = r.p.Exact(r.p.Steps)
	r.k, r.partBlocks, r.maxChunk = e.kMain, s.partBlocks, s.maxChunk
	if s.daily {
		r.k = e.kDaily
	}
	r.items, r.wg = s.g.groups*s.g.wg, s.g.wg
	if e.opts.planned != nil {
		e.opts.planned(r.items, r.wg)
	}
	r.stride = uint64(r.items * e.vw)
	r.finals = [2]*cl.Buffer{e.dummy, e.dummy}
	if r.job.KeepFinals {
		for i := range r.finals {
			if r.finals[i], err = r.alloc(int(r.maxChunk) * 4); err != nil {
				return err
			}
		}
	}
	temps := e.dummy
	if r.p.Steps >= 8 {
		// The buffer holds a vector past the last lane: the kernels
		// load and store whole vectors.
		r.tempLanes = s.tempLanes
		if r.temps, err = r.alloc(int(r.tempLanes+uint64(e.vw)) * 4); err != nil {
			return err
		}
		temps = r.temps
		if cl.NeedsHostInit() {
			// Each part's launch stores what the next one loads.
			writing := r.driver("finish a transfer")
			err := r.temps.Write(e.q, 0, make([]byte, r.temps.Size()))
			writing()
			if err != nil {
				return fmt.Errorf("opencl: write: %w", err)
			}
		}
	}
	if s.daily {
		return r.planDaily(temps)
	}
	return r.planMain(temps)
}

// planMain sets up the weather kernel: one record per work-group.
func (r *run) planMain(temps *cl.Buffer) error {
	e := r.e
	var err error
	if r.rec, err = r.alloc(r.items / r.wg * recWords * 8); err != nil {
		return err
	}
	acc, wg := e.accSize(), r.wg
	hist := r.res.Summary.Hist
	a := &weatherArgs{
		NBlocks: uint32(r.p.Steps / 4), Rem: uint32(r.p.Steps % 4),
		modelArgs: newModelArgs(&r.m), Shift: accum(r.exact), HLo: hist.Lo, HScale: hist.Scale,
		Rec: r.rec, finalArgs: finalArgs{Hist: r.hist, Keep: b2u(r.job.KeepFinals), Temps: temps},
	}
	a.sizeLocal(wg, acc, wg*4)
	a.LHist = local(e.mainHistLocal(wg))
	r.args = a
	return nil
}

// planDaily sets up the weather_daily kernel: per-group, per-step records
// and per-step histograms.
func (r *run) planDaily(temps *cl.Buffer) error {
	steps := r.p.Steps
	var err error
	if r.rec, err = r.alloc(r.items / r.wg * steps * recWords * 8); err != nil {
		return err
	}
	if err := r.write(r.rec, cl.Bytes(emptyRecords(r.items/r.wg*steps))); err != nil {
		return err
	}
	if r.dhist, err = r.alloc(steps * dailyBins * 4); err != nil {
		return err
	}
	if err := r.zero(r.dhist); err != nil {
		return err
	}
	shifts, los, scales, err := r.dailyParams(r.res.Daily)
	if err != nil {
		return err
	}
	hist := r.res.Summary.Hist
	r.args = &weatherDailyArgs{
		modelArgs: newModelArgs(&r.m), Shift: shifts, DLo: los, DScale: scales,
		HLo: hist.Lo, HScale: hist.Scale, GRec: r.rec, DHist: r.dhist,
		finalArgs: finalArgs{Hist: r.hist, Keep: b2u(r.job.KeepFinals), Temps: temps},
	}
	return nil
}

// launchAll runs the lanes in chunks, keeping one launch queued behind the
// one it waits for. It checks ctx before each launch and reports progress
// as each chunk's last launch completes.
func (r *run) launchAll(ctx context.Context) error {
	if r.dhist != nil {
		r.kind = 1
	}
	r.deadline, _ = ctx.Deadline()
	r.work = r.e.work[r.kind]
	if r.work == 0 {
		r.work = pilotLaneSteps
	}
	defer func() { r.e.work[r.kind] = r.work }() // where the next run starts
	blocks := r.p.Steps / 4
	since := uint64(0) // lanes in the device histograms since their last reset
	for off, which := uint64(0), 0; off < r.count; which ^= 1 {
		if err := r.await(ctx); err != nil {
			return err
		}
		n, split := r.lanes(r.cut(r.work), r.count-off)
		if since+n > r.e.opts.histLimit {
			if err := r.drain(ctx); err != nil {
				return err
			}
			if err := r.flushHists(); err != nil {
				return err
			}
			since = 0
		}
		for b0 := 0; ; {
			if err := r.await(ctx); err != nil {
				return err
			}
			work := r.cut(r.work)
			pt := part{off: off, n: n, b0: b0, nb: blocks - b0, which: which}
			if split {
				perLane := work / n
				pt.nb = min(pt.nb, max(1, int(min((perLane-min(perLane, laneCost))/4, math.MaxInt32))))
				if r.partBlocks > 0 {
					pt.nb = min(pt.nb, r.partBlocks)
				}
			}
			pt.last = b0+pt.nb == blocks
			if split {
				pt.least = launchWork(n, 4*uint64(pt.nb)) > work // the steps past the blocks aside
			} else {
				pt.least = launchWork(n, uint64(r.p.Steps)) > work
			}
			if err := r.launch(ctx, pt); err != nil {
				return err
			}
			b0 += pt.nb
			// Keep one launch queued behind the one we wait for, so
			// that the device never idles while the host reports
			// progress.
			if len(r.pending) == 2 {
				if err := r.complete(ctx); err != nil {
					return err
				}
			}
			if pt.last {
				break
			}
		}
		off += n
		since += n
	}
	return r.drain(ctx)
}

// await returns ctx's cause once ctx has ended; before that, where the
// launches in flight are predicted to end at or past the run's deadline, it
// first completes them, so that no launch is queued behind them to run
// past it.
func (r *run) await(ctx context.Context) error {
	for len(r.pending) > 0 && !r.deadline.IsZero() && !r.busyUntil().Before(r.deadline) {
		if err := r.complete(ctx); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}

// cut is the work (launchWork) of the next launch: work, or, where a
// launch of work queued behind those in flight is predicted to end past the
// run's deadline (a --timeout), the work that ends by it (at least 1: the
// least launch the geometry allows). Launches aim at chunkTarget, and two
// are in flight: a run stopped by its deadline waited for them, 0.1 to 0.2
// s on pocl (more on a loaded machine), past it; cut to the deadline they
// end by it, and Run returns within milliseconds. A run without a deadline
// (a signal's stop) is not cut, and the work planned (run.work, which
// adapt sizes and the next run starts from) is not changed by a cut.
func (r *run) cut(work uint64) uint64 {
	if r.deadline.IsZero() {
		return work
	}
	left := r.deadline.Sub(r.busyUntil()).Seconds()
	if w := left * r.rate(); w < float64(work) {
		return uint64(max(w, 1))
	}
	return work
}

// busyUntil is when the launches in flight are predicted to end.
func (r *run) busyUntil() time.Time {
	var busy float64
	for _, f := range r.pending {
		busy += float64(f.work) / r.rate()
	}
	return time.Now().Add(time.Duration(busy * float64(time.Second)))
}

// rate is the work per second of the engine's last completed launch of the
// run's kernel (Engine.rate), or, before any, the one adapt aims run.work
// at (chunkTarget a launch).
func (r *run) rate() float64 {
	if v := r.e.rate[r.kind]; v > 0 {
		return v
	}
	return float64(r.work) / chunkTarget.Seconds()
}

// lanes is the size of the next lane chunk for launches of about work
// (launchWork), and whether its steps are split over several launches. They
// are when one launch may take only partBlocks blocks of steps, and when
// work does not cover all steps of one grid-stride pass: then the chunk is
// one pass (or the lanes left) and each launch takes the steps work allows.
// A chunk of steps that are not split is one grid-stride pass at least (or
// the lanes left): every work-item of the grid runs whatever its lanes,
// so fewer lanes cost a launch about as much. On a device whose launch
// costs more than chunkTarget (Oclgrind's simulator, 0.2 s), adapt shrank
// launches to one lane each: the self-test's 1001-lane job took 1001
// launches and up to 76 s.
func (r *run) lanes(work, left uint64) (n uint64, split bool) {
	per := launchWork(1, uint64(r.p.Steps))
	if r.temps == nil {
		return min(r.round(max(work/per, r.stride)), left), false
	}
	if r.partBlocks > 0 && r.p.Steps/4 > r.partBlocks {
		per, split = launchWork(1, uint64(4*r.partBlocks)), true
	}
	n = r.round(work / per)
	if full := min(r.stride, r.tempLanes, left); n < full {
		n, split = full, true
	}
	if split {
		n = min(n, r.tempLanes)
	}
	return min(n, left), split
}

// launch enqueues the kernel on a part, and the read of its finals when
// the job keeps them and the part is its chunk's last.
func (r *run) launch(ctx context.Context, pt part) error {
	e := r.e
	r.args.chunk(r, pt)
	if err := r.setArgs(r.k, r.args); err != nil {
		return err
	}
	if r.unmark == nil {
		r.unmark = e.firstLaunch(ctx, r.k)
	}
	// The launch, its read of the finals and the flush each under a
	// label of its own, not one deferred over them all: the finals' read
	// was named "queue a launch". The launch's holds the tests' hook
	// (launched), where they hold the launch.
	queueing := r.driver("queue a launch")
	kev, err := e.q.EnqueueNDRange(r.k, []int{r.items}, []int{r.wg})
	if err != nil {
		queueing()
		return fmt.Errorf("opencl: launch %d lanes: %w", pt.n, err)
	}
	e.launches++
	steps := 4 * pt.nb
	if pt.last {
		steps += r.p.Steps % 4
	}
	f := flight{kev: kev, done: pt.n * uint64(steps), work: launchWork(pt.n, uint64(steps)), plan: r.work, least: pt.least}
	if r.p.Steps == 0 {
		f.done = pt.n
	}
	if e.opts.launched != nil {
		e.opts.launched(f.work, f.plan)
	}
	queueing()
	if pt.last {
		f.n = pt.n
		r.sums.add(pt.n, r.items, e.vw)
		if r.job.KeepFinals {
			reading := r.driver("queue a transfer")
			if f.rev, err = r.finals[pt.which].ReadAsync(e.q, 0, cl.Bytes(r.res.Finals[pt.off:pt.off+pt.n])); err != nil {
				kev.Release()
			}
			reading()
			if err != nil {
				return fmt.Errorf("opencl: read finals: %w", err)
			}
		}
	}
	r.pending = append(r.pending, f)
	flushing := r.driver("queue a launch") // the flush submits it
	err = e.q.Flush()
	flushing()
	if err != nil {
		return fmt.Errorf("opencl: flush: %w", err)
	}
	return nil
}

// complete waits for the oldest launch in flight, reports its progress and
// sizes the next launch from its kernel time.
func (r *run) complete(ctx context.Context) error {
	f := r.pending[0]
	r.pending = r.pending[1:]
	d, err := r.wait(f.kev, true)
	r.unmark() // the run's first launch has ended
	r.unmark = func() {}
	d += r.e.opts.launchCost
	if f.rev != nil {
		if _, err2 := r.wait(f.rev, false); err == nil {
			err = err2
		}
	}
	if err != nil {
		return fmt.Errorf("opencl: run %d lanes: %w", f.n, err)
	}
	floor := &r.e.floor[r.kind]
	if d > 0 {
		r.e.rate[r.kind] = float64(f.work) / d.Seconds()
		floor.add(d, f.least)
	}
	if 4*f.work >= f.plan {
		// A launch cut short by the lanes left is mostly fixed cost:
		// its rate would shrink the next run's first launch.
		r.work = adapt(r.work, f.work, d, floor.target())
	}
	if r.job.Progress != nil && f.done > 0 && ctx.Err() == nil {
		// Not once ctx has ended: Run may have returned (runUntil).
		r.job.Progress(f.done)
	}
	return nil
}

// drain completes every launch in flight.
func (r *run) drain(ctx context.Context) error {
	for len(r.pending) > 0 {
		if err := r.complete(ctx); err != nil {
			return err
		}
	}
	return nil
}

// collect reads the device's records and histograms into the result.
func (r *run) collect(ctx context.Context) error {
	if r.dhist != nil {
		if err := r.reduceDaily(ctx); err != nil {
			return err
		}
	} else {
		groups := r.items / r.wg
		recs := make([]uint64, groups*recWords)
		if err := r.read(r.rec, cl.Bytes(recs)); err != nil {
			return err
		}
		shift := r.shift(r.exact)
		for g := range groups {
			b := r.block(recs[g*recWords:], shift)
			r.res.Summary.AddBlock(&b)
		}
	}
	return r.flushHists()
}

// round makes a chunk a whole number of grid-stride passes when it spans at
// least one, and keeps it within [1, maxChunk].
func (r *run) round(n uint64) uint64 {
	if n >= r.stride {
		n -= n % r.stride
	}
	return min(max(n, 1), r.maxChunk)
}

// floorWindow is how many of an engine's latest least launches of a kernel
// its floor is the quickest of.
const floorWindow = 4

// launchFloor is what an engine's launches of one kernel cost at least
// (Engine.floor): the quickest of its latest floorWindow least launches,
// those the geometry made larger than planned (a grid-stride pass, a Philox
// block of steps), which no launch undercuts, and of any quicker launch
// since. It was the quickest least launch of the engine's life, which only
// went down: one quick launch (the device idle for a moment) or a device
// slower since (shared, throttled, a load beside it) left the target at
// chunkTarget while every launch cost more, and launches shrank to the
// least, each paying the fixed cost (TestCostlyLaunches' 50 launches for
// 1001 lanes x 200 steps), for as long as the engine lived: a benchmark's
// repetitions, Multi's pieces, a long run. Windowed, a floor that no longer
// holds goes after floorWindow least launches, and a launch quicker than
// the floor lowers it at once.
type launchFloor struct {
	last [floorWindow]time.Duration
	n    int // launches recorded
}

// add records a launch's kernel time d: a least launch's always, another's
// when it is quicker than the floor (no launch costs more than it did).
func (f *launchFloor) add(d time.Duration, least bool) {
	if least || d < f.min() {
		f.last[f.n%floorWindow] = d
		f.n++
	}
}

// min is the floor: the quickest launch recorded among the latest, or 0
// before any.
func (f *launchFloor) min() time.Duration {
	m := time.Duration(0)
	for i := range min(f.n, floorWindow) {
		if d := f.last[i]; m == 0 || d < m {
			m = d
		}
	}
	return m
}

// target is the kernel time adapt aims launches at: chunkTarget, or twice
// the floor where that is longer.
func (f *launchFloor) target() time.Duration { return max(chunkTarget, 2*f.min()) }

// adapt sizes the next launch's work (launchWork) from the last launch's rate,
// towards target, shrinking by at most a factor of 4 at a time and growing
// by at most 16: a launch's fixed cost makes a small launch's rate low, so
// growing from a pilot launch never overshoots the target by much.
//
// The target is chunkTarget, or twice the quickest launch the geometry
// allows (Engine.floor) where that takes longer than half of it: on a CPU
// or GPU, whose smallest launches take micro- to milliseconds, it is
// chunkTarget. On a device whose every launch costs more than chunkTarget
// however small, a target of chunkTarget shrank launches to that floor, a
// grid-stride pass and one Philox block of steps: 1001 lanes x 200 steps
// ran in 50 launches, and as a daily job in 400, each paying the device's
// fixed cost. Twice the floor doubles launches while that cost dominates
// their time, until it is at most half of it; where the floor is mostly
// work (Oclgrind's simulator, about 150 ms a pass of a Philox block), a
// launch takes at most twice the smallest's time.
func adapt(work, done uint64, d, target time.Duration) uint64 {
	next := float64(work) * 16
	if d > 0 {
		next = float64(done) * float64(target) / float64(d)
	}
	next = min(max(next, float64(work)/4), float64(work)*16, 1<<62)
	return max(uint64(next), 1)
}

// block decodes a device record into a sim.Block.
func (r *run) block(w []uint64, shift float64) sim.Block {
	b := sim.Block{Shift: shift, N: w[0], Min: math.Float32frombits(uint32(w[3])), Max: math.Float32frombits(uint32(w[4])), Digest: w[5]}
	if r.e.fp64 {
		b.S1, b.S2 = math.Float64frombits(w[1]), math.Float64frombits(w[2])
	} else {
		b.S1, b.S2 = float64(math.Float32frombits(uint32(w[1]))), float64(math.Float32frombits(uint32(w[2])))
	}
	return b
}

// flushHists adds the device histograms into the result and zeroes them.
func (r *run) flushHists() error {
	h := r.res.Summary.Hist.Bins
	counts := make([]uint32, len(h))
	if err := r.read(r.hist, cl.Bytes(counts)); err != nil {
		return err
	}
	for i, c := range counts {
		h[i] += uint64(c)
	}
	if err := r.zero(r.hist); err != nil {
		return err
	}
	if r.dhist == nil {
		return nil
	}
	counts = make([]uint32, len(r.res.Daily)*(sim.DailyBins+2))
	if err := r.read(r.dhist, cl.Bytes(counts)); err != nil {
		return err
	}
	for s, d := range r.res.Daily {
		for i := range d.Hist.Bins {
			d.Hist.Bins[i] += uint64(counts[s*(sim.DailyBins+2)+i])
		}
	}
	return r.zero(r.dhist)
}

// dailyParams uploads each step's exact mean and histogram layout.
func (r *run) dailyParams(daily []*sim.Summary) (shifts, los, scales *cl.Buffer, err error) {
	n := len(daily)
	lo, sc := make([]float32, n), make([]float32, n)
	var sb []byte
	if r.e.fp64 {
		s := make([]float64, n)
		for i := range s {
			s[i], _ = r.p.Exact(i + 1)
		}
		sb = cl.Bytes(s)
	} else {
		s := make([]float32, n)
		for i := range s {
			m, _ := r.p.Exact(i + 1)
			s[i] = float32(m)
		}
		sb = cl.Bytes(s)
	}
	for i, d := range daily {
		lo[i], sc[i] = d.Hist.Lo, d.Hist.Scale
	}
	bufs := make([]*cl.Buffer, 3)
	for i, src := range [][]byte{sb, cl.Bytes(lo), cl.Bytes(sc)} {
		if bufs[i], err = r.alloc(len(src)); err != nil {
			return nil, nil, nil, err
		}
		if err = r.write(bufs[i], src); err != nil {
			return nil, nil, nil, err
		}
	}
	return bufs[0], bufs[1], bufs[2], nil
}

// reduceDaily folds the per-work-item daily records per step on the device
// and fills the result's daily summaries and, from the last step, its
// final summary (whose histogram is counted apart).
func (r *run) reduceDaily(ctx context.Context) error {
	e, steps := r.e, r.p.Steps
	out, err := r.alloc(steps * recWords * 8)
	if err != nil {
		return err
	}
	a := &reduceDailyArgs{DRec: r.rec, Items: uint32(r.items / r.wg), Steps: uint32(steps), Out: out}
	if err := r.setArgs(e.kRed, a); err != nil {
		return err
	}
	wg := e.redWG
	unmark := e.firstLaunch(ctx, e.kRed)
	defer unmark()
	queueing := r.driver("queue a launch")
	ev, err := e.q.EnqueueNDRange(e.kRed, []int{(steps + wg - 1) / wg * wg}, []int{wg})
	queueing()
	if err != nil {
		return fmt.Errorf("opencl: launch reduce_daily: %w", err)
	}
	if _, err := r.wait(ev, true); err != nil {
		return fmt.Errorf("opencl: reduce_daily: %w", err)
	}
	recs := make([]uint64, steps*recWords)
	if err := r.read(out, cl.Bytes(recs)); err != nil {
		return err
	}
	for s, d := range r.res.Daily {
		m, _ := r.p.Exact(s + 1)
		b := r.block(recs[s*recWords:], r.shift(m))
		d.AddBlock(&b)
	}
	b := r.block(recs[(steps-1)*recWords:], r.shift(r.exact))
	r.res.Summary.AddBlock(&b)
	return nil
}

// emptyRecords returns n records as weather.cl's rec_init writes them: no
// lanes, zero sums (0 has the same bits as float and as double), min +Inf
// and max -Inf as float bits, and a zero digest.
func emptyRecords(n int) []uint64 {
	recs := make([]uint64, n*recWords)
	for i := 0; i < len(recs); i += recWords {
		recs[i+3] = uint64(math.Float32bits(float32(math.Inf(1))))
		recs[i+4] = uint64(math.Float32bits(float32(math.Inf(-1))))
	}
	return recs
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
