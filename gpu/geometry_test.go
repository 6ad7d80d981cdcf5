package gpu

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/sim"
)

// TestLayout checks launch geometry for devices this machine may not have;
// it needs no OpenCL.
func TestLayout(t *testing.T) {
	h200 := cl.DeviceInfo{Name: "H200", Type: "GPU", ComputeUnits: 132, LocalMemBytes: 48 << 10}
	cpu := cl.DeviceInfo{Name: "cpu", Type: "CPU", ComputeUnits: 2, LocalMemBytes: 2 << 20}
	for _, c := range []struct {
		dev            cl.DeviceInfo
		lim            kernelLimits
		fixed, perItem int
		single         bool
		want           grid
		err            string
	}{
		{h200, kernelLimits{1024, 32, 0}, 16 << 10, 36, false, grid{256, 132 * 8}, ""},
		// A kernel limited to 192 work-items: 6 warps, 10 groups per CU.
		{h200, kernelLimits{192, 32, 0}, 0, 36, false, grid{192, 132 * 10}, ""},
		// Wavefronts of 64 and a limit that is not a multiple of them.
		{h200, kernelLimits{200, 64, 0}, 0, 36, false, grid{192, 132 * 10}, ""},
		// Local memory for 128 work-items only.
		{h200, kernelLimits{1024, 32, 0}, 40 << 10, 64, false, grid{128, 132 * 16}, ""},
		// Local memory for 163 of a limit of 192: two wavefronts of 64,
		// where halving gave 96, one and a half.
		{h200, kernelLimits{192, 64, 0}, 16 << 10, 200, false, grid{128, 132 * 16}, ""},
		// For 20 only, below a warp: 20.
		{h200, kernelLimits{1024, 32, 0}, 40 << 10, 400, false, grid{20, 132 * 102}, ""},
		{h200, kernelLimits{1024, 32, 0}, 49 << 10, 64, false, grid{}, "needs 50240 bytes of local memory"},
		{cpu, kernelLimits{4096, 8, 0}, 16 << 10, 36, false, grid{8, 32}, ""},
		{cpu, kernelLimits{4, 1, 0}, 0, 36, false, grid{4, 32}, ""},
		// weather_daily with DAILY_SERIAL: groups of one, 4 per core.
		{cpu, kernelLimits{4096, 8, 0}, 16 << 10, 36, true, grid{1, 8}, ""},
		// A kernel that takes 4 KiB of its own (CL_KERNEL_LOCAL_MEM_SIZE):
		// its arguments have 44 KiB, for 64 work-items where 48 KiB held 128.
		{h200, kernelLimits{1024, 32, 4 << 10}, 40 << 10, 64, false, grid{64, 132 * 32}, ""},
		// 16 KiB of its own leaves room for groups of 256 still.
		{h200, kernelLimits{1024, 32, 16 << 10}, 16 << 10, 36, false, grid{256, 132 * 8}, ""},
		// 40 KiB of its own leaves too little for one work-item's arguments.
		{h200, kernelLimits{1024, 32, 40 << 10}, 8<<10 + 1, 64, false, grid{},
			"kernel k needs 49217 bytes of local memory per work-group (40960 of its own, CL_KERNEL_LOCAL_MEM_SIZE, and 8257 for its arguments), and device 0 (H200, unknown platform, GPU) has 49152 (CL_DEVICE_LOCAL_MEM_SIZE)"},
		// On a GPU single changes nothing.
		{h200, kernelLimits{1024, 32, 0}, 16 << 10, 36, true, grid{256, 132 * 8}, ""},
	} {
		e := &Engine{desc: DeviceDesc{DeviceInfo: c.dev}}
		g, err := e.layout("k", c.lim, c.fixed, c.perItem, c.single)
		if err == nil && c.fixed+g.wg*c.perItem+c.lim.own > int(c.dev.LocalMemBytes) {
			t.Errorf("%s: groups of %d take %d bytes of local memory with the kernel's own %d, past the device's %d",
				c.dev.Name, g.wg, c.fixed+g.wg*c.perItem+c.lim.own, c.lim.own, c.dev.LocalMemBytes)
		}
		name := fmt.Sprintf("%s %+v local %d+%d per item", c.dev.Name, c.lim, c.fixed, c.perItem)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one saying %q", name, err, c.err)
			}
			continue
		}
		if err != nil || g != c.want {
			t.Errorf("%s: grid %+v, %v; want %+v", name, g, err, c.want)
		}
		if g.wg >= c.lim.multiple && g.wg%c.lim.multiple != 0 {
			t.Errorf("%s: work-groups of %d are not whole multiples of %d", name, g.wg, c.lim.multiple)
		}
		if c.dev.Type == "GPU" && g.groups%c.dev.ComputeUnits != 0 {
			t.Errorf("%s: %d groups are not whole waves of %d compute units", name, g.groups, c.dev.ComputeUnits)
		}
	}
}

