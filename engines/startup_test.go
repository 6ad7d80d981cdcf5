package engines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/sim"
)

// TestAutoGPUStartupLearned: a GPU's start-up varies from run to run (an
// H200's 0.15 to 0.4 s with a warm cache, the first start after boot
// seconds), so each run that starts it adds a sample, and auto predicts
// from their lower median (startupEstimate). The calibration kept one
// sample, calibrate's: one slow start of a run dropped the calibration
// (its whole time past twice the prediction), one slow calibrated start
// kept jobs simd takes a second or two off the GPU, and a start-up slower
// for good was measured again by a new calibration instead of being
// learnt. Jobs of 1e9 lane-steps; the GPU's run after its start takes
// 0.05 s.
func TestAutoGPUStartupLearned(t *testing.T) {
	gpu := func(startup float64, runs int) []deviceTiming {
		return []deviceTiming{{Index: 0, Label: "fake device", Startup: startup, GPU: true, cost: cost{Ns: 0.05, Confirmed: runs > 0, Runs: runs}}}
	}
	for _, c := range []struct {
		name    string
		simdNs  float64 // simd's trusted cost: its time for the job, s
		devices []deviceTiming
		starts  []float64 // each run's start-up on the GPU, s
		want    []string
		startup float64 // the GPU's predicted start-up at the end, s
	}{
		{"one slow start", 1.0, gpu(0.25, trustedRuns), []float64{3, 0.25, 0.3, 0.2, 0.28},
			[]string{"timed", "timed", "timed", "timed", "timed"}, 0.28},
		{"a slow calibrated start", 1.5, gpu(2, 0), []float64{0.25, 0.3, 0.2, 0.28},
			[]string{"timed", "timed", "timed", "timed"}, 0.28},
		{"start-ups slower for good", 1.0, gpu(0.25, trustedRuns), []float64{1.5, 1.5, 1.5, 1.5},
			[]string{"timed", "timed", "simd", "simd"}, 1.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			ran, _, key := autoRunsStarting(t, 1e7, 100,
				calibration{SIMD: cost{Ns: c.simdNs, Confirmed: true, Runs: trustedRuns}, Devices: c.devices},
				tookOn(0.05, c.simdNs), func(int) float64 { return 0.95 },
				func(i int) float64 { return c.starts[i] }, len(c.want))
			if !slices.Equal(ran, c.want) {
				t.Errorf("runs on %v, want %v", ran, c.want)
			}
			if got, ok := loadCalibration(key); !ok || math.Abs(got.Devices[0].Startup-c.startup) > 1e-3 || math.Abs(got.Devices[0].Ns-0.05) > 1e-6 {
				t.Errorf("calibration %+v (kept %v): want the GPU's start-up at %g s, its cost 0.05 ns a lane-step", got.Devices, ok, c.startup)
			}
		})
	}
}

// TestStartupEstimate: the lower median of the latest startupSamples
// start-ups, so that one slow sample moves it from two on, one fast one
// from three, and three of five decide it.
func TestStartupEstimate(t *testing.T) {
	d := deviceTiming{Startup: 0.25} // as calibrate, or a file before samples were kept, leaves it
	for _, c := range []struct {
		add, want float64
		starts    []float64
	}{
		{3, 0.25, []float64{0.25, 3}},
		{0.05, 0.25, []float64{0.25, 3, 0.05}},
		{0.3, 0.25, []float64{0.25, 3, 0.05, 0.3}},
		{0.2, 0.25, []float64{0.25, 3, 0.05, 0.3, 0.2}},
		{2, 0.3, []float64{3, 0.05, 0.3, 0.2, 2}}, // the oldest, 0.25, dropped
		{2, 0.3, []float64{0.05, 0.3, 0.2, 2, 2}},
		{2, 2, []float64{0.3, 0.2, 2, 2, 2}},
	} {
		d.addStartup(c.add)
		if d.Startup != c.want || !slices.Equal(d.Starts, c.starts) {
			t.Errorf("after %g s: start-up %g from %v, want %g from %v", c.add, d.Startup, d.Starts, c.want, c.starts)
		}
	}
}

