package gpu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/internal/enginetest"
	"github.com/gpusim/gpusim/rng"
	"github.com/gpusim/gpusim/sim"
)

// TestMain runs the tests, with the long waits on the driver of
// cltest.Main; a start that probes OpenCL for its parent
// (TestListingLessProbe's child) ends in cl.ProbeChild.
func TestMain(m *testing.M) {
	cl.ProbeChild()
	cltest.Main(m, SetAnswerWait)
}

// testDevice is the device the tests run on: the first GPU, else device 0.
// Without OpenCL the test is skipped, or fails when CI=true.
func testDevice(t testing.TB) int {
	t.Helper()
	cltest.RequireDevice(t)
	if i := PickDefault(); i >= 0 {
		return i
	}
	return 0
}

// open opens an engine on the test device, closed when the test ends.
func open(t testing.TB, opt Options) *Engine {
	t.Helper()
	opt.Device = testDevice(t)
	e, err := Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
		// A cancelled run's engine is released in the background: the
		// next test's Open must not find its programs (TestSmallRunGrid's
		// left TestCachedBinaryCrashedLoading no program to cache).
		waitBackground()
	})
	return e
}

func runJob(t testing.TB, e sim.Engine, job *sim.Job) *sim.Result {
	t.Helper()
	r, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatalf("%s: %v", e.Name(), err)
	}
	return r
}

func job(lanes uint64, steps int) *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	return &sim.Job{Params: p, KeepFinals: true}
}

