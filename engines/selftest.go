package engines

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/jsonnum"
)

// SelfTest is one device's self-test as `gpusim selftest` reports it.
type SelfTest struct {
	Index  int    `json:"index"`  // the device's index, as --device takes it
	Device string `json:"device"` // the engine's label (gpu.Engine.Label)
	Driver string `json:"driver"` // CL_DRIVER_VERSION
	OK     bool   `json:"ok"`     // the device started, and every check ran and none failed
	// Denormals says whether the device keeps subnormal floats
	// (gpu.SelfTest.Denormals); nil, null in JSON, where the device did
	// not start and nothing was checked: false there read as a device
	// that flushes them.
	Denormals *bool `json:"denormals"`
	// Seconds is the wall-clock seconds the checks took, the compile not
	// counted. Its key keeps its first name, "seconds", for the readers
	// of earlier reports.
	Seconds float64 `json:"seconds"`
	// CompileSeconds is the wall-clock seconds before the checks spent
	// on the program (gpu.SelfTest.Compile): its build from source, or
	// its load from gpusim's cache, and each kernel's first launch, where
	// a driver generates machine code (pocl, its kernel cache cold);
	// where the device did not start (the check "open"), the time its
	// start took until it failed (a build that failed after seconds
	// read 0). Its key is "compile_s", as gpusim run's timing.compile_s (the
	// _s of the durations in gpusim's reports).
	CompileSeconds float64     `json:"compile_s"`
	Checks         []gpu.Check `json:"checks"` // in the order they ran
	// Failed names the first failed check, with got and want; "" when OK.
	Failed string `json:"-"`
	// NotRun names the first check that could not run for a cause in the
	// environment (gpu.CheckNotRun: a file-size limit, a full disk, no
	// memory), where none failed: no fault of the device; "" otherwise.
	NotRun string `json:"-"`
	// Text is the checks in lines for a person.
	Text string `json:"-"`
	// Err is why the device could not be checked (it did not start), or
	// why its failed check's job did not run, for the hint that says what
	// to fix; nil otherwise.
	Err error `json:"-"`
	// Hint is Err's hint for the report, worded by the caller for its
	// command (engines.Hint names run's flags), or "".
	Hint string `json:"hint,omitempty"`
}

// CheckNotRun is the status of a check, or of a whole self-test, that a
// cause in the environment kept from running (gpu.CheckNotRun).
const CheckNotRun = gpu.CheckNotRun

// EnvironmentCause says whether err, a self-test's or a device's start's,
// comes of the process's environment rather than the device: a driver
// that cannot work here (a file-size, address-space or process limit, an
// empty or unwritable POCL_CACHE_DIR), a full disk, or no memory
// (gpu.EnvironmentCause).
func EnvironmentCause(err error) bool { return gpu.EnvironmentCause(err) }

// CouldNotRun says whether err, of the device engine's load, its listing
// of devices or a device's start, means the device engine could not run
// here, through no fault of a device: a cause in the environment
// (EnvironmentCause), or OpenCL absent (no library, no platform, no
// device: the entry's Absent; ErrNoDevices, a build without one). gpusim
// exits 2 for it, as for bad input, and 1 for a device that computed
// wrongly or a driver that failed.
func CouldNotRun(err error) bool {
	if err == nil {
		return false
	}
	if EnvironmentCause(err) || errors.Is(err, ErrNoDevices) {
		return true
	}
	dev, derr := DeviceEntry()
	return derr == nil && dev.Absent != nil && dev.Absent(err)
}

// Limited is how many of the checks found a limitation of the device
// (gpu.CheckLimited: subnormals flushed), whose jobs that reach it are
// refused.
func (s SelfTest) Limited() int {
	n := 0
	for _, c := range s.Checks {
		if c.Status == gpu.CheckLimited {
			n++
		}
	}
	return n
}

// SelfTests runs the device engine's full self-test (known answers,
// arithmetic probes, small jobs against the serial engine) on each device a
// device list names ("all", "N" or "N,M,..."). note, when set, receives a
// one-line remark for stderr before a device's start that compiles its
// program (not in the disk cache: seconds). One report a device, in the
// list's order; a device that does not start is a report whose check
// "open" failed. Errors: Devices', a *sim.ParamError for --device's list,
// and ctx's cause.
func SelfTests(ctx context.Context, devices string, note func(string)) ([]SelfTest, error) {
	dev, err := DeviceEntry()
	if err != nil {
		return nil, err
	}
	if dev.SelfTest == nil {
		return nil, fmt.Errorf("the %s engine has no self-test", dev.Name)
	}
	return dev.SelfTest(ctx, devices, note)
}