// TestAutoStartupOldFile: a calibration written before start-ups were
// kept as samples (startup_s alone) loads, predicts from its start-up,
// and takes it for the first sample; after a run the file holds both.
func TestAutoStartupOldFile(t *testing.T) {
	o := fakeJob(t, 1e7, 100, 0)
	key := calibrationKey(o)
	old := `{"` + jsonEscape(t, key) + `": {"simd": {"fixed_s": 0, "ns_per_lane_step": 1, "confirmed": true, "runs": 2},
		"devices": [{"index": 0, "label": "fake device", "startup_s": 0.25, "gpu": true, "fixed_s": 0, "ns_per_lane_step": 0.05, "confirmed": true, "runs": 2}]}}`
	ch := autoFromFile(t, old, o)
	if ch.Engine != "timed" || math.Abs(ch.predicted-0.3) > 1e-9 {
		t.Fatalf("the old file's calibration: %s predicted at %g s (%s), want the GPU at 0.3 s", ch.Engine, ch.predicted, ch.Reason)
	}
	ch.at = ch.at.Add(-50e6) // the run after the start-up: 0.05 s
	if n := Observe(ch, 450e6); n != "" {
		t.Errorf("a run started in 0.4 s: Observe noted %q", n)
	}
	b, err := os.ReadFile(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]struct {
		Devices []map[string]any `json:"devices"`
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f[key].Devices) != 1 {
		t.Fatalf("auto.json: %v, %s", err, b)
	}
	d := f[key].Devices[0]
	samples, _ := d["startup_samples_s"].([]any)
	if d["startup_s"] != 0.25 || len(samples) != 2 || samples[0] != 0.25 || math.Abs(samples[1].(float64)-0.4) > 0.02 {
		t.Errorf("after a run started in 0.4 s: the device's start-up %v, samples %v; want 0.25 from [0.25 0.4]", d["startup_s"], d["startup_samples_s"])
	}
}

// TestKnownStartupPooled: the start-up below which a job of a new step
// count is not measured is each device's estimate over its samples in
// every calibration kept, not the least calibration's: one fast start in
// one calibration (0.02 s, where the GPU's others took 0.28 to 0.32 s)
// started the GPU to measure jobs simd finishes in 0.1 s.
func TestKnownStartupPooled(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, &opens, &lists))
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" } // 2 ns a lane-step on one core
	p := sim.Default()
	entry := func(steps int, startup string) string {
		p.Steps = steps
		return `"` + jsonEscape(t, calibrationKey(Options{Params: p, Workers: 1})) + `": {"simd": {"fixed_s": 0, "ns_per_lane_step": 2},
			"devices": [{"index": 0, "label": "fake device", ` + startup + `, "gpu": true, "fixed_s": 0, "ns_per_lane_step": 0.0033}]}`
	}
	file := "{" + entry(20, `"startup_s": 0.3, "startup_samples_s": [0.3, 0.28, 0.32]`) + ", " + entry(30, `"startup_s": 0.02`) + "}"
	p.Lanes, p.Steps = 5e6, 10 // 0.1 s on simd by the cost model
	ch := autoFromFile(t, file, Options{Params: p, Workers: 1})
	if ch.Engine != "simd" || lists != 0 {
		t.Errorf("a job simd finishes in 0.1 s: %s (%s), %d listings of devices; want simd, the devices not listed", ch.Engine, ch.Reason, lists)
	}
}

// jsonEscape is s as the inside of a JSON string.
func jsonEscape(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[1 : len(b)-1])
}

