package main

import (
	"bytes"
	"errors"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/sim"
)

// TestAddressSpaceShort: a command that runs work under an address-space
// limit that leaves less than the least run needs once Go's runtime has
// started (a run on one worker) is refused with exit 2, naming the limit to
// set (a round ulimit -v figure with a heap arena to spare: 1310000 KiB
// mapped, 80 MiB needed and 64 MiB); it died at some point of "fatal
// error: out of memory" or an abort in pthread_create, with a page of Go's
// trace. One that leaves the least run's room but not a thread per CPU's
// runs with a note, as --lanes 1e4 on the serial engine ran there, where it
// was refused, with GOMAXPROCS capped at the threads that fit
// (sysmem.FitProcs): with one per CPU it aborted in pthread_create as the
// workers started. Version and help still answer.
func TestAddressSpaceShort(t *testing.T) {
	keepExits(t)
	oldShort, oldLeast, oldArenas, oldStacks, oldFit := shortOfRoom, leastRunRoom, arenaStartRoom, stackStartRoom, fitProcs
	defer func() {
		shortOfRoom, leastRunRoom, arenaStartRoom, stackStartRoom, fitProcs = oldShort, oldLeast, oldArenas, oldStacks, oldFit
	}()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(16))
	stackStartRoom = func() uint64 { return 0 }
	fitProcs = func() (int, bool) { return 3, true }
	arenaStartRoom = func() (uint64, bool) { return 0, false } // MALLOC_ARENA_MAX set by the caller
	shortOfRoom = func() (limit, mapped, need uint64, short bool) {
		return 1350000 << 10, 1310000 << 10, 80 << 20, true
	}
	const msg = "ulimit -v: the address-space limit (ulimit -v 1350000, 1.38 GB) leaves 41 MB once Go's runtime has started, under the 83.9 MB a run that starts a thread per CPU needs: raise it to ulimit -v 1460000 or more"
	// The refusal names the room it was refused for, the least run's: it
	// named a thread per CPU's alone, as the note does, where 84.5 MB of
	// that 159 MB (16 CPUs) ran and 33.3 MB was refused.
	const refusal = "ulimit -v: the address-space limit (ulimit -v 1350000, 1.38 GB) leaves 41 MB once Go's runtime has started, under the 50.3 MB even a run on one worker needs (83.9 MB for a thread per CPU): raise it to ulimit -v 1460000 or more"
	leastRunRoom = func() uint64 { return 48 << 20 }
	var stdout, stderr bytes.Buffer
	code := Run([]string{"run", "--lanes", "1e3", "--steps", "10"}, strings.NewReader(""), &stdout, &stderr)
	want := "gpusim: error: " + refusal + "\n" +
		"gpusim: hint: Go's runtime reserves about 1.2 GB of address space as it starts, before any of gpusim runs; lift the limit with ulimit -v unlimited, or run under it with MALLOC_ARENA_MAX=1 set, without which Go's start can abort (fakecgo: pthread_create failed) under limits up to about 1.8 GB\n"
	if code != exitUsage || stdout.Len() != 0 || stderr.String() != want {
		t.Errorf("run: exit %d, stdout %q, stderr %q; want 2, nothing and %q", code, stdout.String(), stderr.String(), want)
	}
	leastRunRoom = func() uint64 { return 32 << 20 }
	stdout.Reset()
	stderr.Reset()
	code = Run([]string{"run", "--lanes", "1e3", "--steps", "10", "--engine", "serial"}, strings.NewReader(""), &stdout, &stderr)
	want = "gpusim: note: " + msg + "; this run goes on with GOMAXPROCS=3 (of 16), the threads that fit\n"
	if code != 0 || !strings.Contains(stdout.String(), "digest ") || stderr.String() != want {
		t.Errorf("run with the least room left: exit %d, stdout %q, stderr %q; want 0, the report and %q", code, stdout.String(), stderr.String(), want)
	}
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("run with the least room left: GOMAXPROCS %d, want the 3 that fit", n)
	}
	// Restarted with 2 MiB thread stacks, the caller's start took 8 MiB
	// for each of its threads (sysmem.StackStartRoom): the limit named
	// has room for them.
	stackStartRoom = func() uint64 { return 6 * 6 << 20 }
	stderr.Reset()
	Run([]string{"run", "--lanes", "1e3", "--steps", "10", "--engine", "serial"}, strings.NewReader(""), &stdout, &stderr)
	if want := "raise it to ulimit -v 1500000 or more;"; !strings.Contains(stderr.String(), want) {
		t.Errorf("restarted with smaller stacks: stderr %q; want %q", stderr.String(), want)
	}
	stackStartRoom = func() uint64 { return 0 }
	// Restarted by gpusim with one arena, the caller's start had glibc's
	// arenas (sysmem.ArenaStartRoom, 6 of 64 MiB here): the limit it
	// named was one where that start aborted in pthread_create before
	// gpusim ran (15 of 20 under 1500000, 1430000 named), so it names one
	// with room for them, and its own with the variable set.
	arenaStartRoom = func() (uint64, bool) { return 6 * 64 << 20, true }
	stdout.Reset()
	stderr.Reset()
	Run([]string{"run", "--lanes", "1e3", "--steps", "10", "--engine", "serial"}, strings.NewReader(""), &stdout, &stderr)
	if want := "raise it to ulimit -v 1860000 or more, or to 1460000 or more with MALLOC_ARENA_MAX=1 set; this run goes on"; !strings.Contains(stderr.String(), want) {
		t.Errorf("restarted without MALLOC_ARENA_MAX: stderr %q; want %q", stderr.String(), want)
	}
	stdout.Reset()
	stderr.Reset()
	if code := Run([]string{"version"}, strings.NewReader(""), &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "gpusim ") {
		t.Errorf("version: exit %d, stdout %q, stderr %q; want 0 and the version", code, stdout.String(), stderr.String())
	}
}