// openCLSelfTests is the OpenCL entry's SelfTest.
func openCLSelfTests(ctx context.Context, devices string, note func(string)) ([]SelfTest, error) {
	// Within answerWait: under a driver that hangs as it starts, selftest
	// waited for ever. deviceIndexes then takes the listing gpu kept.
	if _, err := listedWithin(); err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	idx, ds, err := deviceIndexes(devices)
	if err != nil {
		return nil, err
	}
	var out []SelfTest
	for _, i := range idx {
		opt := gpu.Options{Device: i, Progress: note, Note: note}
		// A cold start compiles for seconds, which selftest, named as
		// what compiles the program, waited without a word.
		opt.Compiling = coldStartOnce(Options{Note: note})
		t0 := time.Now()
		st, err := gpu.RunSelfTest(ctx, opt)
		if ctx.Err() == nil {
			// A start that the driver did not answer is kept, and one
			// that answered forgets the mark, as a run's start does
			// (openedWithin): selftest did neither, though docs/auto.md
			// named it among the starts that forget it.
			keepOpening(err)
		}
		if err != nil && ctx.Err() != nil {
			// Stopped while the device started: the cause, not the
			// failure the stop caused (a signal during a cold build
			// deletes the compiler's temporary files, and the build
			// fails as if the kernel were rejected).
			return nil, fmt.Errorf("selftest of device %d: %w", i, context.Cause(ctx))
		}
		if err != nil {
			// A device that cannot start fails the check "open", in
			// its own report: the other devices are still checked.
			note := err.Error()
			if j := strings.IndexByte(note, '\n'); j >= 0 {
				note = note[:j]
			}
			c := gpu.Check{Name: "open", Status: gpu.CheckFail, Note: note}
			label := strings.TrimPrefix(ds[i].String(), fmt.Sprintf("%d: ", i))
			r := SelfTest{Index: i, Device: label, Driver: ds[i].DriverVersion,
				CompileSeconds: jsonnum.Seconds(time.Since(t0)), Failed: fmt.Sprintf("a device did not start: %v", gpu.OnDevice(i, err)), Err: err}
			if gpu.EnvironmentCause(err) {
				// A file-size limit, a full disk, no memory: no
				// fault of the device's.
				c.Status, c.Note = gpu.CheckNotRun, "could not run: "+note
				r.Failed, r.NotRun = "", fmt.Sprintf("a device could not run the self-test: %v", gpu.OnDevice(i, err))
			}
			r.Checks, r.Text = []gpu.Check{c}, (&gpu.SelfTest{Label: label, Checks: []gpu.Check{c}}).String()
			out = append(out, r)
			continue
		}
		r := checkedSelfTest(i, ds[i], st)
		if n := r.Limited(); n > 0 && note != nil {
			// The setting that may cause them, as a failed check's
			// hint names it (gpu.SelfTestError): pocl under
			// POCL_EXTRA_BUILD_FLAGS=-cl-denorms-are-zero flushes
			// subnormals, and nothing said why.
			if advice := gpu.DriverEnvAdvice(); advice != "" {
				note(fmt.Sprintf("device %d: %s found a limitation, and %s", i, count.Noun(n, "check"), advice))
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// checkedSelfTest is the report of device i, desc, whose checks ran: its
// first failed check names got and want where it has them, and its error
// (Err, for the hint): where its job did not run, that error (a launch out
// of the device's resources), which the check's note has as text alone;
// else the check's failure as Open refuses it (gpu.SelfTestError), whose
// hint names the drivers' settings the environment sets. A check that
// ran and failed had no error, and selftest no hint: it never named
// POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math, where run's hint did.
func checkedSelfTest(i int, desc gpu.DeviceDesc, st *gpu.SelfTest) SelfTest {
	denormals := st.Denormals
	r := SelfTest{Index: i, Device: st.Label, Driver: desc.DriverVersion, OK: st.Failed() == nil && st.NotRun() == nil,
		Denormals: &denormals, Seconds: jsonnum.Seconds(st.Took), CompileSeconds: jsonnum.Seconds(st.Compile), Checks: st.Checks, Text: st.String()}
	if c := st.Failed(); c != nil {
		r.Failed = fmt.Sprintf("device %d failed %s", i, c.Name)
		if c.Got != "" || c.Want != "" {
			// A job that did not run has neither: it read "(got , want )".
			r.Failed += fmt.Sprintf(" (got %s, want %s)", c.Got, c.Want)
		}
		if c.Note != "" {
			r.Failed += ": " + c.Note
		}
		r.Err = c.Err
		if r.Err == nil {
			r.Err = &gpu.SelfTestError{Device: desc.Named(), Index: i, Check: *c, Reported: true}
		}
	} else if c := st.NotRun(); c != nil {
		r.NotRun = fmt.Sprintf("device %d could not run %s: %s", i, c.Name, strings.TrimPrefix(c.Note, "could not run: "))
		r.Err = c.Err
	}
	return r
}
