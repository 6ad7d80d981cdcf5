package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// tempFree is diskfree.Free; tests replace it.
var tempFree = diskfree.Free

// processesRun is one run of the processes engine a benchmark plans: its
// children at once and the workload they share.
type processesRun struct {
	children int
	w        bench.Workload
}

// processesRuns are the runs of the processes engine that cfg plans: each
// workload on a child per GOMAXPROCS, the scaling table's worker counts
// (their overheads too, on as many children), each sweep size; a child a
// lane at most, as the engine starts them.
func processesRuns(cfg *bench.Config) []processesRun {
	var runs []processesRun
	add := func(n int, w bench.Workload) {
		runs = append(runs, processesRun{int(min(uint64(n), w.Lanes)), w})
	}
	procs := runtime.GOMAXPROCS(0)
	for _, w := range cfg.Workloads {
		add(procs, w)
	}
	if cfg.Scaling && len(cfg.Workloads) > 0 {
		w := cmpWorkload(cfg.ScalingWorkload, cfg.Workloads[0])
		for _, n := range cfg.WorkerList() {
			add(n, w)
		}
	}
	for _, lanes := range cfg.Sweep {
		add(procs, bench.Workload{Lanes: lanes, Steps: cfg.SweepSteps})
	}
	return runs
}

// processesChildren is the most children at once of the processes
// engine's runs that cfg plans (processesRuns: a child a lane at most), 0
// for none: what its children hold at once, in descriptors and threads
// (checkBenchFiles, checkBenchThreads). Both counted GOMAXPROCS and the
// scaling table's workers without the lanes' cap, and refused
// --lanes 10 --workers 64 for 64 children where 10 run.
func processesChildren(cfg *bench.Config) int {
	kids := 0
	for _, r := range processesRuns(cfg) {
		kids = max(kids, r.children)
	}
	return kids
}

// cmpWorkload is w, or def where w is zero.
func cmpWorkload(w, def bench.Workload) bench.Workload {
	if w == (bench.Workload{}) {
		return def
	}
	return w
}

// checkBenchTemp refuses, before the benchmark, one whose processes engine
// would fill the temporary folder with its part files: the children of one
// run write theirs at once (each at its largest, shard.MaxSize, in whole
// blocks, with a block for their folder), and where the most a run of cfg
// writes is more than the folder's file system has free, the run that
// reached it failed in the middle of the benchmark (a child's "--save: ...
// may need up to 16.4 kB of disk space"), its scaling table lost. nil
// without the processes engine, or where the free space is not known.
func checkBenchTemp(cfg *bench.Config, specs []engines.Spec) error {
	if !slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Name == bench.ProcessesEngine }) {
		return nil
	}
	dir := os.TempDir()
	free, _, ok := tempFree(dir)
	if !ok {
		return nil
	}
	block := max(diskfree.Block(dir), 1)
	blocks := func(n uint64) uint64 { return count.SatMul((n+block-1)/block, block) }
	label := childDevice()
	var need uint64
	children := 0
	for _, r := range processesRuns(cfg) {
		p := cfg.Params
		p.Lanes, p.Steps = r.w.Lanes, r.w.Steps
		part := blocks(shard.MaxSize(p, true, false, bench.ChildEngine, bench.ChildEngine, label))
		if n := count.SatAdd(count.SatMul(uint64(r.children), part), block); n > need {
			need, children = n, r.children
		}
	}
	if need <= free {
		return nil
	}
	needText, freeText := diskfree.SizesText(need, free)
	kids := fmt.Sprintf("%d children", children)
	if children == 1 {
		kids = "1 child"
	}
	return &envError{name: bench.TempDirVar(),
		msg: fmt.Sprintf("the processes engine's %s at once may need up to %s for their part files (each counted at its largest) in the temporary folder %q, but its file system has %s free",
			kids, needText, dir, freeText),
		hint: fmt.Sprintf("set %s to a folder with more room, run fewer children at once (--workers, GOMAXPROCS), or leave processes out with --engines", bench.TempDirVar())}
}

// childRSS is the most memory a child of the processes engine is counted
// to take: a gpusim run of one shard on serial, saving its part, peaks at
// 18.7 MB resident (GNU time's %M, Go 1.26, 1e4 and 1e6 lanes x 10 steps
// alike: its memory does not grow with its lanes), rounded up to 24 MiB
// for the runtime's growth with more threads.
const childRSS = 24 << 20

// machineFree is sysmem.MachineAvailable; tests replace it.
var machineFree = sysmem.MachineAvailable

// checkBenchChildren refuses, before the benchmark, one whose processes
// engine would start more children at once than the machine's memory
// holds (childRSS each, beside this process): --workers 1024 started up to
// 1024 children, some 19 GB, counted against threads, descriptors and
// disk but not memory, and the kernel's OOM killer ended the run that
// reached it in the middle of the benchmark. nil without the processes
// engine, or where the memory available is not known.
func checkBenchChildren(cfg *bench.Config, specs []engines.Spec) error {
	if !slices.ContainsFunc(specs, func(s engines.Spec) bool { return s.Name == bench.ProcessesEngine }) {
		return nil
	}
	avail, ok := machineFree()
	if !ok {
		return nil
	}
	children := 0
	for _, r := range processesRuns(cfg) {
		children = max(children, r.children)
	}
	need := uint64(children) * childRSS
	if need <= avail {
		return nil
	}
	hint := "leave processes out with --engines"
	if most := avail / childRSS; most > 0 {
		hint = fmt.Sprintf("run at most %d children at once (--workers, GOMAXPROCS), or %s", most, hint)
	}
	return &envError{name: "memory",
		// Every size in the GB of gpusim's memory messages: "(24 MiB
		// each" stood between "0.201 GB" and "0.105 GB".
		msg: fmt.Sprintf("the processes engine's %d children at once may take up to %s GB (%s GB each, a child's measured peak with room to spare), but %s GB are available",
			children, count.Sig3(float64(need)/1e9), count.Sig3(float64(childRSS)/1e9), count.Sig3(float64(avail)/1e9)),
		hint: hint}
}

// childDevice is the device label a child of the processes engine records
// in its part (engines.DeviceLabel of bench.ChildEngine), "" where it does
// not open.
func childDevice() string {
	e, err := engines.Lookup(bench.ChildEngine)
	if err != nil {
		return ""
	}
	eng, err := e.Open(context.Background(), engines.Options{})
	if err != nil {
		return ""
	}
	defer sim.Close(eng)
	return engines.DeviceLabel(eng)
}