// TestAddressSpaceShortHelp: a command's help (gpusim run --help, bench -h)
// answers under an address-space limit that refuses the command's work,
// as version and help do: it printed before the refusal came in.
func TestAddressSpaceShortHelp(t *testing.T) {
	keepExits(t)
	old := shortOfRoom
	defer func() { shortOfRoom = old }()
	shortOfRoom = func() (limit, mapped, need uint64, short bool) {
		return 1350000 << 10, 1310000 << 10, 80 << 20, true
	}
	for _, args := range [][]string{{"run", "--help"}, {"bench", "-h"}, {"run", "--lanes", "5", "--help"}, {"merge", "--help"}} {
		var stdout, stderr bytes.Buffer
		code := Run(args, strings.NewReader(""), &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "USAGE") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 0 and the help", args, code, stdout.String(), stderr.String())
		}
	}
}

// TestDailyWorkersThatFit: the worker count a --daily refusal names as one
// that fits is let through by the next start, whose memory available may be
// sysmem.StartSpread less: under ulimit -v 2500000 a refusal of 26 simd
// workers named 23, which the next start (1.17 GB available where 1.2 GB
// was needed) refused, naming 22 (CI, 0a440af).
func TestDailyWorkersThatFit(t *testing.T) {
	keepExits(t)
	old := availableMemory
	defer func() { availableMemory = old }()
	const lanes, steps = 26 * 1024, 10000
	need := func(w int) uint64 {
		copies, scratch := engines.DailyCopies("simd", engines.Options{Workers: w}, lanes, steps)
		data := uint64(copies)*sim.DailyBytes(steps) + scratch
		return data + sysmem.HeapSlack(data)
	}
	fits := regexp.MustCompile(`\(--workers ([0-9]+) fits, or lower --steps\)`)
	run := func(w int, avail uint64) string {
		availableMemory = func() (uint64, bool) { return avail, true }
		var stdout, stderr bytes.Buffer
		Run([]string{"run", "--engine", "simd", "--workers", strconv.Itoa(w), "--lanes", strconv.Itoa(lanes), "--daily", "--steps", strconv.Itoa(steps), "-q"}, strings.NewReader(""), &stdout, &stderr)
		return stderr.String()
	}
	// Just above what 23 workers need, and a spread lower.
	for _, avail := range []uint64{need(23) + 1<<20, need(23) + sysmem.StartSpread/2, need(20) + 3*sysmem.StartSpread/4} {
		out := run(26, avail)
		m := fits.FindStringSubmatch(out)
		if m == nil {
			t.Errorf("26 workers, %d bytes available: no worker count named that fits: %q", avail, out)
			continue
		}
		w, _ := strconv.Atoi(m[1])
		if out := run(w, avail-sysmem.StartSpread); strings.Contains(out, "gpusim: error: --daily: ") {
			t.Errorf("26 workers, %d bytes available: the %d named as fitting are refused with %d MiB less: %q", avail, w, sysmem.StartSpread>>20, out)
		}
	}
}

