package gpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// RunSelfTest runs every self-test check on the device of opt, in exact
// math whatever opt.Math: the cheap checks that Open runs (never taken from
// a cache here) and a small job per kernel (plain, daily, kept finals)
// compared bit for bit with sim.Model, the reference that cpu.Serial runs.
// The program's build (or load from gpusim's cache) and each kernel's
// first launch are SelfTest.Compile, the checks' own time SelfTest.Took.
// A failed check is in the report, not an error, and so is a job that
// fails to run (its check fails with the reason; the others still run);
// the error is for a device that cannot be opened, or a run stopped by ctx.
func RunSelfTest(ctx context.Context, opt Options) (*SelfTest, error) {
	opt.skipSelfTest, opt.Math = true, MathExact
	if err := selfTestLimitShort(opt); err != nil {
		return nil, err
	}
	e, err := Open(opt)
	if err != nil {
		return nil, err
	}
	defer sim.CloseNoted(e, opt.Note)
	_, compile := e.takeStartup() // the build or load, and the main kernel's first launch
	t0 := time.Now()
	if err := e.warmChecks(ctx); err != nil {
		var stb *selfTestBuildError
		if errors.As(err, &stb) && e.selfTestCached() && !opt.rebuilt {
			// The self-test's program from gpusim's disk cache did
			// not start (another program's binary under its key, say):
			// discarded, and built from source, as Open would.
			e.sh.discard(e.selfTestSource(), e.st.options, "did not start ("+firstLine(err)+")")
			opt.rebuilt = true
			return RunSelfTest(ctx, opt)
		}
		return nil, err
	}
	compile += time.Since(t0)
	st, err := e.cheapChecks()
	if err != nil {
		return nil, err
	}
	st.Label, st.Compile = e.label, compile
	t0 = time.Now()
	e.st.denormals = st.Denormals
	for _, j := range selfTestJobs() {
		c, err := e.checkJob(ctx, j.name, j.job)
		if err != nil {
			return nil, err
		}
		st.Checks = append(st.Checks, c)
	}
	st.Took += time.Since(t0)
	e.keepChecked(st)
	if st.Failed() != nil && (e.st.binSum != "" || e.selfTestCached()) && !opt.rebuilt {
		// A program came from gpusim's disk cache: it, not the
		// device, may be what fails (damaged, or another driver's).
		// Checked again built from source, as Open would.
		why := "failed the self-test check " + st.Failed().Name
		if e.st.binSum != "" {
			e.sh.discard(e.source(), e.options, why)
		}
		if e.selfTestCached() {
			e.sh.discard(e.selfTestSource(), e.st.options, why)
		}
		opt.rebuilt = true
		again, err := RunSelfTest(ctx, opt)
		if again != nil {
			// The checks' time counts both tries: it had the second's
			// alone. So does the build's.
			again.Took += st.Took
			again.Compile += st.Compile
		}
		return again, err
	}
	if !opt.NoDaily && st.Failed() == nil {
		// The program of run's plain jobs (Options.NoDaily), which a
		// plain run loads instead of this one: built or loaded here too,
		// with its own cheap checks as Open runs them, and its jobs
		// checked, so that selftest leaves every program a run loads
		// compiled and trusted (auto's reasons name selftest as what
		// compiles a device's program).
		checks, compile, took, err := plainProgramChecks(ctx, opt)
		if err != nil {
			return nil, err
		}
		st.Checks = append(st.Checks, checks...)
		st.Compile += compile
		st.Took += took
	}
	return st, nil
}

// selfTestLimitShort is, on pocl under a file-size limit (ulimit -f), the
// refusal of the programs RunSelfTest loads from gpusim's cache (the
// engine's, the self-test's and, with the daily kernels, the one without
// them) that pocl's kernel cache lacks files of past the limit, before the
// first load (cl.BinariesLimitShort), or nil. Each load checked its own
// program alone: the self-test's program refused at 92 kB said to raise
// the limit to 95 KiB, where the next program, 115 kB its largest file,
// was refused in turn. Programs not cached, and a device Open refuses,
// are left to Open's own checks.
func selfTestLimitShort(opt Options) error {
	if !cl.FileLimited() {
		return nil
	}
	ds, err := devices()
	if err != nil || opt.Device < 0 || opt.Device >= len(ds) {
		return nil
	}
	d := ds[opt.Device]
	e := newEngine(opt, d.desc)
	options, err := e.buildOptions()
	if err != nil {
		return nil
	}
	bins := [][]byte{cacheLoad("programs", programKey(d.desc, options, e.source())),
		cacheLoad("programs", programKey(d.desc, selfTestOptions(options), e.selfTestSource()))}
	if !opt.NoDaily {
		plain := opt
		plain.NoDaily = true
		p := newEngine(plain, d.desc)
		if options, err = p.buildOptions(); err != nil {
			return nil
		}
		bins = append(bins, cacheLoad("programs", programKey(d.desc, options, p.source())))
	}
	if err := cl.BinariesLimitShort(d.dev, bins); err != nil {
		return fmt.Errorf("opencl: load the self-test's programs for %s: %w", d.desc.Named(), err)
	}
	return nil
}