// TestReduceGroup: reduce_daily's work-groups come from its own limits:
// up to 64 on GPUs, within CL_KERNEL_WORK_GROUP_SIZE, in whole warps or
// wavefronts where one fits; one work-item on CPUs. It needs no OpenCL.
func TestReduceGroup(t *testing.T) {
	gpu := &Engine{desc: DeviceDesc{DeviceInfo: cl.DeviceInfo{Type: "GPU"}}}
	cpu := &Engine{desc: DeviceDesc{DeviceInfo: cl.DeviceInfo{Type: "CPU"}}}
	for _, c := range []struct {
		e    *Engine
		lim  kernelLimits
		want int
	}{
		{gpu, kernelLimits{1024, 32, 0}, 64},
		{gpu, kernelLimits{256, 64, 0}, 64},
		{gpu, kernelLimits{48, 32, 0}, 32},
		{gpu, kernelLimits{16, 32, 0}, 16},
		{gpu, kernelLimits{40, 8, 0}, 40},
		{cpu, kernelLimits{4096, 8, 0}, 1},
	} {
		if got := c.e.reduceGroup(c.lim); got != c.want {
			t.Errorf("%s %+v: work-groups of %d, want %d", c.e.desc.Type, c.lim, got, c.want)
		}
	}
}

// gpuLike are devices this machine lacks, as their drivers describe them:
// an H200 (132 multiprocessors, warps of 32, 48 KiB local memory), an AMD
// MI300X (304 compute units, wavefronts of 64, 64 KiB), an Intel iGPU (96
// execution units, sub-groups of 8, 64 KiB) and a CPU of 192 cores as pocl
// lists it.
var gpuLike = []struct {
	info cl.DeviceInfo
	lim  kernelLimits
}{
	{cl.DeviceInfo{Name: "H200", Type: "GPU", ComputeUnits: 132, LocalMemBytes: 48 << 10, MaxAllocBytes: 35 << 30, GlobalMemBytes: 139 << 30, FP64: true}, kernelLimits{1024, 32, 0}},
	{cl.DeviceInfo{Name: "MI300X", Type: "GPU", ComputeUnits: 304, LocalMemBytes: 64 << 10, MaxAllocBytes: 48 << 30, GlobalMemBytes: 192 << 30, FP64: true}, kernelLimits{256, 64, 0}},
	{cl.DeviceInfo{Name: "iGPU", Type: "GPU", ComputeUnits: 96, LocalMemBytes: 64 << 10, MaxAllocBytes: 4 << 30, GlobalMemBytes: 12 << 30}, kernelLimits{512, 8, 0}},
	{cl.DeviceInfo{Name: "cpu192", Type: "CPU", ComputeUnits: 192, LocalMemBytes: 4 << 20, MaxAllocBytes: 64 << 30, GlobalMemBytes: 256 << 30, FP64: true}, kernelLimits{4096, 8, 0}},
}

