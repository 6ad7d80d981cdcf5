package gpu

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/kernels"
	"github.com/gpusim/gpusim/rng"
	"github.com/gpusim/gpusim/sim"
)

// Statuses of a Check.
const (
	// CheckPass: the device computed exactly what the Go reference does.
	CheckPass = "pass"
	// CheckFail: it did not; Open refuses the device.
	CheckFail = "fail"
	// CheckLimited: the device works with a limitation its Note names
	// (it flushes subnormals: jobs that can reach them are refused).
	CheckLimited = "limited"
	// CheckNotRun: the check could not run for a cause in the
	// environment, not the device (EnvironmentCause: a file-size limit,
	// a full disk, no memory); its Note says "could not run: " and why.
	CheckNotRun = "not-run"
)

// Check is one self-test check: its name, its status, and got and want in
// hex, which every check that ran has (docs/reproducibility.md section 7):
//
//   - a check that passed shows what sums up all it compared, got the
//     device's and want the reference's: the digest of section 5 of
//     docs/reproducibility.md over the 32-bit words compared, word k as
//     lane k, for the known answers (the output words, 4 a vector) and
//     the normals (their float32 bits, 4 a block of words) (Note: "digest
//     of N words"); the job's digest for a job (Note: of how many lanes,
//     and which other parts were equal too); the probe's result bits, 8
//     digits, for a probe (the same in every lane).
//   - a check that failed, or a probe that is limited, shows the first
//     value that differed: the vector of 4 output words, a normal's bits,
//     a probe's result, or the job's part (digest 16 digits, float bits 8,
//     a count or histogram bin in plain hex); Note says where.
//   - subnormals/reported, limited, shows bits of what keeps subnormals:
//     1 the device reports CL_FP_DENORM (and gpusim's build options do
//     not flush them: the tests' noDenormals hook), 2, 4 and 8 the probes
//     subnormals/product, input and sum computed them exactly; want has
//     every bit. A flush the driver adds itself (pocl's
//     POCL_EXTRA_BUILD_FLAGS=-cl-denorms-are-zero) keeps bit 1 and clears
//     the probes' bits.
//
// A check that did not run, a job the device did not run (Err set) or
// the device that did not start (the check "open"), has neither: Note says
// why, and the JSON leaves both out.
type Check struct {
	Name   string `json:"name"`           // what was checked, e.g. "philox/random123-kat"
	Status string `json:"status"`         // CheckPass, CheckFail or CheckLimited
	Got    string `json:"got,omitempty"`  // the device's value, hex: above
	Want   string `json:"want,omitempty"` // the reference's value, hex: above
	Note   string `json:"note,omitempty"` // what got and want sum up, where or why it differed, or the limitation
	// Err is the error of a check whose job did not run (its Note says
	// it as text), for its hint (cl.HintFor): nil otherwise.
	Err error `json:"-"`
}

// katCheck is the name of the check of Random123's known-answer vectors,
// which every self-test runs first.
const katCheck = "philox/random123-kat"

// SelfTest is a device's self-test: the checks that ran and what they tell.
type SelfTest struct {
	Device DeviceDesc
	// Label is the engine's label (device and vector type).
	Label  string
	Checks []Check // in the order they ran, Open's cheap checks first
	// Denormals is true when the device keeps subnormal floats: it reports
	// CL_FP_DENORM and the subnormal probes computed them exactly.
	Denormals bool
	// Took is the wall-clock time the checks took, those of both tries
	// where they ran again built from source (RunSelfTest); zero when
	// Cached. The program's build is not in it (Compile).
	Took time.Duration
	// Compile is RunSelfTest's wall-clock time preparing the program
	// before its checks, both tries' where it built again: its build from
	// source or load of gpusim's cached binary at the device's start, and
	// each kernel's first launch, at which a driver may generate its
	// machine code (pocl: about 1 s with its kernel cache cold, counted
	// in Took before). Zero from Open's checks.
	Compile time.Duration
	// Cached is true when an earlier pass of the cheap checks, for the same
	// device, driver, build options and kernel source, was reused.
	Cached bool
}