// TestDailyBesideOut: --daily's statistics are counted beside the per-lane
// outputs the run keeps at once, not against all the memory available:
// 1.2e8 lanes with --out and --daily on 700 workers under a 600 MB cgroup
// limit passed both checks, each alone, and were killed out of memory.
func TestDailyBesideOut(t *testing.T) {
	keepExits(t)
	old := availableMemory
	defer func() { availableMemory = old }()
	const lanes, steps = 1 << 20, 50
	copies, scratch := engines.DailyCopies("parallel", engines.Options{Workers: 2}, lanes, steps)
	data := uint64(copies)*sim.DailyBytes(steps) + scratch
	need := data + sysmem.HeapSlack(data)
	availableMemory = func() (uint64, bool) { return need + 1<<20, true } // 1 MiB more than --daily needs
	dir := t.TempDir()
	args := func(extra ...string) []string {
		return append([]string{"run", "--engine", "parallel", "--workers", "2", "--lanes", strconv.Itoa(lanes), "--steps", strconv.Itoa(steps), "--daily", "-q"}, extra...)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{args(), 0},
		{args("--out", dir+"/finals.f32"), 2},
		{args("--paths", "10000", "--paths-out", dir+"/paths.f32"), 2},
		{args("--paths", "10", "--paths-out", dir+"/paths.f32"), 0},
	} {
		var stdout, stderr bytes.Buffer
		code := Run(c.args, strings.NewReader(""), &stdout, &stderr)
		if code != c.code || (code == 2 && !strings.Contains(stderr.String(), "gpusim: error: --daily: ") || code == 2 && !strings.Contains(stderr.String(), "beside the")) {
			t.Errorf("%q: exit %d, stderr %q; want %d", c.args, code, stderr.String(), c.code)
		}
	}
}

// dailyDevices is an open engine on devices that holds copies of a
// --daily job's per-step statistics and buffers of bytes a step in host
// memory (as gpu.Multi's DailyMemory).
type dailyDevices struct {
	sim.Engine
	copies, devices int
	buffers         uint64 // a step
}

func (d dailyDevices) DailyMemory(job *sim.Job) (copies, devices int, buffers uint64) {
	return d.copies, d.devices, d.buffers * uint64(job.Params.Steps)
}

// TestDailyMemoryOpenDevices: once --device all has opened several
// devices, the --daily check counts the copies of the per-step statistics
// they hold and their buffers in host memory, and refuses with exit 2's
// error and a --steps that fits, where the check before the devices were
// known counted one copy: 10,000 steps on two of pocl's devices under a
// 400 MB cgroup limit passed it and stopped partway, exit 1 ("OpenCL run
// not started" as a later piece started). The --steps it names passes
// with sysmem.StartSpread less available; an engine that holds one copy
// is not checked again.
func TestDailyMemoryOpenDevices(t *testing.T) {
	old := availableMemory
	defer func() { availableMemory = old }()
	p := sim.Default()
	p.Lanes, p.Steps = 100000, 10000
	o := &runOptions{params: p, engine: "opencl", shard: &shardRun{}, outputs: outputs{daily: true, dailyFlag: "daily"}}
	one := sim.DailyBytes(p.Steps)
	avail := 4*one + sysmem.HeapSlack(4*one) // 4 copies: one fits, 11 do not
	availableMemory = func() (uint64, bool) { return avail, true }
	if err := o.checkDailyMemory(); err != nil {
		t.Fatalf("before the engine opens: %v; want one copy to fit", err)
	}
	eng := dailyDevices{copies: 11, devices: 2, buffers: 2500}
	err := o.checkDailyMemoryOpen(eng)
	var pe *sim.ParamError
	if !errors.As(err, &pe) || pe.Flag != "daily" || !strings.Contains(pe.Msg, "11 copies of the per-step statistics of 10000 steps (five per device of the 2, and the result's)") {
		t.Fatalf("11 copies on 2 devices in room for 4: %v; want --daily's refusal naming them", err)
	}
	m := regexp.MustCompile(`--steps ([0-9]+) fits on these devices`).FindStringSubmatch(pe.Msg)
	if m == nil {
		t.Fatalf("no --steps named that fits: %q", pe.Msg)
	}
	steps, _ := strconv.Atoi(m[1])
	if steps < 1 || steps >= p.Steps {
		t.Fatalf("--steps %d named, of %d", steps, p.Steps)
	}
	o.params.Steps = steps
	availableMemory = func() (uint64, bool) { return avail - sysmem.StartSpread, true }
	if err := o.checkDailyMemoryOpen(eng); err != nil {
		t.Errorf("the --steps %d named refused with %d MiB less: %v", steps, sysmem.StartSpread>>20, err)
	}
	o.params.Steps = p.Steps
	if err := o.checkDailyMemoryOpen(dailyDevices{copies: 1, devices: 1}); err != nil {
		t.Errorf("one copy, counted before the engine opened, refused again: %v", err)
	}
}