// TestDailyGroups: a --daily run keeps whole waves of work-groups, at least
// one on each compute unit, at every step count --daily takes, with its
// per-step records within dailyRecordBytes where that leaves whole waves
// and within the device's largest buffer. Capped at 64 MiB alone, 10000
// steps ran 139 work-groups: 7 past a wave on the H200, and half of the
// MI300X idle. It needs no OpenCL.
func TestDailyGroups(t *testing.T) {
	for _, d := range gpuLike {
		e := &Engine{desc: DeviceDesc{DeviceInfo: d.info}, vw: 1, fp64: d.info.FP64}
		fixed, perItem := e.dailyLocal()
		var err error
		if e.daily, err = e.layout("weather_daily", d.lim, fixed, perItem, e.dailySerial()); err != nil {
			t.Fatalf("%s: %v", d.info.Name, err)
		}
		cus := d.info.ComputeUnits
		for _, steps := range []int{1, 100, 365, 1000, 2000, 5000, sim.MaxDailySteps} {
			p := sim.Default()
			p.Lanes, p.Steps = 1e10, steps
			g := e.shape(&sim.Job{Params: p, Daily: true}, p.Lanes).g
			recs := uint64(g.groups * steps * recWords * 8)
			name := fmt.Sprintf("%s, %d steps: %d groups of %d (grid %d)", d.info.Name, steps, g.groups, g.wg, e.daily.groups)
			switch {
			case g.groups < cus:
				t.Errorf("%s: fewer than the %d compute units", name, cus)
			case d.info.Type == "GPU" && g.groups%cus != 0:
				t.Errorf("%s: not whole waves of %d compute units", name, cus)
			case recs > d.info.MaxAllocBytes:
				t.Errorf("%s: records of %d bytes, past the largest buffer", name, recs)
			case recs > dailyRecordBytes && g.groups > cus:
				t.Errorf("%s: records of %d bytes with more groups than compute units", name, recs)
			case steps <= 100 && g.groups != e.daily.groups:
				t.Errorf("%s: not the whole grid", name)
			}
		}
	}
}

// TestDailyOwnLocal: weather_daily's launches take as many steps as local
// memory holds beside the kernel's own (CL_KERNEL_LOCAL_MEM_SIZE, here 16
// KiB): fewer than without it, and every launch's __local arguments and
// its own within the device's local memory. Sized on the device's alone,
// the H200's launches took 48 KiB of arguments beside a kernel's own
// 16 KiB. It needs no OpenCL.
func TestDailyOwnLocal(t *testing.T) {
	const own = 16 << 10
	for _, d := range gpuLike {
		blocks := [2]int{}
		for i, own := range []int{0, own} {
			e := &Engine{desc: DeviceDesc{DeviceInfo: d.info}, vw: 1, fp64: d.info.FP64}
			e.own.daily = own
			l := d.lim
			l.own = own
			if err := e.layoutDaily(l); err != nil {
				t.Fatalf("%s, %d bytes of its own: %v", d.info.Name, own, err)
			}
			blocks[i] = e.dailyBlocks
			ns := 4*e.dailyBlocks + 3 // the last launch of a chunk: up to 3 steps more
			if got := dailyLaunchLocal(e, e.daily.wg, ns) + own; got > int(d.info.LocalMemBytes) {
				t.Errorf("%s, %d bytes of its own: a launch of %d steps in groups of %d takes %d bytes of local memory, past the device's %d",
					d.info.Name, own, ns, e.daily.wg, got, d.info.LocalMemBytes)
			}
		}
		if d.info.Type == "GPU" && blocks[1] >= blocks[0] {
			t.Errorf("%s: %d blocks a launch with 16 KiB of the kernel's own, want fewer than the %d without", d.info.Name, blocks[1], blocks[0])
		}
	}
}