// Failed returns the first failed check, or nil.
func (s *SelfTest) Failed() *Check {
	for i := range s.Checks {
		if s.Checks[i].Status == CheckFail {
			return &s.Checks[i]
		}
	}
	return nil
}

// NotRun returns the first check that could not run for its
// environment (CheckNotRun), or nil.
func (s *SelfTest) NotRun() *Check {
	for i := range s.Checks {
		if s.Checks[i].Status == CheckNotRun {
			return &s.Checks[i]
		}
	}
	return nil
}

// EnvironmentCause says whether err, a self-test's or a device's start's,
// comes of the process's environment rather than the device: a driver
// that cannot work here (cl.ErrEnvironment: pocl under a file-size limit,
// ulimit -f), a full disk or quota (ENOSPC, EDQUOT), a file too large
// (EFBIG), or no memory (ENOMEM, CL_OUT_OF_HOST_MEMORY). The self-test
// under ulimit -f read as a device that failed plain-program/open.
func EnvironmentCause(err error) bool {
	return errors.Is(err, cl.ErrEnvironment) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.ENOMEM) || errors.Is(err, &cl.Error{Code: -6}) // CL_OUT_OF_HOST_MEMORY
}

// SelfTestError is Open's error for a device that failed a self-test check:
// its results would not be the exact stream. Match it with errors.As.
type SelfTestError struct {
	Device string // the device as DeviceDesc.Named gives it
	// Index is the device's flat index (DeviceDesc.Index).
	Index int
	Check Check // the first check that failed
	// Reported says the caller prints the full report already (gpusim
	// selftest's failed check): the hint does not send the user to it.
	Reported bool
}

func (e *SelfTestError) Error() string {
	msg := fmt.Sprintf("opencl: %s failed the self-test check %s: got %s, want %s", e.Device, e.Check.Name, e.Check.Got, e.Check.Want)
	if e.Check.Note != "" {
		msg += " (" + e.Check.Note + ")"
	}
	return msg + ": its results would not be the exact stream"
}

// Hint is the advice for the error (cl.HintFor returns it): the full
// report, where it is not Reported, and a CPU engine meanwhile; first, the
// drivers' settings the environment sets (DriverEnv), where it sets any:
// pocl under POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math fails the checks.
func (e *SelfTestError) Hint() string {
	h := cl.CPUMeanwhile
	if !e.Reported {
		h = fmt.Sprintf("run gpusim selftest --device %d for the full report; ", e.Index) + h
	}
	if advice := DriverEnvAdvice(); advice != "" {
		h = advice + "; " + h
	}
	return h
}

// probeCase is one selftest_step case: STEP(t) with p, c, sigma and z, and
// the exact result.
type probeCase struct {
	name              string
	t, p, c, sigma, z float32
	want              float32
	subnormal         bool // a limitation, not a failure, when it differs
}

// probeCases are the arithmetic probes. (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24
// rounds (a tie, to even) to 1 + 2^-11, so with c = -(1 + 2^-11) the
// unfused step gives 0 and a fused multiply-add 2^-24. 2^-70 * 2^-70 =
// 2^-140 and 2^-149 are subnormal: a device that flushes them gives 0.
var probeCases = func() []probeCase {
	a := float32(1 + 0x1p-12)
	c := -float32(1 + 0x1p-11)
	return []probeCase{
		{name: "no-fma/p*t+c", t: a, p: a, c: c, want: 0},
		{name: "no-fma/m+sigma*z", c: c, sigma: a, z: a, want: 0},
		{name: "subnormals/product", t: 0x1p-70, p: 0x1p-70, want: 0x1p-140, subnormal: true},
		{name: "subnormals/input", t: 0x1p-149, p: 0x1p100, want: 0x1p-49, subnormal: true},
		{name: "subnormals/sum", c: 0x1p-149, want: 0x1p-149, subnormal: true},
	}
}()

