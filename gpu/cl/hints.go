package cl

import "strings"

// The hints name the flags of gpusim run, the command that opens an engine
// by name, and each remedy that needs a flag only run takes is one of these
// phrases, set apart from the others by remedySep, so that ForCommand can
// word it for another command or leave it out.
const (
	remedySep      = "; or "
	remedyNoFinals = "run without --out, whose finals take the most"
	remedyWidth    = "try --vector-width 1"
	remedyShard    = "run fewer lanes at a time (--shard)"
	// engineFlag opens the flag that picks a CPU engine in a hint's
	// remedy: "a CPU engine (--engine simd)".
	engineFlag = "(--engine "
	// remedyCPU and useCPU send the job to a CPU engine, which runs
	// without OpenCL: WithoutCPU drops them.
	remedyCPU = "run on a CPU engine (--engine simd)"
	useCPU    = "use a CPU engine (--engine simd), which runs without OpenCL"
	// CPUMeanwhile sends the job to the CPU engines while a device that
	// failed its self-test is looked into (gpu.SelfTestError's hint).
	CPUMeanwhile = "run on a CPU engine (--engine simd, parallel or serial) meanwhile"
)

// cpuFallbacks are the remedies of the hints (this package's, and gpu's and
// the engines' that end with CPUEnginesRun) that send the job to the CPU
// engines, each with the separator that joins it to the one before.
var cpuFallbacks = []string{remedySep + remedyCPU, remedySep + useCPU, ", or " + useCPU, "; " + cpuEngines, "; " + CPUEnginesRun, "; " + CPUMeanwhile, CPUMeanwhile}

// WithoutCPU is hint without its remedies that send the job to the CPU
// engines, for a note beside which they run anyway: bench's on an engine it
// leaves out, whose hint told it to run on the CPU engines it was running
// ("or run on a CPU engine (--engines simd)", "the CPU engines (serial,
// parallel, simd) run without it").
func WithoutCPU(hint string) string {
	for _, f := range cpuFallbacks {
		hint = strings.ReplaceAll(hint, f, "")
	}
	return hint
}

// ForCommand words hint, a hint of this package's or of one that names
// run's flags as it does ("(--engine simd)"), for the command whose flags
// takes reports (a flag's name without dashes): a command without --engine
// gets bench's --engines where it takes that, else the engine named as
// run's ("gpusim run --engine simd"); one without --shard gets --lanes in
// its place where it takes that; a remedy whose flag the command lacks
// (--out, --vector-width, --shard) is left out. bench's hint named run's
// --out and --vector-width, and selftest's and devices' named --engine,
// none of which they take. A hint for run, or one that names no flag,
// comes back as it is.
func ForCommand(hint string, takes func(flag string) bool) string {
	if !takes("engine") {
		with := "(gpusim run --engine "
		if takes("engines") {
			with = "(--engines "
		}
		hint = strings.ReplaceAll(hint, engineFlag, with)
	}
	if !takes("out") {
		hint = dropRemedy(hint, remedyNoFinals)
	}
	if !takes("vector-width") {
		hint = dropRemedy(hint, remedyWidth)
	}
	if !takes("shard") {
		if takes("lanes") {
			hint = strings.ReplaceAll(hint, remedyShard, "run fewer lanes (--lanes)")
		} else {
			hint = dropRemedy(hint, remedyShard)
		}
	}
	return hint
}

// dropRemedy removes remedy from hint with the separator that joins it to
// the remedy before or after it.
func dropRemedy(hint, remedy string) string {
	hint = strings.ReplaceAll(hint, remedySep+remedy, "")
	return strings.ReplaceAll(hint, remedy+remedySep, "")
}
