package gpu

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// Multi runs a job on several OpenCL devices at once. The lanes are cut into
// pieces that each device takes from a shared queue as it becomes free, so
// every device gets work in proportion to its measured speed; the pieces'
// results merge exactly (count, extremes, histogram, digest) into the result
// of a one-device run. Moments merge in lane order, so they do not depend on
// which device ran which piece.
type Multi struct {
	engines []*Engine
	// PiecesPerDevice sets how finely the lanes are cut (default 8): more
	// balances better, fewer saves per-run set-up.
	PiecesPerDevice int

	// free holds a token for each engine on which no attempt runs: a run
	// returns once every piece has a result, while a losing attempt it
	// cancelled may still be finishing its launch in flight; the next run
	// uses that engine once the attempt has returned.
	free []chan struct{}
	// workers counts the goroutines that drive the engines, those still
	// finishing a cancelled attempt after their run returned included.
	workers sync.WaitGroup

	// pmu guards startup and compile, OpenMulti's start-up and compile
	// time (openTime) not reported in a run yet.
	pmu              sync.Mutex
	startup, compile time.Duration
}

// OnDevice is err, of device index, as OpenMulti and the self-test of a
// device that did not start give it: prefixed "device N: " unless its text
// names the device already as DeviceDesc.Named does ("device N (name,
// platform, type)", as Open's build, self-test and first-launch errors
// do), which read "device 0: opencl: build kernels for device 0 (...)".
// The error is wrapped, not changed: errors.As still finds a
// *cl.BuildError and its log.
func OnDevice(index int, err error) error {
	if strings.Contains(err.Error(), fmt.Sprintf("device %d (", index)) {
		return err
	}
	return fmt.Errorf("device %d: %w", index, err)
}

// OpenMulti opens one Engine per device index with the same options, the
// engines in the order of indices. The devices open in parallel, one
// goroutine each (a device listed twice is opened in turn in its one), so
// that a node of eight GPUs pays about its slowest device's opening rather
// than the sum of the eight; they open in turn where calls would take
// turns anyway or each open's checks must see the others' done
// (openInTurn: Oclgrind's runtime, an address-space limit). Where any
// device fails to open, every engine opened is closed and the error is
// that of the first device in the order of indices that failed ("device
// 2: ..."), as opening them in turn gave, whichever finished first. It
// returns as soon as that is known, once the devices before that one have
// opened: the engines of those after it still opening are closed as their
// opens return, in the background (Settle waits for them). Its errors are
// Devices' and Open's, and one for an empty list.
func OpenMulti(indices []int, opt Options) (*Multi, error) {
	if len(indices) == 0 {
		return nil, fmt.Errorf("opencl: no devices given")
	}
	// The driver is loaded and the devices listed once, before the
	// goroutines; the listing is m's start-up, not an engine's.
	if _, err := devices(); err != nil {
		return nil, OnDevice(indices[0], err)
	}
	listing := discoveryCharge()
	t0 := time.Now()
	engines := make([]*Engine, len(indices))
	errs := make([]error, len(indices))
	open := func(k int) {
		o := opt
		o.Device = indices[k]
		engines[k], errs[k] = Open(o)
	}
	inTurn := openInTurn()
	if inTurn {
		for k := range indices {
			if open(k); errs[k] != nil {
				break // the devices after it are not opened
			}
		}
	} else if k := openParallel(indices, engines, errs, open); k >= 0 {
		return nil, OnDevice(indices[k], errs[k])
	}
	m := &Multi{}
	for _, e := range engines {
		if e != nil {
			m.engines = append(m.engines, e)
		}
	}
	for k, err := range errs {
		if err != nil {
			m.Close()
			return nil, OnDevice(indices[k], err)
		}
	}
	m.openTime(listing, time.Since(t0), inTurn)
	for range m.engines {
		free := make(chan struct{}, 1)
		free <- struct{}{}
		m.free = append(m.free, free)
	}
	return m, nil
}

