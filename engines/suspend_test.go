package engines

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeSuspended makes suspended return *d for the test.
func fakeSuspended(t *testing.T, d *time.Duration) {
	saved := suspended
	suspended = func() time.Duration { return *d }
	t.Cleanup(func() { suspended = saved })
}

// TestObserveSuspended: a GPU's run the process was suspended in (Ctrl-Z,
// Slurm's scontrol suspend) is not judged: its wall time, three times the
// prediction with the stop, dropped the calibration, and one within twice
// it confirmed a cost some times the GPU's own, which could send later
// jobs to simd. Nor is its start-up kept.
func TestObserveSuspended(t *testing.T) {
	simdWorkers(t)
	for _, factor := range []float64{1.8, 3} {
		t.Setenv(EnvCacheDir, t.TempDir())
		var stopped time.Duration
		fakeSuspended(t, &stopped)
		var opened []string
		c := h200Calibration(1)
		c.Measured = time.Now().UTC().Round(0)
		ch, _, key := autoOn(t, fakeGPUs(1, &opened, nil, nil), c, 1e11, 100)
		if ch.device != 0 {
			t.Fatalf("opened %q (%s): want the GPU", opened, ch.Reason)
		}
		before, err := os.ReadFile(calibrationPath())
		if err != nil {
			t.Fatal(err)
		}
		run := factor * (ch.predicted - ch.startup)
		stop := time.Duration((run - (ch.predicted - ch.startup)) * float64(time.Second))
		stopped += stop
		ch.at = time.Now().Add(-time.Duration(run * float64(time.Second)))
		n := Observe(ch, time.Duration((run+ch.startup)*float64(time.Second)))
		after, err := os.ReadFile(calibrationPath())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := loadCalibration(key); !ok || n != "" || !slices.Equal(before, after) {
			t.Errorf("a run at %gx the prediction, suspended for %v of it: note %q, calibration kept %v, file changed %v; want no note and the file as it was", factor, stop, n, ok, !slices.Equal(before, after))
		}
	}
}

// TestCalibrateSuspended: a calibration the process was suspended in is not
// kept (its start-ups and a GPU's probes are timed by wall time), with a
// note saying the next run measures again.
func TestCalibrateSuspended(t *testing.T) {
	simdWorkers(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	var stopped time.Duration
	fakeSuspended(t, &stopped)
	var opened []string
	open := func(string) error { stopped += 5 * time.Second; return nil } // stopped as the device starts
	_, notes, key := autoOn(t, fakeGPUs(1, &opened, open, nil), calibration{}, 1e11, 100)
	if len(opened) == 0 {
		t.Fatal("no device opened")
	}
	if _, ok := loadCalibration(key); ok || !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "suspended while it measured") }) {
		t.Errorf("suspended while it measured: calibration kept %v, notes %q; want none kept, and a note saying so", ok, notes)
	}
}
