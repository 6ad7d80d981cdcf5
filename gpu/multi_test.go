package gpu

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/sim"
)

// TestMultiConformance runs the engine suite on the same device opened
// twice (two engines, as with POCL_DEVICES="pthread pthread"), or on two
// devices when the platform has several.
func TestMultiConformance(t *testing.T) {
	cltest.RequireDevice(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 0}
	if len(ds) > 1 {
		idx = []int{0, 1}
	}
	enginetest.Run(t, func(t *testing.T) sim.Engine {
		m, err := OpenMulti(idx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}, enginetest.Options{CancelInSteps: true, ProgressPerLaunch: true})
	if _, err := OpenMulti([]int{0, 99}, Options{}); err == nil {
		t.Error("OpenMulti with a bad index succeeded")
	}
}

// TestMultiStraggler: a device far slower than the others (Oclgrind's
// simulator beside pocl) no longer holds the run on its last piece: a free
// device runs a copy, the first to finish is kept, and the result is the
// one device's, bit for bit. The run took the slow device's time. The
// progress reported adds up to the lanes: the copy that wins reports what
// the cancelled first attempt did not (before, 93,750 of 100,000 lanes).
func TestMultiStraggler(t *testing.T) {
	m := openPair(t)
	defer m.Close()
	p := sim.Default()
	p.Lanes, p.Steps = 100_000, 10
	want, err := m.engines[0].Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	m.engines[1].opts.runDelay = time.Minute
	got, lanes, took := runCounted(t, m, p)
	if took > 20*time.Second || got.Summary.Digest != want.Summary.Digest || got.Summary.Count != p.Lanes {
		t.Errorf("took %v, digest %x count %d; want the one device's %x well before the slow device's minute", took, got.Summary.Digest, got.Summary.Count, want.Summary.Digest)
	}
	if n, want := lanes, p.Lanes*uint64(p.Steps); n != want {
		t.Errorf("progress reported %d lane-steps, want %d", n, want)
	}
}

// TestMultiDeviceError: a device that fails fails the run with an error
// that names it as every note and error names a device, "device 0 (NAME,
// PLATFORM, TYPE): ...", not by its Label ("device 0: NAME (pocl, CPU,
// float x16): ..."), whose parentheses read as the sentence's.
func TestMultiDeviceError(t *testing.T) {
	m := openPair(t)
	defer m.Close()
	fail := errors.New("CL_OUT_OF_RESOURCES (-5)")
	m.engines[0].opts.runDelay = time.Minute // the other device fails first
	m.engines[1].opts.runErr = fail
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 10
	_, err := m.Run(context.Background(), &sim.Job{Params: p})
	want := m.engines[1].desc.Named() + ": " + fail.Error()
	if !errors.Is(err, fail) || err.Error() != want {
		t.Errorf("a failing device's run returned %v, want %q", err, want)
	}
}

// TestMultiStall: an attempt that a cancel does not stop at once (a slow
// device's launch in flight: 10 s of Oclgrind's) no longer holds the run,
// which returns once every piece has a result; nor does it hold the next
// run, which does without that device until it is free. Progress stops when
// the run returns and adds up to the lanes; Close waits for the attempt,
// and leaves no goroutine behind. The stalled attempt waits on a channel
// the test closes only after both runs and a Close in flight, not on a
// sleep: a 3 s stall, with both runs due within 1.5 s of its start, ran
// over on a loaded 2-core machine, where the order asserted here holds
// whatever the load.
func TestMultiStall(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	m := openPair(t)
	p := sim.Default()
	p.Lanes, p.Steps = 100_000, 10
	want, err := m.engines[0].Run(context.Background(), &sim.Job{Params: p, KeepFinals: true})
	if err != nil {
		t.Fatal(err)
	}
	// Device 1's attempt stalls until the test lets it go (release). The
	// first run starts with device 0 held busy (its token taken) until
	// device 1's attempt has stalled, so that device 1 takes a piece
	// whatever the scheduling: left free, device 0 could take every piece
	// before device 1 took one, and nothing would stall.
	stalled, let := make(chan struct{}, 1), make(chan struct{})
	var released atomic.Bool
	release := func() {
		if released.CompareAndSwap(false, true) {
			close(let)
		}
	}
	defer release() // a failed run must not leave the attempt stalled
	m.engines[1].opts.stall = func() {
		select {
		case stalled <- struct{}{}:
		default:
		}
		<-let
	}
	<-m.free[0]
	go func() {
		<-stalled
		m.free[0] <- struct{}{}
	}()
	var lanes atomic.Uint64
	for run := range 2 {
		lanes.Store(0)
		got, err := m.Run(context.Background(), &sim.Job{Params: p, KeepFinals: true, Progress: func(n uint64) { lanes.Add(n) }})
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary.Digest != want.Summary.Digest || !slices.Equal(got.Finals, want.Finals) || !slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins) {
			t.Errorf("run %d: digest %x, want %x (finals equal: %v)", run, got.Summary.Digest, want.Summary.Digest, slices.Equal(got.Finals, want.Finals))
		}
		if n, want := lanes.Load(), p.Lanes*uint64(p.Steps); n != want {
			t.Errorf("run %d: progress reported %d lane-steps, want %d", run, n, want)
		}
	}
	closed := make(chan error, 1)
	go func() {
		err := m.Close()
		if !released.Load() {
			err = errors.Join(err, errors.New("Close returned before the stalled attempt was let go"))
		}
		closed <- err
	}()
	// Close must still be waiting a while later; a Close that does not
	// wait returns at once and is caught above.
	select {
	case err := <-closed:
		t.Fatalf("Close returned while an attempt was stalled: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if n, want := lanes.Load(), p.Lanes*uint64(p.Steps); n != want {
		t.Errorf("progress reported %d lane-steps by Close, want %d (none after the run returned)", n, want)
	}
	if !m.engines[1].closed {
		t.Error("the stalled device's engine is not closed")
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before OpenMulti", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMultiFinalsMemory: kept finals are held once, not once per piece and
// again merged: the run allocates little more than the finals' 4 bytes a
// lane (sim.HostBytes, which the up-front memory check uses); before, a
// 2e8-lane --device all --out run needed twice that and died where
// --device 0 ran. The finals are the one device's, bit for bit. The bound,
// 1.5 times the finals, is below the 2 times of a second copy: besides the
// finals the run allocates a piece's buffer per device and each piece's
// summary, 1.24 times the finals in all here, and the race detector's
// instrumentation a few kB more (1.2503 under -race failed a bound of 1.25).
func TestMultiFinalsMemory(t *testing.T) {
	m := openPair(t)
	defer m.Close()
	p := sim.Default()
	p.Lanes, p.Steps = 4_000_003, 1
	job := &sim.Job{Params: p, KeepFinals: true}
	want, err := m.engines[0].Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := m.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	finals := 4 * p.Lanes
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > finals*3/2 {
		t.Errorf("the run allocated %d bytes, %.2f times its finals' %d", alloc, float64(alloc)/float64(finals), finals)
	}
	if got.Summary.Digest != want.Summary.Digest || !slices.Equal(got.Finals, want.Finals) || !slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins) {
		t.Errorf("digest %x, want %x (finals equal: %v)", got.Summary.Digest, want.Summary.Digest, slices.Equal(got.Finals, want.Finals))
	}
}

// runCounted runs a job of p on m, counting the lane-steps its progress
// reports (sim.Job.Progress),
// and returns the result, that count and the time the run took.
func runCounted(t *testing.T, m *Multi, p sim.Params) (*sim.Result, uint64, time.Duration) {
	t.Helper()
	var lanes atomic.Uint64
	start := time.Now()
	got, err := m.Run(context.Background(), &sim.Job{Params: p, Progress: func(n uint64) { lanes.Add(n) }})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	return got, lanes.Load(), took
}

// openPair opens the first device twice as one Multi (two pocl devices in
// one), or ends the test as OpenCL tests do without a device.
func openPair(t *testing.T) *Multi {
	t.Helper()
	return openPairWith(t, Options{})
}

// openPairWith is openPair with the options opt.
func openPairWith(t *testing.T, opt Options) *Multi {
	t.Helper()
	cltest.RequireDevice(t)
	m, err := OpenMulti([]int{0, 0}, opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMultiFloatSums: a Multi of a device with fp64 and one summing in
// float (the noFP64 hook) states its moments' errors for the float sums
// (sim.Summary.FloatDepth, the worst of its devices' pieces), and its
// moments lie within them of the serial engine's, where the fp64 device's
// float64 bound claimed too much.
func TestMultiFloatSums(t *testing.T) {
	e64, e32 := open(t, Options{}), open(t, Options{noFP64: true})
	m := &Multi{engines: []*Engine{e64, e32}}
	for range m.engines {
		free := make(chan struct{}, 1)
		free <- struct{}{}
		m.free = append(m.free, free)
	}
	t.Cleanup(m.workers.Wait) // before the engines close
	d := newFuzzDraw(0x1e8ad6)
	want, err := cpu.Serial{}.Run(t.Context(), d.Job)
	if err != nil {
		t.Fatal(err)
	}
	// The fp64 device held busy (its token taken), so that the float one
	// runs the pieces: left free, the fp64 device could take every piece
	// of a small job from the shared queue, and the summary rightly had no
	// float sums (the test failed so in CI).
	<-m.free[0]
	got, err := m.Run(t.Context(), d.Job)
	m.free[0] <- struct{}{}
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary.FloatDepth == 0 {
		t.Fatalf("a Multi whose float device ran the job states float64's errors (FloatDepth 0)")
	}
	enginetest.CheckDraw(t, d.Draw, "fp64 and float devices", got, want, enginetest.BoundTol)
}

// TestMultiDailyMemory: a Multi merges each piece's per-step statistics
// into the run's as soon as the pieces before it are merged, in the
// pieces' order, and drops them, so that a --daily run holds a few copies
// of them, not one a piece: kept to the run's end, 16 pieces' of 10,000
// steps on two devices took 1.3 GB where one device's run took 0.2 GB,
// past the 42 MB copy the memory check counts. The live heap is sampled
// (after a collection) as the pieces report progress.
func TestMultiDailyMemory(t *testing.T) {
	m := openPair(t)
	defer m.Close()
	p := sim.Default()
	p.Lanes, p.Steps = 4000, 5000
	copyBytes := sim.DailyBytes(p.Steps)
	var peak uint64
	sample := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	var base runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&base)
	job := &sim.Job{Params: p, Daily: true, Progress: func(uint64) { sample() }}
	got, err := m.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	n := m.pieces(p.Lanes)
	if n < 8 {
		t.Fatalf("%d pieces: too few to tell", n)
	}
	// The run's, a device's piece running (its result, and its records and
	// histograms read back), and pieces done out of order: 4.5 copies
	// measured on two devices; the pieces' results held to the end were
	// 16 and more.
	if live := peak - min(peak, base.HeapAlloc); live > 8*copyBytes {
		t.Errorf("the run held %d bytes live at its peak, %.1f copies of its per-step statistics (%d pieces)", live, float64(live)/float64(copyBytes), n)
	}
	// What the memory check of --device all counts (DailyMemory) covers
	// the live peak, and the buffers of a piece on each device: it
	// counted one copy, and a run under a cgroup limit stopped partway.
	copies, devices, buffers := m.DailyMemory(job)
	if live := peak - min(peak, base.HeapAlloc); devices != 2 || live > uint64(copies)*copyBytes || buffers == 0 {
		t.Errorf("DailyMemory: %d copies on %d devices, %d bytes of buffers; the run held %.1f copies live", copies, devices, buffers, float64(live)/float64(copyBytes))
	}
	if c, _, b := m.DailyMemory(&sim.Job{Params: p}); c != 0 || b != 0 {
		t.Errorf("DailyMemory of a job without --daily: %d copies, %d bytes", c, b)
	}
	// Every piece's, once: the histograms' counts are exact whatever the
	// order (the sums' last bits follow the launches, which adapt to
	// time).
	want, err := m.engines[0].Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Daily {
		w, g := want.Daily[i], got.Daily[i]
		if g.Count != w.Count || !slices.Equal(g.Hist.Bins, w.Hist.Bins) || g.Min != w.Min || g.Max != w.Max {
			t.Fatalf("step %d: count %d, min %v, max %v; one device's run: %d, %v, %v (histograms equal: %v)", i+1, g.Count, g.Min, g.Max, w.Count, w.Min, w.Max, slices.Equal(g.Hist.Bins, w.Hist.Bins))
		}
	}
}