// same fails the test when got differs from want, as
// enginetest.CompareResult finds it with DefaultTol.
func same(t testing.TB, name string, got, want *sim.Result) {
	t.Helper()
	if err := enginetest.CompareResult(got, want, enginetest.DefaultTol); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

// reference is the model's result for job (enginetest.Want).
func reference(t testing.TB, job *sim.Job) *sim.Result { return enginetest.Want(t, nil, job) }

// TestConformance runs the engine suite at vector widths 1, 4, 8 and 16
// (2 is bracketed by 1 and 4; each width is a program build), and with
// launches of 1000 lanes, so that progress and cancellation come between
// many launches; then a job of a million lanes on the default engine.
func TestConformance(t *testing.T) {
	for _, vw := range VectorWidths {
		if vw == 2 {
			continue
		}
		t.Run(fmt.Sprintf("vw%d", vw), func(t *testing.T) {
			enginetest.Run(t, func(t *testing.T) sim.Engine { return open(t, Options{VectorWidth: vw}) }, enginetest.Options{CancelInSteps: true, ProgressPerLaunch: true})
		})
	}
	t.Run("chunk1000", func(t *testing.T) {
		enginetest.Run(t, func(t *testing.T) sim.Engine { return open(t, Options{MaxChunkLanes: 1000}) },
			enginetest.Options{MaxProgressAfterCancel: 1, CancelInSteps: true, ProgressPerLaunch: true})
	})
	e := open(t, Options{})
	for _, steps := range []int{1, 10} {
		j := job(1_000_003, steps)
		same(t, fmt.Sprintf("%s lanes 1000003 steps %d", e.Label(), steps), runJob(t, e, j), reference(t, j))
	}
}

// TestChunking: tiny launches give the same results as one.
func TestChunking(t *testing.T) {
	for _, c := range []struct {
		chunk, lanes uint64
		steps        int
		daily        bool
	}{{5, 1003, 7, false}, {1000, 100_003, 5, false}, {1000, 20_011, 6, true}} {
		e := open(t, Options{MaxChunkLanes: c.chunk})
		j := job(c.lanes, c.steps)
		j.Daily = c.daily
		same(t, fmt.Sprintf("chunk %d lanes %d daily %v", c.chunk, c.lanes, c.daily), runJob(t, e, j), reference(t, j))
	}
}

// TestMomentsOneValueBesideOutlier: a job float32's rounding leaves at one
// value but for one lane an ulp below, 48 sds from the exact mean (the
// work-groups' records that hold one value merge with it as their shift,
// the one with the outlier on the exact mean's): the device's sd was 3.4e-9
// off the exact one, serial's 2e-15. Both are now within 1e-13 of the sd of
// the kept finals, in rationals.
func TestMomentsOneValueBesideOutlier(t *testing.T) {
	j := job(4097, 17)
	j.Params.Start, j.Params.Persistence, j.Params.Sigma, j.Params.Seed = 2.3502633243935234e-27, 1.0000004768371582, 2.2053606979156194e-12, 8608342912646730264
	n := new(big.Rat).SetInt64(int64(j.Params.Lanes))
	for _, vw := range []int{1, 16} {
		r := runJob(t, open(t, Options{VectorWidth: vw}), j)
		sum, sq := new(big.Rat), new(big.Rat)
		values := map[float32]int{}
		for _, x := range r.Finals {
			values[x]++
			v := new(big.Rat).SetFloat64(float64(x))
			sum.Add(sum, v)
			sq.Add(sq, new(big.Rat).Mul(v, v))
		}
		if len(values) < 2 {
			t.Fatalf("vw %d: the finals hold %d values: the job tests nothing", vw, len(values))
		}
		m2 := new(big.Rat).Sub(sq, new(big.Rat).Mul(sum, new(big.Rat).Quo(sum, n)))
		v, _ := new(big.Rat).Quo(m2, n).Float64()
		want := math.Sqrt(v)
		if rel := math.Abs(r.Summary.Std()-want) / want; rel > 1e-13 {
			t.Errorf("vw %d: sd %.17g, exact %.17g: %g relative off", vw, r.Summary.Std(), want, rel)
		}
	}
}

// TestVariants: the code paths a device may take instead of the default
// ones give the same stream: fp64 square root, mul_hi, global-memory
// histograms (the daily kernel's final one too), histograms read and reset
// mid-run, float accumulators (whose
// moments are only float-accurate), and a GPU's layout (large work-groups
// of one lane per work-item, mul_hi).
func TestVariants(t *testing.T) {
	j := job(100_003, 10)
	jd := job(10_007, 5)
	jd.Daily = true
	jd2 := job(1_001, 9)
	jd2.Daily = true
	for _, c := range []struct {
		name string
		opt  Options
		jobs []*sim.Job
		tol  enginetest.Tol
	}{
		{"sqrt in double", Options{sqrtDouble: true, VectorWidth: 8}, []*sim.Job{j}, enginetest.DefaultTol},
		{"mul_hi", Options{mulHi: -1}, []*sim.Job{j}, enginetest.DefaultTol},
		{"global histogram", Options{localHist: -1, VectorWidth: 4}, []*sim.Job{j, jd}, enginetest.DefaultTol},
		{"histogram resets", Options{histLimit: 2500, MaxChunkLanes: 1000}, []*sim.Job{j, jd}, enginetest.DefaultTol},
		{"float accumulators", Options{noFP64: true}, []*sim.Job{j, jd}, enginetest.Tol{Mean: 1e-7, Std: 1e-4, Daily: 1e-4}},
		{"GPU layout", Options{VectorWidth: 1, mulHi: -1, wg: 256, groups: 6, dailyTree: true}, []*sim.Job{j, jd}, enginetest.DefaultTol},
		{"daily tree, odd group", Options{VectorWidth: 4, wg: 12, groups: 5, dailyTree: true}, []*sim.Job{jd}, enginetest.DefaultTol},
		// DAILY_SERIAL's tiles of DAILY_TILE vectors: some whole, one
		// short, its last vector past the lanes in part.
		{"daily tiles, groups of 3", Options{VectorWidth: 2, wg: 3, groups: 5}, []*sim.Job{jd, jd2}, enginetest.DefaultTol},
	} {
		e := open(t, c.opt)
		for _, j := range c.jobs {
			if err := enginetest.CompareResult(runJob(t, e, j), reference(t, j), c.tol); err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		}
	}
}

// Fast math has no reference bits; its statistics must follow the exact law.
const (
	fastLanes = 1 << 20
	fastSteps = 10
	fastZ     = 5 // |z| bound of the mean and the sd ratio
)

func TestFastMathStatistics(t *testing.T) {
	e := open(t, Options{Math: MathFast})
	p := sim.Default()
	p.Lanes, p.Steps = fastLanes, fastSteps
	r := runJob(t, e, &sim.Job{Params: p})
	mean, sd := p.Exact(fastSteps)
	s := r.Summary
	n := float64(s.Count)
	if s.Count != fastLanes {
		t.Fatalf("count %d, want %d", s.Count, fastLanes)
	}
	if z := (s.Mean - mean) / (sd / math.Sqrt(n)); math.Abs(z) > fastZ {
		t.Errorf("mean %.5f, exact %.5f (z %.2f)", s.Mean, mean, z)
	}
	if z := (s.Std()/sd - 1) / math.Sqrt(0.5/n); math.Abs(z) > fastZ {
		t.Errorf("sd %.5f, exact %.5f (z %.2f)", s.Std(), sd, z)
	}
	if !strings.Contains(r.Device, "fast math") {
		t.Errorf("device %q does not say fast math", r.Device)
	}
}

// runTestKernel runs philox_kat or normals4 on rows of n words.
func (e *Engine) runTestKernel(t testing.TB, k *cl.Kernel, in []uint32, n int, out []byte) {
	t.Helper()
	bin, err := cl.CreateBuffer(e.sh.ctx, cl.MemReadOnly, len(in)*4)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Release()
	bout, err := cl.CreateBuffer(e.sh.ctx, cl.MemWriteOnly, len(out))
	if err != nil {
		t.Fatal(err)
	}
	defer bout.Release()
	if err := bin.Write(e.q, 0, cl.Bytes(in)); err != nil {
		t.Fatal(err)
	}
	for i, err := range []error{k.SetArgBuffer(0, bin), k.SetArgBuffer(1, bout), k.SetArgUint32(2, uint32(n))} {
		if err != nil {
			t.Fatalf("argument %d: %v", i, err)
		}
	}
	ev, err := e.q.EnqueueNDRange(k, []int{n / e.vw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Release()
	if err := ev.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := bout.Read(e.q, 0, out); err != nil {
		t.Fatal(err)
	}
}

// readKAT parses Random123's vectors as rng/testdata stores them.
func readKAT(t *testing.T) (ctr [][4]uint32, key [][2]uint32, want [][4]uint32) {
	f, err := os.Open("../rng/testdata/philox4x32-10-kat.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) != 12 || fs[0] != "philox4x32" || fs[1] != "10" {
			t.Fatalf("bad KAT line %q", sc.Text())
		}
		var w [10]uint32
		for i := range w {
			v, err := strconv.ParseUint(fs[2+i], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			w[i] = uint32(v)
		}
		ctr = append(ctr, [4]uint32{w[0], w[1], w[2], w[3]})
		key = append(key, [2]uint32{w[4], w[5]})
		want = append(want, [4]uint32{w[6], w[7], w[8], w[9]})
	}
	if len(ctr) == 0 {
		t.Fatal("no KAT vectors")
	}
	return ctr, key, want
}

// TestPhiloxKAT runs Random123's known-answer vectors, then random counters
// and keys against rng.Philox4x32, on the device at several vector widths.
func TestPhiloxKAT(t *testing.T) {
	ctr, key, want := readKAT(t)
	r := rand.New(rand.NewPCG(1, 2))
	for len(ctr) < 4096 {
		c := [4]uint32{r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32()}
		k := [2]uint32{r.Uint32(), r.Uint32()}
		ctr, key, want = append(ctr, c), append(key, k), append(want, rng.Philox4x32(c, k))
	}
	n := len(ctr) // a multiple of every width
	in := make([]uint32, 6*n)
	for i := range n {
		for j := range 4 {
			in[j*n+i] = ctr[i][j]
		}
		in[4*n+i], in[5*n+i] = key[i][0], key[i][1]
	}
	for _, vw := range []int{1, 4, 16} {
		e := open(t, Options{VectorWidth: vw})
		out := make([]uint32, 4*n)
		if _, err := e.selfTestKernels(); err != nil { // Open built them only where no stored pass spared the checks
			t.Fatal(err)
		}
		e.runTestKernel(t, e.kKAT, in, n, cl.Bytes(out))
		for i := range n {
			got := [4]uint32{out[i], out[n+i], out[2*n+i], out[3*n+i]}
			if got != want[i] {
				t.Fatalf("vw %d #%d: ctr %08x key %08x: got %08x, want %08x", vw, i, ctr[i], key[i], got, want[i])
			}
		}
	}
}

// TestNormals compares the device transform with rng.Normals on the words
// at the edges of its cases and on random words.
func TestNormals(t *testing.T) {
	edges := []uint32{0, 1, 2, 0xff, 0x100, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001,
		0xfffffffe, 0xffffffff, 0x3504f300, 0x4afb0cff, 0xb504f333, 0x1fffffff, 0x20000000,
		0x3fffffc0, 0x40000000, 0x5fffffff, 0x60000000, 0xdfffffff, 0xe0000000}
	const n = 1 << 16
	r := rand.New(rand.NewPCG(3, 4))
	in := make([]uint32, 4*n)
	for i := range in {
		in[i] = r.Uint32()
	}
	for i, w := range edges {
		for row := range 4 {
			in[row*n+i*4+row] = w
			in[row*n+n-1-i] = w
		}
	}
	for _, opt := range []Options{{}, {VectorWidth: 1}, {sqrtDouble: true, VectorWidth: 8}} {
		e := open(t, opt)
		out := make([]float32, 4*n)
		if _, err := e.selfTestKernels(); err != nil { // Open built them only where no stored pass spared the checks
			t.Fatal(err)
		}
		e.runTestKernel(t, e.kNorm, in, n, cl.Bytes(out))
		for i := range n {
			w := [4]uint32{in[i], in[n+i], in[2*n+i], in[3*n+i]}
			want := rng.Normals4(w)
			for j := range 4 {
				if got := out[j*n+i]; math.Float32bits(got) != math.Float32bits(want[j]) {
					t.Fatalf("%s #%d words %08x z%d: got %#x (%v), want %#x (%v)", e.Label(), i, w, j,
						math.Float32bits(got), got, math.Float32bits(want[j]), want[j])
				}
			}
		}
	}
}

func TestTiming(t *testing.T) {
	testDevice(t)
	closeAll(t)
	e := open(t, Options{VectorWidth: 2})
	j := job(100_000, 20)
	r1, r2 := runJob(t, e, j), runJob(t, e, j)
	if r1.Timing.Compile <= 0 || r2.Timing.Compile != 0 {
		t.Errorf("compile time %v then %v: want it reported once", r1.Timing.Compile, r2.Timing.Compile)
	}
	for _, r := range []*sim.Result{r1, r2} {
		if r.Timing.Kernel <= 0 || r.Timing.Transfer <= 0 || r.Timing.Wall < r.Timing.Kernel {
			t.Errorf("implausible timing %+v", r.Timing)
		}
	}
	if r1.Engine != "opencl" || !strings.Contains(r1.Device, "float x2") {
		t.Errorf("engine %q device %q", r1.Engine, r1.Device)
	}
}

// closeAll fails when an engine from another test is still open: the
// caller needs the program cache empty.
func closeAll(t *testing.T) {
	t.Helper()
	if n := cachedPrograms(); n != 0 {
		t.Fatalf("%d programs cached before the test", n)
	}
}

// TestConcurrentEngines: two engines on one device, used from two
// goroutines at once, share the program and both compute the stream.
func TestConcurrentEngines(t *testing.T) {
	testDevice(t)
	j := job(200_003, 10)
	want := reference(t, j)
	var wg sync.WaitGroup
	res := make([]*sim.Result, 2)
	errs := make([]error, 2)
	for i := range res {
		wg.Go(func() {
			e, err := Open(Options{Device: testDevice(t), MaxChunkLanes: 20_000})
			if err != nil {
				errs[i] = err
				return
			}
			defer e.Close()
			res[i], errs[i] = e.Run(context.Background(), j)
		})
	}
	wg.Wait()
	for i := range res {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		same(t, fmt.Sprintf("engine %d", i), res[i], want)
	}
}

func TestDevices(t *testing.T) {
	testDevice(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		t.Logf("%s: vector width %d, %+v", d, d.VectorWidth, d.DeviceInfo)
		if d.Index != i || d.Name == "" || !validWidth(d.VectorWidth) || !strings.HasPrefix(d.String(), fmt.Sprintf("%d: %s (", i, d.Name)) {
			t.Errorf("device %d: implausible %+v", i, d)
		}
	}
	// The default is a GPU that is not also a CPU, else a device of one
	// type (TestPickDefault has the cases), and none only when no device
	// is either.
	gpus := slices.ContainsFunc(ds, DeviceDesc.GPUNotCPU)
	single := slices.ContainsFunc(ds, func(d DeviceDesc) bool { return !strings.Contains(d.Type, "|") })
	switch i := PickDefault(); {
	case i == -1:
		if gpus || single {
			t.Errorf("PickDefault is -1 among %v", ds)
		}
	case i < 0 || i >= len(ds):
		t.Errorf("PickDefault = %d among %d devices", i, len(ds))
	case gpus && !ds[i].GPUNotCPU(), !gpus && strings.Contains(ds[i].Type, "|"):
		t.Errorf("PickDefault = %d (%s) among %v", i, ds[i], ds)
	}
}

func TestBadOptions(t *testing.T) {
	testDevice(t)
	ds, _ := Devices()
	for _, idx := range []int{len(ds), -1, 1000} {
		_, err := Open(Options{Device: idx})
		var de *DeviceIndexError
		if !errors.As(err, &de) || de.Index != idx || len(de.Devices) != len(ds) {
			t.Fatalf("device %d: got %v, want a *DeviceIndexError", idx, err)
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("no device %d", idx)) || !strings.Contains(msg, ds[0].String()) {
			t.Errorf("device %d: message %q does not list the devices", idx, msg)
		}
	}
	for _, opt := range []Options{{Math: "sloppy"}, {VectorWidth: 3}, {VectorWidth: 32}} {
		if _, err := Open(opt); err == nil {
			t.Errorf("%+v accepted", opt)
		} else {
			t.Log(err)
		}
	}
}

func TestBuildFailure(t *testing.T) {
	testDevice(t)
	before := cachedPrograms()
	_, err := Open(Options{Device: testDevice(t), source: "__kernel void weather(__global int *x) { x[0] = ; }\n"})
	var be *cl.BuildError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "build log") || !strings.Contains(be.Log, "error") {
		t.Fatalf("got %v, want a build error with the log", err)
	}
	if n := cachedPrograms(); n != before {
		t.Errorf("%d programs cached after a failed build, want %d", n, before)
	}
}

// The loader is process-global, so a missing library or platform is tested
// in a child process (this test binary, re-run with childEnv set).
const childEnv = "GPUSIM_GPU_TEST_CHILD"

func TestMissingOpenCL(t *testing.T) {
	if want := os.Getenv(childEnv); want != "" {
		sentinel := map[string]error{"library": cl.ErrNoLibrary, "platform": cl.ErrNoPlatform}[want]
		_, err := Devices()
		_, err2 := Open(Options{})
		if !errors.Is(err, sentinel) || !errors.Is(err2, sentinel) || PickDefault() != -1 {
			t.Fatalf("Devices: %v; Open: %v; want %v", err, err2, sentinel)
		}
		fmt.Println("child-checked:", err)
		return
	}
	empty := t.TempDir()
	cases := []struct{ name, env string }{{"library", cl.EnvLibrary + "=" + empty + "/libOpenCL.so.1"}}
	if cl.Load() == nil {
		// ICD loaders read their vendor list from OCL_ICD_VENDORS.
		cases = append(cases, struct{ name, env string }{"platform", "OCL_ICD_VENDORS=" + empty})
	}
	for _, c := range cases {
		cmd := testCommand(t, "^TestMissingOpenCL$")
		cmd.Env = append(cmd.Env, childEnv+"="+c.name, c.env)
		out, err := cmd.CombinedOutput()
		t.Logf("missing %s: %s", c.name, strings.TrimSpace(string(out)))
		if err != nil || !strings.Contains(string(out), "child-checked:") {
			t.Errorf("missing %s: %v\n%s", c.name, err, out)
		}
	}
}

// TestStartupCountsDiscovery: the first engine's start-up includes loading
// the OpenCL library and listing devices (most of a warm start on pocl),
// reported once per process. It left them out, so the JSON's startup_s and
// whole_ns_per_lane_step missed about 20 ms of a 40 ms warm start.
func TestStartupCountsDiscovery(t *testing.T) {
	testDevice(t) // enumerates
	const sentinel = time.Hour
	enumerated.Lock()
	took, charged := enumerated.took, enumerated.charged
	enumerated.took, enumerated.charged = sentinel, false
	enumerated.Unlock()
	t.Cleanup(func() {
		enumerated.Lock()
		enumerated.took, enumerated.charged = took, charged
		enumerated.Unlock()
	})
	first := open(t, Options{})
	second := open(t, Options{})
	if first.startup < sentinel {
		t.Errorf("first engine's start-up %v leaves out the discovery (%v)", first.startup, sentinel)
	}
	if second.startup >= sentinel {
		t.Errorf("second engine's start-up %v counts the discovery again", second.startup)
	}
	r := runJob(t, first, job(100, 2))
	if r.Timing.Startup < sentinel {
		t.Errorf("the first run reports start-up %v without the discovery", r.Timing.Startup)
	}
}

// TestDailyWarm: the engine's first daily run generates the daily kernels
// by a launch on one lane before it (warmDaily) and reports that as
// start-up and compile; the run's own wall time and its rate left it out.
// With pocl's kernel cache cold, a 1e5-lane daily run of 9 ms took 2 s,
// all of it the daily kernel's code generation, counted in the run's time.
// A later daily run pays nothing; the launch count is the run's alone.
// TestNoDaily: an engine opened with NoDaily builds the program without
// the daily kernels (NO_DAILY), runs plain jobs with the whole program's
// results bit for bit, and refuses a job with per-step statistics in Run
// and Refuses, before any launch.
func TestNoDaily(t *testing.T) {
	plain := open(t, Options{NoDaily: true})
	if plain.kDaily != nil || plain.kRed != nil || !strings.Contains(plain.options, "-DNO_DAILY") {
		t.Fatalf("NoDaily: daily kernels %v %v, options %q; want none, -DNO_DAILY", plain.kDaily, plain.kRed, plain.options)
	}
	prog, _, err := plain.sh.program(plain.source(), plain.options, plain.hooks())
	if err != nil {
		t.Fatal(err)
	}
	if k, err := prog.CreateKernel("weather_daily"); err == nil {
		k.Release()
		t.Error("the NoDaily program has weather_daily")
	}
	whole := open(t, Options{})
	if strings.Contains(whole.options, "NO_DAILY") || whole.kDaily == nil {
		t.Fatalf("the whole program: options %q, daily kernel %v", whole.options, whole.kDaily)
	}
	j := job(20_011, 7)
	same(t, "NoDaily", runJob(t, plain, j), runJob(t, whole, j))
	j.Daily = true
	before := plain.launches
	if _, err := plain.Run(context.Background(), j); !errors.Is(err, ErrNoDaily) {
		t.Errorf("a daily job on a NoDaily engine: %v; want ErrNoDaily", err)
	}
	if err := plain.Refuses(j); !errors.Is(err, ErrNoDaily) {
		t.Errorf("Refuses of a daily job on a NoDaily engine: %v; want ErrNoDaily", err)
	}
	if plain.launches != before {
		t.Errorf("the refused daily job launched %d kernels", plain.launches-before)
	}
	if r := runJob(t, whole, j); len(r.Daily) != 7 {
		t.Errorf("the whole program's daily run: %d days", len(r.Daily))
	}
}

func TestDailyWarm(t *testing.T) {
	e := open(t, Options{})
	runJob(t, e, job(1000, 4)) // takes Open's start-up
	daily := func() *sim.Result {
		j := job(10_000, 6)
		j.Daily = true
		before := e.launches
		r := runJob(t, e, j)
		if n := e.launches - before; n < 1 || n > 4 {
			t.Errorf("a daily run of 10k x 6 counted %d launches; want its own, 1 to 4", n)
		}
		return r
	}
	r1, r2 := daily(), daily()
	if r1.Timing.Compile <= 0 || r1.Timing.Startup < r1.Timing.Compile {
		t.Errorf("first daily run: start-up %v, compile %v; want the daily kernels' first launch in both", r1.Timing.Startup, r1.Timing.Compile)
	}
	if r2.Timing.Compile != 0 || r2.Timing.Startup != 0 {
		t.Errorf("second daily run: start-up %v, compile %v; want none", r2.Timing.Startup, r2.Timing.Compile)
	}
	if r1.Summary.Digest != r2.Summary.Digest || len(r1.Daily) != 6 || r1.Daily[5].Digest != r1.Summary.Digest {
		t.Errorf("daily runs: digests %x and %x, %d days; want one digest, 6 days, the last day's the digest", r1.Summary.Digest, r2.Summary.Digest, len(r1.Daily))
	}
}