// unloadableDevice is fakeDevice (a CPU device, pocl's) whose program is in
// gpusim's cache but cannot be loaded (a cache shared read-only, whose
// entries take no loading mark here), so that every start compiles it.
func unloadableDevice(t *testing.T, opens, lists *int) Entry {
	t.Helper()
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, opens, lists)
	program := compiledProgram(t)
	dev.ProgramFile = func(Options, int) string { return program }
	dev.ProgramLoadable = func(string) error { return errors.New("no loading mark can be made") }
	return dev
}

// TestAutoMeasuredColdStart: a device whose start compiles its program
// (here, a program its cache cannot load) is costed with its measured
// cold start where one is kept, not with coldStartCost's 1 s more than its
// warm start: with pocl's 6 s cold start (its own cache empty) measured,
// auto started it for a job simd finishes in 3 s. A run whose start
// compiled keeps its start-up as the cold start.
func TestAutoMeasuredColdStart(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, unloadableDevice(t, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 1e8, 10 // 3 s on simd, 0.1 s on the device once started
	o := Options{Params: p, Observed: true}
	key := calibrationKey(o)
	file := `{"` + jsonEscape(t, key) + `": {"simd": {"fixed_s": 0, "ns_per_lane_step": 3, "confirmed": true, "runs": 2},
		"devices": [{"index": 0, "label": "fake device", "startup_s": 0.05, "cold_start_s": 6, "fixed_s": 0, "ns_per_lane_step": 0.1, "confirmed": true, "runs": 2}]}}`
	ch := autoFromFile(t, file, o)
	if ch.Engine != "simd" || opens != 0 {
		t.Errorf("a job simd finishes in 3 s, the device's cold start 6 s: %s (%s), %d opens; want simd, the device not started", ch.Engine, ch.Reason, opens)
	}
	o.Params.Lanes = 1e9 // 30 s on simd
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "timed" || math.Abs(ch.predicted-7) > 1e-6 {
		t.Fatalf("a job simd finishes in 30 s: %s predicted at %g s (%s); want the device at its 6 s cold start and 1 s run", ch.Engine, ch.predicted, ch.Reason)
	}
	ch.at = ch.at.Add(-time.Second) // the run after its start: 1 s
	Observe(ch, 5*time.Second)      // started in 4 s
	b, err := os.ReadFile(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]struct {
		Devices []struct {
			ColdStart float64 `json:"cold_start_s"`
		} `json:"devices"`
	}
	if err := json.Unmarshal(b, &f); err != nil || len(f[key].Devices) != 1 || math.Abs(f[key].Devices[0].ColdStart-4) > 0.05 {
		t.Errorf("after a run whose start compiled in 4 s: auto.json %s (%v); want the cold start at 4 s", b, err)
	}
}

// TestAutoColdStartCountedOnce: a device calibrated for a job worth its
// compile whose program cannot be loaded afterwards either was measured
// compiling, and a later run is predicted with that start-up, not with
// coldStartCost's 1 s on top of it as well.
func TestAutoColdStartCountedOnce(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, unloadableDevice(t, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 1e9, 10 // seconds on simd: worth a compile
	o := Options{Params: p, Observed: true}
	for i := range 2 {
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if i == 1 && (ch.Engine != "timed" || ch.predicted > 0.5) {
			t.Errorf("calibrated: %s predicted at %g s (%s); want the device at its measured start-up and run (a few ms)", ch.Engine, ch.predicted, ch.Reason)
		}
	}
}

// autoFromFile writes file as auto.json in the test's cache folder (set by
// the caller) and returns auto's choice for o, its engine closed.
func autoFromFile(t *testing.T, file string, o Options) Choice {
	t.Helper()
	if err := os.WriteFile(calibrationPath(), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	return ch
}

// TestObserveRemeasured: where the calibration a GPU was chosen from is
// dropped and measured again by another process before the run ends, the
// new one may list another device at the chosen one's place (a CPU device
// whose program was compiled since, measured first): the run's start-up
// and cost are the GPU's, and change no other device's. They had become
// the CPU device's start-up sample and its confirmed cost.
func TestObserveRemeasured(t *testing.T) {
	o := fakeJob(t, 1e7, 100, 0)
	key := calibrationKey(o)
	trusted := func(ns float64) cost { return cost{Ns: ns, Confirmed: true, Runs: trustedRuns} }
	gpu := deviceTiming{Index: 1, Label: "1: fake GPU", Startup: 0.25, GPU: true, cost: trusted(0.05)}
	if err := storeCalibration(key, calibration{SIMD: trusted(1), Devices: []deviceTiming{gpu}}); err != nil {
		t.Fatal(err)
	}
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "timed" || ch.device != 0 {
		t.Fatalf("chose %s (%s), want the GPU", ch.Engine, ch.Reason)
	}
	cpuDev := deviceTiming{Index: 0, Label: "0: fake CPU (pocl, CPU)", Startup: 0.04, cost: trusted(0.7)}
	again := calibration{SIMD: trusted(1), Devices: []deviceTiming{cpuDev, gpu}}
	if err := storeCalibration(key, again); err != nil {
		t.Fatal(err)
	}
	// A start of 0.4 s, and a run of 0.08 s where 0.05 s was predicted.
	ch.at = time.Now().Add(-80 * time.Millisecond)
	Observe(ch, 480*time.Millisecond)
	got, ok := loadCalibration(key)
	if !ok || len(got.Devices) != 2 {
		t.Fatalf("calibration %+v (%v), want the one measured again", got, ok)
	}
	if d := got.Devices[0]; len(d.Starts) != 0 || d.Startup != cpuDev.Startup || d.cost != cpuDev.cost {
		t.Errorf("the CPU device after the GPU's run: start-up %g s from %v, cost %+v; want %g s, %+v, as measured", d.Startup, d.Starts, d.cost, cpuDev.Startup, cpuDev.cost)
	}
}

// TestObserveDropRemeasured: a run off its prediction drops the
// calibration it was predicted from, not one another process measured
// again under the same key before the run ended, which predicted nothing
// of it: the fresh calibration was dropped, and measured a third time.
func TestObserveDropRemeasured(t *testing.T) {
	simdWorkers(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	var opened []string
	dev := fakeGPUs(1, &opened, nil, nil)
	ch, _, key := autoOn(t, dev, h200Calibration(1), 1e11, 100)
	if ch.device != 0 {
		t.Fatalf("opened %q (%s): want the GPU", opened, ch.Reason)
	}
	updateCalibration(func(f calibrationFile) { delete(f, key) })
	autoOn(t, dev, calibration{}, 1e11, 100) // another process measures
	again, ok := loadCalibration(key)
	if !ok {
		t.Fatal("the machine measured again kept no calibration")
	}
	run := 3 * (ch.predicted - ch.startup)
	ch.at = time.Now().Add(-time.Duration(run * float64(time.Second)))
	n := Observe(ch, time.Duration((run+ch.startup)*float64(time.Second)))
	if got, ok := loadCalibration(key); !ok || n != "" || !got.Measured.Equal(again.Measured) || got.Devices[0].cost != again.Devices[0].cost {
		t.Errorf("a run at 3x the prediction of the calibration before: note %q, calibration kept %v; want the new one kept as measured, no note", n, ok)
	}
}

// TestObserveDropStripped: a calibration whose measured_at an older
// gpusim dropped (one sharing the cache folder decodes every entry into
// the fields it knows and writes them back) is still dropped by a run off
// the prediction it gave: the run's choice carries the time it was
// measured, which no longer matched, and the run was taken for one of a
// calibration measured again since, dropping nothing, however far off.
func TestObserveDropStripped(t *testing.T) {
	simdWorkers(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	var opened []string
	dev := fakeGPUs(1, &opened, nil, nil)
	c := h200Calibration(1)
	c.Measured = time.Now().UTC().Round(0)
	ch, _, key := autoOn(t, dev, c, 1e11, 100)
	if ch.device != 0 || !ch.measured.Equal(c.Measured) {
		t.Fatalf("opened %q (%s), measured at %v: want the GPU, from the calibration measured at %v", opened, ch.Reason, ch.measured, c.Measured)
	}
	// The older binary's rewrite: the fields it does not know are gone.
	path := calibrationPath()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	delete(f[key], "measured_at")
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	run := 3 * (ch.predicted - ch.startup)
	ch.at = time.Now().Add(-time.Duration(run * float64(time.Second)))
	n := Observe(ch, time.Duration((run+ch.startup)*float64(time.Second)))
	if _, ok := loadCalibration(key); ok || n == "" {
		t.Errorf("a run at 3x the prediction of a calibration without measured_at: note %q, calibration kept %v; want it dropped, with a note", n, ok)
	}
}

// TestColdStartCarried: a calibration measured again (dropped because a
// run contradicted it, or replaced where a device left cold was since
// compiled) keeps the cold start the one before measured for the same
// device, unless its own measurement compiled: a device's compile time
// does not change because a run was slow, and the new calibration costed
// a start that compiles at coldStartCost's 1 s more than its warm start
// where pocl's took 6.
func TestColdStartCarried(t *testing.T) {
	old := `{"%s": {"simd": {"fixed_s": 0, "ns_per_lane_step": 3, "confirmed": true, "runs": 2},
		"devices": [{"index": 0, "label": "fake device", "startup_s": 0.05, "cold_start_s": 6, "fixed_s": 0, "ns_per_lane_step": 0.1, "confirmed": true, "runs": 2}]}}`
	for _, c := range []struct {
		name     string
		compiles bool   // every start of the device compiles its program
		lanes    uint64 // of 10 steps
		again    func(t *testing.T, key string)
		want     float64 // the new calibration's cold start: 0 for its own
	}{
		{"dropped", false, 1e8, func(t *testing.T, key string) {
			c, _ := loadCalibration(key)
			if !dropCalibration(key, c.Measured) {
				t.Fatal("not dropped")
			}
		}, 6},
		{"dropped, measured compiling", true, 1e9, func(t *testing.T, key string) {
			c, _ := loadCalibration(key)
			dropCalibration(key, c.Measured)
		}, 0},
		{"replaced", false, 1e8, func(t *testing.T, key string) {}, 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			opens, lists := 0, 0
			dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
			if c.compiles {
				dev = unloadableDevice(t, &opens, &lists)
			}
			withDevices(t, dev)
			p := sim.Default()
			p.Lanes, p.Steps = c.lanes, 10
			o := Options{Params: p, Observed: true, Note: func(string) {}}
			key := calibrationKey(o)
			if err := os.WriteFile(calibrationPath(), []byte(fmt.Sprintf(old, jsonEscape(t, key))), 0o644); err != nil {
				t.Fatal(err)
			}
			c.again(t, key)
			var got calibration
			if c.name == "replaced" {
				// Another process's measurement, which did not compile.
				fresh := calibration{SIMD: cost{Ns: 3}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.04, cost: cost{Ns: 0.1}}}}
				if err := storeCalibration(key, fresh); err != nil {
					t.Fatal(err)
				}
				got, _ = loadCalibration(key)
			} else {
				e, ch, err := Auto(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				sim.Close(e)
				var ok bool
				if got, ok = loadCalibration(key); !ok || lists != 1 || !strings.HasPrefix(ch.Reason, "measured here") {
					t.Fatalf("%d listings (%s), calibration kept %v: want the machine measured again", lists, ch.Reason, ok)
				}
			}
			if len(got.Devices) != 1 {
				t.Fatalf("devices %+v, want the one", got.Devices)
			}
			cold := got.Devices[0].ColdStart
			if c.want > 0 && cold != c.want || c.want == 0 && (cold <= 0 || cold == 6) {
				t.Errorf("the device's cold start measured again: %g s; want %g (0: its own measurement's)", cold, c.want)
			}
		})
	}
}

// TestAutoColdOpenNoStartupSample: a run whose start of the GPU its
// calibration chose built the program (ColdStart: a corrupt or stale entry
// rebuilt, or another process's build waited for, as processes sharing the
// cache folder do) adds no sample to the GPU's start-up: its start held a
// compile, seconds where the warm start-ups calibrated take 0.25 s, as
// calibrate's own measurement leaves out such a start (startDevice).
func TestAutoColdOpenNoStartupSample(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	withFakeGPU(t, coldEngine{cold: true})
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	o := Options{Params: p, Observed: true}
	key := calibrationKey(o)
	c := calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns},
		Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.25, GPU: true, cost: cost{Ns: 0.05, Confirmed: true, Runs: trustedRuns}}}}
	if err := storeCalibration(key, c); err != nil {
		t.Fatal(err)
	}
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.device != 0 {
		t.Fatalf("chose %s (%s); want the GPU", ch.Engine, ch.Reason)
	}
	// The run: a start of 3 s (a compile), then 0.05 s on the GPU.
	ch.at = time.Now().Add(-50 * time.Millisecond)
	Observe(ch, 3050*time.Millisecond)
	got, ok := loadCalibration(key)
	if !ok || len(got.Devices) != 1 {
		t.Fatalf("calibration %+v (kept %v)", got, ok)
	}
	if s := got.Devices[0].samples(); slices.ContainsFunc(s, func(x float64) bool { return x > 1 }) {
		t.Errorf("the GPU's start-up samples %v hold the cold start's 3 s; want only warm starts", s)
	}
}

