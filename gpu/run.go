package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
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

// firstChunkLaneSteps sizes the first launch of a run, before any launch
// was timed: about 20 ms on a two-core CPU, far less on a GPU.
const firstChunkLaneSteps = 1 << 24

// dailyRecordBytes bounds the per-work-item daily records on the device.
const dailyRecordBytes = 64 << 20

// Run implements sim.Engine. It checks ctx between launches and calls
// job.Progress once per launch, when the launch has completed.
func (e *Engine) Run(ctx context.Context, job *sim.Job) (*sim.Result, error) {
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
	if err := e.checkSubnormals(job); err != nil {
		return nil, err
	}
	r := &run{e: e, job: job, p: job.Params, m: job.Params.Model(), first: first, count: count}
	defer r.release()
	res, err := r.run(ctx)
	if err != nil {
		return nil, err
	}
	res.Timing = sim.Timing{Wall: time.Since(start), Startup: e.startup, Compile: e.compile, Kernel: r.kernel, Transfer: r.transfer}
	e.compile, e.startup = 0, 0
	return res, nil
}

// run is the state of one Engine.Run.
type run struct {
	e            *Engine
	job          *sim.Job
	p            sim.Params
	m            sim.Model
	first, count uint64
	res          *sim.Result
	bufs         []*cl.Buffer

	kernel, transfer time.Duration

	hist, dhist *cl.Buffer
	stride      uint64 // lanes of one grid-stride pass
	maxChunk    uint64
}

type flight struct {
	kev, rev *cl.Event
	n        uint64
}

func (r *run) release() {
	r.e.q.Finish()
	for _, b := range r.bufs {
		b.Release()
	}
}

func (r *run) alloc(size int) (*cl.Buffer, error) {
	b, err := cl.CreateBuffer(r.e.sh.ctx, cl.MemReadWrite, max(size, 4))
	if err != nil {
		return nil, fmt.Errorf("opencl: allocate %d bytes: %w", size, err)
	}
	r.bufs = append(r.bufs, b)
	return b, nil
}

// wait waits for ev, adds its device time to the kernel or transfer total
// and releases it.
func (r *run) wait(ev *cl.Event, kernel bool) (time.Duration, error) {
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
	ev, err := b.ReadAsync(r.e.q, 0, dst)
	if err != nil {
		return fmt.Errorf("opencl: read: %w", err)
	}
	if _, err := r.wait(ev, false); err != nil {
		return fmt.Errorf("opencl: read: %w", err)
	}
	return nil
}

func (r *run) write(b *cl.Buffer, src []byte) error {
	ev, err := b.WriteAsync(r.e.q, 0, src)
	if err != nil {
		return fmt.Errorf("opencl: write: %w", err)
	}
	if _, err := r.wait(ev, false); err != nil {
		return fmt.Errorf("opencl: write: %w", err)
	}
	return nil
}

func (r *run) zero(b *cl.Buffer) error {
	ev, err := b.Fill(r.e.q, make([]byte, 4), 0, b.Size())
	if err != nil {
		return fmt.Errorf("opencl: fill: %w", err)
	}
	if _, err := r.wait(ev, false); err != nil {
		return fmt.Errorf("opencl: fill: %w", err)
	}
	return nil
}

// args sets kernel arguments, keeping the first error.
type args struct {
	k   *cl.Kernel
	err error
}

func (a *args) set(i int, f func() error) {
	if a.err == nil {
		if err := f(); err != nil {
			a.err = fmt.Errorf("opencl: %s argument %d: %w", a.k.Name(), i, err)
		}
	}
}
func (a *args) u32(i int, v uint32)     { a.set(i, func() error { return a.k.SetArgUint32(i, v) }) }
func (a *args) u64(i int, v uint64)     { a.set(i, func() error { return a.k.SetArgUint64(i, v) }) }
func (a *args) f32(i int, v float32)    { a.set(i, func() error { return a.k.SetArgFloat32(i, v) }) }
func (a *args) buf(i int, b *cl.Buffer) { a.set(i, func() error { return a.k.SetArgBuffer(i, b) }) }
func (a *args) local(i int, size int)   { a.set(i, func() error { return a.k.SetArgLocal(i, size) }) }
func (r *run) acc(a *args, i int, v float64) {
	if r.e.fp64 {
		a.u64(i, math.Float64bits(v))
	} else {
		a.f32(i, float32(v))
	}
}

// shift is the deviation reference as the device holds it.
func (r *run) shift(v float64) float64 {
	if r.e.fp64 {
		return v
	}
	return float64(float32(v))
}

