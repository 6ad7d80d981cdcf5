package gpu

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// TestShapeCountsEveryBuffer: the device buffers a run's shape counts,
// which the address-space check weighs before any is made, are the bytes
// the run makes, for each kind of run: plain, keeping finals, in parts (8
// steps or more), with per-step statistics, in small chunks. A buffer
// plan made and the shape left out would be made past the limit's room,
// where pocl aborts on its first use. Needs an OpenCL device.
func TestShapeCountsEveryBuffer(t *testing.T) {
	var made uint64
	e := open(t, Options{made: func(n uint64) { made = n }})
	small := open(t, Options{MaxChunkLanes: 1000, made: func(n uint64) { made = n }})
	for _, c := range []struct {
		e           *Engine
		lanes       uint64
		steps       int
		keep, daily bool
	}{
		{e, 1000, 3, false, false},
		{e, 100000, 3, true, false},
		{e, 20000, 10, true, false},
		{e, 5000, 6, false, true},
		{e, 3000, 12, true, true},
		{small, 5000, 9, true, false},
	} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		job := &sim.Job{Params: p, KeepFinals: c.keep, Daily: c.daily}
		made = 0
		runJob(t, c.e, job)
		c.e.settled()
		if want := c.e.shape(job, c.lanes).buffers; made != want {
			t.Errorf("%d lanes, %d steps, finals %v, daily %v: the run made %d bytes of buffers, its shape counts %d", c.lanes, c.steps, c.keep, c.daily, made, want)
		}
	}
}

// ask is a question put to the run's address-space check: its device and
// host bytes.
type ask struct{ device, host uint64 }

// recordAddressSpace replaces the run's address-space check, for the
// test, by one that records what it is asked in *asks and refuses the run
// where *refuse is set.
func recordAddressSpace(t *testing.T) (asks *[]ask, refuse *bool) {
	asks, refuse = new([]ask), new(bool)
	old := runAddressSpaceShort
	t.Cleanup(func() { runAddressSpaceShort = old })
	runAddressSpaceShort = func(_ *cl.Context, device, host uint64) error {
		*asks = append(*asks, ask{device, host})
		if *refuse {
			return &cl.UnavailableError{Kind: cl.ErrAddressSpace, Cause: "short"}
		}
		return nil
	}
	return asks, refuse
}

// TestAddressSpaceWholeRun: under an address-space limit, Refuses and Run
// weigh the whole run's device buffers, with the finals' copy in host
// memory where the job keeps them and the run has yet to allocate it, and
// plan weighs the device buffers again before making any: under ulimit -v
// 2000000 auto chose opencl for --lanes 3e7 --out, and the run failed on
// its second finals buffer (exit 1) where simd runs it, naming 32 MB short
// at 1e8 lanes where the run needed 536 MB more. The limit's check is
// replaced: it records what it is asked and refuses the run. Needs an
// OpenCL device.
func TestAddressSpaceWholeRun(t *testing.T) {
	var made uint64
	e := open(t, Options{made: func(n uint64) { made = n }}) // its start runs unchecked
	asks, refuse := recordAddressSpace(t)
	p := sim.Default()
	p.Lanes, p.Steps = 3e6, 2
	keep := &sim.Job{Params: p, KeepFinals: true}
	devBytes := e.shape(keep, p.Lanes).buffers
	if devBytes < 2*3e6*4 {
		t.Fatalf("the shape counts %d bytes of device buffers, less than the two finals buffers of 3e6 lanes", devBytes)
	}
	hostBytes := uint64(3e6*4+heapArena-1) / heapArena * heapArena
	if err := e.Refuses(keep); err != nil || len(*asks) != 1 || (*asks)[0] != (ask{devBytes, hostBytes}) {
		t.Errorf("Refuses(finals kept) = %v, asked %v; want nil, asked once for %d device and %d host bytes", err, *asks, devBytes, hostBytes)
	}
	*asks = nil
	plain := &sim.Job{Params: p}
	if err := e.Refuses(plain); err != nil || len(*asks) != 1 || (*asks)[0].host != 0 || (*asks)[0].device >= devBytes {
		t.Errorf("Refuses(no finals) = %v, asked %v; want no host bytes and fewer device bytes than %d", err, *asks, devBytes)
	}
	*asks = nil
	runJob(t, e, keep)
	e.settled()
	if want := []ask{{devBytes, hostBytes}, {devBytes, 0}}; len(*asks) != 2 || (*asks)[0] != want[0] || (*asks)[1] != want[1] {
		t.Errorf("Run(finals kept) asked %v, want %v: Run with the host's finals, plan without (allocated by then)", *asks, want)
	}
	*refuse, made = true, 1
	_, err := e.Run(context.Background(), keep)
	if !errors.Is(err, cl.ErrAddressSpace) || made > 1 {
		t.Errorf("Run refused by the limit: %v, %d bytes of buffers made; want an error matching ErrAddressSpace and no buffer", err, made)
	}
	if err := e.Refuses(keep); !errors.Is(err, cl.ErrAddressSpace) {
		t.Errorf("Refuses refused by the limit: %v, want an error matching ErrAddressSpace", err)
	}
}