// TestAutoWaitedTurnNoStartupSample: a run that waited for another run's
// calibration (calibrationTurn: processes sharing the cache folder,
// started at once) and chose the GPU from it keeps as the GPU's start-up
// sample its own start, not the wait: its took, from Auto's call, held the
// other's whole calibration, and seven runs of an array's eight each added
// seconds to a start-up of 0.25 s.
func TestAutoWaitedTurnNoStartupSample(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	withFakeGPU(t, coldEngine{})
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	o := Options{Params: p, Observed: true}
	key := calibrationKey(o)
	const wait = 600 * time.Millisecond
	measureMeanwhile(t, key, wait, calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns},
		Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.25, GPU: true, cost: cost{Ns: 0.05, Confirmed: true, Runs: trustedRuns}}}})
	t0 := time.Now()
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.device != 0 || ch.Probe != 0 {
		t.Fatalf("chose %s (%s), probe %v; want the GPU from the other run's calibration", ch.Engine, ch.Reason, ch.Probe)
	}
	// The run: 0.05 s on the GPU; the CLI's took is from before Auto.
	ch.at = time.Now().Add(-50 * time.Millisecond)
	Observe(ch, time.Since(t0)+50*time.Millisecond-ch.Probe)
	got, ok := loadCalibration(key)
	if !ok || len(got.Devices) != 1 {
		t.Fatalf("calibration %+v (kept %v)", got, ok)
	}
	if s := got.Devices[0].samples(); slices.ContainsFunc(s, func(x float64) bool { return x >= wait.Seconds() }) {
		t.Errorf("the GPU's start-up samples %v hold the %v waited for the other run's calibration", s, wait)
	}
}