func (r *run) run(ctx context.Context) (*sim.Result, error) {
	e, p, job := r.e, r.p, r.job
	res := sim.NewResult("opencl", e.label, job, r.first, r.count)
	if e.fast {
		res.Math = sim.MathFast
	}
	r.res = res
	keep := job.KeepFinals
	daily := job.Daily && p.Steps > 0
	exact, _ := p.Exact(p.Steps)
	hist := res.Summary.Hist

	var err error
	if r.hist, err = r.alloc(len(hist.Bins) * 4); err != nil {
		return nil, err
	}
	if err := r.zero(r.hist); err != nil {
		return nil, err
	}

	// The launch grid and the kernel arguments that stay fixed for the run.
	var k *cl.Kernel
	var global, local []int
	var a *args
	var iFirst, iCount, iInit, iFinals int
	var rec *cl.Buffer
	items := 0
	if !daily {
		k = e.kMain
		items = e.groups * e.wg
		global, local = []int{items}, []int{e.wg}
		if rec, err = r.alloc(e.groups * recWords * 8); err != nil {
			return nil, err
		}
		a = &args{k: k}
		a.u32(2, uint32(p.Steps/4))
		a.u32(3, uint32(p.Steps%4))
		a.f32(4, r.m.Start)
		a.f32(5, r.m.P)
		a.f32(6, r.m.C)
		a.f32(7, r.m.Sigma)
		a.u32(8, r.m.Key[0])
		a.u32(9, r.m.Key[1])
		r.acc(a, 10, exact)
		a.f32(11, hist.Lo)
		a.f32(12, hist.Scale)
		a.buf(14, rec)
		a.buf(15, r.hist)
		a.u32(17, b2u(keep))
		accSize := 4
		if e.fp64 {
			accSize = 8
		}
		a.local(18, e.wg*accSize)
		a.local(19, e.wg*accSize)
		a.local(20, e.wg*4)
		a.local(21, e.wg*4)
		a.local(22, e.wg*8)
		a.local(23, e.wg*4)
		iFirst, iCount, iInit, iFinals = 0, 1, 13, 16
	} else {
		k = e.kDaily
		wg := e.wg
		budget := min(dailyRecordBytes, int(min(e.desc.MaxAllocBytes, math.MaxInt32)))
		items = min(e.groups*e.wg, max(1, budget/(p.Steps*recWords*8)))
		if items >= wg {
			items -= items % wg
		} else {
			for wg > items {
				wg /= 2
			}
			items = wg
		}
		global, local = []int{items}, []int{wg}
		if rec, err = r.alloc(items * p.Steps * recWords * 8); err != nil {
			return nil, err
		}
		if r.dhist, err = r.alloc(p.Steps * (sim.DailyBins + 2) * 4); err != nil {
			return nil, err
		}
		if err := r.zero(r.dhist); err != nil {
			return nil, err
		}
		shifts, los, scales, err := r.dailyParams(res.Daily)
		if err != nil {
			return nil, err
		}
		a = &args{k: k}
		a.u32(2, uint32(p.Steps))
		a.f32(3, r.m.Start)
		a.f32(4, r.m.P)
		a.f32(5, r.m.C)
		a.f32(6, r.m.Sigma)
		a.u32(7, r.m.Key[0])
		a.u32(8, r.m.Key[1])
		a.buf(9, shifts)
		a.buf(10, los)
		a.buf(11, scales)
		a.f32(12, hist.Lo)
		a.f32(13, hist.Scale)
		a.buf(15, rec)
		a.buf(16, r.dhist)
		a.buf(17, r.hist)
		a.u32(19, b2u(keep))
		lh := p.Steps * (sim.DailyBins + 2) * 4
		useLocal := e.opts.localHist >= 0 && uint64(lh)+localHistReserve <= e.desc.LocalMemBytes
		if !useLocal {
			lh = 4
		}
		a.local(20, lh)
		a.u32(21, b2u(useLocal))
		iFirst, iCount, iInit, iFinals = 0, 1, 14, 18
	}
	if a.err != nil {
		return nil, a.err
	}

	r.stride = uint64(items * e.vw)
	r.maxChunk = min(r.count, 1<<31)
	if e.opts.MaxChunkLanes > 0 {
		r.maxChunk = min(r.maxChunk, e.opts.MaxChunkLanes)
	}
	finals := []*cl.Buffer{e.dummy, e.dummy}
	if keep {
		r.maxChunk = min(r.maxChunk, e.desc.MaxAllocBytes/4, 1<<26)
		for i := range finals {
			if finals[i], err = r.alloc(int(r.maxChunk) * 4); err != nil {
				return nil, err
			}
		}
	}

	var pending []flight
	defer func() {
		for _, f := range pending {
			f.kev.Release()
			f.rev.Release()
		}
	}()
	complete := func() (uint64, time.Duration, error) {
		f := pending[0]
		pending = pending[1:]
		d, err := r.wait(f.kev, true)
		if f.rev != nil {
			if _, err2 := r.wait(f.rev, false); err == nil {
				err = err2
			}
		}
		if err != nil {
			return 0, 0, fmt.Errorf("opencl: run %d lanes: %w", f.n, err)
		}
		if job.Progress != nil {
			job.Progress(f.n)
		}
		return f.n, d, nil
	}

	chunk := r.round(uint64(firstChunkLaneSteps / max(p.Steps, 1)))
	init := uint32(1)
	since := uint64(0) // lanes in the device histograms since their last reset
	for off, which := uint64(0), 0; off < r.count; which ^= 1 {
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		n := min(chunk, r.count-off)
		if since+n > e.opts.histLimit {
			for len(pending) > 0 {
				if _, _, err := complete(); err != nil {
					return nil, err
				}
			}
			if err := r.flushHists(); err != nil {
				return nil, err
			}
			since = 0
		}
		a.u64(iFirst, r.first+off)
		a.u32(iCount, uint32(n))
		a.u32(iInit, init)
		a.buf(iFinals, finals[which])
		if a.err != nil {
			return nil, a.err
		}
		kev, err := e.q.EnqueueNDRange(k, global, local)
		if err != nil {
			return nil, fmt.Errorf("opencl: launch %d lanes: %w", n, err)
		}
		f := flight{kev: kev, n: n}
		if keep {
			if f.rev, err = finals[which].ReadAsync(e.q, 0, cl.Bytes(res.Finals[off:off+n])); err != nil {
				kev.Release()
				return nil, fmt.Errorf("opencl: read finals: %w", err)
			}
		}
		pending = append(pending, f)
		if err := e.q.Flush(); err != nil {
			return nil, fmt.Errorf("opencl: flush: %w", err)
		}
		off += n
		since += n
		init = 0
		// Keep one launch queued behind the one we wait for, so that
		// the device never idles while the host reports progress.
		if len(pending) == 2 {
			done, d, err := complete()
			if err != nil {
				return nil, err
			}
			chunk = r.adapt(chunk, done, d)
		}
	}
	for len(pending) > 0 {
		if _, _, err := complete(); err != nil {
			return nil, err
		}
	}

	if !daily {
		recs := make([]uint64, e.groups*recWords)
		if err := r.read(rec, cl.Bytes(recs)); err != nil {
			return nil, err
		}
		shift := r.shift(exact)
		for g := range e.groups {
			b := r.block(recs[g*recWords:], shift)
			res.Summary.AddBlock(&b)
		}
	} else if err := r.reduceDaily(rec, items, exact); err != nil {
		return nil, err
	}
	if err := r.flushHists(); err != nil {
		return nil, err
	}
	return res, nil
}

