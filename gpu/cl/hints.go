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

// cpuEngines worded for bench, which takes the engines as one list
// (--engines), and for a command that takes no engine (selftest, devices),
// where run names them (ForCommand): bench's and selftest's said "the CPU
// engines (serial, parallel, simd)", run's --engine values.
const (
	cpuEnginesBench   = "the CPU engines (--engines serial,parallel,simd) run without it"
	cpuEnginesByRun   = "the CPU engines (gpusim run --engine serial, parallel or simd) run without it"
	cpuMeanwhileBench = "run on the CPU engines (--engines simd,parallel,serial) meanwhile"
	cpuMeanwhileByRun = "run on a CPU engine (gpusim run --engine simd, parallel or serial) meanwhile"
)

// cpuFallbacks are the remedies of the hints (this package's, and gpu's and
// the engines' that end with CPUEnginesRun) that send the job to the CPU
// engines, each with the separator that joins it to the one before.
var cpuFallbacks = []string{remedySep + remedyCPU, remedySep + useCPU, ", or " + useCPU, "; " + cpuEngines, "; " + cpuEnginesBench, "; " + cpuEnginesByRun, "; " + CPUEnginesRun, "; " + CPUMeanwhile, CPUMeanwhile, "; " + cpuMeanwhileBench, cpuMeanwhileBench, "; " + cpuMeanwhileByRun, cpuMeanwhileByRun}

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
// none of which they take. The CPU engines named together are named as
// bench's list (--engines serial,parallel,simd) for bench, and as run's
// (gpusim run --engine serial, parallel or simd) for a command without
// either flag: bench's and selftest's named them as run's values. A hint
// for run, or one that names no flag, comes back as it is.
func ForCommand(hint string, takes func(flag string) bool) string {
	if !takes("engine") {
		with, cpu := "(gpusim run --engine ", cpuEnginesByRun
		if takes("engines") {
			// bench takes the engines as one list: "(--engines simd,
			// parallel or serial)" read as a list with spaces and an "or".
			with, cpu = "(--engines ", cpuEnginesBench
			hint = strings.ReplaceAll(hint, CPUMeanwhile, cpuMeanwhileBench)
		}
		hint = strings.ReplaceAll(hint, cpuEngines, cpu)
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