// TestAutoWaitedTurnNotJudged: a run that waited for another run's
// calibration and chose simd from it is judged by its own time: with the
// wait counted, a run of the predicted 0.4 s read as 1.6 s, four times
// the prediction, and dropped the calibration the other run had just
// made, so that the next run measured again.
func TestAutoWaitedTurnNotJudged(t *testing.T) {
	o := slowDeviceJob(t)
	key := calibrationKey(o)
	const wait = 1200 * time.Millisecond
	c := calibration{SIMD: cost{Ns: 0.4, Confirmed: true, Runs: trustedRuns},
		Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.04, cost: cost{Ns: 10, Confirmed: true, Runs: trustedRuns}}}}
	measureMeanwhile(t, key, wait, c)
	t0 := time.Now()
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "simd" || ch.Probe != 0 {
		t.Fatalf("chose %s (%s), probe %v; want simd from the other run's calibration", ch.Engine, ch.Reason, ch.Probe)
	}
	// The run: the predicted 0.4 s, on all of its cores.
	const run = 400 * time.Millisecond
	cpuShare(t, 0, 1) // the process's CPU time stands still from here
	ch.at, ch.cpu0 = time.Now().Add(-run), processCPU()-time.Duration(ch.cores*float64(run))
	if n := Observe(ch, time.Since(t0)+run-ch.Probe); n != "" {
		t.Errorf("Observe noted %q", n)
	}
	if got, ok := loadCalibration(key); !ok || !got.Measured.Equal(c.Measured) {
		t.Errorf("the other run's calibration was dropped (kept %v)", ok)
	}
}