// TestDailyBlocksTrail: a daily run's launches take the most Philox blocks
// of steps that fit with the steps its chunks' last launches take past
// their blocks (the job's steps mod 4), in local memory and, with
// DAILY_SERIAL, in dailySerialCache. On pocl's geometry (groups of one
// work-item of 16 lanes, fp64) the room kept for 3 such steps whatever the
// job left 24 blocks a launch, so that every chunk of a 100-step run ran
// in a launch of 96 steps and one of 4, where one launch of 100 fits. It
// needs no OpenCL.
func TestDailyBlocksTrail(t *testing.T) {
	pocl := cl.DeviceInfo{Name: "pocl", Type: "CPU", ComputeUnits: 2, LocalMemBytes: 4 << 20, FP64: true, MaxAllocBytes: 1 << 30}
	devs := append([]struct {
		info cl.DeviceInfo
		lim  kernelLimits
	}{{pocl, kernelLimits{4096, 8, 0}}}, gpuLike...)
	for _, d := range devs {
		vw := 16
		if d.info.Type == "GPU" {
			vw = 1
		}
		e := &Engine{desc: DeviceDesc{DeviceInfo: d.info}, vw: vw, fp64: d.info.FP64}
		if err := e.layoutDaily(d.lim); err != nil {
			t.Fatalf("%s: %v", d.info.Name, err)
		}
		wg := e.daily.wg
		fits := func(ns int) bool {
			all := dailyLaunchLocal(e, wg, ns)
			return all <= e.localMem() && (!e.dailySerial() || all-e.dailyFinalLocal(wg) <= dailySerialCache)
		}
		for trail := range 4 {
			j := job(5_000_000, 4*1000+trail)
			j.Daily = true
			b := e.shape(j, j.Params.Lanes).partBlocks
			if ns := 4*b + trail; !fits(ns) {
				t.Errorf("%s, %d steps: a last launch of %d blocks and %d steps takes %d bytes of local memory, past the bound",
					d.info.Name, j.Params.Steps, b, ns, dailyLaunchLocal(e, wg, ns))
			}
			if ns := 4*(b+1) + trail; fits(ns) {
				t.Errorf("%s, %d steps: %d blocks a launch, where %d fit with the %d steps past them", d.info.Name, j.Params.Steps, b, b+1, trail)
			}
		}
	}
	e := &Engine{desc: DeviceDesc{DeviceInfo: pocl}, vw: 16, fp64: true}
	if err := e.layoutDaily(kernelLimits{4096, 8, 0}); err != nil {
		t.Fatal(err)
	}
	j := job(5_000_000, 100)
	j.Daily = true
	if b := e.shape(j, j.Params.Lanes).partBlocks; b < 25 {
		t.Errorf("a 100-step daily run on pocl takes %d blocks a launch, not its 25 in one", b)
	}
}

// dailyLaunchLocal is the bytes of weather_daily's __local arguments in a
// launch of ns steps in groups of wg, the last of its chunk, as the run
// sets them (weatherDailyArgs.local).
func dailyLaunchLocal(e *Engine, wg, ns int) int {
	a := &weatherDailyArgs{}
	a.local(e, wg, ns, true)
	n := 0
	v := reflect.ValueOf(a).Elem()
	for _, f := range argFields(v.Type()) {
		if f.Type == reflect.TypeFor[local]() {
			n += int(v.FieldByIndex(f.Index).Int())
		}
	}
	return n
}