// openParallel opens the positions of indices at once, one goroutine a
// device (byDevice), with open, which sets engines[k] and errs[k]. It
// returns -1 once every open has succeeded, or, as soon as the outcome is
// known, the first position in the order of indices whose open failed:
// one that failed after every position before it succeeded, whatever the
// opens after it are still doing. A failed open among eight GPUs had
// waited for the slowest device's program build, seconds on a cold pocl
// one. The engines opened by then are closed at once; those still opening
// (a build cannot be cancelled) are closed in the background as each
// open returns (left, which Settle waits for).
func openParallel(indices []int, engines []*Engine, errs []error, open func(k int)) int {
	n := len(indices)
	done := make(chan int, n) // a position, once its open returned
	var wg sync.WaitGroup
	for _, ks := range byDevice(indices) {
		wg.Go(func() {
			for _, k := range ks {
				open(k)
				done <- k
			}
		})
	}
	finished := make([]bool, n)
	next, got := 0, 0 // positions before next succeeded; got returned
	for next < n {
		k := <-done
		finished[k] = true
		got++
		for next < n && finished[next] && errs[next] == nil {
			next++
		}
		if next < n && finished[next] {
			break // errs[next] is the error, whatever the rest give
		}
	}
	if next == n {
		wg.Wait()
		return -1
	}
	for k, f := range finished {
		if f {
			engines[k].Close() // nil where its open failed
		}
	}
	left.Go(func() {
		for range n - got {
			engines[<-done].Close()
		}
		wg.Wait()
	})
	return next
}

// left counts what failed OpenMulti calls left running: the opens still
// under way when it returned, each engine closed as its open returns.
var left sync.WaitGroup

// Settle waits until the devices' opens that failed OpenMulti calls left
// running (a program's build cannot be cancelled) have returned and every
// OpenCL object they made is released, or until ctx ends; it returns at
// once where none is left. A process calls it before a clean exit: one
// that ended while such an open loaded a cached binary left that entry's
// loading mark, which the next start takes for a crash of the driver and
// builds the program from source, seconds on pocl.
func Settle(ctx context.Context) {
	settled := make(chan struct{})
	go func() {
		left.Wait()
		close(settled)
	}()
	select {
	case <-settled:
	case <-ctx.Done():
	}
}

// openInTurn says whether OpenMulti opens the devices one after another:
// with Oclgrind's runtime, every call of which runs on one locked OS
// thread (cl.OneThread), and under an address-space limit (ulimit -v),
// where each open's checks (a program's build, its buffers) weigh the room
// left as it starts, which opens in parallel would each find before the
// others took it. A variable for tests.
var openInTurn = func() bool { return cl.OneThread() || cl.AddressLimited() }

// byDevice groups the positions in indices by device, in order: the
// engines of a device listed twice share its context and programs
// (acquire), and the second's open waits for the first's, whose self-test
// may discard the program they share.
func byDevice(indices []int) [][]int {
	var groups [][]int
	at := map[int]int{}
	for k, i := range indices {
		g, ok := at[i]
		if !ok {
			g = len(groups)
			at[i] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], k)
	}
	return groups
}

// openTime sets the start-up and compile time of m, whose engines opened
// in took after the listing of the devices took listing
// (discoveryCharge: 0 but for the process's first open), in turn or not:
// the start-up is listing and took, OpenMulti's wall time; the compile
// time is the engines' summed where they opened in turn, else the
// longest, which the others overlapped (each is part of the start-up, as
// sim.Timing has it). The engines' own are taken (takeStartup): m's first
// run reports m's, where it summed the engines' start-ups, which held
// their opens in turn.
func (m *Multi) openTime(listing, took time.Duration, inTurn bool) {
	var compile time.Duration
	for _, e := range m.engines {
		_, c := e.takeStartup()
		if inTurn {
			compile += c
		} else {
			compile = max(compile, c)
		}
	}
	m.startup, m.compile = listing+took, compile
}

// takeStartup returns the start-up and compile time m has not reported in
// a run yet, and forgets them.
func (m *Multi) takeStartup() (startup, compile time.Duration) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	startup, compile = m.startup, m.compile
	m.startup, m.compile = 0, 0
	return startup, compile
}

// ColdStart reports whether any device's engine built its program from
// source (Engine.ColdStart).
func (m *Multi) ColdStart() bool {
	for _, e := range m.engines {
		if e.ColdStart() {
			return true
		}
	}
	return false
}

// Name implements sim.Engine.
func (m *Multi) Name() string { return "opencl" }

// Math is its engines' arithmetic, one for all (sim.MathReporter).
func (m *Multi) Math() string { return m.engines[0].Math() }

// Devices describes the devices m runs on, in the order OpenMulti was
// given them.
func (m *Multi) Devices() []DeviceDesc {
	ds := make([]DeviceDesc, len(m.engines))
	for i, e := range m.engines {
		ds[i] = e.Device()
	}
	return ds
}