// normalEdges are the words whose normals the self-test checks: the ends of
// the radius and angle reductions' cases, and the words of the largest
// errors in docs/reproducibility.md section 3.3.
var normalEdges = []uint32{0, 1, 2, 0xff, 0x100, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001,
	0xfffffffe, 0xffffffff, 0x3504f300, 0x4afb0cff, 0xb504f333, 0x1fffffff, 0x20000000,
	0x3fffffc0, 0x40000000, 0x5fffffff, 0x60000000, 0xdfffffff, 0xe0000000,
	0x000000eb, 0x9b09c63f, 0x5faefdc0}

// selfTestState is an Engine's part of the self-test.
type selfTestState struct {
	kStep     *cl.Kernel
	options   string // the self-test's program's build options (selfTestOptions); "" before it is built
	key       string // the engine's program's key (programKey): device, driver, options and source, hashed
	binSum    string // the cached binary's checksum, "" after a build from source
	pass      *SelfTest
	denormals bool
}

func (s *selfTestState) release() error { return s.kStep.Release() }

// selfTestChecks stands for the checks a pass vouches for: the checksum of
// this file's source, which defines them (the known-answer vectors'
// comparison, the edge words, the probes, the rules a pass applies), and
// of the probe's kernel (kernels.SelfTest, which the engine's program key
// does not cover: the self-test's program is its own). A build whose
// checks changed finds no pass of another's. Hashed where first used, not
// as the package initializes: that counts in every start (TestInitCost).
var selfTestChecks = sync.OnceValue(func() string { return sum(slices.Concat(selfTestSource, []byte(kernels.SelfTest))) })

//go:embed selftest.go
var selfTestSource []byte

// trusted caches the cheap checks' outcome per key for the process.
var trusted struct {
	sync.Mutex
	m map[string]*SelfTest
}

// openSelfTest runs the cheap checks when the engine opens, or takes their
// outcome from the process's memory or the disk cache, and refuses a device
// that fails one. The self-test's program (selfTestKernels) is built only
// where the checks run; where they run, a small job on the engine's own
// program is compared with the reference too (checkOpenJob), since the
// self-test's kernels are not in that program's binary.
func (e *Engine) openSelfTest(options, source string) error {
	compiled := e.compile > 0
	if compiled {
		// After a fresh build, the first launches include the driver's
		// code generation (pocl's): compile time, like the warm-up's.
		defer func(t0 time.Time) { e.compile += time.Since(t0) }(time.Now())
	}
	e.st.key = programKey(e.desc, options, source)
	e.st.binSum = e.sh.binarySum(source, options)
	if e.opts.skipSelfTest {
		return nil
	}
	// A pass vouches for one program: this process's build, or one cached
	// binary (a stored pass is keyed by its checksum).
	memKey := selfTestKey(e.st.key, e.st.binSum, e.desc)
	trusted.Lock()
	st := trusted.m[memKey]
	trusted.Unlock()
	if st == nil && e.st.binSum != "" {
		st = loadSelfTest(memKey)
	}
	if st == nil {
		// The checks' launches are not bounded (a first launch generates
		// the kernel's code): a stop names them.
		defer waiting("run the self-test's checks on " + e.desc.Named())()
		// The self-test's program's build and checks are under its
		// marks alone, and the engine's job under the engine's
		// (shared.focus): a crash in one discarded or refused both.
		back := e.sh.focus(e.selfTestSource(), selfTestOptions(options))
		took, err := e.selfTestKernels()
		if err == nil {
			st, err = e.cheapChecks()
		}
		back()
		if err != nil {
			return err
		}
		if !compiled {
			e.compile += took
		}
		if !e.fast && st.Failed() == nil {
			back := e.sh.focus(source, options)
			c, err := e.checkOpenJob()
			back()
			if err != nil {
				return err
			}
			st.Checks = append(st.Checks, c)
		}
		if st.Failed() == nil && e.st.binSum != "" {
			saveSelfTest(memKey, st)
		}
		if st.Failed() == nil || !e.selfTestCached() {
			// A failure of a self-test program from the disk cache is
			// not the device's until its source fails too: Open
			// discards the entry and checks again.
			trusted.Lock()
			if trusted.m == nil {
				trusted.m = map[string]*SelfTest{}
			}
			trusted.m[memKey] = st
			trusted.Unlock()
		}
	}
	e.st.denormals = st.Denormals
	if c := st.Failed(); c != nil {
		return &SelfTestError{Device: e.desc.Named(), Index: e.desc.Index, Check: *c}
	}
	e.st.pass = st
	return nil
}