// TestAddressSpacePlanFirst: plan weighs every buffer of the run before it
// makes any, so a run the limit refuses there makes none (CreateBuffer's
// check made the histogram and the first finals buffer, then refused the
// second, naming its 120 MB alone). Needs an OpenCL device.
func TestAddressSpacePlanFirst(t *testing.T) {
	made := uint64(1)
	e := open(t, Options{made: func(n uint64) { made = n }}) // its start runs unchecked
	calls := 0
	old := runAddressSpaceShort
	t.Cleanup(func() { runAddressSpaceShort = old })
	runAddressSpaceShort = func(_ *cl.Context, device, host uint64) error {
		calls++
		if host == 0 { // plan's
			return &cl.UnavailableError{Kind: cl.ErrAddressSpace, Cause: "short"}
		}
		return nil
	}
	made = 1
	p := sim.Default()
	p.Lanes, p.Steps = 1e5, 10
	_, err := e.Run(context.Background(), &sim.Job{Params: p, KeepFinals: true})
	e.settled()
	if !errors.Is(err, cl.ErrAddressSpace) || calls != 2 || made != 0 {
		t.Errorf("Run = %v after %d checks, %d bytes of buffers made; want an error matching ErrAddressSpace after 2 checks and no buffer made", err, calls, made)
	}
}

// TestMultiAddressSpace: a Multi weighs its whole run against an
// address-space limit before it runs anything, as one device's Refuses and
// Run do: every member's device buffers for the largest piece, summed (the
// devices run a piece each at once), and with finals kept their copy in
// host memory, the run's and each device's of a piece. Multi had no
// Refuses, so auto asked nothing of it, and its Run allocated the run's
// finals and then let each member weigh its own piece alone: a run one
// device refuses went ahead past the limit on two. The limit's check is
// replaced, and a Multi opens the first device twice. Needs an OpenCL
// device.
func TestMultiAddressSpace(t *testing.T) {
	// The members' runs release their buffers on goroutines of their
	// own; the Multi's start runs unchecked.
	var made atomic.Uint64
	m := openPairWith(t, Options{made: func(n uint64) { made.Add(n) }})
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	asks, refuse := recordAddressSpace(t)
	p := sim.Default()
	p.Lanes, p.Steps = 3e6, 2
	keep := &sim.Job{Params: p, KeepFinals: true}
	piece := uint64(3e6 / 16) // 8 pieces a device
	want := ask{2 * m.engines[0].shape(keep, piece).buffers, hostFinalsBytes(3e6 + 2*piece)}
	r, ok := sim.Engine(m).(interface{ Refuses(*sim.Job) error })
	if !ok {
		t.Fatal("Multi has no Refuses: auto cannot ask it about a job")
	}
	if err := r.Refuses(keep); err != nil || len(*asks) != 1 || (*asks)[0] != want {
		t.Errorf("Refuses(finals kept) = %v, asked %v; want nil, asked once for %v", err, *asks, want)
	}
	*asks = nil
	if err := r.Refuses(&sim.Job{Params: p}); err != nil || len(*asks) != 1 || (*asks)[0].host != 0 || (*asks)[0].device >= want.device {
		t.Errorf("Refuses(no finals) = %v, asked %v; want no host bytes and fewer device bytes than %d", err, *asks, want.device)
	}
	*refuse, *asks = true, nil
	made.Store(0)
	if _, err := m.Run(context.Background(), keep); !errors.Is(err, cl.ErrAddressSpace) || len(*asks) != 1 || (*asks)[0] != want || made.Load() != 0 {
		t.Errorf("Run refused by the limit: %v, asked %v, %d bytes of buffers made; want an error matching ErrAddressSpace, asked once for %v, no buffer", err, *asks, made.Load(), want)
	}
	if err := r.Refuses(keep); !errors.Is(err, cl.ErrAddressSpace) {
		t.Errorf("Refuses refused by the limit: %v, want an error matching ErrAddressSpace", err)
	}
}