// TestOwnLocalMemory: on a 48 KiB device (the hook pretends) whose kernels
// take local memory of their own (the hook adds 24 KiB to weather_daily's
// CL_KERNEL_LOCAL_MEM_SIZE and 16 KiB to weather's, as a driver that
// reserves local memory reports it), the daily kernel's final histogram
// leaves local memory (the program is built again without
// DAILY_HIST_SERIAL: it would not fit beside a block of steps and the
// kernel's own), its launches take fewer steps, every launch's local memory
// fits beside the kernel's own, and runs give the serial engine's results.
func TestOwnLocalMemory(t *testing.T) {
	const device = 48 << 10
	own := map[string]int{"weather_daily": 24 << 10, "weather": 16 << 10}
	jd := job(3001, 37)
	jd.Daily = true
	want := reference(t, jd)
	plain := job(3001, 37)
	wantPlain := reference(t, plain)
	base := open(t, Options{localMem: device})
	e := open(t, Options{localMem: device, ownLocal: own})
	if e.dailyBlocks >= base.dailyBlocks {
		t.Errorf("%d blocks a daily launch with 24 KiB of the kernel's own, want fewer than the %d without", e.dailyBlocks, base.dailyBlocks)
	}
	if e.dailyHistSerial() || strings.Contains(e.options, "DAILY_HIST_SERIAL") {
		t.Errorf("the daily kernel's final histogram is in local memory (options %q), beside the kernel's own 24 KiB", e.options)
	}
	if got := dailyLaunchLocal(e, e.daily.wg, 4*e.dailyBlocks+3) + own["weather_daily"]; got > device {
		t.Errorf("a daily launch of %d steps takes %d bytes of local memory with the kernel's own, past the device's %d", 4*e.dailyBlocks+3, got, device)
	}
	same(t, "daily", runJob(t, e, jd), want)
	same(t, "plain", runJob(t, e, plain), wantPlain)
	// The driver's count after the runs: the kernel's own and the last
	// launch's arguments.
	for _, k := range []*cl.Kernel{e.kMain, e.kDaily} {
		if used, err := k.LocalMemSize(); err != nil || int(used)+own[k.Name()] > device {
			t.Errorf("%s: %d bytes of local memory (%v) and %d of its own, past the device's %d", k.Name(), used, err, own[k.Name()], device)
		}
	}
}

// TestOwnRebuildTimed: where the kernels' own local memory changes the
// build options, Open builds the program twice, and the engine's start-up
// and compile time count both builds: they counted the second Open's
// alone, and a cold start's first compile went unreported.
func TestOwnRebuildTimed(t *testing.T) {
	dev := testDevice(t)
	closeAll(t)
	own := map[string]int{"weather_daily": 24 << 10, "weather": 16 << 10}
	t.Setenv(EnvCacheDir, "off")
	e0, err := Open(Options{Device: dev})
	if err != nil {
		t.Fatal(err)
	}
	e0.Close() // the device's listing charged to it, not to the Open timed
	waitBackground()
	t.Setenv(EnvCacheDir, t.TempDir()) // both builds compile
	t0 := time.Now()
	e, err := Open(Options{Device: dev, localMem: 48 << 10, ownLocal: own})
	wall := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if strings.Contains(e.options, "DAILY_HIST_SERIAL") {
		t.Fatalf("options %q: want the build again without DAILY_HIST_SERIAL", e.options)
	}
	startup, compile := e.takeStartup()
	t.Logf("Open took %v: start-up %v, compile %v", wall, startup, compile)
	if startup > wall || wall-startup > 20*time.Millisecond {
		t.Errorf("start-up %v, want Open's %v (both builds)", startup, wall)
	}
	if compile <= 0 || compile > startup {
		t.Errorf("compile %v, want within the start-up %v", compile, startup)
	}
}

