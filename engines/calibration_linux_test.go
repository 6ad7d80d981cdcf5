package engines

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// notedAuto installs a fake device slower than simd per lane-step and
// returns the options of a 5e6 x 10 job on one worker whose notes are
// collected in *notes.
func notedAuto(t *testing.T) (Options, *[]string) {
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-8}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 5e6, 10
	notes := new([]string)
	return Options{Params: p, Workers: 1, Note: func(s string) { *notes = append(*notes, s) }}, notes
}

// TestAutoNearlyFullDisk: auto keeps its calibration (a few hundred bytes)
// on a file system with under 1 MiB free, where it has room for it and the
// cache's margin (cachedir.Margin): the cache asked for 1 MiB free beside
// every entry, so auto measured again on every run there, without a word.
// Where even that is not free, a note says the measurements are not kept.
func TestAutoNearlyFullDisk(t *testing.T) {
	dir := testenv.SmallDisk(t, "256k", false, nil)
	t.Setenv(EnvCacheDir, dir)
	o, notes := notedAuto(t)
	cpuShare(t, 0.95, 1)
	auto := func() string {
		*notes = nil
		e, _, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		return strings.Join(*notes, "\n")
	}
	if all := auto(); strings.Contains(all, "not kept") {
		t.Errorf("256 kB free: notes %q; want the calibration kept", all)
	}
	if _, ok := loadCalibration(calibrationKey(o)); !ok {
		t.Errorf("256 kB free: the calibration was not kept")
	}
	// Filled to under the entry and its 64 KiB margin.
	if err := os.Remove(calibrationPath()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, 200<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "auto: the measurements are not kept, so the next run measures again: the file system of " + dir
	if all := auto(); !strings.Contains(all, want) || !strings.Contains(all, "the 65.5 kB the cache leaves free") {
		t.Errorf("56 kB free: notes %q; want %q and the margin", all, want)
	}
	if _, ok := loadCalibration(calibrationKey(o)); ok {
		t.Errorf("56 kB free: a calibration was written")
	}
}
