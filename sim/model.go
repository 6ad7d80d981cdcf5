package sim

import (
	"sync/atomic"

	"github.com/gpusim/gpusim/rng"
)

// Model is a job's parameters as every engine uses them: float32, with
// c = (1 - p) * anchor rounded once, so that one step is
//
//	m = p * t;  m = m + c;  t = m + sigma * z
//
// with each operation rounded to float32 (docs/reproducibility.md).
type Model struct {
	Start, Anchor, P, C, Sigma float32   // degrees, but P (dimensionless); C = (1 - P) Anchor
	Steps                      int       // steps a lane takes
	Key                        [2]uint32 // the Philox key, rng.Key of the seed
}

// Model converts the parameters to the engines' float32 model.
func (p Params) Model() Model {
	pp, a := float32(p.Persistence), float32(p.Anchor)
	return Model{
		Start: float32(p.Start), Anchor: a, P: pp,
		C:     float32(float32(1-pp) * a),
		Sigma: float32(p.Sigma), Steps: p.Steps, Key: rng.Key(p.Seed),
	}
}

// Step is one update of the recurrence with the normal z.
func (m *Model) Step(t, z float32) float32 {
	u := float32(m.P * t)
	u = float32(u + m.C)
	return float32(u + float32(m.Sigma*z))
}

// Final is the reference for lane's final temperature: lane by lane, block by
// block, exactly the stream of docs/reproducibility.md.
func (m *Model) Final(lane uint64) float32 { return m.FinalStop(lane, nil) }

// StopSteps is how often FinalStop polls its stop flag: a multiple of the
// four steps of a Philox block.
const StopSteps = 4096

// FinalStop is Final that polls stop (when not nil) every StopSteps steps,
// so that a lane of a billion steps stops at once when cancelled; once stop
// is set it returns early with a meaningless value.
func (m *Model) FinalStop(lane uint64, stop *atomic.Bool) float32 {
	t := m.Start
	s := 0
	for ; s+4 <= m.Steps; s += 4 {
		if s%StopSteps == 0 && s > 0 && stop != nil && stop.Load() {
			return t
		}
		z0, z1, z2, z3 := rng.LaneBlock(lane, uint32(s>>2), m.Key)
		t = m.Step(m.Step(m.Step(m.Step(t, z0), z1), z2), z3)
	}
	if s < m.Steps {
		var z [4]float32
		z[0], z[1], z[2], z[3] = rng.LaneBlock(lane, uint32(s>>2), m.Key)
		for _, zj := range z[:m.Steps-s] {
			t = m.Step(t, zj)
		}
	}
	return t
}

// FinalFrom is FinalStop over steps [s0, s1) of a lane whose temperature
// after its first s0 steps is t: its temperature after step s1, the
// stream's bits whatever the steps are cut into. s0 is a multiple of 4
// (a Philox block's steps, docs/reproducibility.md, section 2), and s1
// one too or Steps; it panics otherwise. FinalFrom(lane, 0, m.Steps,
// m.Start, stop) is FinalStop(lane, stop).
func (m *Model) FinalFrom(lane uint64, s0, s1 int, t float32, stop *atomic.Bool) float32 {
	if s0%4 != 0 || (s1%4 != 0 && s1 != m.Steps) || s0 > s1 || s1 > m.Steps {
		panic("sim: FinalFrom over steps that are not whole Philox blocks")
	}
	s := s0
	for ; s+4 <= s1; s += 4 {
		if s%StopSteps == 0 && s > s0 && stop != nil && stop.Load() {
			return t
		}
		z0, z1, z2, z3 := rng.LaneBlock(lane, uint32(s>>2), m.Key)
		t = m.Step(m.Step(m.Step(m.Step(t, z0), z1), z2), z3)
	}
	if s < s1 {
		var z [4]float32
		z[0], z[1], z[2], z[3] = rng.LaneBlock(lane, uint32(s>>2), m.Key)
		for _, zj := range z[:s1-s] {
			t = m.Step(t, zj)
		}
	}
	return t
}

// Path writes lane's temperature after each step 1..len(out) into out, in
// step order: out[k] is the temperature after step k+1.
func (m *Model) Path(lane uint64, out []float32) { m.PathFrom(lane, 0, m.Start, out) }

// PathFrom is Path from step s0 on, for a lane whose temperature after its
// first s0 steps is t: out[k] is the temperature after step s0+k+1. s0 is
// a multiple of 4, the steps of a Philox block (docs/reproducibility.md,
// section 2); it panics otherwise.
func (m *Model) PathFrom(lane uint64, s0 int, t float32, out []float32) {
	if s0%4 != 0 {
		panic("sim: PathFrom from a step that is not a multiple of 4")
	}
	for k := 0; k < len(out); k += 4 {
		var z [4]float32
		z[0], z[1], z[2], z[3] = rng.LaneBlock(lane, uint32((s0+k)>>2), m.Key)
		for j := 0; j < 4 && k+j < len(out); j++ {
			t = m.Step(t, z[j])
			out[k+j] = t
		}
	}
}