// selfTestOptions are the build options of the self-test's program for an
// engine built with options: those, and SELFTEST (kernels/weather.cl), less
// NO_DAILY, which changes nothing there (SELFTEST leaves the daily kernels
// out with weather), so that engines with and without the daily kernels
// share one self-test program.
func selfTestOptions(options string) string {
	f := slices.DeleteFunc(strings.Fields(options), func(o string) bool { return o == "-DNO_DAILY" })
	return strings.Join(append(f, "-DSELFTEST"), " ")
}

// selfTestSource is the self-test's program's source: the engine's, with
// kernels.SelfTest appended, built with selfTestOptions.
func (e *Engine) selfTestSource() string { return e.source() + "\n" + kernels.SelfTest }

// selfTestKernels builds the self-test's program (philox_kat, normals4,
// selftest_step), or takes it from the process's or the disk cache as the
// engine's program is taken, and creates its kernels, once per engine. It
// returns the build's host time, zero where the engine has them or the
// process had the program. The engine's program leaves these kernels out
// (196 against 379 kB on pocl 3.1, 0.5 ms of every warm start's build
// from the binary), so that a start whose checks a stored pass spares
// never builds them.
func (e *Engine) selfTestKernels() (took time.Duration, err error) {
	if e.kKAT != nil {
		return 0, nil
	}
	e.st.options = selfTestOptions(e.options)
	prog, took, err := e.sh.program(e.selfTestSource(), e.st.options, e.hooks())
	if err != nil {
		return 0, &selfTestBuildError{fmt.Errorf("opencl: build the self-test's kernels for %s: %w", e.desc.Named(), err)}
	}
	for _, k := range []struct {
		k    **cl.Kernel
		name string
	}{{&e.kKAT, "philox_kat"}, {&e.kNorm, "normals4"}, {&e.st.kStep, "selftest_step"}} {
		if *k.k, err = createKernel(prog, k.name, e.desc.Named()); errors.As(err, new(*NoAnswerError)) {
			return 0, err // the driver's, not the program's; the engine is left as it is (notStarted)
		}
		if err != nil {
			e.kKAT, e.kNorm, e.st.kStep = releaseKernels(e.kKAT, e.kNorm, e.st.kStep)
			return 0, &selfTestBuildError{fmt.Errorf("opencl: kernel %s: %w", k.name, err)}
		}
	}
	return took, nil
}

// releaseKernels releases ks and returns nils in their place.
func releaseKernels(ks ...*cl.Kernel) (a, b, c *cl.Kernel) {
	for _, k := range ks {
		k.Release()
	}
	return nil, nil, nil
}

// selfTestBuildError is selfTestKernels' error: the self-test's program did
// not build or lacks a kernel, which a binary of it from the disk cache may
// cause (Open then builds it from source).
type selfTestBuildError struct{ err error }

func (e *selfTestBuildError) Error() string { return e.err.Error() }
func (e *selfTestBuildError) Unwrap() error { return e.err }

// keepSelfTest ends a successful Open or RunSelfTest for the self-test's
// program, where the engine built it: its loading mark is removed and,
// built from source, its binary stored in the disk cache.
func (e *Engine) keepSelfTest() {
	if e.st.options == "" {
		return
	}
	e.sh.settle(e.selfTestSource(), e.st.options)
	e.sh.saveBinary(e.selfTestSource(), e.st.options)
}

// unsaveSelfTest drops the self-test's program, where the engine built it
// from source, from those the disk cache would store: a check failed.
func (e *Engine) unsaveSelfTest() {
	if e.st.options != "" {
		e.sh.unsave(e.selfTestSource(), e.st.options)
	}
}

// selfTestCached says whether the engine's self-test program came from
// the disk cache.
func (e *Engine) selfTestCached() bool {
	return e.st.options != "" && e.sh.binarySum(e.selfTestSource(), e.st.options) != ""
}