// TestMemoryWholeRun: Refuses and Run, of one device and of a Multi, weigh
// the run's device buffers on a CPU device (host memory) and the finals'
// copy against the memory available (cl.RunMemoryShort), and a run it
// refuses makes no buffer: --engine opencl --lanes 1.37e8 --out under a
// 600 MB cgroup limit passed the per-lane outputs' check and was killed
// out of memory with pocl's two 268 MB finals buffers besides, and auto
// chose the device for it. The check is replaced: it records what it is
// asked and refuses. Needs an OpenCL device.
func TestMemoryWholeRun(t *testing.T) {
	made := uint64(1)
	e := open(t, Options{made: func(n uint64) { made = n }}) // its start runs unchecked
	var asks []ask
	refuse := false
	old := runMemoryShort
	t.Cleanup(func() { runMemoryShort = old })
	runMemoryShort = func(_ *cl.Context, device, host uint64, _ bool) error {
		asks = append(asks, ask{device, host})
		if refuse {
			return &cl.UnavailableError{Kind: cl.ErrMemory, Cause: "short"}
		}
		return nil
	}
	p := sim.Default()
	p.Lanes, p.Steps = 3e6, 2
	keep := &sim.Job{Params: p, KeepFinals: true}
	devBytes := e.hostBuffers(e.shape(keep, p.Lanes).buffers)
	if e.desc.HostMemory() != (devBytes > 0) || (e.desc.HostMemory() && devBytes < 2*3e6*4) {
		t.Fatalf("device %s (host memory %v): %d bytes of its buffers counted in host memory", e.desc, e.desc.HostMemory(), devBytes)
	}
	hostBytes := hostFinalsBytes(3e6)
	if err := e.Refuses(keep); err != nil || len(asks) != 1 || asks[0] != (ask{devBytes, hostBytes}) {
		t.Errorf("Refuses(finals kept) = %v, asked %v; want nil, asked once for %d device and %d host bytes", err, asks, devBytes, hostBytes)
	}
	refuse, made = true, 1
	if _, err := e.Run(context.Background(), keep); !errors.Is(err, cl.ErrMemory) || made > 1 {
		t.Errorf("Run refused for memory: %v, %d bytes of buffers made; want an error matching ErrMemory and no buffer", err, made)
	}
	if err := e.Refuses(keep); !errors.Is(err, cl.ErrMemory) {
		t.Errorf("Refuses refused for memory: %v, want an error matching ErrMemory", err)
	}

	var mmade atomic.Uint64
	m := openPairWith(t, Options{made: func(n uint64) { mmade.Add(n) }})
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	piece := uint64(3e6 / 16) // 8 pieces a device
	want := ask{2 * m.engines[0].hostBuffers(m.engines[0].shape(keep, piece).buffers), hostFinalsBytes(3e6 + 2*piece)}
	refuse, asks = false, nil
	if err := m.Refuses(keep); err != nil || len(asks) != 1 || asks[0] != want {
		t.Errorf("Multi.Refuses(finals kept) = %v, asked %v; want nil, asked once for %v", err, asks, want)
	}
	refuse, asks = true, nil
	if _, err := m.Run(context.Background(), keep); !errors.Is(err, cl.ErrMemory) || mmade.Load() != 0 {
		t.Errorf("Multi.Run refused for memory: %v, %d bytes of buffers made; want an error matching ErrMemory, no buffer", err, mmade.Load())
	}
}