// Label names every device.
func (m *Multi) Label() string {
	ls := make([]string, len(m.engines))
	for i, e := range m.engines {
		ls[i] = e.Label()
	}
	return strings.Join(ls, " + ")
}

// Close waits for the attempts still running, then closes every device's
// engine (whose launches a cancelled attempt left in flight end in the
// background: Engine.Close).
func (m *Multi) Close() error {
	if m == nil {
		return nil
	}
	m.workers.Wait()
	var first error
	for _, e := range m.engines {
		if err := e.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Run implements sim.Engine.
func (m *Multi) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
	start := time.Now()
	first, count, err := job.Range()
	if err != nil {
		return nil, err
	}
	// Before the finals' host copy is allocated and any device starts.
	if err := m.Refuses(job); err != nil {
		return nil, err
	}
	n := m.pieces(count)
	// The finals of every piece are copied into res.Finals as it
	// completes, so a run holds them once, plus a piece's per device.
	res := sim.NewResult("opencl", m.Label(), job, first, count)
	parts, t, err := m.runPieces(ctx, job, first, count, n, res.Finals, res.Daily)
	if err != nil {
		return nil, err
	}
	res.Math = parts[0].Math
	res.Timing = t
	for _, r := range parts {
		if err := res.Summary.Merge(r.Summary); err != nil {
			return nil, err
		}
		res.Timing.Kernel += r.Timing.Kernel
		res.Timing.Transfer += r.Timing.Transfer
	}
	res.Timing.Wall = time.Since(start)
	return res, nil
}

// pieces is how many pieces Run cuts count lanes into.
func (m *Multi) pieces(count uint64) uint64 {
	per := m.PiecesPerDevice
	if per <= 0 {
		per = 8
	}
	return min(uint64(per*len(m.engines)), count)
}

// DailyMemory is what a run of job (a --daily one) holds in host memory
// for its per-step statistics beyond what is held now, and on how many
// devices: copies of the statistics (sim.DailyBytes) at once at the most,
// the run's and five a device (its piece's result, one piece done out of
// order, waiting for those before it to be merged, and the records and
// histograms read back as they come, in the garbage Go's heap holds
// between collections); and the device buffers in host memory of a piece
// on every device at once (a CPU device's, pocl's), as checkAddressSpace
// counts them. Refuses counted the buffers alone and each piece only its
// own, so that a run whose copies did not fit stopped partway, as a later
// piece started. TestMultiDailyMemory measured 4.5 copies live on two
// devices; under a 400 MB cgroup limit the heap of a run of 10,000 steps
// on two of pocl's devices peaked at 6 copies, 255 MB, and runs of 6,500
// steps and more stopped or were killed out of memory where 5,750 ran:
// 11 copies and the buffers fit the 0.396 GB available at 6,000 steps at
// the most.
func (m *Multi) DailyMemory(job *sim.Job) (copies, devices int, buffers uint64) {
	_, lanes, err := job.Range()
	if err != nil || !job.Daily {
		return 0, len(m.engines), 0
	}
	piece := uint64(0)
	if n := m.pieces(lanes); n > 0 {
		piece = (lanes-1)/n + 1
	}
	inHost := make([]uint64, 0, len(m.engines))
	for _, e := range m.engines {
		inHost = append(inHost, e.hostBuffers(e.shape(job, piece).buffers))
	}
	return 1 + 5*len(m.engines), len(m.engines), count.SatAdd(inHost...)
}

// Refuses returns the error Run refuses job with before it runs anything,
// or nil, as Engine.Refuses does for one device: a member's
// *SubnormalError, or an *cl.UnavailableError matching cl.ErrAddressSpace
// where, under ulimit -v, the whole run does not fit the room the limit
// leaves (checkAddressSpace). auto asks it so as not to choose the
// devices.
func (m *Multi) Refuses(job *sim.Job) error {
	for _, e := range m.engines {
		if err := e.checkSubnormals(job); err != nil {
			return err
		}
	}
	return m.checkAddressSpace(job)
}

// checkAddressSpace refuses a run of job whose buffers do not fit the room
// an address-space limit (ulimit -v) leaves, weighed all at once
// (cl.RunAddressSpaceShort): the devices run a piece each at the same time,
// so every member's device buffers for the largest piece (its shape),
// summed, and where the job keeps its finals their copy in host memory,
// the run's and each device's of a piece. The live buffers and the
// driver's share counted are the first member's context's (a device listed
// twice shares one). Each member weighed only its own piece as it started
// it, and the run's finals not at all: a run a single device refuses
// before it starts went ahead on several, allocating past the limit.
func (m *Multi) checkAddressSpace(job *sim.Job) error {
	_, lanes, err := job.Range()
	if err != nil {
		return err
	}
	piece := uint64(0)
	if n := m.pieces(lanes); n > 0 {
		piece = (lanes-1)/n + 1
	}
	device := make([]uint64, 0, len(m.engines))
	inHost := make([]uint64, 0, len(m.engines))
	finals := []uint64{lanes}
	for _, e := range m.engines {
		b := e.shape(job, piece).buffers
		device = append(device, b)
		inHost = append(inHost, e.hostBuffers(b))
		finals = append(finals, piece)
	}
	host := uint64(0)
	if job.KeepFinals {
		host = hostFinalsBytes(count.SatAdd(finals...))
	}
	if err := runAddressSpaceShort(m.engines[0].sh.ctx, count.SatAdd(device...), host); err != nil {
		return err
	}
	return runMemoryShort(m.engines[0].sh.ctx, count.SatAdd(inHost...), host, job.KeepFinals)
}

// runPieces runs the n pieces of the lanes [first, first+count) of job on
// the devices, each device taking the next piece from a shared queue. When
// the queue is empty, a device that is free runs a copy of a piece another
// device still runs (one copy a piece): the first to finish is kept and the
// other cancelled. A lane's result depends only on the seed, the lane and
// the model, so both compute the same bits; without the copies one slow
// device (Oclgrind's simulator beside pocl, 100,000 times slower) held the
// whole run on its last piece. It returns as soon as every piece has a
// result: a cancelled attempt's launches in flight end in the background
// (the engine's next run and its Close wait for them).
//
// Each piece's progress is reported once: the first attempt's as it goes,
// and what it has not reported when a copy wins. A job that keeps finals
// has them copied into finals (count lanes) as each piece completes; each
// device reads its pieces' into a slice of its own, since a cancelled
// attempt may still be writing them after the run returns.
//
// The timing returned holds the start-up and compile time m had not
// reported yet (OpenMulti's: openTime); the pieces' results hold their
// kernel and transfer times.
func (m *Multi) runPieces(ctx context.Context, job *sim.Job, first, count, n uint64, finals []float32, daily []*sim.Summary) ([]*sim.Result, sim.Timing, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil) // ends the losing attempts still running
	pr := &pieceRun{job: job, first: first, count: count, n: n, finals: finals, daily: daily, cancel: cancel,
		parts: make([]*sim.Result, n), stops: make([][]context.CancelFunc, n), copied: make([]bool, n),
		reported: make([]uint64, n), left: n, done: make(chan struct{})}
	pr.timing.Startup, pr.timing.Compile = m.takeStartup()
	for i, e := range m.engines {
		m.workers.Go(func() {
			select {
			case <-m.free[i]:
			case <-ctx.Done():
				return
			}
			defer func() { m.free[i] <- struct{}{} }()
			pr.work(ctx, e)
		})
	}
	select {
	case <-pr.done:
	case <-ctx.Done():
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.over = true
	if pr.left > 0 {
		return nil, sim.Timing{}, context.Cause(ctx)
	}
	if pr.mergeErr != nil {
		return nil, sim.Timing{}, pr.mergeErr
	}
	return pr.parts, pr.timing, nil
}

// pieceRun is the state of one runPieces, which the devices' workers share
// under mu.
type pieceRun struct {
	job             *sim.Job
	first, count, n uint64
	finals          []float32
	// daily are the run's per-step statistics, into which each piece's
	// are merged in the pieces' order as soon as the pieces before it
	// are (merged counts them), and then dropped: kept until the run's
	// end, 16 pieces' of 10,000 steps on two devices took 1.3 GB where
	// one device's run took 0.2 GB, past what the memory check counts.
	daily    []*sim.Summary
	merged   uint64
	mergeErr error
	cancel   context.CancelCauseFunc
	mu       sync.Mutex
	parts    []*sim.Result
	stops    [][]context.CancelFunc // the running attempts of each piece
	copied   []bool                 // the piece has a copy running or run
	reported []uint64               // lane-steps of each piece reported to job.Progress
	next     uint64                 // the next piece in the queue
	left     uint64                 // pieces without a result, or whose finals are being copied
	over     bool                   // runPieces has returned: nothing more is reported
	timing   sim.Timing
	done     chan struct{} // closed when left reaches 0
}

// take returns the piece to run next and whether it is a copy, or false
// when there is nothing left to do.
func (pr *pieceRun) take() (k uint64, dup, ok bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.next < pr.n {
		pr.next++
		return pr.next - 1, false, true
	}
	for k := range pr.n {
		if pr.parts[k] == nil && len(pr.stops[k]) > 0 && !pr.copied[k] {
			pr.copied[k] = true
			return k, true, true
		}
	}
	return 0, false, false
}

// progress is the Progress of piece k's first attempt: it reports while
// the piece has no result.
func (pr *pieceRun) progress(k uint64) func(uint64) {
	return func(laneSteps uint64) {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		if pr.parts[k] == nil && !pr.over {
			pr.reported[k] += laneSteps
			pr.job.Progress(laneSteps)
		}
	}
}

// begin registers an attempt at piece k, which stop cancels; false when the
// piece got its result while the attempt was being set up.
func (pr *pieceRun) begin(k uint64, stop context.CancelFunc) bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.parts[k] != nil {
		return false
	}
	pr.stops[k] = append(pr.stops[k], stop)
	return true
}