// slowDeviceJob is the options of a job of 1e7 lanes x 100 steps, observed,
// on a fresh cache folder with one fake device far slower than simd.
func slowDeviceJob(t *testing.T) Options {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	return Options{Params: p, Observed: true}
}

// measureMeanwhile stands for another run that measures this machine: it
// holds the turn to measure (calibrationTurn's lock) from now, and after
// wait stores c under key before it lets go.
func measureMeanwhile(t *testing.T, key string, wait time.Duration, c calibration) {
	t.Helper()
	if err := cachedir.MkdirAll(filepath.Dir(calibrationPath())); err != nil {
		t.Fatal(err)
	}
	unlock, err := cachedir.Lock(calibrationPath()+".measure.lock", 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(wait)
		if err := storeCalibration(key, c); err != nil {
			t.Error(err)
		}
		unlock()
	}()
}

// withFakeGPU makes one fake GPU, device 0, whose every start opens e,
// the only device auto sees for the rest of the test.
func withFakeGPU(t *testing.T, e coldEngine) {
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) { return e, nil },
		Devices: func() ([]Device, error) {
			return []Device{{Engine: "fake", Index: 0, Type: "GPU", GPU: true, Label: "fake device"}}, nil
		},
		Absent: func(error) bool { return false },
	})
}