// openJobCheck is checkOpenJob's check name.
const openJobCheck = "job/open"

// openJob is the job checkOpenJob runs: lanes not a multiple of any vector
// width, steps across a block of four.
func openJob() *sim.Job {
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = 509, 6, 13
	return &sim.Job{Params: p}
}

// checkOpenJob runs openJob on the engine's own program and compares it
// with the reference, as checkJob does, but as Open's warm-up launches
// (no run of the engine's counted). It is what vouches for the engine's
// program where the checks run: a binary from the disk cache that builds
// but computes another stream (damaged, or another driver's, or the
// fast-math program's under the exact one's key) is caught here, the
// self-test's kernels being in a program of their own.
func (e *Engine) checkOpenJob() (Check, error) {
	job := openJob()
	r := &run{e: e, job: job, p: job.Params, m: job.Params.Model(), count: job.Params.Lanes}
	defer r.release()
	got, err := r.run(context.Background())
	if err != nil {
		return Check{}, fmt.Errorf("opencl: self-test %s on %s: %w", openJobCheck, e.desc.Named(), err)
	}
	want, err := sim.Reference(job)
	if err != nil {
		return Check{}, fmt.Errorf("opencl: self-test %s: %w", openJobCheck, err)
	}
	return compareJob(openJobCheck, got, want), nil
}

// savedBinary stores the self-test's pass for the binary Open just stored
// in the disk cache, or RunSelfTest loaded from it (checksum binSum), so
// that the next process that loads that binary on this device trusts it
// without running the checks again.
func (e *Engine) savedBinary(binSum string) {
	if binSum != "" && e.st.pass != nil && !e.st.pass.Cached {
		saveSelfTest(selfTestKey(e.st.key, binSum, e.desc), e.st.pass)
	}
}

