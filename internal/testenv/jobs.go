package testenv

import (
	"math"

	"github.com/gpusim/gpusim/sim"
)

// ExtremeJobs are jobs at the extremes of what gpusim's outputs show, for
// the tests that bound an output's size (plots.MaxFinalSVGSize and
// MaxDailySVGSize, report.MaxHTMLSize): the default job on 2000 lanes, no
// steps, no noise, one lane, temperatures of 17 significant digits at
// every magnitude, lanes far outside the histogram (persistence -1 from 1
// under anchor 1e20), the largest values and seed, negative values that
// spread over a few of float32's units (the report's tables write them to
// 9 significant digits), and 3000 steps.
func ExtremeJobs() []sim.Params {
	d := sim.Default()
	d.Lanes = 2000
	var jobs []sim.Params
	add := func(f func(p *sim.Params)) { p := d; f(&p); jobs = append(jobs, p) }
	add(func(p *sim.Params) {})
	add(func(p *sim.Params) { p.Steps = 0 })
	add(func(p *sim.Params) { p.Sigma = 0 })
	add(func(p *sim.Params) { p.Lanes = 1 })
	add(func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = -123456.79, -123456.79, 0.0026 })
	add(func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 1e16, 1e16, 1e3 })
	add(func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 5.8e-4, 5.8e-4, 1e-12 })
	add(func(p *sim.Params) {
		p.Start, p.Anchor, p.Sigma = -0.12345678901234567, -1.2345678901234567e-7, 1.2345678901234567e-9
	})
	add(func(p *sim.Params) { p.Steps, p.Persistence, p.Start, p.Anchor, p.Sigma = 50, -1, 1, 1e20, 1e-3 })
	add(func(p *sim.Params) {
		p.Start, p.Anchor, p.Sigma, p.Persistence, p.Seed = -1.2345678901234567e37, -1.2345678901234567e30, 1.2345678901234567e35, -0.12345678901234567, math.MaxUint64
	})
	add(func(p *sim.Params) {
		p.Start, p.Anchor, p.Sigma = -1.2345678901234567e37, -1.2345678901234567e37, 1.2345678901234567e30
	})
	add(func(p *sim.Params) { p.Lanes, p.Steps = 100, 3000 })
	return jobs
}
