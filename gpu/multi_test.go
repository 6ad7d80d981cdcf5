package gpu

import (
	"context"
	"slices"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/sim"
)

// TestMultiMatchesSerial runs one job on the same device opened twice (two
// engines, as with POCL_DEVICES="pthread pthread") and on a real device list
// when the platform has several, and compares with the serial engine.
func TestMultiMatchesSerial(t *testing.T) {
	cltest.RequireDevice(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	idx := []int{0, 0}
	if len(ds) > 1 {
		idx = []int{0, 1}
	}
	m, err := OpenMulti(idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p := sim.Default()
	p.Lanes, p.Steps = 100_003, 9
	job := &sim.Job{Params: p, First: 3, Count: 100_000, KeepFinals: true, Daily: true}
	want, err := cpu.Serial{}.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	g, w := got.Summary, want.Summary
	if g.Digest != w.Digest || g.Count != w.Count || g.Min != w.Min || g.Max != w.Max || !slices.Equal(g.Hist.Bins, w.Hist.Bins) {
		t.Errorf("multi-device digest %#x count %d, serial %#x %d", g.Digest, g.Count, w.Digest, w.Count)
	}
	if !slices.Equal(got.Finals, want.Finals) {
		t.Errorf("multi-device finals differ from serial")
	}
	for i := range want.Daily {
		if got.Daily[i].Digest != want.Daily[i].Digest || !slices.Equal(got.Daily[i].Hist.Bins, want.Daily[i].Hist.Bins) {
			t.Fatalf("day %d differs", i+1)
		}
	}
	if _, err := OpenMulti([]int{0, 99}, Options{}); err == nil {
		t.Error("OpenMulti with a bad index succeeded")
	}
}
