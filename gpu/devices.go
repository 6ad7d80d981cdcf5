package gpu

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/quote"
)

// DeviceDesc describes one OpenCL device.
type DeviceDesc struct {
	// Index is the device's position in the flat list over all platforms
	// (platforms in loader order, then devices in platform order): the
	// number Options.Device and --device take.
	Index int
	cl.DeviceInfo
	// VectorWidth is the lanes per work-item that Open picks by default.
	VectorWidth int
}

// String is "0: pthread-skylake-avx512-AMD EPYC (pocl, CPU)", the driver's
// names quoted where they hold a character that is not printable or are not
// UTF-8 (quote.Printable): errors and notes name devices with it, and a
// name with an escape sequence reached the terminal as is.
func (d DeviceDesc) String() string {
	return fmt.Sprintf("%d: %s (%s, %s)", d.Index, quote.Printable(d.Name), platformShort(d.PlatformName), quote.Printable(d.Type))
}

// Named is the device as prose names it, "device 0 (NAME, PLATFORM,
// TYPE)": String's "0: NAME (PLATFORM, TYPE)" embedded in a sentence read
// as its colon and parentheses ("opencl: 0: pthread-... (pocl, CPU)
// failed ..."). The names are quoted as String's.
func (d DeviceDesc) Named() string {
	return fmt.Sprintf("device %d (%s)", d.Index, cl.DeviceWords(d.Name, d.PlatformName, d.Type))
}

// label is the device of an engine with vw lanes per work-item, in fast
// math or not, as Engine.Label gives it after "device N: ":
// "pthread-skylake-avx512-AMD EPYC (pocl, CPU, float x16)", its names quoted
// as String's.
func (d DeviceDesc) label(vw int, fast bool) string {
	vec := "float"
	if vw > 1 {
		vec = fmt.Sprintf("float x%d", vw)
	}
	l := fmt.Sprintf("%s (%s, %s, %s", quote.Printable(d.Name), platformShort(d.PlatformName), quote.Printable(d.Type), vec)
	if fast {
		l += ", fast math"
	}
	return l + ")"
}

// IsGPU reports whether the device reports GPU among its types: it gets
// the GPU layout (vector width 1, reductions by work-group trees).
// Oclgrind's simulator reports CPU|GPU|ACCELERATOR, and the GPU layout is
// what it is run to check.
func (d DeviceDesc) IsGPU() bool { return strings.Contains(d.Type, "GPU") }

// GPUNotCPU reports whether the device is a GPU and does not also claim to
// be a CPU: the devices gpusim prefers when it picks one (PickDefault,
// auto's candidates). Oclgrind's simulator (CPU|GPU|ACCELERATOR) is not
// taken for a GPU there: it ran auto's probe thousands of times slower
// than pocl, and pocl was left out.
func (d DeviceDesc) GPUNotCPU() bool {
	types := strings.Split(d.Type, "|")
	return slices.Contains(types, "GPU") && !slices.Contains(types, "CPU")
}

// HostMemory reports whether the device's buffers are the host's memory,
// charged to the process as its own allocations are: a CPU device's
// (pocl's, Oclgrind's simulator's). A GPU's are its own memory.
func (d DeviceDesc) HostMemory() bool {
	return slices.Contains(strings.Split(d.Type, "|"), "CPU")
}

// ErrNoDevice matches the error of Devices and Open when the platforms
// report no device at all.
var ErrNoDevice = errors.New("opencl: no OpenCL device on any platform")

// DeviceIndexError is Open's error for a device index that does not exist;
// it lists the devices that do.
type DeviceIndexError struct {
	Index   int          // the index asked for
	Devices []DeviceDesc // every device, in DeviceDesc.Index order
}