// finish records an attempt at piece k of c lanes that returned r, err: won
// when it is the piece's first result (the other attempt is cancelled, and
// what the first attempt did not report is), failed when it failed while
// the piece has no result.
func (pr *pieceRun) finish(k, c uint64, r *sim.Result, err error) (won, failed bool) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	won = err == nil && pr.parts[k] == nil
	if won {
		pr.parts[k] = r
		pr.mergeDaily()
		for _, s := range pr.stops[k] {
			s() // the other attempt, if any
		}
		// The piece's lane-steps, a lane of no steps counting one; a
		// piece past 2^64 of them (years of work) is reported short.
		work := count.SatMul(c, uint64(max(pr.job.Params.Steps, 1)))
		if pr.job.Progress != nil && pr.reported[k] < work && !pr.over {
			pr.job.Progress(work - pr.reported[k])
			pr.reported[k] = work
		}
	}
	return won, err != nil && pr.parts[k] == nil
}

// mergeDaily merges the per-step statistics of the pieces that have their
// results, from the first not merged yet, into the run's, in the pieces'
// order (as Run merged them all at its end: the same sums, so the same
// bits), and drops each piece's once merged. Called under mu.
func (pr *pieceRun) mergeDaily() {
	for ; pr.merged < pr.n && pr.parts[pr.merged] != nil; pr.merged++ {
		r := pr.parts[pr.merged]
		for i, d := range r.Daily {
			if i < len(pr.daily) && pr.mergeErr == nil {
				pr.mergeErr = pr.daily[i].Merge(d)
			}
		}
		if len(r.Daily) != len(pr.daily) && pr.mergeErr == nil {
			pr.mergeErr = fmt.Errorf("opencl: piece %d has %d per-step summaries for %d steps", pr.merged, len(r.Daily), len(pr.daily))
		}
		r.Daily = nil
	}
}