// cheapChecks runs the checks that take a few kernel launches: Random123's
// known answers, the normals of the edge words and the arithmetic probes.
// Fast math is not the exact stream: only its Philox is checked.
func (e *Engine) cheapChecks() (*SelfTest, error) {
	if _, err := e.selfTestKernels(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	st := &SelfTest{Device: e.desc, Label: e.label}
	c, err := e.checkKAT()
	if err != nil {
		return nil, err
	}
	st.Checks = append(st.Checks, c)
	if e.fast {
		st.Took = time.Since(t0)
		return st, nil
	}
	normals, err := e.checkNormals()
	if err != nil {
		return nil, err
	}
	st.Checks = append(st.Checks, normals...)
	probes, err := e.checkProbes()
	if err != nil {
		return nil, err
	}
	st.Checks = append(st.Checks, probes...)
	// The evidence that subnormals are kept, one bit each: the device's
	// word, then each subnormal probe's.
	var got, want, bit uint32 = 0, 1, 2
	if e.desc.Denormals && !e.opts.noDenormals {
		got = 1
	}
	for i, c := range probes {
		if probeCases[i].subnormal {
			if c.Status == CheckPass {
				got |= bit
			}
			want |= bit
			bit <<= 1
		}
	}
	st.Denormals = got == want
	if !st.Denormals {
		st.Checks = append(st.Checks, Check{Name: "subnormals/reported", Status: CheckLimited, Got: fmt.Sprintf("%#x", got), Want: fmt.Sprintf("%#x", want),
			Note: "the device does not report CL_FP_DENORM or flushed a probe: jobs whose values can become subnormal are refused"})
	}
	st.Took = time.Since(t0)
	return st, nil
}

// warmChecks launches each kernel the checks use once before they are
// timed, so that a driver's code generation at a kernel's first launch
// (pocl's, for each work-group size it picks: the checks' own shapes) is
// timed apart from the checks (RunSelfTest's Compile): the cheap checks
// run once, their outcome left to the timed run (milliseconds), and the
// daily kernels launch on one lane (warmDaily). The main kernel is Open's
// to launch first (warmUp).
func (e *Engine) warmChecks(ctx context.Context) error {
	if _, err := e.cheapChecks(); err != nil {
		return err
	}
	return e.warmDaily(ctx)
}

// runRows runs k(in, out, n) over global work-items and reads out. Its
// calls are marked as a run's are (waitingPast): after Open (RunSelfTest's
// timed checks) they ran outside any mark, and a stop while the driver
// hung in one, or its crash, named nothing.
func (e *Engine) runRows(k *cl.Kernel, in, out []byte, n, global int) error {
	defer waitingPast("run the self-test's checks on "+e.desc.Named(), runWaitPast)()
	marked := e.markBuffer()
	bin, err := createLaterBuffer(e.sh.ctx, cl.MemReadOnly, len(in), "for the self-test's checks", e.desc.Named())
	if err != nil {
		marked()
		return unanswered(err, "opencl: self-test: allocate")
	}
	defer bin.Release()
	bout, err := createLaterBuffer(e.sh.ctx, cl.MemWriteOnly, len(out), "for the self-test's checks", e.desc.Named())
	marked()
	if err != nil {
		return unanswered(err, "opencl: self-test: allocate")
	}
	defer bout.Release()
	if err := bin.Write(e.q, 0, in); err != nil {
		return fmt.Errorf("opencl: self-test: write: %w", err)
	}
	for i, err := range []error{k.SetArgBuffer(0, bin), k.SetArgBuffer(1, bout), k.SetArgUint32(2, uint32(n))} {
		if err != nil {
			return fmt.Errorf("opencl: self-test: %s argument %d: %w", k.Name(), i, err)
		}
	}
	// runRows waits for its launch: the mark goes before it returns, or
	// at the process's exit (endMarks).
	unmark := e.firstLaunch(context.Background(), k)
	defer unmark()
	ev, err := e.q.EnqueueNDRange(k, []int{global}, nil)
	if err != nil {
		return fmt.Errorf("opencl: self-test: launch %s: %w", k.Name(), err)
	}
	defer ev.Release()
	if err := ev.Wait(); err != nil {
		return fmt.Errorf("opencl: self-test: %s: %w", k.Name(), err)
	}
	if err := bout.Read(e.q, 0, out); err != nil {
		return fmt.Errorf("opencl: self-test: read: %w", err)
	}
	return nil
}

// padRows is n rounded up to a whole number of work-items of the widest
// vector type.
func padRows(n int) int { return (n + 15) / 16 * 16 }

// checkKAT runs Random123's known-answer vectors through the program's
// philox_kat kernel.
func (e *Engine) checkKAT() (Check, error) {
	c := Check{Name: katCheck, Status: CheckPass}
	kat := rng.PhiloxKAT
	n := padRows(len(kat))
	in := make([]uint32, 6*n)
	for i := range n {
		v := kat[i%len(kat)]
		for j := range 4 {
			in[j*n+i] = v.Ctr[j]
		}
		in[4*n+i], in[5*n+i] = v.Key[0], v.Key[1]
	}
	out := make([]uint32, 4*n)
	if err := e.runRows(e.kKAT, cl.Bytes(in), cl.Bytes(out), n, n/e.vw); err != nil {
		return c, err
	}
	gotWords, wantWords := make([]uint32, 0, 4*n), make([]uint32, 0, 4*n)
	for i := range n {
		v := kat[i%len(kat)]
		got := [4]uint32{out[i], out[n+i], out[2*n+i], out[3*n+i]}
		if got != v.Out {
			c.Status, c.Got, c.Want = CheckFail, fmt.Sprintf("%#08x", got), fmt.Sprintf("%#08x", v.Out)
			c.Note = fmt.Sprintf("counter %08x key %08x", v.Ctr, v.Key)
			return c, nil
		}
		gotWords, wantWords = append(gotWords, got[:]...), append(wantWords, v.Out[:]...)
	}
	c.passed(gotWords, wantWords)
	return c, nil
}

// passed gives a check that passed its got and want: the digests of the
// words compared on each side (word k as lane k, docs/reproducibility.md
// section 5), and the count in the note.
func (c *Check) passed(got, want []uint32) {
	digest := func(words []uint32) string {
		var d uint64
		for k, w := range words {
			d += sim.DigestTerm(uint64(k), w)
		}
		return hexOf(digestBits(d))
	}
	c.Got, c.Want, c.Note = digest(got), digest(want), fmt.Sprintf("digest of %d words", len(got))
}

// sampleBlocks is how many blocks of Philox words checkNormals adds to the
// edge words: enough to exercise every branch of the transform many times.
const sampleBlocks = 1024

// checkNormals runs the normal transform on blocks (w, w, w, w) of the edge
// words and on sampleBlocks Philox blocks (counter i, key 0), and compares
// with rng.Normals4 bit for bit.
func (e *Engine) checkNormals() ([]Check, error) {
	ne := len(normalEdges)
	n := padRows(ne + sampleBlocks)
	blocks := make([][4]uint32, n)
	for i := range blocks {
		if i < ne {
			w := normalEdges[i]
			blocks[i] = [4]uint32{w, w, w, w}
		} else {
			blocks[i] = rng.Philox4x32([4]uint32{uint32(i), 0, 0, 0}, [2]uint32{})
		}
	}
	in := make([]uint32, 4*n)
	for i, b := range blocks {
		for row := range 4 {
			in[row*n+i] = b[row]
		}
	}
	out := make([]float32, 4*n)
	if err := e.runRows(e.kNorm, cl.Bytes(in), cl.Bytes(out), n, n/e.vw); err != nil {
		return nil, err
	}
	checks := []Check{{Name: "normals/edge-words", Status: CheckPass}, {Name: "normals/sample", Status: CheckPass}}
	var gotWords, wantWords [2][]uint32
	for i, b := range blocks {
		k := min(i/ne, 1)
		c := &checks[k]
		want := rng.Normals4(b)
		for j := range 4 {
			g, w := math.Float32bits(out[j*n+i]), math.Float32bits(want[j])
			if g != w && c.Status == CheckPass {
				c.Status, c.Got, c.Want = CheckFail, fmt.Sprintf("%#08x", g), fmt.Sprintf("%#08x", w)
				c.Note = fmt.Sprintf("words %08x, z%d", b, j)
			}
			gotWords[k], wantWords[k] = append(gotWords[k], g), append(wantWords[k], w)
		}
	}
	for k := range checks {
		if checks[k].Status == CheckPass {
			checks[k].passed(gotWords[k], wantWords[k])
		}
	}
	return checks, nil
}

// checkProbes runs probeCases through selftest_step.
func (e *Engine) checkProbes() ([]Check, error) {
	n := len(probeCases)
	in := make([]float32, 5*n)
	for i, p := range probeCases {
		copy(in[5*i:], []float32{p.t, p.p, p.c, p.sigma, p.z})
	}
	out := make([]float32, e.vw*n)
	if err := e.runRows(e.st.kStep, cl.Bytes(in), cl.Bytes(out), n, n); err != nil {
		return nil, err
	}
	checks := make([]Check, n)
	for i, p := range probeCases {
		// A pass shows the result, the same in every lane.
		c := Check{Name: p.name, Status: CheckPass, Got: fmt.Sprintf("%#08x", math.Float32bits(out[e.vw*i])), Want: fmt.Sprintf("%#08x", math.Float32bits(p.want))}
		for _, got := range out[e.vw*i : e.vw*(i+1)] {
			if math.Float32bits(got) != math.Float32bits(p.want) {
				c.Got = fmt.Sprintf("%#08x", math.Float32bits(got))
				c.Status = CheckFail
				c.Note = "the device fuses multiply-add despite FP_CONTRACT OFF"
				if p.subnormal {
					c.Status = CheckLimited
					c.Note = "the device flushes subnormals: jobs whose values can become subnormal are refused"
				}
				break
			}
		}
		checks[i] = c
	}
	return checks, nil
}

// String formats the checks for a message, one per line.
func (s *SelfTest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", s.Label)
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "  %-8s %s", c.Status, c.Name)
		if c.Got != "" || c.Want != "" {
			fmt.Fprintf(&b, ": got %s, want %s", c.Got, c.Want)
		}
		if c.Note != "" {
			fmt.Fprintf(&b, " (%s)", c.Note)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