func (e *DeviceIndexError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "opencl: no device %d (valid range 0..%d); devices:", e.Index, len(e.Devices)-1)
	for _, d := range e.Devices {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// Devices lists every device of every platform, in the flat order of
// DeviceDesc.Index. Without an OpenCL library the error matches
// cl.ErrNoLibrary, without a platform cl.ErrNoPlatform, and without any
// device ErrNoDevice (errors.Is); with pocl unable to work here (no writable
// kernel cache) it matches cl.ErrEnvironment. cl.HintFor gives the fix.
func Devices() ([]DeviceDesc, error) {
	ds, err := devices()
	if err != nil {
		return nil, err
	}
	out := make([]DeviceDesc, len(ds))
	for i, d := range ds {
		out[i] = d.desc
	}
	return out, nil
}

// BuildRefused returns the error with which opening device index (in
// Devices' order) would refuse to build its program from source, under a
// limit the build does not fit in (cl.BuildLimitShort: ulimit -f on pocl,
// ulimit -v), or nil, as also where the device cannot be listed (Open
// says why). A program loaded from the disk cache is not built: the
// caller asks only where a start compiles.
func BuildRefused(index int) error {
	ds, err := devices()
	if err != nil || index < 0 || index >= len(ds) {
		return nil
	}
	return cl.BuildLimitShort(ds[index].dev)
}

// BuildRefusedLabeled is BuildRefused for device index, labeled label
// (Engine.Label's form, which names its platform: "NAME (pocl, CPU,
// float x16)"), without listing the devices where this process has not:
// loading the driver to word a note of auto's cost 85 ms on pocl (LLVM's
// relocations), which a run of the calibration then counted against
// simd's 30 ms prediction, so that every other default run on a machine
// whose device was not compiled yet dropped the calibration and measured
// again.
func BuildRefusedLabeled(index int, label string) error {
	if Listed() {
		return BuildRefused(index)
	}
	return cl.BuildLimitShortIf(strings.Contains(label, "(pocl,"))
}

// Listed says whether this process has listed the devices (loaded the
// driver) already.
func Listed() bool {
	enumerated.Lock()
	defer enumerated.Unlock()
	return enumerated.list != nil
}

type device struct {
	dev  *cl.Device
	desc DeviceDesc
}

// enumerated caches the device list: the ICD loader fixes the platforms and
// devices for the life of the process. The mutex also serializes the first
// enumeration, because pocl 3.1 crashes when clGetDeviceInfo runs in several
// threads while it initializes its devices (seen as a SIGSEGV with parallel
// test scripts).
var enumerated struct {
	sync.Mutex
	list []device
	// took is the enumeration's time: loading the OpenCL library (and,
	// through the ICD loader, the vendor's, which for pocl is most of a
	// warm start: LLVM's relocations), listing platforms and devices.
	// charged says whether an engine's start-up has counted it.
	took    time.Duration
	charged bool
}

// discoveryCharge returns the enumeration's time the first time an engine
// asks, and 0 after: the process pays it once, and the first engine's
// start-up reports it, so that start-up covers everything OpenCL costs.
func discoveryCharge() time.Duration {
	enumerated.Lock()
	defer enumerated.Unlock()
	if enumerated.charged || enumerated.list == nil {
		return 0
	}
	enumerated.charged = true
	return enumerated.took
}

// StartDevices begins loading the OpenCL library and listing its devices
// in a goroutine of their own, for a process about to open a device: the
// load (pocl's: some 18 ms, mostly its LLVM's relocations) then overlaps
// what the process does first (the CLI's reading and checking of its
// command line, about 1 ms). Devices, Open and the rest wait for it and take
// its list; an error is not kept, and their own listing meets it again.
// Later calls do nothing.
func StartDevices() {
	startDevices.Do(func() { go devices() })
}

var startDevices sync.Once

// Quiesce is for a process about to exit, after StartDevices: the driver's
// load may go on, but it leaves no file of gpusim's half made (cl.Quiesce),
// and the process's marks in gpusim's cache are removed, none made after
// (endMarks): an exit is no crash, whatever the driver is still doing.
// Nothing may open a device after it.
func Quiesce() {
	endMarks()
	cl.Quiesce()
}

func devices() ([]device, error) {
	enumerated.Lock()
	defer enumerated.Unlock()
	if enumerated.list != nil {
		return enumerated.list, nil
	}
	t0 := time.Now()
	list, err := enumerate()
	if err == nil {
		// Less the driver's probe in a child, which only a first
		// start with its set-up pays (cl.ProbeTime).
		enumerated.list, enumerated.took = list, time.Since(t0)-cl.ProbeTime()
	}
	return list, err
}

func enumerate() ([]device, error) {
	distrustProbe() // a set-up's crash: the probe's child asks again
	ps, err := cl.Platforms()
	if err != nil {
		return nil, err // a *cl.UnavailableError or *cl.Error, which say what failed
	}
	var out []device
	for _, p := range ps {
		ds, err := p.Devices()
		if err != nil {
			return nil, fmt.Errorf("opencl: list devices: %w", err)
		}
		for _, d := range ds {
			in, err := d.Info()
			if err != nil {
				return nil, fmt.Errorf("opencl: query device %d: %w", len(out), err)
			}
			out = append(out, device{d, DeviceDesc{Index: len(out), DeviceInfo: in, VectorWidth: autoVectorWidth(in)}})
		}
	}
	if len(out) == 0 {
		if err := cl.PoclCacheProblem(); err != nil {
			return nil, err
		}
		// A driver's device selection the user set (POCL_DEVICES) is
		// also the Setting auto's note gives beside running on simd,
		// which said "opencl is not here" and nothing of it.
		return nil, &cl.UnavailableError{Kind: ErrNoDevice, Cause: fmt.Sprintf("no OpenCL device on any platform (platforms: %d, library: %s)", len(ps), cl.LibraryPath()),
			Hint: noDeviceHint(), Setting: driverSelectionFix()}
	}
	return out, nil
}

// PickDefault returns the index of the first device that is a GPU and not
// a CPU (GPUNotCPU), else of the first device of one type (not Oclgrind's
// simulator, which reports CPU|GPU|ACCELERATOR and runs thousands of times
// slower than pocl), or -1 when there is none (or no OpenCL at all): the
// caller decides what to fall back to.
func PickDefault() int {
	ds, err := Devices()
	if err != nil {
		return -1
	}
	return pickDefault(ds)
}

func pickDefault(ds []DeviceDesc) int {
	for _, d := range ds {
		if d.GPUNotCPU() {
			return d.Index
		}
	}
	for _, d := range ds {
		if !strings.Contains(d.Type, "|") {
			return d.Index
		}
	}
	return -1
}

// autoVectorWidth is 1 on GPUs, whose hardware runs work-items in SIMD
// lanes already, and the native float vector width elsewhere (16 with
// AVX-512, 8 with AVX2, 4 with SSE): pocl does not vectorize a kernel
// across work-items when its body has a loop, so explicit vectors are what
// fill a CPU's SIMD units.
func autoVectorWidth(in cl.DeviceInfo) int {
	if strings.Contains(in.Type, "GPU") {
		return 1
	}
	w := in.NativeVectorWidthFloat
	if w <= 0 {
		w = in.PreferredVectorWidthFloat
	}
	v := 1
	for v*2 <= min(w, 16) {
		v *= 2
	}
	return v
}

// platformShort abbreviates well-known platform names for device labels,
// and quotes others as String quotes a device's name: cl.PlatformShort,
// which the probe's child names a device with too.
func platformShort(name string) string { return cl.PlatformShort(name) }

// Notes returns the remarks of this process's OpenCL use so far, for the
// CLI to print: the loader's (an .icd file it routed around) and the disk
// cache's (CacheNotes).
func Notes() []string { return append(cl.LoadNotes(), CacheNotes()...) }