// plainProgramChecks opens opt's device with the program without the daily
// kernels (Options.NoDaily), whose Open vouches for it with the cheap
// checks, and runs the self-test's jobs without per-step statistics on it,
// named plain-program/ and the job's name. A device that does not start
// with it, or whose cheap checks fail, is a failed check of its own; its
// errors are ctx's cause alone. It returns the open's compile time and
// the checks' time.
func plainProgramChecks(ctx context.Context, opt Options) (checks []Check, compile, took time.Duration, err error) {
	opt.NoDaily, opt.skipSelfTest, opt.rebuilt = true, false, false
	e, err := Open(opt)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, 0, context.Cause(ctx)
		}
		c := Check{Name: "plain-program/open", Status: CheckFail, Note: "the program without the daily kernels did not start: " + firstLine(err), Err: err}
		if EnvironmentCause(err) {
			c.Status, c.Note = CheckNotRun, "could not run: "+firstLine(err)
		}
		var ste *SelfTestError
		if errors.As(err, &ste) {
			c = ste.Check
			c.Name = "plain-program/" + c.Name
		}
		return []Check{c}, 0, 0, nil
	}
	defer sim.CloseNoted(e, opt.Note)
	_, compile = e.takeStartup()
	t0 := time.Now()
	for _, j := range selfTestJobs() {
		if j.job.Daily {
			continue
		}
		c, err := e.checkJob(ctx, "plain-program/"+strings.TrimPrefix(j.name, "job/"), j.job)
		if err != nil {
			return nil, 0, 0, err
		}
		checks = append(checks, c)
	}
	return checks, compile, time.Since(t0), nil
}

// keepChecked stores in the disk cache the binary of a program RunSelfTest
// built from source (Open left it unsaved), with st as its pass, where
// every check passed; a program that failed one is not stored, so the next
// run builds it again rather than loading it and discarding it as a bad
// cache entry. Its build lock is released either way. A program loaded
// from the disk cache (another device of the same model built it, or an
// earlier process) gets st as its pass on this device too: none was
// stored for it, and the next Open of the device ran the cheap checks
// again.
func (e *Engine) keepChecked(st *SelfTest) {
	if st.Failed() != nil {
		e.sh.unsave(e.source(), e.options)
		e.unsaveSelfTest()
		return
	}
	e.keepSelfTest()
	saved := e.sh.saveBinary(e.source(), e.options)
	if saved == "" {
		saved = e.st.binSum // "" where built from source and not stored
	}
	e.st.pass = st
	e.savedBinary(saved)
}

// selfTestJobs are small jobs with awkward shapes: lane counts that are no
// multiple of a vector width, a partial last block of steps, an offset lane
// range above 2^32, negative persistence.
func selfTestJobs() []struct {
	name string
	job  *sim.Job
} {
	plain := sim.Default()
	plain.Lanes, plain.Steps, plain.Seed = 1<<33+5000, 13, 7
	daily := sim.Default()
	daily.Lanes, daily.Steps = 517, 9
	finals := sim.Default()
	finals.Lanes, finals.Steps, finals.Seed = 1001, 6, 3
	finals.Persistence, finals.Start, finals.Anchor = -0.9, -40, 15.5
	return []struct {
		name string
		job  *sim.Job
	}{
		{"job/plain", &sim.Job{Params: plain, First: 1<<33 + 3, Count: 1003}},
		{"job/daily", &sim.Job{Params: daily, Daily: true}},
		{"job/finals", &sim.Job{Params: finals, KeepFinals: true}},
	}
}