// TestCalibrationTurnNotes: a run that waits past cachedir.NoteAfter for
// another run's calibration says so to Progress, naming the lock, its
// holder and the wait's limit, once; one whose wait passes calibrationWait
// (the holder stopped) says to Note that it gave up and measures. A run
// waiting for the measure lock printed nothing for up to a minute. A
// waiter that did not run from before NoteAfter to past the limit (a
// loaded machine; "stalled": its clock jumps) says its wait before it
// gives up: it said only that it gave up, naming no holder, when stopped
// (SIGSTOP) from 0.9 s to 1.7 s of the 1.5 s wait, 3 runs of 3.
func TestCalibrationTurnNotes(t *testing.T) {
	for _, c := range []struct {
		name    string
		stores  bool // the holder stores a calibration and lets go
		limit   time.Duration
		stalled bool // each reading of the clock after the first is the limit and NoteAfter later
	}{
		{"measured meanwhile", true, time.Minute, false},
		{"stopped", false, 1500 * time.Millisecond, false},
		{"stalled", false, 1500 * time.Millisecond, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			defer func(w time.Duration) { calibrationWait = w }(calibrationWait)
			calibrationWait = c.limit
			if c.stalled {
				readings, t0 := 0, time.Now()
				now = func() time.Time {
					readings++
					return t0.Add(time.Duration(readings-1) * (c.limit + cachedir.NoteAfter))
				}
				defer func() { now = time.Now }()
			}
			p := sim.Default()
			p.Lanes, p.Steps = 1e7, 100
			key := calibrationKey(Options{Params: p})
			lock := calibrationPath() + ".measure.lock"
			if err := cachedir.MkdirAll(filepath.Dir(lock)); err != nil {
				t.Fatal(err)
			}
			hold, err := cachedir.Lock(lock, 0)
			if err != nil {
				t.Fatal(err)
			}
			// The holder that stores ends once the wait is said, not
			// after a fixed time: a waiter slowed past that time on a
			// loaded machine found the lock free first and said
			// nothing. Where no note comes (broken code), it ends after
			// 10 s.
			said := make(chan struct{}, 1)
			released := make(chan struct{})
			if c.stores {
				go func() {
					defer close(released)
					select {
					case <-said:
					case <-time.After(10 * time.Second):
					}
					if err := storeCalibration(key, calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns}}); err != nil {
						t.Error(err)
					}
					hold()
				}()
			} else {
				close(released)
				defer hold() // past the wait
			}
			defer func() { <-released }()
			var progress, notes []string
			o := Options{Progress: func(s string) {
				progress = append(progress, s)
				select {
				case said <- struct{}{}:
				default:
				}
			}, Note: func(s string) { notes = append(notes, s) }}
			unlock, _, ok := calibrationTurn(context.Background(), o, key)
			unlock()
			if ok != c.stores {
				t.Errorf("took another run's calibration: %v, want %v", ok, c.stores)
			}
			want := fmt.Sprintf("auto: waiting for another run's calibration (%s is held by pid %d): at most %v, then this run measures", lock, os.Getpid(), c.limit)
			if len(progress) != 1 || progress[0] != want {
				t.Errorf("progress %q, want one:\n%s", progress, want)
			}
			gaveUp := fmt.Sprintf("auto: gave up waiting for another run's calibration after %v (%s is still held by pid %d", c.limit, lock, os.Getpid())
			if c.stores && len(notes) != 0 || !c.stores && (len(notes) != 1 || !strings.HasPrefix(notes[0], gaveUp)) {
				t.Errorf("notes %q; want one that the wait gave up: %v", notes, !c.stores)
			}
		})
	}
}