// round makes a chunk a whole number of grid-stride passes when it spans at
// least one, and keeps it within [1, maxChunk].
func (r *run) round(n uint64) uint64 {
	if n >= r.stride {
		n -= n % r.stride
	}
	return min(max(n, 1), r.maxChunk)
}

// adapt sizes the next chunk from the last launch's rate, towards
// chunkTarget, changing by at most a factor of 4 at a time.
func (r *run) adapt(chunk, done uint64, d time.Duration) uint64 {
	next := float64(chunk) * 4
	if d > 0 {
		next = float64(done) * float64(chunkTarget) / float64(d)
	}
	next = min(max(next, float64(chunk)/4), float64(chunk)*4)
	return r.round(uint64(next))
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
func (r *run) reduceDaily(rec *cl.Buffer, items int, exact float64) error {
	e, steps := r.e, r.p.Steps
	out, err := r.alloc(steps * recWords * 8)
	if err != nil {
		return err
	}
	a := &args{k: e.kRed}
	a.buf(0, rec)
	a.u32(1, uint32(items))
	a.u32(2, uint32(steps))
	a.buf(3, out)
	if a.err != nil {
		return a.err
	}
	wg := 1 // pocl compiles a kernel per local size: keep one
	if e.desc.IsGPU() {
		wg = 64
	}
	ev, err := e.q.EnqueueNDRange(e.kRed, []int{(steps + wg - 1) / wg * wg}, []int{wg})
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
	b := r.block(recs[(steps-1)*recWords:], r.shift(exact))
	r.res.Summary.AddBlock(&b)
	return nil
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
