package engines

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/sim"
)

// TestNarrowProbeBounded: a narrow job's probe runs at most a sixteenth of
// the job's steps (and no fewer than 64, which its pair's quarter needs):
// on the job's own steps, 1 lane x 1e7 steps measured for 0.32 s, more
// than its run of 0.2 s on the engine chosen, and 1 lane x 1e4 with
// --daily probed 8192 of its steps on each engine, four times.
func TestNarrowProbeBounded(t *testing.T) {
	for _, c := range []struct {
		lanes      uint64
		steps      int
		wantLanes  uint64
		wantSteps  int
		wantNarrow bool
	}{
		{1, 1e7, 1, 1 << 19, true},
		{1, 1e4, 1, 512, true},
		{1, 1e9, 1, probeLaneSteps, true}, // the 2^21 lane-steps bound first
		{1000, 1e6, 512, 4096, true},
		{1, 100, 1, 64, true},
		{1000, 40, 512, 32, true}, // over its lanes, as before
		{5e6, 100, probeLaneSteps / 32, 32, false},
	} {
		l, s, narrow := probeShape(c.lanes, c.steps)
		if l != c.wantLanes || s != c.wantSteps || narrow != c.wantNarrow {
			t.Errorf("probeShape(%d, %d) = %d, %d, %v; want %d, %d, %v", c.lanes, c.steps, l, s, narrow, c.wantLanes, c.wantSteps, c.wantNarrow)
		}
	}
}

// TestAutoMeasuringBounded: where a device's start-up (the least in
// gpusim's benchmarks, 30 ms, with none measured here) and what deciding
// has spent already (the driver's listing, simd's probe) come to more than
// the job on simd, no device is started: it could not finish the job
// first, nor a later run of it, which pays its start-up too, and measuring
// it cost more than the job (1 lane x 1e4 steps with --daily measured for
// 0.42 s, for a job of 0.065 s). The calibration kept says so, and decides
// the jobs simd finishes within that bound without listing the devices; a
// longer job under its key measures the devices.
func TestAutoMeasuringBounded(t *testing.T) {
	var opens, lists int
	slowDevice(t, &opens, &lists)
	ch := autoChoice(t, measureJob(32))
	if ch.Engine != "simd" || opens != 0 || lists != 1 || !strings.Contains(ch.Reason, "fake's devices not started: with a device's start-up and probes, deciding would have taken") {
		t.Fatalf("a job simd finishes within the listing: %s (%q), %d opens, %d listings; want simd, no device opened, the reason saying why", ch.Engine, ch.Reason, opens, lists)
	}
	if _, ok := loadCalibration(calibrationKey(measureJob(32))); !ok {
		t.Fatal("no calibration kept")
	}
	ch = autoChoice(t, measureJob(40))
	if ch.Engine != "simd" || opens != 0 || lists != 1 || !strings.Contains(ch.Reason, "predicted fastest from this machine's calibration") || !strings.Contains(ch.Reason, "devices not started") {
		t.Errorf("a like job: %s (%q), %d opens, %d listings; want simd from the calibration, no device listed nor opened", ch.Engine, ch.Reason, opens, lists)
	}
	ch = autoChoice(t, measureJob(1e5)) // about 60 s on simd
	if ch.Engine != "timed" || opens != 1 || lists != 2 {
		t.Errorf("a job simd takes seconds on: %s (%q), %d opens, %d listings; want the device measured and chosen", ch.Engine, ch.Reason, opens, lists)
	}
}

// TestAutoUnstartedDropped: a calibration that left the devices unstarted
// (unstarted_under_s), rewritten by an older gpusim that drops the fields
// it does not know, read as a machine without devices, and every later
// job under its key stayed on simd without measuring them, a job of a
// minute on simd among them. Such a calibration is measured again; one
// whose driver listed no device says so (no_devices), and is not.
func TestAutoUnstartedDropped(t *testing.T) {
	var opens, lists int
	dev := slowDevice(t, &opens, &lists)
	if ch := autoChoice(t, measureJob(32)); opens != 0 || !strings.Contains(ch.Reason, "devices not started") {
		t.Fatalf("a job simd finishes within the listing: %s (%q), %d opens; want the devices not started", ch.Engine, ch.Reason, opens)
	}
	// An older gpusim's rewrite: the fields it does not know dropped.
	path := calibrationPath()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]map[string]any
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f {
		delete(c, "unstarted_under_s")
		delete(c, "no_devices")
	}
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if ch := autoChoice(t, measureJob(1e5)); ch.Engine != "timed" || opens != 1 || lists != 2 {
		t.Errorf("a job simd takes a minute on, its calibration's bound dropped: %s (%q), %d opens, %d listings; want the device measured and chosen", ch.Engine, ch.Reason, opens, lists)
	}

	// A driver that lists no device: measured once.
	t.Setenv(EnvCacheDir, t.TempDir())
	lists = 0
	dev.Devices = func() ([]Device, error) {
		lists++
		time.Sleep(100 * time.Millisecond)
		return nil, nil
	}
	withDevices(t, dev)
	for i := range 2 {
		if ch := autoChoice(t, measureJob(1e5)); ch.Engine != "simd" || lists != 1 {
			t.Errorf("run %d, no devices listed: %s (%q), %d listings; want simd, listed once", i+1, ch.Engine, ch.Reason, lists)
		}
	}
}

// slowDevice makes the engine table's OpenCL entry a fake device, fast to
// run but slow to list (500 ms, a slow driver's loading), counting its
// opens and listings, with gpusim's cache in a fresh folder.
func slowDevice(t *testing.T, opens, lists *int) Entry {
	t.Helper()
	t.Setenv(EnvCacheDir, t.TempDir())
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, opens, lists)
	list := dev.Devices
	dev.Devices = func() ([]Device, error) {
		time.Sleep(500 * time.Millisecond)
		return list()
	}
	withDevices(t, dev)
	return dev
}

// measureJob is the default job of 1e6 lanes over steps (simd about 20 ms
// at 32 steps, 0.25 s on the portable path).
func measureJob(steps int) Options {
	p := sim.Default()
	p.Lanes, p.Steps = 1e6, steps
	return Options{Params: p}
}

// autoChoice runs Auto on o, closes its engine and returns its choice.
func autoChoice(t *testing.T, o Options) Choice {
	t.Helper()
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	return ch
}
