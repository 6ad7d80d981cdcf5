package gpu

import (
	"math"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestCompareJobNames: a failed job check says what was compared, with its
// got and want, as a passed one does ("digest of N lanes; ..."): it said
// only "(digest)" or "(step 2 digest)", and not of which lanes.
func TestCompareJobNames(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 37, 3
	job := &sim.Job{Params: p, Daily: true, KeepFinals: true}
	ref := func() *sim.Result {
		r, err := sim.Reference(job)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want := ref()
	for _, c := range []struct {
		name             string
		spoil            func(*sim.Result)
		note, got, wantS string
	}{
		{"digest", func(r *sim.Result) { r.Summary.Digest ^= 1 }, "digest of 37 lanes", hexOf(digestBits(want.Summary.Digest ^ 1)), hexOf(digestBits(want.Summary.Digest))},
		{"count", func(r *sim.Result) { r.Summary.Count-- }, "count of 37 lanes", "0x24", "0x25"},
		{"step", func(r *sim.Result) { r.Daily[1].Digest ^= 2 }, "digest of step 2's 37 lanes", hexOf(digestBits(want.Daily[1].Digest ^ 2)), hexOf(digestBits(want.Daily[1].Digest))},
		{"bin", func(r *sim.Result) { r.Daily[2].Hist.Bins[5]++ }, "histogram bin 5 of step 3's 37 lanes", hexOf(want.Daily[2].Hist.Bins[5] + 1), hexOf(want.Daily[2].Hist.Bins[5])},
		{"final", func(r *sim.Result) { r.Finals[4] = 0 }, "final of lane 4", "0x00000000", hexOf(floatBits(math.Float32bits(want.Finals[4])))},
	} {
		got := ref()
		c.spoil(got)
		ch := compareJob("job/x", got, want)
		if ch.Status != CheckFail || ch.Note != c.note || ch.Got != c.got || ch.Want != c.wantS {
			t.Errorf("%s: %s (%s): got %s, want %s; want fail (%s): got %s, want %s", c.name, ch.Status, ch.Note, ch.Got, ch.Want, c.note, c.got, c.wantS)
		}
	}
	if ch := compareJob("job/x", ref(), want); ch.Status != CheckPass || ch.Note != passNote(want) {
		t.Errorf("equal results: %s (%s), want a pass (%s)", ch.Status, ch.Note, passNote(want))
	}
}