// work runs pieces on e, taking them from the queue and then as copies,
// until none is left, one fails or ctx ends.
func (pr *pieceRun) work(ctx context.Context, e *Engine) {
	var own []float32 // this device's finals of a piece
	for ctx.Err() == nil {
		k, dup, ok := pr.take()
		if !ok {
			return
		}
		lo, c := sim.Split(pr.count, k, pr.n)
		sub := *pr.job
		sub.First, sub.Count, sub.Progress = pr.first+lo, c, nil
		if pr.job.Progress != nil && !dup {
			sub.Progress = pr.progress(k)
		}
		var dst []float32
		if pr.finals != nil {
			if own == nil {
				own = make([]float32, (pr.count+pr.n-1)/pr.n)
			}
			dst = own[:c]
		}
		pctx, stop := context.WithCancel(ctx)
		if !pr.begin(k, stop) {
			stop()
			continue
		}
		r, err := e.runInto(pctx, &sub, dst)
		stop()
		won, failed := pr.finish(k, c, r, err)
		if failed {
			// The device as every note and error names one (Named), not
			// its Label, whose parentheses and vector type read as the
			// sentence's: "NAME (pocl, CPU, float x16): ...".
			pr.cancel(fmt.Errorf("%s: %w", e.desc.Named(), err))
			return
		}
		if won {
			if pr.finals != nil {
				copy(pr.finals[lo:lo+c], r.Finals)
				r.Finals = nil
			}
			pr.mu.Lock()
			if pr.left--; pr.left == 0 {
				close(pr.done)
			}
			pr.mu.Unlock()
		}
	}
}