// TestSmallLocalMemory: on a device with less local memory (the hook
// pretends), daily launches take fewer steps each and the results stay
// serial's; with too little for any step the engine refuses to open, saying
// why; a lower work-group limit gives smaller groups and the same stream.
func TestSmallLocalMemory(t *testing.T) {
	jd := job(3001, 37)
	jd.Daily = true
	want := reference(t, jd)
	for _, c := range []struct {
		name string
		opt  Options
		// finalLocal: the daily kernel counts the final histogram in
		// local memory, one per work-item (DAILY_HIST_SERIAL).
		finalLocal bool
	}{
		{"24 KiB local memory", Options{localMem: 24 << 10}, false},
		{"24 KiB local memory, tree", Options{localMem: 24 << 10, dailyTree: true, VectorWidth: 4}, false},
		// The main kernel's histograms fit, the daily kernel's final one
		// beside a block of steps does not.
		{"33 KiB local memory", Options{localMem: 33 << 10}, false},
		{"40 KiB local memory", Options{localMem: 40 << 10}, true},
		{"work-groups of 4 at most", Options{maxWG: 4}, true},
	} {
		e := open(t, c.opt)
		if e.dailyHistSerial() != c.finalLocal {
			t.Errorf("%s: final histogram of the daily kernel in local memory %v, want %v", c.name, e.dailyHistSerial(), c.finalLocal)
		}
		if c.opt.localMem > localHistMin && !e.histSerial() {
			t.Errorf("%s: the main kernel's final histogram is not in local memory", c.name)
		}
		if c.opt.localMem > 0 && e.dailyBlocks*4 >= jd.Params.Steps {
			t.Errorf("%s: %d blocks per daily launch fit: the test wants fewer than the job's steps", c.name, e.dailyBlocks)
		}
		if c.opt.maxWG > 0 && (e.main.wg > c.opt.maxWG || e.daily.wg > c.opt.maxWG) {
			t.Errorf("%s: work-groups of %d and %d", c.name, e.main.wg, e.daily.wg)
		}
		same(t, c.name, runJob(t, e, jd), want)
	}
	opt := Options{Device: testDevice(t), localMem: 8 << 10}
	if e, err := Open(opt); err == nil {
		e.Close()
		t.Errorf("8 KiB of local memory: opened, want an error")
	} else if !strings.Contains(err.Error(), "weather_daily needs") || !strings.Contains(err.Error(), "local memory") {
		t.Errorf("8 KiB of local memory: error %q does not say what does not fit", err)
	}
}

// TestSmallRunGrid: a run launches no more work-groups than its lanes fill
// (every work-item zeroes and folds a histogram of its own on a CPU, which
// cost a 1000-lane run more than its work), with the device's full grid for
// a large one, and the serial reference's results either way.
func TestSmallRunGrid(t *testing.T) {
	var items, wg int
	e := open(t, Options{planned: func(i, w int) { items, wg = i, w }})
	for _, c := range []struct {
		lanes uint64
		steps int
		daily bool
	}{{1000, 10, false}, {1, 3, false}, {5000, 6, true}, {1 << 20, 2, false}} {
		p := sim.Default()
		p.Lanes, p.Steps = c.lanes, c.steps
		job := &sim.Job{Params: p, Daily: c.daily}
		got := runJob(t, e, job)
		if want := reference(t, job); got.Summary.Digest != want.Summary.Digest || !slices.Equal(got.Summary.Hist.Bins, want.Summary.Hist.Bins) {
			t.Errorf("%d lanes: digest %x, want %x", c.lanes, got.Summary.Digest, want.Summary.Digest)
		}
		g := e.main
		if c.daily {
			g = e.daily
		}
		need := (c.lanes-1)/uint64(g.wg*e.vw) + 1
		if want := min(uint64(g.groups), need) * uint64(g.wg); uint64(items) != want || wg != g.wg {
			t.Errorf("%d lanes (daily %v): %d work-items in groups of %d, want %d in groups of %d (the grid: %d groups)", c.lanes, c.daily, items, wg, want, g.wg, g.groups)
		}
	}
	// 2^64-1 lanes take the whole grid (count + unit - 1 wrapped to one
	// group); the run is cancelled before its first launch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := sim.Default()
	p.Lanes, p.Steps = math.MaxUint64, 2
	e.Run(ctx, &sim.Job{Params: p})
	e.settled() // Run may return before the run has planned (runUntil)
	if want := e.main.groups * e.main.wg; items != want {
		t.Errorf("2^64-1 lanes: %d work-items, want the whole grid's %d", items, want)
	}
}
