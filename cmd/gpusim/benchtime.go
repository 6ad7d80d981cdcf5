package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/runfiles"
)

// benchFlags are the flags that size each phase of a benchmark, the one a
// refusal names first when none of them is set; the hint says what to
// change.
var benchFlags = map[string]struct {
	flags []string
	hint  string
}{
	"the workloads":     {[]string{"lanes", "steps", "reps", "warmup"}, "lower --lanes or --steps, or --reps or --warmup"},
	"the scaling table": {[]string{"workers", "lanes", "steps", "reps", "warmup"}, "lower the first --lanes or --steps, give fewer --workers, or leave the table out with --no-scaling"},
	"the sweep":         {[]string{"sweep", "sweep-steps", "sweep-reps", "warmup"}, "lower --sweep or --sweep-steps, or --sweep-reps, or leave the sweep out with --no-sweep"},
	bench.PythonPhase:   {[]string{"lanes", "steps"}, "lower --lanes or --steps, or leave the baseline out with --baseline none"},
}

// benchMemory is the memory available to the Python baseline's arrays;
// tests replace it.
var benchMemory = runfiles.Available

// checkBenchTime refuses, before anything runs, a benchmark whose planned
// runs (cfg.MinTime: every engine of specs on every workload, warm-ups
// included, the scaling table, the sweep, the Python baseline's NumPy
// versions) would take longer than maxFloorTime even at the fastest each
// engine is expected to run: bench --lanes 2^64-1 started and ran for
// centuries. bench has no flag to run it anyway, as run's --timeout does a
// job: a benchmark of more than a year is never wanted. isSet says which
// flags were given, for the flag the error names: the first set of those
// that size the longest phase.
//
// A device engine of the plan whose device is not known yet is taken for a
// GPU; where the benchmark is past the limit, its device is listed and
// counted by kind (engines.ListedSpecs) before the refusal: bench
// --engines opencl --lanes 1e12 --steps 1e9 was refused at "opencl on 1
// device taken for a GPU" where the one device was pocl's, and a device
// engine that cannot run here is left to benchEngines, which says why.
func checkBenchTime(cfg *bench.Config, specs []engines.Spec, isSet func(string) bool) error {
	memory, _ := benchMemory()
	total, work, longest, parts, python := benchFloor(cfg, specs, memory)
	if total <= maxFloorTime.Seconds() {
		return nil
	}
	if listed, changed := engines.ListedSpecs(specs); changed {
		specs = listed
		if total, work, longest, parts, python = benchFloor(cfg, specs, memory); total <= maxFloorTime.Seconds() {
			return nil
		}
	}
	on := make([]string, len(specs))
	for i, s := range specs {
		_, on[i] = s.MinTime(0, 1)
		on[i] = s.Name + strings.TrimPrefix(on[i], s.Entry)
	}
	if python {
		on = append(on, "Python on 1 core, its loop at serial's speed")
	}
	b := benchFlags[longest.Name]
	flag := b.flags[0]
	if i := slices.IndexFunc(b.flags, isSet); i >= 0 {
		flag = b.flags[i]
	}
	// The count in SI, as bench's tables write workloads, and the years
	// with it (count.Time): it read "at least 9.64e+04 years (1.22e+22
	// lane-steps: ...)".
	return paramErr(flag, "this benchmark would take at least %s (%s lane-steps: %s) even at the fastest each engine is expected to run (%s), faster than any measured; a benchmark may take at most a year at that speed, and bench has no flag to run a longer one (%s)",
		count.Seconds(total), count.SI(work, 3), strings.Join(parts, ", "), strings.Join(on, ", "), b.hint)
}

// benchFloor is cfg.MinTime's phases for specs with memory for the Python
// baseline: their total seconds and lane-steps, the longest phase, and
// each phase of a second or more in words ("the workloads 5.23 years", count.Time),
// and whether the Python baseline has work.
func benchFloor(cfg *bench.Config, specs []engines.Spec, memory uint64) (total, work float64, longest bench.Phase, parts []string, python bool) {
	phases := cfg.MinTime(specs, memory)
	longest = phases[0]
	for _, p := range phases {
		total, work = total+p.Seconds, work+p.LaneSteps
		if p.Seconds > longest.Seconds {
			longest = p
		}
		if p.Seconds >= 1 { // a phase of lane-steps in nanoseconds is not worth a word
			parts = append(parts, p.Name+" "+count.Seconds(p.Seconds))
		}
	}
	p := phases[len(phases)-1]
	return total, work, longest, parts, p.Name == bench.PythonPhase && p.LaneSteps > 0
}

// plannedSpecs are the engines bench runs for an --engines list, as far as
// is known without starting any or listing devices: every CPU engine of
// the registry for an empty list (not processes, or a device engine, which
// may not run here), else each engine the list names (a device engine's
// entry as one device; a name no engine has is left to benchEngines).
func plannedSpecs(list string) []engines.Spec {
	var specs []engines.Spec
	if strings.TrimSpace(list) == "" {
		for _, e := range engines.All() {
			if e.Bench != nil && e.Devices == nil {
				specs = append(specs, engines.Spec{Name: e.Name, Entry: e.Name, Scales: slices.Contains(e.Takes, engines.TakesWorkers)})
			}
		}
		return specs
	}
	names := map[string]bool{}
	for name := range strings.SplitSeq(list, ",") {
		names[strings.TrimSpace(name)] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		entry, _, device := strings.Cut(name, ":")
		if device && names[entry] {
			continue // the entry's specs are counted once
		}
		if entry == bench.ProcessesEngine {
			specs = append(specs, engines.Spec{Name: name, Entry: entry, Scales: true})
			continue
		}
		e, err := engines.Lookup(entry)
		if err != nil || e.Bench == nil {
			continue
		}
		specs = append(specs, engines.Spec{Name: name, Entry: entry, Device: e.Devices != nil,
			Scales: e.Devices == nil && slices.Contains(e.Takes, engines.TakesWorkers)})
	}
	return specs
}