// TestAutoProbeLeavesOutWaits: a run that waited for the turn to measure
// (another run measuring another key) and then measured counts only its
// measuring as Probe (probe_s, "measuring took"), the wait as waited,
// which Observe leaves out: Probe counted the wait (3.7 s for a
// measurement of 0.2 s).
func TestAutoProbeLeavesOutWaits(t *testing.T) {
	o := slowDeviceJob(t)
	const wait = 1500 * time.Millisecond
	measureMeanwhile(t, "another key", wait, calibration{SIMD: cost{Ns: 1}})
	t0 := time.Now()
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	took := time.Since(t0)
	if took < wait {
		t.Fatalf("Auto took %v; want it to have waited %v for the turn", took, wait)
	}
	if ch.Probe <= 0 || ch.Probe > took-wait+50*time.Millisecond || ch.waited < wait-50*time.Millisecond {
		t.Errorf("Probe %v, waited %v, of Auto's %v with a wait of %v; want the wait in waited alone", ch.Probe, ch.waited, took, wait)
	}
}

// TestSmallDurationUnits: auto's notes of a small job's time on simd write
// it in the unit it rounds to one of, without e notation: %.3g wrote
// 999.7 us as "1e+03 us"; and the microsecond as µs, as bench and the
// docs write it, where it wrote "us".
func TestSmallDurationUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		999_700 * time.Nanosecond: "1 ms", 999_400 * time.Nanosecond: "999 µs", 10 * time.Microsecond: "10 µs",
		100 * time.Nanosecond: "1 µs", 2500 * time.Microsecond: "2.5 ms", 29_999 * time.Microsecond: "30 ms",
	} {
		if got := smallDuration(d); got != want {
			t.Errorf("smallDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
