package bench

import (
	"bytes"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// CPUEngines are the engines the tests run: serial, and parallel, which
// scales.
func CPUEngines() []EngineSpec {
	return []EngineSpec{
		{Name: "serial", New: func(int, func(string)) sim.Engine { return cpu.Serial{} }},
		{Name: "parallel", New: func(n int, _ func(string)) sim.Engine { return cpu.Parallel{Workers: n} }, Scales: true},
	}
}

// UpdateMarkdown writes r's Markdown tables into the marked section of path.
func UpdateMarkdown(path string, r *Report) error {
	var b bytes.Buffer
	if err := r.WriteMarkdown(&b); err != nil {
		return err
	}
	return UpdateMarkdownSection(path, b.String())
}

// BaselineScript returns the embedded Python baseline, for users who want to
// run it themselves.
func BaselineScript() []byte { return bytes.Clone(baselineScript) }