// checkJob runs job on the device and compares its exact parts (count,
// extremes, digest, histograms, finals) with the reference. A pass shows
// the two digests, and says what else was equal.
func (e *Engine) checkJob(ctx context.Context, name string, job *sim.Job) (Check, error) {
	c := Check{Name: name, Status: CheckPass}
	got, err := e.Run(ctx, job)
	if err != nil && ctx.Err() == nil {
		// A launch the device refused or lost: this check fails, where
		// it ended the self-test with no report. Err keeps the
		// error's hint, which the Note's text left out.
		c.Status, c.Note, c.Err = CheckFail, "the job did not run, so it has no got or want: "+err.Error(), err
		if lc := cl.LimitCause(err); lc != nil {
			err = lc
		}
		if EnvironmentCause(err) {
			// Out of host memory, or of resources under a limit
			// (ulimit -v, -u): the environment's, no fault of the
			// device's, where it failed the check.
			c.Status, c.Note, c.Err = CheckNotRun, "could not run: "+err.Error(), err
		}
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("opencl: self-test %s: %w", name, err)
	}
	want, err := sim.Reference(job)
	if err != nil {
		return c, fmt.Errorf("opencl: self-test %s: %w", name, err)
	}
	return compareJob(name, got, want), nil
}

// compareJob is the check name of a job's result got against the
// reference's, want: failed with the first part that differs, its got and
// want, and a note that names it and the lanes it covers ("digest of 1003
// lanes", "histogram bin 7 of step 2's 517 lanes", "final of lane 12"); or
// passed, with the two digests and passNote.
func compareJob(name string, got, want *sim.Result) Check {
	c := Check{Name: name, Status: CheckPass}
	fail := func(what string, g, w any) {
		if c.Status == CheckPass {
			c.Status, c.Got, c.Want, c.Note = CheckFail, hexOf(g), hexOf(w), what
		}
	}
	compareSummary(got.Summary, want.Summary, count.Noun(want.Summary.Count, "lane"), fail)
	for s := range want.Daily {
		compareSummary(got.Daily[s], want.Daily[s], fmt.Sprintf("step %d's %s", s+1, count.Noun(want.Daily[s].Count, "lane")), fail)
	}
	for i, w := range want.Finals {
		if g := got.Finals[i]; math.Float32bits(g) != math.Float32bits(w) {
			fail(fmt.Sprintf("final of lane %d", want.First+uint64(i)), floatBits(math.Float32bits(g)), floatBits(math.Float32bits(w)))
			break
		}
	}
	if c.Status == CheckPass {
		c.Got, c.Want, c.Note = hexOf(digestBits(got.Summary.Digest)), hexOf(digestBits(want.Summary.Digest)), passNote(want)
	}
	return c
}

// passNote says what a job check that passed compared: the lanes its
// digest covers, and the other parts that were equal too.
func passNote(want *sim.Result) string {
	note := fmt.Sprintf("digest of %s; count, min, max and histogram equal too", count.Noun(want.Summary.Count, "lane"))
	if len(want.Daily) > 0 {
		note += fmt.Sprintf(", and the summaries of its %s", count.Noun(len(want.Daily), "step"))
	}
	if len(want.Finals) > 0 {
		note += fmt.Sprintf(", and the %d finals", len(want.Finals))
	}
	return note
}

// digestBits and floatBits are a digest's and a float32's bits, which a
// failed check shows in hex at their full width (16 and 8 digits); other
// values show in plain hex. Every got and want of the self-test reads 0x
// (reports write digests without it: a check's words are not all digests).
type (
	digestBits uint64
	floatBits  uint32
)

func hexOf(v any) string {
	switch v := v.(type) {
	case digestBits:
		return fmt.Sprintf("0x%016x", uint64(v))
	case floatBits:
		return fmt.Sprintf("0x%08x", uint32(v))
	}
	return fmt.Sprintf("%#x", v)
}

// compareSummary calls fail with what differs between g and w, the
// summaries of the lanes of (of: "1003 lanes", "step 2's 517 lanes"), and
// their values: the first of digest, count, min, max, then the first
// histogram bin that differs. What it names says what was compared, as a
// pass's note does (passNote): a failed check said only "(digest)".
func compareSummary(g, w *sim.Summary, of string, fail func(string, any, any)) {
	switch {
	case g.Digest != w.Digest:
		fail("digest of "+of, digestBits(g.Digest), digestBits(w.Digest))
	case g.Count != w.Count:
		fail("count of "+of, g.Count, w.Count)
	case math.Float32bits(g.Min) != math.Float32bits(w.Min):
		fail("min of "+of, floatBits(math.Float32bits(g.Min)), floatBits(math.Float32bits(w.Min)))
	case math.Float32bits(g.Max) != math.Float32bits(w.Max):
		fail("max of "+of, floatBits(math.Float32bits(g.Max)), floatBits(math.Float32bits(w.Max)))
	}
	for i := range w.Hist.Bins {
		if g.Hist.Bins[i] != w.Hist.Bins[i] {
			fail(fmt.Sprintf("histogram bin %d of %s", i, of), g.Hist.Bins[i], w.Hist.Bins[i])
			return
		}
	}
}
