package engines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/cputime"
	"github.com/gpusim/gpusim/sim"
)

func TestLookup(t *testing.T) {
	for _, name := range []string{"serial", "parallel", "simd", "opencl", "auto"} {
		if e, err := Lookup(name); err != nil || e.Name != name {
			t.Errorf("Lookup(%q) = %v, %v", name, e.Name, err)
		}
	}
	var pe *sim.ParamError
	_, err := Lookup("cuda")
	if !errors.As(err, &pe) || pe.Flag != "engine" || !strings.Contains(pe.Msg, "valid: serial, parallel, simd, opencl, auto") {
		t.Errorf("Lookup(cuda): %v", err)
	}
	if got := TakenBy(TakesWorkers); !slices.Equal(got, []string{"parallel", "simd"}) {
		t.Errorf("TakenBy(workers) = %v", got)
	}
}

// fakeDevices makes refuseDevice list n devices ("I: dev I (pocl, CPU)"),
// or fail with err, until the test ends.
func fakeDevices(t *testing.T, n int, err error) {
	was := listDevices
	t.Cleanup(func() { listDevices = was })
	listDevices = func() ([]gpu.DeviceDesc, error) {
		if err != nil {
			return nil, err
		}
		ds := make([]gpu.DeviceDesc, n)
		for i := range ds {
			ds[i] = gpu.DeviceDesc{Index: i, DeviceInfo: cl.DeviceInfo{Name: fmt.Sprintf("dev %d", i), PlatformName: "Portable Computing Language", Type: "CPU"}}
		}
		return ds, nil
	}
}

// TestRefuseByFormUnlisted: a device value its form alone refuses
// (--device -1, x, 0,0; bench's opencl:x) is refused without asking the
// driver for its devices, in the one set of words that needs no listing:
// the valid forms and gpusim devices, not counted in ListingsCut. It
// listed them first, waiting ListWait at most: run --device -1 waited 1
// to 2 s on a driver that hangs, and its words differed by whether the
// listing answered in time. Bench's names of a bad device
// (CheckDeviceNames, Select) are refused the same way, and "opencl:99",
// which only the driver can refuse, is let through.
func TestRefuseByFormUnlisted(t *testing.T) {
	was, wasWait := listDevices, listWait
	t.Cleanup(func() { listDevices, listWait = was, wasWait })
	var asked atomic.Int32
	listDevices = func() ([]gpu.DeviceDesc, error) {
		asked.Add(1)
		return []gpu.DeviceDesc{{Index: 0, DeviceInfo: cl.DeviceInfo{Name: "dev 0", PlatformName: "Portable Computing Language", Type: "CPU"}}}, nil
	}
	listWait = 5 * time.Second
	cut0 := ListingsCut()
	const valid = "(valid: a device's index, a list N,M,... or all; gpusim devices lists them)"
	for value, why := range map[string]string{"-1": "-1 is negative", "x": "not a device index", "1.5": "1.5 is not a whole number", "0,0": "device 0 is listed twice", "0,,1": "entry 2 of 3 is empty", "2^64": "2^64 is out of range"} {
		want := fmt.Sprintf("invalid value %q: %s %s", value, why, valid)
		_, err := ParseDevices(value, -1)
		if pe := (*sim.ParamError)(nil); !errors.As(err, &pe) || pe.Flag != "device" || pe.Msg != want {
			t.Errorf("ParseDevices(%q): %v, want --device: %s", value, err, want)
		}
		if err := CheckOptions(Options{Devices: value}); err == nil || err.Error() != "--device: "+want {
			t.Errorf("CheckOptions(Devices %q): %v, want --device: %s", value, err, want)
		}
	}
	for list, want := range map[string]string{"serial,opencl:x": `invalid value "opencl:x": not a device index (valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)`, "opencl:-1": "-1 is negative (valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)", "opencl:": "not a device index (valid: ", "opencl:99": "", "opencl:all,opencl": "", "serial,bogus": ""} {
		err := CheckDeviceNames(list)
		if pe := (*sim.ParamError)(nil); want == "" && err != nil || want != "" && (!errors.As(err, &pe) || pe.Flag != "engines" || !strings.Contains(pe.Msg, want) || strings.Contains(pe.Msg, "did not answer")) {
			t.Errorf("CheckDeviceNames(%q): %v, want %q", list, err, want)
		}
	}
	b := Benchable{Entries: []string{"serial", "opencl"}, Specs: []Spec{{Name: "serial", Entry: "serial"}, {Name: "opencl:0", Entry: "opencl", Device: true}}}
	for _, list := range []string{"opencl:x", "opencl:-1", "opencl:1.5"} {
		if _, err := b.Select(CanonicalList(list)); err == nil || !strings.Contains(err.Error(), "gpusim devices lists them)") {
			t.Errorf("Select(%q): %v, want the refusal by form", list, err)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("refusals by form alone asked the driver for its devices %d times, want none", n)
	}
	if n := ListingsCut() - cut0; n != 0 {
		t.Errorf("refusals by form alone counted %d listings cut short, want 0 (their hint names the driver)", n)
	}
	// An index past the devices needs the listing, and names them.
	if _, err := b.Select("opencl:1"); err == nil || !strings.Contains(err.Error(), "there is no device 1 (valid range 0..0,") || asked.Load() == 0 {
		t.Errorf("Select(opencl:1) on one device: %v, want it refused with the devices listed", err)
	}
}

func TestParseDevices(t *testing.T) {
	fakeDevices(t, 4, nil)
	for s, want := range map[string][]int{"0": {0}, "2,0": {2, 0}, " 1 , 3": {1, 3}, "all": {0, 1, 2, 3}, " all ": {0, 1, 2, 3}} {
		if got, err := ParseDevices(s, 4); err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseDevices(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for s, msg := range map[string]string{"x": `invalid value "x": not a device index (valid: a device's index,`, "0,0": `invalid value "0,0": device 0 is listed twice (valid: a device's index, a list N,M,... or all;`, "-1": `invalid value "-1": -1 is negative (valid: a device's index,`, "": "invalid value \"\": want a device (valid: a device's index, a list N,M,... or all; gpusim devices lists them)", " ": "want a device"} {
		var pe *sim.ParamError
		_, err := ParseDevices(s, 4)
		if !errors.As(err, &pe) || pe.Flag != "device" || !strings.Contains(pe.Msg, msg) {
			t.Errorf("ParseDevices(%q): %v, want %q", s, err, msg)
			continue
		}
		// Bad input names the valid forms, as every flag's error does: a
		// repeated index said only "device 0 is listed twice".
		if !strings.Contains(pe.Msg, "N,M") || !strings.Contains(pe.Msg, "all") {
			t.Errorf("ParseDevices(%q): %q does not name the valid forms (N, N,M,... or all)", s, pe.Msg)
		}
	}
	if got, err := ParseDevices("all", -1); got != nil || err != nil {
		t.Errorf("ParseDevices(all, -1) = %v, %v", got, err)
	}
}

// TestParseDevicesGrammar: an index reads the one grammar of every count
// and index flag (count.Parse, as --lanes, --seed and --shard's index read
// theirs): --device took 00 and " 0" but refused +0, 0x0 and 0.0 as "not a
// device index", and 1e30 and 2^64 without saying they are numbers out of
// range. Underscores are read between digits as a count's (1_0 is ten),
// never as Go's base prefixes (0o1, 0b1 are refused).
func TestParseDevicesGrammar(t *testing.T) {
	fakeDevices(t, 4, nil)
	for _, c := range []struct {
		s    string
		want []int
	}{
		{"0", []int{0}}, {"00", []int{0}}, {" 0", []int{0}}, {"0 ", []int{0}},
		{"+0", []int{0}}, {"-0", []int{0}}, {"0x0", []int{0}}, {"0X2", []int{2}},
		{"0.0", []int{0}}, {"1.0", []int{1}}, {"1e0", []int{1}}, {"3E0", []int{3}},
		{"2^0", []int{1}}, {"2^1+1", []int{3}}, {"+1", []int{1}}, {"01", []int{1}},
		{"1,+2", []int{1, 2}}, {"0x1, 2e0 ,+3", []int{1, 2, 3}},
		{"1_0", []int{10}}, {"1e3", []int{1000}}, {"2147483647", []int{MaxDeviceIndex}},
	} {
		if got, err := ParseDevices(c.s, -1); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseDevices(%q) = %v, %v; want %v", c.s, got, err, c.want)
		}
	}
	const valid = " (valid: a device's index, a list N,M,... or all; gpusim devices lists them)"
	for _, c := range []struct{ s, want string }{
		{"1.5", `invalid value "1.5": 1.5 is not a whole number`},
		{"1e-1", `invalid value "1e-1": 1e-1 is not a whole number`},
		{"1e30", `invalid value "1e30": 1e30 is out of range`},
		{"2^64", `invalid value "2^64": 2^64 is out of range`},
		{"2^31", `invalid value "2^31": 2^31 is out of range`},
		{"-0x1", `invalid value "-0x1": -0x1 is negative`},
		{"-1e0", `invalid value "-1e0": -1e0 is negative`},
		{"0,0x0", `invalid value "0,0x0": device 0 is listed twice`},
		{"1,1.0", `invalid value "1,1.0": device 1 is listed twice`},
		{"0o1", `invalid value "0o1": not a device index`},
		{"0b1", `invalid value "0b1": not a device index`},
		{"NaN", `invalid value "NaN": not a device index`},
		{"Inf", `invalid value "Inf": not a device index`},
		{"1__0", `invalid value "1__0": not a device index`},
		{"0 0", `invalid value "0 0": not a device index`},
		// The count grammar's advice for sizes is not an index's: 1m
		// read "M is the million suffix, m is not read: write 1M", 1 000
		// "thousands separators are not read: write 1000 or 1k", devices
		// no machine has. Another script's digits keep theirs where the
		// ASCII digits are an index.
		{"1 000", `invalid value "1 000": not a device index`},
		{"0,1 000", `invalid value "0,1 000": entry "1 000" is not a device index`},
		{"1m", `invalid value "1m": not a device index`},
		{"0,2g", `invalid value "0,2g": entry "2g" is not a device index`},
		{"1e2k", `invalid value "1e2k": not a device index`},
		{"1'000", `invalid value "1'000": not a device index`},
		{"１ ０００", `invalid value "１ ０００": not a device index`},
		{"１m", `invalid value "１m": not a device index`},
		{"１.５", `invalid value "１.５": not a device index`},
		{"２", `invalid value "２": digits other than ASCII 0-9 are not read: write 2`},
		{"0,１", `invalid value "0,１": entry "１": digits other than ASCII 0-9 are not read: write 1`},
	} {
		var pe *sim.ParamError
		_, err := ParseDevices(c.s, 4)
		if !errors.As(err, &pe) || pe.Flag != "device" || !strings.HasPrefix(pe.Msg, c.want+valid) {
			t.Errorf("ParseDevices(%q, 4): %v; want --device: %s%s", c.s, err, c.want, valid)
		}
	}
}

// TestParseDevicesRange: a negative index, or one past what the syntax
// reads, is out of range, with the valid forms, whether ParseDevices is
// told how many devices there are or not: it named 0..2147483647, the
// range the syntax allows. Both read "is not a device index" without a
// number. The devices are not listed (TestRefuseByFormUnlisted).
func TestParseDevicesRange(t *testing.T) {
	fakeDevices(t, 4, nil)
	const valid = " (valid: a device's index, a list N,M,... or all; gpusim devices lists them)"
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"-1", -1, `invalid value "-1": -1 is negative`},
		{"0, -2", -1, `invalid value "0, -2": -2 is negative`},
		{"99999999999999999999", -1, `invalid value "99999999999999999999": 99999999999999999999 is out of range`},
		{"2147483648", -1, `invalid value "2147483648": 2147483648 is out of range`},
		{"99999999999999999999", 4, `invalid value "99999999999999999999": 99999999999999999999 is out of range`},
		{"x", -1, `invalid value "x": not a device index`},
		// In the words of -1's: "x" is not a device index (valid: N,
		// ...) was worded apart, without "invalid value"; an empty
		// entry, all in a list and another script's digits said so too.
		{"0,x", -1, `invalid value "0,x": entry "x" is not a device index`},
		{"0,,1", 4, `invalid value "0,,1": entry 2 of 3 is empty`},
		{"all,0", 4, `invalid value "all,0": entry "all": all is given alone, not in a list`},
		{"１", 4, `invalid value "１": digits other than ASCII 0-9 are not read: write 1`},
		{"-１", 4, `invalid value "-１": -１ is negative`},
		{"ALL", 4, `invalid value "ALL": not a device index; did you mean all?`},
	} {
		var pe *sim.ParamError
		if _, err := ParseDevices(c.s, c.n); !errors.As(err, &pe) || pe.Flag != "device" || pe.Msg != c.want+valid {
			t.Errorf("ParseDevices(%q, %d): %v; want --device: %s", c.s, c.n, err, c.want+valid)
		}
	}
	if got, err := ParseDevices("2147483647", -1); err != nil || !slices.Equal(got, []int{MaxDeviceIndex}) {
		t.Errorf("ParseDevices(2147483647) = %v, %v; want it read (the engine checks it)", got, err)
	}
}

// TestDeviceRefusalNone: where OpenCL finds no device at all, a device
// refusal says so; where the listing fails otherwise, that it could not
// list them; the shape is the same.
func TestDeviceRefusalNone(t *testing.T) {
	// An index, which only the listing can refuse: a form's refusal
	// lists nothing (TestRefuseByFormUnlisted).
	refuse := func() error { return refuseDevice("device", "7", "there is no device 7", deviceListForms) }
	fakeDevices(t, 0, gpu.ErrNoDevice)
	want := `--device: invalid value "7": there is no device 7 (valid: a device's index, a list N,M,... or all, and there is no OpenCL device here; gpusim devices says why)`
	if err := refuse(); err == nil || err.Error() != want {
		t.Errorf("no device: %v, want %s", err, want)
	}
	fakeDevices(t, 0, errors.New("opencl: list devices: CL_OUT_OF_HOST_MEMORY (-6)"))
	want = `--device: invalid value "7": there is no device 7 (valid: a device's index, a list N,M,... or all; the devices could not be listed: gpusim devices says why)`
	if err := refuse(); err == nil || err.Error() != want {
		t.Errorf("a failed listing: %v, want %s", err, want)
	}
}

func TestSelect(t *testing.T) {
	spec := func(name string) Spec {
		entry, _, _ := strings.Cut(name, ":")
		return Spec{Name: name, Entry: entry, New: func(int, func(string)) sim.Engine { return cpu.Serial{} }}
	}
	b := Benchable{Entries: []string{"serial", "ocl", "gone"}, Specs: []Spec{spec("serial"), spec("ocl:a"), spec("ocl:b")},
		Missing: map[string]error{"gone": errors.New("not here")}}
	names := func(specs []Spec) []string {
		var ns []string
		for _, s := range specs {
			ns = append(ns, s.Name)
		}
		return ns
	}
	for list, want := range map[string][]string{
		"":               {"serial", "ocl:a", "ocl:b"},
		"ocl":            {"ocl:a", "ocl:b"},
		"ocl:b, serial":  {"serial", "ocl:b"},
		"ocl:a,ocl,ocl":  {"ocl:a", "ocl:b"},
		"serial,serial,": nil,
	} {
		specs, err := b.Select(list)
		if want == nil {
			// An empty entry is named by its place (it read `unknown
			// engine ""`).
			if err == nil || !strings.Contains(err.Error(), `invalid value "serial,serial,": entry 3 of 3 is empty (valid: serial, ocl, gone)`) {
				t.Errorf("Select(%q): got %v, %v; want an empty entry error", list, names(specs), err)
			}
			continue
		}
		if err != nil || !slices.Equal(names(specs), want) {
			t.Errorf("Select(%q) = %v, %v; want %v", list, names(specs), err, want)
		}
	}
	// An empty entry is refused before any name is looked up: on a
	// Benchable whose opencl devices are not listed (BenchEntries),
	// "opencl:0," was refused as naming no device 0 (after another wait
	// for a driver that had not answered). Its valid names are the same
	// with opencl's devices listed or not (Forms): they listed opencl:0,
	// or opencl alone and why.
	fakeDevices(t, 1, nil)
	const wantEmpty = `--engines: invalid value "opencl:0,": entry 2 of 2 is empty (valid: serial, opencl, opencl:N)`
	for _, u := range []Benchable{
		{Entries: []string{"serial", "opencl"}, Specs: []Spec{spec("serial")}},
		{Entries: []string{"serial", "opencl"}, Specs: []Spec{spec("serial"), {Name: "opencl:0", Entry: "opencl", Device: true}}},
	} {
		if _, err := u.Select("opencl:0,"); err == nil || err.Error() != wantEmpty {
			t.Errorf("Select(opencl:0,) with specs %v: %v, want %s", names(u.Specs), err, wantEmpty)
		}
	}
	if _, err := b.Select("gone"); err == nil || !strings.Contains(err.Error(), "gone cannot run here: not here") {
		t.Errorf("Select(gone): %v", err)
	}
	// A device of a device engine that cannot run here is refused for
	// the engine's reason, not as an unknown name; a name that is not one
	// of its devices stays unknown.
	b.Entries = append(b.Entries, "opencl")
	b.Missing["opencl"] = errors.New("no OpenCL platform")
	for _, name := range []string{"opencl:0", "serial, opencl:12"} {
		var pe *sim.ParamError
		if _, err := b.Select(name); err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "opencl:") || !strings.HasSuffix(err.Error(), " cannot run here: no OpenCL platform") {
			t.Errorf("Select(%q) without OpenCL: %v; want the reason it cannot run here", name, err)
		}
	}
	for _, name := range []string{"serial:0", "gone:0"} {
		var pe *sim.ParamError
		if _, err := b.Select(name); !errors.As(err, &pe) || !strings.Contains(err.Error(), "unknown engine") {
			t.Errorf("Select(%q) without OpenCL: %v; want an unknown engine error", name, err)
		}
	}
	// One that is no device index is refused as --device's (it read
	// "unknown engine"), by its form, the driver not asked.
	fakeDevices(t, 0, cl.ErrNoPlatform)
	for _, name := range []string{"opencl:", "opencl:x", "opencl:-1"} {
		var pe *sim.ParamError
		if _, err := b.Select(name); !errors.As(err, &pe) || !strings.Contains(err.Error(), "invalid value") || !strings.Contains(err.Error(), "gpusim devices lists them)") {
			t.Errorf("Select(%q) without OpenCL: %v; want an invalid value with the valid forms", name, err)
		}
	}
	delete(b.Missing, "opencl")
	b.Entries = b.Entries[:len(b.Entries)-1]
	if got := b.Notes(nil); !slices.Equal(got, []string{"gone left out: not here"}) {
		t.Errorf("Notes() = %q", got)
	}
}

// TestAutoSmallJob checks that a job simd finishes before any device could
// start runs on simd without touching the device engine.
func TestAutoSmallJob(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 10
	e, ch, err := Auto(context.Background(), Options{Params: p})
	if err != nil || e.Name() != "simd" || ch.Engine != "simd" || !strings.Contains(ch.Reason, "small job") {
		t.Errorf("Auto(1000 x 10) = %v, %+v, %v; want simd for a small job", e, ch, err)
	}
}

// TestAutoShard checks that auto sizes a shard's choice by the shard's
// lanes: a million-lane shard of a 1e12-lane job is a small job. It planned
// for the whole job, loaded OpenCL and probed in every task of an array.
func TestAutoShard(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Lanes, p.Steps = 1e12, 10
	for _, lanes := range []uint64{1000, 0} {
		e, ch, err := Auto(context.Background(), Options{Params: p, Sharded: true, Lanes: lanes})
		want := fmt.Sprintf("a small job (%d lane-steps)", lanes*10)
		if lanes == 0 {
			// An empty shard runs nothing: it was "a small job (0
			// lane-steps)" that simd "finishes in about 1 us".
			want = "no lanes to run (0 lane-steps): no device is started"
		}
		if err != nil || e.Name() != "simd" || !strings.Contains(ch.Reason, want) {
			t.Errorf("Auto(shard of %d lanes) = %v, %+v, %v; want simd for %s", lanes, e, ch, err, want)
		}
	}
}

// TestAutoCancelled checks that auto's measurements stop with the context.
func TestAutoCancelled(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := sim.Default()
	p.Lanes, p.Steps = 1<<30, 1000
	if e, _, err := Auto(ctx, Options{Params: p}); !errors.Is(err, context.Canceled) {
		t.Errorf("Auto with a cancelled context = %v, %v; want context.Canceled", e, err)
	}
}

// TestAutoProbeBounded checks that the probe is a bounded slice of any job.
func TestAutoProbeBounded(t *testing.T) {
	for _, steps := range []int{1, 10, 100, 100000} {
		p := sim.Default()
		p.Lanes, p.Steps = 1<<40, steps
		q := probeJob(p, false).Params
		if w := q.Lanes * uint64(q.Steps); w > probeLaneSteps || q.Steps > probeMaxSteps || q.Steps < 1 {
			t.Errorf("probe of %d x %d is %d x %d", p.Lanes, p.Steps, q.Lanes, q.Steps)
		}
	}
}

// TestAutoCalibration checks that a cached calibration decides without
// measuring: with simd predicted faster no device is started.
func TestAutoCalibration(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Lanes, p.Steps = 1<<28, 100
	o := Options{Params: p}
	storeCalibration(calibrationKey(o), calibration{SIMD: cost{Ns: 0.5}, Devices: []deviceTiming{{Index: 0, Label: "slow", Startup: 0.2, cost: cost{Ns: 1}}}})
	e, ch, err := Auto(context.Background(), o)
	if err != nil || e.Name() != "simd" || !strings.Contains(ch.Reason, "calibration") || ch.Probe != 0 {
		t.Errorf("Auto with a calibration = %v, %+v, %v; want simd from the calibration", e, ch, err)
	}
}

// TestCalibrateCountsDriverLoad checks that a device's calibrated start-up
// includes listing the devices (loading the driver library), which every
// process that starts a device pays: without it auto took pocl for jobs
// where simd was faster by the library's load time (1.10-1.13x the best
// engine at 1e6 lanes x 100 steps).
func TestCalibrateCountsDriverLoad(t *testing.T) {
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) { return cpu.Serial{}, nil }}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 4
	enum := span{wall: 5 * time.Second, cpu: 5 * time.Second}
	c, e, _, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device"}}, Options{Params: p}, cpu.SIMD{}, 4000, enum)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if len(c.Devices) != 1 || c.Devices[0].Startup < enum.wall.Seconds() {
		t.Errorf("calibrated devices %+v: want one whose start-up counts the %v of listing devices", c.Devices, enum.wall)
	}
}

// TestCalibrateReasonSaysStartup: where the calibration's run goes to the
// device it started to measure, the reason says that the prediction leaves
// out the start-up it spent, and what a later run pays for it. On an H200
// (0.2 s of start-up) the course's job read "opencl on device 0 predicted at
// 0.000202 s, simd at 0.053 s", for a run of 0.47 s, and the next run of
// the same job went to simd with no word of why.
func TestCalibrateReasonSaysStartup(t *testing.T) {
	shift := shiftedClock(t)
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) {
		return &shiftedEngine{timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, shift}, nil
	}}
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	enum := span{wall: 250 * time.Millisecond} // loading the driver, a GPU's start-up
	c, e, ch, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: true}}, Options{Params: p}, cpu.SIMD{}, 1e9, enum)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "timed" || len(c.Devices) != 1 {
		t.Fatalf("calibrate chose %s (%s), devices %+v; want the device", ch.Engine, ch.Reason, c.Devices)
	}
	if want := "now that it is started (a later run pays its " + count.Seconds(c.Devices[0].Startup) + " of start-up too), simd at"; !strings.Contains(ch.Reason, want) {
		t.Errorf("reason %q, want it to say %q", ch.Reason, want)
	}
}

// TestCalibrateTooSlowNote: a device too slow to measure within
// deviceMeasureBudget (a simulator, 30 us a lane-step) gets a note that
// says so, its cost per lane-step written as every time per lane-step is
// (count.Nanos, here in µs): it read "(3e+04 ns per lane-step)", and no
// test reached it, then "within 0.5 s ... (30000 ns per lane-step)".
func TestCalibrateTooSlowNote(t *testing.T) {
	shift := shiftedClock(t)
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) {
		return &shiftedEngine{timedEngine{fixed: 0.001, perLaneStep: 30e-6}, shift}, nil
	}}
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	var notes []string
	o := Options{Params: p, Note: func(n string) { notes = append(notes, n) }}
	c, e, _, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: true}}, o, cpu.SIMD{}, 1e9, span{}) // a GPU: timed by the wall clock, which its runs move
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if len(c.Devices) != 1 {
		t.Fatalf("calibrated devices %+v; want the one", c.Devices)
	}
	ns := c.Devices[0].cost.Ns
	want := fmt.Sprintf("fake fake device is too slow to measure within 500 ms: costed from a pilot run (%s µs per lane-step)", count.Sig3(ns/1e3))
	if len(notes) != 1 || notes[0] != want || strings.Contains(notes[0], "e+") || ns < 1000 {
		t.Errorf("notes %q (cost %g ns a lane-step); want one, %q, no e notation", notes, ns, want)
	}
}

// TestReasonLongTimes: auto's reason writes a long job's predictions in
// seconds, days or years (count.Time), as the refusal of a job of years
// does: run --lanes 2^60 --timeout 1s read "opencl on device 0 predicted
// at 1.5e+12 s ..., simd at 1.64e+12 s".
func TestReasonLongTimes(t *testing.T) {
	var c calibration
	const year = 365.25 * 86400
	got := c.measuredReason(1e21, "simd on 2 cores", 96.4e3*year, -1, "opencl on device 0", 18000)
	want := "measured here: simd on 2 cores predicted at 96.4k years, opencl on device 0 at 18000 s once started"
	if got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
	c.Devices = []deviceTiming{{Index: 0, Startup: 0.2}}
	c.SIMD = cost{Ns: 1e9} // a second a lane-step: 1e6 of them are 11.6 days
	got = c.measuredReason(1e6, "opencl on device 0", 3*86400, 0, "", 0)
	if !strings.HasPrefix(got, "measured here: opencl on device 0 predicted at 3 days now that it is started (a later run pays its 200 ms of start-up too), ") || !strings.HasSuffix(got, " at 11.6 days") {
		t.Errorf("reason %q, want 3 days for the device and 11.6 days for simd", got)
	}
}

// TestReasonSaysSimdWorkers: with --workers, the reason's simd time is
// said to be for those goroutines, as a device's is for every core:
// --workers 1 read "simd at 0.722 s" beside pocl's 0.35 s on the same
// 2 cores, and auto's choice of pocl looked like simd's slowness.
func TestReasonSaysSimdWorkers(t *testing.T) {
	shift := shiftedClock(t)
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) {
		return &shiftedEngine{timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, shift}, nil
	}}
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	for _, tc := range []struct {
		workers int
		want    string
	}{{0, "), simd at "}, {1, "), simd on 1 worker at "}, {3, "), simd on 3 workers at "}} {
		o := Options{Params: p, Workers: tc.workers}
		c, e, ch, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: true}}, o, cpu.SIMD{Workers: tc.workers}, 1e9, span{})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if !strings.Contains(ch.Reason, tc.want) {
			t.Errorf("--workers %d: calibrate's reason %q, want it to say %q", tc.workers, ch.Reason, tc.want)
		}
		c.Devices[0].Startup = 10 // simd is fastest from the calibration
		_, ch, err = chooseCalibrated(context.Background(), dev, o, cpu.SIMD{Workers: tc.workers}, c, "", 1e9)
		if want := "s on " + strings.TrimSuffix(strings.TrimPrefix(tc.want, "), "), " at "); err != nil || !strings.HasSuffix(ch.Reason, want) {
			t.Errorf("--workers %d: chooseCalibrated's reason %q (%v), want it to end %q", tc.workers, ch.Reason, err, want)
		}
	}
}

// TestCalibrateIdenticalDevicesOnce: of identical devices (a node's GPUs
// of one model) calibrate starts and measures the first only, which is
// the one chosen; a device of another model is measured too, as is the
// next identical one where the first did not start. Each was started in
// turn: eight start-ups of 0.15 to 0.4 s on a node of eight H200s, on
// every calibration, for a job that runs on one. The measured device
// records the identical ones it stands for, and the calibration the time
// listing the devices took, which a run on several counts once
// (multiStartup).
func TestCalibrateIdenticalDevicesOnce(t *testing.T) {
	h200 := func(i int) Device {
		return Device{Engine: "fake", Index: i, Platform: "NVIDIA CUDA", Name: "NVIDIA H200", Type: "GPU", GPU: true,
			Label: fmt.Sprintf("%d: NVIDIA H200 (NVIDIA CUDA, GPU)", i), Props: []Prop{{Key: "compute_units", Value: 132}}}
	}
	other := h200(2)
	other.Name, other.Label = "NVIDIA A100", "2: NVIDIA A100 (NVIDIA CUDA, GPU)"
	mig := h200(3) // a partition, of fewer compute units
	mig.Props = []Prop{{Key: "compute_units", Value: 16}}
	ds := []Device{h200(0), h200(1), other, mig}
	for _, c := range []struct {
		name   string
		broken int   // the index of a device that does not start, or -1
		opens  []int // the devices started
		want   []int // and measured
		same   []int // the devices identical to the first measured, for a run on several
	}{{"all start", -1, []int{0, 2, 3}, []int{0, 2, 3}, []int{1}}, {"the first broken", 0, []int{0, 1, 2, 3}, []int{1, 2, 3}, nil}} {
		t.Run(c.name, func(t *testing.T) {
			var opened []int
			dev := Entry{Name: "fake", Open: func(_ context.Context, o Options) (sim.Engine, error) {
				i, _ := strconv.Atoi(o.Devices)
				opened = append(opened, i)
				if i == c.broken {
					return nil, errors.New("fake: self-test failed")
				}
				return &timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, nil
			}}
			p := sim.Default()
			p.Lanes, p.Steps = 1e7, 100
			cal, e, _, err := calibrate(context.Background(), dev, ds, Options{Params: p, Note: func(string) {}}, cpu.SIMD{}, 1e9, span{wall: 125 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			var got []int
			for _, d := range cal.Devices {
				got = append(got, d.Index)
			}
			if !slices.Equal(got, c.want) || !slices.Equal(opened, c.opens) {
				t.Errorf("started %v, measured %v; want %v started, %v measured", opened, got, c.opens, c.want)
			}
			if len(cal.Devices) > 0 && !slices.Equal(cal.Devices[0].Identical, c.same) || cal.List != 0.125 {
				t.Errorf("measured %+v, listing %g s; want device %d to stand for %v, the listing's 0.125 s kept", cal.Devices, cal.List, c.want[0], c.same)
			}
		})
	}
}

// TestCalibrateStartupBusy checks that a device on the machine's cores has
// its start-up, listing the devices included, timed by the process's CPU
// time, at most its wall time, as its probes are: a calibration beside two
// CPU hogs on the 2-core VM measured pocl's start-up at 0.30 s (0.04 s
// quiet), and the figure stood once the hogs were gone, keeping pocl from
// every job it was not predicted within exploreMargin of simd for, as no
// run corrects a start-up. A GPU's start-up, much of it waiting for the
// device, stays wall time.
func TestCalibrateStartupBusy(t *testing.T) {
	const (
		openWall = 200 * time.Millisecond // the device's open, sleeping: no CPU time of its own
		share    = 0.1                    // of one core: a busy machine
	)
	enum := span{wall: 100 * time.Millisecond, cpu: 10 * time.Millisecond}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 4
	for _, gpu := range []bool{false, true} {
		dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) {
			time.Sleep(openWall)
			return &timedEngine{fixed: 1e-4, perLaneStep: 1e-9}, nil
		}}
		cpuShare(t, share, 1)
		c, e, _, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: gpu}}, Options{Params: p}, cpu.SIMD{}, 4000, enum)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if len(c.Devices) != 1 {
			t.Fatalf("GPU %v: calibrated devices %+v, want one", gpu, c.Devices)
		}
		got, wall := c.Devices[0].Startup, (enum.wall + openWall).Seconds()
		if gpu && got < wall || !gpu && got > 0.3*wall {
			t.Errorf("GPU %v: start-up of %v wall and %v of open at %v of a core calibrated at %.3g s; want wall time (%.3g s) for a GPU only, else about the CPU time",
				gpu, enum.wall, openWall, share, got, wall)
		}
	}
}

// TestClock checks how the probes are timed: an engine on the machine's
// cores by the process's CPU time over its cores, at most its wall time; a
// GPU, or a run without a CPU clock, by wall time. On a 2-core VM most
// probes of a few milliseconds ran on one core (a goroutine woken on the
// idle machine waited milliseconds for the other), which, timed by wall,
// predicted simd 2x too slow and marked 7 of 8 calibrations busy.
func TestClock(t *testing.T) {
	for _, c := range []struct {
		k    clock
		wall float64
		cpu  time.Duration
		want float64
	}{
		{clock{cores: 2}, 0.010, 10 * time.Millisecond, 0.005}, // one core of two
		{clock{cores: 2}, 0.010, 20 * time.Millisecond, 0.010},
		{clock{cores: 2}, 0.010, 30 * time.Millisecond, 0.010}, // other threads too: wall
		{clock{cores: 2}, 0.010, 0, 0.010},                     // no CPU clock
		{clock{}, 0.010, 5 * time.Millisecond, 0.010},          // a GPU
		{engineClock(false, 8), 0.010, 5 * time.Millisecond, 0.010},
		{engineClock(true, 8), 0.010, 40 * time.Millisecond, 0.005},
	} {
		if got := c.k.seconds(c.wall, c.cpu); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v: %g s wall, %v CPU: %g s, want %g", c.k, c.wall, c.cpu, got, c.want)
		}
	}
	// timeRun reads the process's CPU time around the run: share of the
	// run's wall time, which is at least the sleep's 20 ms and at most the
	// wall time around timeRun. Judged against those two, not against 20
	// ms itself: a loaded machine wakes a sleeper late (44 ms for 20 beside
	// six CPU hogs on the 2-core VM), which failed a bound of 30% on 20 ms.
	for _, share := range []float64{0.5, 1} {
		cpuShare(t, share, 1)
		start := time.Now()
		got, err := timeRun(context.Background(), clock{cores: 1}, sleeper(20*time.Millisecond), &sim.Job{})
		around := time.Since(start).Seconds()
		if err != nil || got < 0.020*share || got > around*share {
			t.Errorf("a 20 ms run at %v of one core: %g s, %v; want %v of its wall time, %g to %g s", share, got, err, share, 0.020*share, around*share)
		}
	}
}

// sleeper is an engine whose runs sleep, using no CPU time.
type sleeper time.Duration

func (sleeper) Name() string { return "sleeper" }

func (d sleeper) Run(context.Context, *sim.Job) (*sim.Result, error) {
	time.Sleep(time.Duration(d))
	return &sim.Result{}, nil
}

// duration is how long e's run of j takes.
func (e *timedEngine) duration(j *sim.Job) time.Duration {
	return time.Duration((e.fixed + float64(j.Params.Lanes)*float64(j.Params.Steps)*e.perLaneStep) * 1e9)
}

// virtualEngine is a timedEngine whose runs move the measurements' clock
// (now, set by virtualClock) by their time instead of sleeping: the figures
// it gives are exact on any machine.
type virtualEngine struct {
	timedEngine
	clock *time.Time
}

func (e *virtualEngine) Run(_ context.Context, j *sim.Job) (*sim.Result, error) {
	*e.clock = e.clock.Add(e.duration(j))
	return &sim.Result{}, nil
}

// virtualClock makes now read the clock it returns, which only a
// virtualEngine's runs move, until the test ends.
func virtualClock(t *testing.T) *time.Time {
	clock := new(time.Time)
	*clock = time.Unix(0, 0)
	now = func() time.Time { return *clock }
	t.Cleanup(func() { now = time.Now })
	return clock
}

// shiftedEngine is a timedEngine whose runs move the measurements' clock
// (now, set by shiftedClock) by their time instead of sleeping, where
// real engines' runs move it by theirs: a sleep's wake-up, late by
// milliseconds on a loaded machine, made a fake device of 1e-13 s a
// lane-step read as 0.9 ns once its probes' times were extrapolated to the
// job, slower than simd (TestCalibrateReasonSaysStartup failed 5 of 30
// runs beside 16 busy loops on 2 cores, TestReasonSaysSimdWorkers 6 of 15).
type shiftedEngine struct {
	timedEngine
	shift *atomic.Int64
}

func (e *shiftedEngine) Run(_ context.Context, j *sim.Job) (*sim.Result, error) {
	e.shift.Add(int64(e.duration(j)))
	return &sim.Result{}, nil
}

// shiftedClock makes now read the real time plus the shift it returns, in
// nanoseconds, which shiftedEngines' runs move, until the test ends.
func shiftedClock(t *testing.T) *atomic.Int64 {
	shift := new(atomic.Int64)
	now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	t.Cleanup(func() { now = time.Now })
	return shift
}

// timedEngine is a fake device whose runs take fixed plus perLaneStep
// seconds times the job's lane-steps, without computing anything.
type timedEngine struct {
	fixed, perLaneStep float64
}

func (e *timedEngine) Name() string { return "timed" }

func (e *timedEngine) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	d := e.duration(j)
	time.Sleep(d)
	timedCPU.Add(int64(d) * int64(runtime.GOMAXPROCS(0)))
	return &sim.Result{}, nil
}

// timedCPU is the CPU time timedEngine's runs stand for, which processCPU
// counts in the tests: a device on the machine's cores computes on all of
// them (GOMAXPROCS) while it runs, so that auto's clock times its runs by
// their wall time, as their durations say.
var timedCPU atomic.Int64

func init() {
	processCPU = withTimedCPU(cputime.Process)
	// The tests set the machine's cgroup CPU limit where they need one
	// (withCPULimit): the container they run in may have its own.
	cpuLimit = func() (float64, bool) { return 0, false }
	// Nor the machine's idle time: the tests that read it set it.
	machineIdle = noMachineIdle
}

func noMachineIdle() (time.Duration, bool) { return 0, false }

// withCPULimit makes cpuLimit report a cgroup CPU limit of cpus until
// the test ends.
func withCPULimit(t *testing.T, cpus float64) {
	cpuLimit = func() (float64, bool) { return cpus, true }
	t.Cleanup(func() { cpuLimit = func() (float64, bool) { return 0, false } })
}

// cpuDeciding times what Auto spends deciding (decidingSpan) by the
// process's CPU time, timedEngine's runs among it, until the test ends:
// for the tests of other rules whose jobs simd finishes within a second
// and a device should be measured for. Deciding's wall time, stretched on
// a loaded machine, passed such a job's (0.331 s against simd's 0.326 s
// beside 48 busy loops on 2 cores), and the device was rightly left
// unstarted (devicesOutweigh), failing the test.
func cpuDeciding(t *testing.T) {
	was := decidingSpan
	t.Cleanup(func() { decidingSpan = was })
	decidingSpan = func() func() time.Duration {
		c0 := processCPU()
		return func() time.Duration { return processCPU() - c0 }
	}
}

// withTimedCPU is f, the process's CPU time, with timedEngine's runs.
func withTimedCPU(f func() time.Duration) func() time.Duration {
	return func() time.Duration { return f() + time.Duration(timedCPU.Load()) }
}

// TestMeasureDeviceBounded checks that measuring a device stays within
// deviceMeasureBudget whatever its speed (a fresh user's auto spent about a
// minute on Oclgrind's simulator for a 0.15 s job), and that a device
// with a large fixed time per run and little per lane-step (a GPU) is
// measured in full, its probe grown until the time per lane-step shows.
// The devices' runs take virtual time: sleeping ones, woken late on a
// loaded machine (six CPU hogs on the 2-core VM), gave the GPU 2 ns a
// lane-step, not 0.002.
func TestMeasureDeviceBounded(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1e9, 10
	probe := probeJob(p, false)
	clock0 := virtualClock(t)
	for _, c := range []struct {
		name               string
		e                  timedEngine
		full               bool
		minNs, maxNs       float64 // the cost found per lane-step
		minFixed, maxFixed float64 // and per run, seconds
	}{
		{"simulator, 30 us a lane-step", timedEngine{fixed: 0.001, perLaneStep: 30e-6}, false, 10000, 1e6, 0, 1},
		{"GPU, 2 ms a run and 0.002 ns a lane-step", timedEngine{fixed: 0.002, perLaneStep: 2e-12}, true, 0.0005, 0.01, 0.001, 0.004},
	} {
		t0 := *clock0
		got, full, err := measureDevice(context.Background(), clock{}, &virtualEngine{c.e, clock0}, probe, p.Lanes)
		took := clock0.Sub(t0).Seconds()
		if err != nil || full != c.full || got.Ns < c.minNs || got.Ns > c.maxNs || got.Fixed < c.minFixed || got.Fixed > c.maxFixed || took > 2*deviceMeasureBudget {
			t.Errorf("%s: cost %+v, full %v, %v, took %.2f s; want full %v, %g..%g ns a lane-step, %g..%g s a run, within %g s",
				c.name, got, full, err, took, c.full, c.minNs, c.maxNs, c.minFixed, c.maxFixed, deviceMeasureBudget)
		}
	}
}

// TestObserve checks that a run far from its prediction drops the
// calibration that made it (one noisy probe was cached for good: a fresh
// user saw predictions 5.5x off), and that one near it, or too short to
// judge, keeps it.
func TestObserve(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "test;cpus 2"
	for _, c := range []struct {
		predicted, took float64
		kept            bool
	}{{0.2, 0.25, true}, {0.2, 0.11, true}, {0.2, 0.5, false}, {0.2, 0.05, false}, {0.01, 0.1, false}, {0.013, 0.205, false}, {0.01, 0.04, true}, {0.1, 0.06, true}} {
		storeCalibration(key, calibration{SIMD: cost{Ns: 1}})
		note := Observe(Choice{key: key, predicted: c.predicted}, time.Duration(c.took*float64(time.Second)))
		if _, ok := loadCalibration(key); ok != c.kept || (note == "") != c.kept {
			t.Errorf("predicted %v s, took %v s: kept %v, note %q; want kept %v", c.predicted, c.took, ok, note, c.kept)
		}
	}
	if n := Observe(Choice{predicted: 0.2}, time.Second); n != "" {
		t.Errorf("a choice without a calibration noted %q", n)
	}
}

// TestCalibrationKeyVendors checks that a driver registered in the folder
// OCL_ICD_VENDORS names changes the calibration's key, so that the new
// device is measured (a fresh user added pocl's .icd file there and auto
// kept its old calibration, which had never seen pocl).
func TestCalibrationKeyVendors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("OCL_ICD_VENDORS", dir)
	o := Options{Params: sim.Default()}
	before := calibrationKey(o)
	if err := os.WriteFile(filepath.Join(dir, "pocl.icd"), []byte("libpocl.so.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if after := calibrationKey(o); after == before {
		t.Errorf("the key did not change when a driver was registered in OCL_ICD_VENDORS: %q", after)
	}
}

// TestCalibrationKeyPlainProgram: a calibration for run's one plain job
// (OneJob without Daily), whose device engine builds the program without
// the daily kernels, is kept apart from one for engines that may run any
// job (bench's), which build the whole program: its file and start-up are
// not the other's.
func TestCalibrationKeyPlainProgram(t *testing.T) {
	o := Options{Params: sim.Default()}
	one := o
	one.OneJob = true
	daily := one
	daily.Daily = true
	all := o
	all.Daily = true
	if calibrationKey(one) == calibrationKey(o) {
		t.Errorf("one plain job and any job share the key %q", calibrationKey(o))
	}
	if calibrationKey(daily) != calibrationKey(all) {
		t.Errorf("one daily job's key %q differs from any daily job's %q: both build the whole program", calibrationKey(daily), calibrationKey(all))
	}
}

// TestCalibrationKeyDevices: every spelling of one --device list is one
// calibration key, as it names the same devices: the key held the raw
// text, and --device 0, +0, 0x0, 0.0 and 00 were five calibrations, each
// measured again. A list in another order, all (whatever the devices
// there) and auto's own choice (no --device) keep keys of their own, as
// do lists of other devices.
func TestCalibrationKeyDevices(t *testing.T) {
	key := func(devices string) string {
		o := Options{Params: sim.Default(), Devices: devices}
		return calibrationKey(o)
	}
	part := func(k string) string { // the devices' part, for messages
		_, after, _ := strings.Cut(k, "; devices ")
		p, _, _ := strings.Cut(after, ";")
		return p
	}
	for _, same := range [][]string{
		{"0", "00", "+0", "-0", "0x0", "0.0", "0e0", " 0 ", "2^0-1"},
		{"1", "01", "0x1", "1.0", "1e0", "2^0"},
		{"0,1", "0, 1", "0x0,+1", "0.0,1e0"},
		{"all", " all "},
	} {
		want := key(same[0])
		for _, s := range same[1:] {
			if got := key(s); got != want {
				t.Errorf("--device %q has the key of devices %s, --device %q of %s: one list of devices, two calibrations", s, part(got), same[0], part(want))
			}
		}
	}
	distinct := []string{"", "0", "1", "0,1", "1,0", "all"}
	for i, a := range distinct {
		for _, b := range distinct[i+1:] {
			if key(a) == key(b) {
				t.Errorf("--device %q and %q share the key of devices %s", a, b, part(key(a)))
			}
		}
	}
	if k := key("+0"); !strings.Contains(k, `devices "0";`) {
		t.Errorf("--device +0's key holds devices %s, not the index as 0 does", part(k))
	}
}

// TestOneJobPlainProgram: the opencl engine opened for one plain job
// refuses a job with per-step statistics (its program has no daily
// kernels: gpu.ErrNoDaily) and runs the plain job with the whole
// program's digest; opened for one daily job it runs that.
func TestOneJobPlainProgram(t *testing.T) {
	if _, err := gpu.Devices(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	p := sim.Default()
	p.Lanes, p.Steps = 5003, 6
	run := func(o Options, daily bool) (*sim.Result, error) {
		o.Params = p
		e, err := Open(context.Background(), "opencl", o)
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close(e)
		return e.Run(context.Background(), &sim.Job{Params: p, Daily: daily})
	}
	plain, err := run(Options{OneJob: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := run(Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Summary.Digest != whole.Summary.Digest {
		t.Errorf("digest %016x with the plain program, %016x with the whole one", plain.Summary.Digest, whole.Summary.Digest)
	}
	if _, err := run(Options{OneJob: true}, true); !errors.Is(err, gpu.ErrNoDaily) {
		t.Errorf("a daily job on the engine opened for one plain job: %v; want gpu.ErrNoDaily", err)
	}
	r, err := run(Options{OneJob: true, Daily: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Daily) != p.Steps || r.Summary.Digest != whole.Summary.Digest {
		t.Errorf("the engine opened for one daily job: %d days, digest %016x; want %d, %016x", len(r.Daily), r.Summary.Digest, p.Steps, whole.Summary.Digest)
	}
}

// TestCalibrationKeySetup: the OpenCL set-up a calibration is measured
// under is part of its key: a folder of drivers in OPENCL_VENDOR_PATH, and
// the library GPUSIM_OPENCL_LIBRARY names replaced under its name or gone.
// An empty OPENCL_VENDOR_PATH gave the key of the machine's own drivers, and
// a library replaced at its path that of the one measured.
func TestCalibrationKeySetup(t *testing.T) {
	o := Options{Params: sim.Default()}
	t.Setenv("OPENCL_VENDOR_PATH", "")
	before := calibrationKey(o)
	t.Setenv("OPENCL_VENDOR_PATH", t.TempDir())
	if after := calibrationKey(o); after == before {
		t.Errorf("the key did not change with OPENCL_VENDOR_PATH set to a folder of no drivers: %q", after)
	}
	lib := filepath.Join(t.TempDir(), "libOpenCL.so.1")
	t.Setenv("GPUSIM_OPENCL_LIBRARY", lib)
	keys := []string{calibrationKey(o)} // missing
	for _, content := range []string{"one", "another library"} {
		if err := os.WriteFile(lib, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, calibrationKey(o))
	}
	if keys[0] == keys[1] || keys[1] == keys[2] {
		t.Errorf("the key did not change when GPUSIM_OPENCL_LIBRARY's library appeared or was replaced: %q", keys)
	}
}

// TestCalibrationKeySetupSoname: GPUSIM_OPENCL_LIBRARY given as a bare
// name (libOpenCL.so.1, as gpusim's own hint says to set it), which the
// dynamic loader finds on its search path, changes the key as a path does
// where the library appears or is replaced: it was looked up as a file
// in the working folder, "missing" in every case.
func TestCalibrationKeySetupSoname(t *testing.T) {
	o := Options{Params: sim.Default()}
	dir := t.TempDir()
	t.Setenv("LD_LIBRARY_PATH", dir)
	t.Setenv("GPUSIM_OPENCL_LIBRARY", "libgpusim-test-opencl.so.1")
	keys := []string{calibrationKey(o)} // missing
	for _, content := range []string{"one", "another library"} {
		if err := os.WriteFile(filepath.Join(dir, "libgpusim-test-opencl.so.1"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, calibrationKey(o))
	}
	if keys[0] == keys[1] || keys[1] == keys[2] {
		t.Errorf("the key did not change when the library GPUSIM_OPENCL_LIBRARY names by its soname appeared or was replaced: %q", keys)
	}
}

// TestFit checks the cost through two probe runs: the slope is the time per
// lane-step, the rest of the smaller run is fixed.
func TestFit(t *testing.T) {
	for _, c := range []struct {
		t0, w0, t1, w1 float64
		want           cost
	}{
		{0.003, 1e6, 0.006, 4e6, cost{Fixed: 0.002, Ns: 1}}, // 2 ms fixed, 1 ns per lane-step
		{0.001, 1e6, 0.004, 4e6, cost{Fixed: 0, Ns: 1}},     // nothing fixed
		{0.004, 1e6, 0.004, 4e6, cost{Ns: 1}},               // no slope: the larger run's rate
		{0.002, 10, 0.002, 10, cost{Ns: 0.002 / 10 * 1e9}},  // one size only
	} {
		got := fit(c.t0, c.w0, c.t1, c.w1)
		if math.Abs(got.Fixed-c.want.Fixed) > 1e-12 || math.Abs(got.Ns-c.want.Ns) > 1e-9 {
			t.Errorf("fit(%g, %g, %g, %g) = %+v, want %+v", c.t0, c.w0, c.t1, c.w1, got, c.want)
		}
	}
}

// TestAutoCalibrationFixed checks that a calibrated prediction counts each
// engine's fixed time per run: a device faster per lane-step but with a
// large fixed time loses a job that simd finishes sooner. (Rates alone,
// measured on a small probe, had auto take pocl at 1e7 lanes x 10 steps
// where simd was 1.21x faster.)
func TestAutoCalibrationFixed(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 10
	o := Options{Params: p}
	storeCalibration(calibrationKey(o), calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "fixed", Startup: 0.01, cost: cost{Fixed: 0.5, Ns: 0.1}}}})
	e, ch, err := Auto(context.Background(), o)
	if err != nil || e.Name() != "simd" || !strings.Contains(ch.Reason, "calibration") {
		t.Errorf("Auto with a device of large fixed time = %v, %+v, %v; want simd", e, ch, err)
	}
	sim.Close(e)
}

// TestCalibrationPruned checks that storing a calibration drops the entries
// of binaries that are gone or rebuilt (every go test and go build made
// one, so the file grew without bound) and keeps those of the binary that
// is there.
func TestCalibrationPruned(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	exe := filepath.Join(t.TempDir(), "gpusim")
	if err := os.WriteFile(exe, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(exe)
	if err != nil {
		t.Fatal(err)
	}
	live := fmt.Sprintf("%s %d %d;cpus 2", exe, st.Size(), st.ModTime().UnixNano())
	rebuilt := fmt.Sprintf("%s %d %d;cpus 2", exe, st.Size()+1, st.ModTime().UnixNano())
	gone := fmt.Sprintf("%s %d %d;cpus 2", exe+".old", st.Size(), st.ModTime().UnixNano())
	c := calibration{SIMD: cost{Ns: 1}}
	for _, k := range []string{live, rebuilt, gone, "new;cpus 2"} {
		storeCalibration(k, c)
	}
	for k, want := range map[string]bool{live: true, rebuilt: false, gone: false, "new;cpus 2": true} {
		if _, ok := loadCalibration(k); ok != want {
			t.Errorf("entry %q kept %v, want %v", k, ok, want)
		}
	}
}

// TestCalibrationConcurrentStores: runs sharing a cache folder that store
// their calibrations at once keep every one. Each read auto.json, added its
// entry to its copy and wrote it over the others': of four runs calibrating
// at once (--workers 1 to 4), one's entry was lost one time in five, and a
// calibration Observe dropped as wrong could be written back. Goroutines
// stand for the processes: flock(2) locks of separate opens exclude each
// other within a process too.
func TestCalibrationConcurrentStores(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			storeCalibration(fmt.Sprintf("run %d;", i), calibration{SIMD: cost{Ns: float64(i + 1)}})
			if i%4 == 0 {
				dropCalibration(fmt.Sprintf("run %d;", i), time.Time{})
			}
		})
	}
	wg.Wait()
	for i := range n {
		_, ok := loadCalibration(fmt.Sprintf("run %d;", i))
		if want := i%4 != 0; ok != want {
			t.Errorf("run %d: entry kept %v, want %v", i, ok, want)
		}
	}
}

// FuzzParseDevices checks that every accepted list holds distinct,
// non-negative indices and reads back the same when written out again.
func FuzzParseDevices(f *testing.F) {
	for _, s := range []string{"0", "0,1", " 2 , 0", "all", "1,1", "-1", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		idx, err := ParseDevices(s, 4)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		parts := make([]string, len(idx))
		for i, d := range idx {
			if d < 0 || seen[d] {
				t.Fatalf("ParseDevices(%q) = %v", s, idx)
			}
			seen[d] = true
			parts[i] = fmt.Sprint(d)
		}
		back, err := ParseDevices(strings.Join(parts, ","), 4)
		if err != nil || !slices.Equal(back, idx) {
			t.Fatalf("ParseDevices(%q) = %v, which reads back as %v, %v", s, idx, back, err)
		}
	})
}

// coldEngine is serial behind a start that takes startup, and reports a
// cold start (its program built from source and cached) when cold.
type coldEngine struct {
	cpu.Serial
	cold bool
}

func (c coldEngine) ColdStart() bool { return c.cold }

// TestCalibrateColdStart checks that a device whose start built its program
// (a first run, an emptied cache) is timed on a second start: the first
// start's compile (6 s on pocl) stood in the calibration as the device's
// start-up, where later processes take 0.075 s; that first start is kept
// as its cold start (ColdStart), which was measured and thrown away.
func TestCalibrateColdStart(t *testing.T) {
	opens := 0
	dev := Entry{Name: "fake", Open: func(context.Context, Options) (sim.Engine, error) {
		opens++
		if opens == 1 {
			time.Sleep(time.Second) // the compile
			return coldEngine{cold: true}, nil
		}
		return coldEngine{}, nil
	}}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 4
	// A GPU, whose start-up is timed by wall: a CPU device's, by CPU
	// time, would not count the sleep either way.
	c, e, ch, err := calibrate(context.Background(), dev, []Device{{Index: 0, Label: "fake device", GPU: true}}, Options{Params: p}, cpu.SIMD{}, 4000, span{})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if opens != 2 || len(c.Devices) != 1 || c.Devices[0].Startup >= 0.5 {
		t.Errorf("%d opens, calibrated devices %+v: want the second, warm start timed", opens, c.Devices)
	}
	if len(c.Devices) == 1 && c.Devices[0].ColdStart < 1 {
		t.Errorf("calibrated devices %+v: want the first start's 1 s kept as the cold start", c.Devices)
	}
	if ch.Engine == "simd" && !strings.Contains(ch.Reason, "fake on fake device at ") {
		t.Errorf("reason %q does not give the device's prediction beside simd's", ch.Reason)
	}
}

// TestCalibrationInvalid checks that a calibration with costs no
// measurement gives (edited, damaged: a negative start-up predicted -100 s
// on every run) is dropped and measured anew, never trusted.
func TestCalibrationInvalid(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Lanes, p.Steps = 1<<28, 100
	o := Options{Params: p}
	key := calibrationKey(o)
	good := calibration{SIMD: cost{Ns: 0.5}, Devices: []deviceTiming{{Index: 0, Label: "d", Startup: 0.2, cost: cost{Ns: 1}}}}
	for _, bad := range []func(c *calibration){
		func(c *calibration) { c.Devices[0].Startup = -100 },
		func(c *calibration) { c.Devices[0].Ns = -1 },
		func(c *calibration) { c.Devices[0].Fixed = -1 },
		func(c *calibration) { c.Devices[0].Index = -1 },
		func(c *calibration) { c.SIMD.Fixed = -0.5 },
		func(c *calibration) { c.SIMD.Ns = 0 },
		// Finite, but a prediction of +Inf, and a device twice (a
		// hand-edited file: both were taken).
		func(c *calibration) { c.Devices[0].Ns = 1e308 },
		func(c *calibration) { c.SIMD.Ns = 1e300 },
		func(c *calibration) { c.SIMD.Ns = 1e-300 },
		func(c *calibration) { c.Devices[0].Ns = 5e-324 },
		func(c *calibration) { c.Devices[0].Startup = 1e300 },
		func(c *calibration) { c.Devices = append(c.Devices, c.Devices[0]) },
	} {
		c := good
		c.Devices = slices.Clone(good.Devices)
		bad(&c)
		storeCalibration(key, c)
		if got, ok := loadCalibration(key); ok {
			t.Errorf("loadCalibration took %+v", got)
		}
		storeCalibration(key, good)
		if _, ok := loadCalibration(key); !ok {
			t.Errorf("a valid calibration was not loaded")
		}
	}
}

// TestCalibrationFileDamaged checks that a calibration file that is not
// a JSON object of calibrations (null, an array, a number, text) is
// replaced when a calibration is stored: one holding null decoded to a nil
// map, and every large auto run panicked with "assignment to entry in nil
// map" until the file was removed.
func TestCalibrationFileDamaged(t *testing.T) {
	c := calibration{SIMD: cost{Ns: 1}}
	for _, content := range []string{"null", " null\n", "[]", "7", "garbage", "", `{"k": 5}`} {
		t.Setenv(EnvCacheDir, t.TempDir())
		if err := os.WriteFile(calibrationPath(), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("storeCalibration over a file holding %q panicked: %v", content, r)
				}
			}()
			storeCalibration("k;cpus 2", c)
			dropCalibration("other;cpus 2", time.Time{})
		}()
		if got, ok := loadCalibration("k;cpus 2"); !ok || got.SIMD != c.SIMD {
			t.Errorf("over a file holding %q: stored calibration reads back as %+v, %v", content, got, ok)
		}
	}
}

// TestCalibrationFileUnreadable: a calibration file its owner cannot read
// (chmod 000) is replaced by one with the default mode. The rewrite kept
// the old file's mode, so every later run measured again, silently, and
// wrote the file unreadable again.
func TestCalibrationFileUnreadable(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	if err := os.WriteFile(calibrationPath(), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(calibrationPath(), 0); err != nil {
		t.Fatal(err)
	}
	storeCalibration("k;cpus 2", calibration{SIMD: cost{Ns: 1}})
	st, err := os.Stat(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o600 != 0o600 {
		t.Errorf("the calibration file's mode is %v after it was stored, want one its owner reads and writes", st.Mode().Perm())
	}
	if _, ok := loadCalibration("k;cpus 2"); !ok {
		t.Errorf("the stored calibration does not read back")
	}
}

// TestOpenCLOpenStopped checks that an OpenCL open that fails after the
// context was stopped reports the cause: a SIGINT during a cold build made
// pocl's compiler fail on its deleted temporary files, and the run said
// CL_BUILD_PROGRAM_FAILURE instead of "interrupted" (exit 1, not 130).
func TestOpenCLOpenStopped(t *testing.T) {
	e, err := Lookup("opencl")
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stopped by the test")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(stop)
	eng, err := e.Open(ctx, Options{VectorWidth: 3})
	if eng != nil || !errors.Is(err, stop) {
		t.Errorf("Open after the stop = %v, %v; want the stop's cause", eng, err)
	}
}

// withDevices makes dev the registry's device engine for the test.
func withDevices(t *testing.T, dev Entry) {
	saved := table
	t.Cleanup(func() { table = saved })
	table = slices.Clone(table)
	for i, e := range table {
		if e.Devices != nil {
			table[i] = dev
		}
	}
}

// cpuShare makes processCPU report share of cores busy cores from now on:
// the CPU time a run or probe on a machine that busy gets.
func cpuShare(t *testing.T, share float64, cores int) {
	base := time.Now()
	const before = time.Hour // the process's CPU time so far: room for autoRunsSharing's backdating
	processCPU = withTimedCPU(func() time.Duration {
		return before + time.Duration(float64(time.Since(base))*share*float64(cores))
	})
	t.Cleanup(func() { processCPU = withTimedCPU(cputime.Process) })
}

// compiledProgram returns the path of a new file that stands for a device's
// compiled program in gpusim's cache (its content does not matter to auto).
func compiledProgram(t *testing.T) string {
	t.Helper()
	program := filepath.Join(t.TempDir(), "program")
	if err := os.WriteFile(program, []byte("compiled"), 0o644); err != nil {
		t.Fatal(err)
	}
	return program
}

// fakeDevice is a device engine of one CPU device whose runs take e's
// time, counting its opens and listings.
func fakeDevice(e timedEngine, opens, lists *int) Entry {
	return Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) {
			*opens++
			return &e, nil
		},
		Devices: func() ([]Device, error) {
			*lists++
			return []Device{{Engine: "fake", Index: 0, Type: "CPU", Label: "fake device"}}, nil
		},
		Absent: func(error) bool { return false },
	}
}

// fakeJob gives the test a cache folder of its own and one fake device
// (fakeDevice, its opens and listings not counted), and returns the
// observed options of a job of lanes x steps on workers workers (0: all).
func fakeJob(t *testing.T, lanes uint64, steps, workers int) Options {
	t.Helper()
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	return Options{Params: p, Workers: workers, Observed: true}
}

// TestAutoOneCoreProbe checks that a probe that got half its cores (as
// most did on an idle 2-core VM, where a woken goroutine waited
// milliseconds for the second core) is kept as measured, costed by CPU
// time, and that the next runs, which get their cores, use it: it was
// marked busy, and the first run that got its cores dropped it, so that
// nearly every run measured again (auto took 1.33x the best engine's time
// at 1e6 x 100).
func TestAutoOneCoreProbe(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	// A device slower than simd, which keeps the job: 1000 s, where simd
	// is predicted at 0.48 of its probe's wall time (cpuShare), which a
	// loaded machine stretches (12 to 29 s beside 16 busy loops on 2
	// cores, quiet well under 1 s). At 10 s (2e-8) the device took the
	// job in 6 of 17 runs there.
	withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-6}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 5e7, 10 // predicted at 50 ms or more: Observe judges its runs
	var notes []string
	o := Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }}
	cpuShare(t, 0.48, 1)
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if _, ok := loadCalibration(calibrationKey(o)); ch.Engine != "simd" || !ok || lists != 1 {
		t.Fatalf("a probe at 48%% of its cores: %s, calibration cached %v after %d listings; want simd, the calibration cached", ch.Engine, ok, lists)
	}
	cpuShare(t, 0.95, 1)
	for run := range 3 {
		lists0 := lists
		e, ch, err = Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		// Long beside a preemption between runShare's clock readings
		// on a loaded machine (10 ms let one of 3 ms read as busy).
		time.Sleep(50 * time.Millisecond)
		// A run that took what was predicted, with its cores.
		took := time.Duration(ch.predicted / 0.95 * float64(time.Second))
		if n := Observe(ch, took); n != "" || lists != lists0 || ch.Probe != 0 {
			t.Errorf("run %d: probe %v, %d listings, note %q; want the calibration used and kept", run, ch.Probe, lists-lists0, n)
		}
	}
	if _, ok := loadCalibration(calibrationKey(o)); !ok {
		t.Errorf("the calibration dropped by runs that got their cores")
	}
	if all := strings.Join(notes, "\n"); strings.Contains(all, "busy") {
		t.Errorf("notes %q: want none saying the idle machine is busy", all)
	}
}

// TestObserveStarved checks that a run on the machine's cores that did not
// get them (a loaded machine) keeps a calibration taken on a quiet one
// however long it took, and that a run that got them, or one on a GPU,
// whose CPU share says nothing, is judged as before.
func TestObserveStarved(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "test;cpus 2"
	for _, c := range []struct {
		share    float64
		cpuBound bool
		kept     bool
	}{{0.48, true, true}, {0.95, true, false}, {0.05, false, false}} {
		storeCalibration(key, calibration{SIMD: cost{Ns: 1}})
		cpuShare(t, c.share, 2)
		ch := Choice{key: key, predicted: 0.0592}
		ch.cpuBound, ch.cores = c.cpuBound, 2
		ch.started(spare{})
		if !c.cpuBound {
			// A GPU's run is judged from the end of its start-up
			// (Auto's return): here the run took the whole 0.131 s.
			ch.at = ch.at.Add(-131 * time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // as in TestAutoOneCoreProbe
		n := Observe(ch, 131*time.Millisecond)
		if _, ok := loadCalibration(key); ok != c.kept || (n == "") != c.kept {
			t.Errorf("share %v, on cores %v: a run of 0.131 s predicted 0.0592 s kept the calibration %v, note %q; want %v", c.share, c.cpuBound, ok, n, c.kept)
		}
	}
}

// TestAutoCPULimit checks auto under a cgroup CPU limit below the cores
// GOMAXPROCS counts (Go rounds it up, and up to 2: half a CPU left it at
// 2 on a 2-core machine): a run that gets all the limit allows is judged,
// so that a runner-up's check confirms it and is not repeated; and the
// limit keys its calibration apart and times the probes as its runs. Every
// run got a quarter of the 2 cores auto counted, was taken for a loaded
// machine's, and auto checked the same runner-up on every run, for good.
func TestAutoCPULimit(t *testing.T) {
	o := fakeJob(t, 5e7, 10, 2)
	unlimited := calibrationKey(o)
	withCPULimit(t, 0.5)
	if calibrationKey(o) == unlimited {
		t.Errorf("the calibration key is the same under a CPU limit of half a CPU: %q", unlimited)
	}
	// simd trusted at 50 ms, the device unconfirmed at 75 ms: within
	// exploreMargin, so the first run checks it.
	storeCalibration(calibrationKey(o), calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns},
		Devices: []deviceTiming{{Index: 0, Label: "fake device", cost: cost{Ns: 1.5}}}})
	cpuShare(t, 0.5, 1) // all of half a CPU
	var ran []string
	for range 3 {
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		ran = append(ran, ch.Engine)
		time.Sleep(10 * time.Millisecond)
		if n := Observe(ch, time.Duration(ch.predicted*float64(time.Second))); n != "" {
			t.Errorf("a run that took its prediction: note %q", n)
		}
	}
	if want := []string{"timed", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("under half a CPU, runs that took their predictions ran on %v; want %v (the device checked once)", ran, want)
	}
	// The probes' CPU time over the limit: a probe of milliseconds runs
	// at full speed until the limit's period is spent, a job does not.
	if got := engineClock(true, 2).seconds(0.010, 10*time.Millisecond); math.Abs(got-0.020) > 1e-12 {
		t.Errorf("a probe of 10 ms of CPU under half a CPU is timed at %g s, want 0.02", got)
	}
}

// TestAutoKnownStartup: a job simd finishes within the least device
// start-up measured on this machine (kept in a calibration for other
// options or another step count) runs on simd without loading the driver,
// and the reason says so; a longer one is measured. Each new step count
// started an H200 (0.15 to 0.4 s) to calibrate for jobs simd finished in
// 50 ms, the GPU's start-up being many times deviceStartupFloor.
func TestAutoKnownStartup(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" } // 2 ns a lane-step on one core
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-13}, &opens, &lists))
	p := sim.Default()
	p.Steps = 20
	other := Options{Params: p, Workers: 1}
	gpu := deviceTiming{Index: 0, Label: "fake device", Startup: 0.25, GPU: true, cost: cost{Fixed: 35e-6, Ns: 0.0033}}
	if err := storeCalibration(calibrationKey(other), calibration{SIMD: cost{Ns: 2}, Devices: []deviceTiming{gpu}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lanes    uint64
		measured bool
	}{{5e6, false}, {2e7, true}} { // 0.1 s and 0.4 s on simd by the cost model
		p.Lanes, p.Steps = c.lanes, 10
		o := Options{Params: p, Workers: 1}
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if c.measured != (lists == 1) {
			t.Errorf("%d lanes x 10: %d listings of devices (%s: %s), want measured %v", c.lanes, lists, ch.Engine, ch.Reason, c.measured)
		}
		if want := "before a device could start (250 ms at the least: the start-up of fake device in this machine's calibrations under the same OpenCL settings)"; !c.measured && (ch.Engine != "simd" || !strings.Contains(ch.Reason, want)) {
			t.Errorf("%d lanes x 10: %s (%s), want simd, and a reason that says %q", c.lanes, ch.Engine, ch.Reason, want)
		}
	}
}

// TestAutoKnownStartupOtherSetup: a start-up measured under one OpenCL
// set-up (library, folder of drivers, device selection) does not decide a
// job under another: with OpenCL broken by a variable, auto tries the
// driver and says it is not here, where it said simd ran "before a device
// could start (0.25 s at the least, as measured here)", quoting a start-up
// measured under the working set-up, of a device that could not start at
// all. Under the set-up of the calibration, its start-up still decides.
func TestAutoKnownStartupOtherSetup(t *testing.T) {
	for _, v := range openCLVars {
		t.Setenv(v, "") // the set-up the calibration is measured under
	}
	t.Setenv(EnvCacheDir, t.TempDir())
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" } // 2 ns a lane-step on one core
	lists := 0
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) { return nil, errors.New("no fake device") },
		Devices: func() ([]Device, error) {
			lists++
			return nil, errors.New("no OpenCL library")
		},
		Absent: func(error) bool { return true },
	})
	p := sim.Default()
	p.Steps = 20
	gpu := deviceTiming{Index: 0, Label: "0: fake GPU (fake, GPU)", Startup: 0.25, GPU: true, cost: cost{Fixed: 35e-6, Ns: 0.0033}}
	if err := storeCalibration(calibrationKey(Options{Params: p, Workers: 1}), calibration{SIMD: cost{Ns: 2}, Devices: []deviceTiming{gpu}}); err != nil {
		t.Fatal(err)
	}
	p.Lanes, p.Steps = 5e6, 10 // 0.1 s on simd by the cost model
	o := Options{Params: p, Workers: 1}
	empty := t.TempDir()
	for _, c := range [][2]string{
		{"GPUSIM_OPENCL_LIBRARY", filepath.Join(empty, "libOpenCL.so.1")},
		{"OCL_ICD_VENDORS", empty},
		{"OPENCL_VENDOR_PATH", empty},
		{"POCL_DEVICES", "nonsense"},
		{"CUDA_VISIBLE_DEVICES", "7"},
	} {
		t.Run(c[0], func(t *testing.T) {
			t.Setenv(c[0], c[1])
			before := lists
			e, ch, err := Auto(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			// Under a variable of where the loader looks, the reason
			// names it (loaderSettings); under one of which devices a
			// driver shows, the driver is not here.
			want := "fake is not here"
			if slices.Contains(loaderVars, c[0]) {
				want = "fake is not usable under " + c[0] + ": no OpenCL library"
			}
			if lists != before+1 || ch.Engine != "simd" || ch.Reason != want {
				t.Errorf("%s=%s: %d listings of devices, %s (%s); want one, and simd (%q)",
					c[0], c[1], lists-before, ch.Engine, ch.Reason, want)
			}
		})
	}
	before := lists
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if want := "(250 ms at the least: the start-up of device 0 (fake GPU, fake, GPU) in this machine's calibrations under the same OpenCL settings)"; lists != before || !strings.HasSuffix(ch.Reason, want) {
		t.Errorf("under the calibration's set-up: %d listings, %s (%s); want none, and a reason that ends %q", lists-before, ch.Engine, ch.Reason, want)
	}
}

// TestAutoCalibratedDeviceGone: when the device a calibration chose no
// longer starts, the run falls back to simd, the calibration is dropped,
// and Observe has nothing to judge: it said "the run took 0.161 s where
// this machine's calibration predicted 0 s", a prediction no calibration
// made.
func TestAutoCalibratedDeviceGone(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	withDevices(t, Entry{Name: "fake",
		Open:    func(context.Context, Options) (sim.Engine, error) { return nil, errors.New("no fake device 0") },
		Devices: func() ([]Device, error) { return nil, errors.New("no fake devices") },
		Absent:  func(error) bool { return false },
	})
	p := sim.Default()
	p.Lanes, p.Steps = 5e6, 10
	o := Options{Params: p, Workers: 1}
	storeCalibration(calibrationKey(o), calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "fake device", cost: cost{Ns: 1e-3}}}})
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "simd" {
		t.Fatalf("Auto chose %s, want simd", ch.Engine)
	}
	if _, ok := loadCalibration(calibrationKey(o)); ok {
		t.Errorf("the calibration of a device that did not start was kept")
	}
	if n := Observe(ch, 200*time.Millisecond); n != "" {
		t.Errorf("Observe after the fall-back noted %q", n)
	}
}

// TestAutoNotLoaded: an OpenCL that Load refused to load under ulimit -v
// (cl.ErrAddressSpace) is a one-line note, "opencl is not loaded, running on simd: ...",
// and simd runs the job; a calibration taken where the driver had room
// is kept for the runs that have it (it was dropped as a device gone).
func TestAutoNotLoaded(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	short := &cl.UnavailableError{Kind: cl.ErrAddressSpace, Cause: "OpenCL not loaded: the address-space limit (ulimit -v 1300000, 1.33 GB) leaves 3.72 MB"}
	dev := openCLEntry
	dev.Open = func(context.Context, Options) (sim.Engine, error) { return nil, short }
	dev.Devices = func() ([]Device, error) { return nil, short }
	// gpu.ProgramFile lists the devices, which fails alike: no file.
	dev.ProgramFile = func(Options, int) string { return "" }
	withDevices(t, dev)
	p := sim.Default()
	p.Lanes, p.Steps = 5e7, 10 // predicted at 50 ms or more: Observe judges its runs
	var notes []string
	o := Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }}
	check := func(what string) {
		t.Helper()
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		want := "opencl is not loaded, running on simd: " + short.Cause
		if ch.Engine != "simd" || len(notes) != 1 || notes[0] != want {
			t.Errorf("%s: %s, notes %q; want simd and %q", what, ch.Engine, notes, want)
		}
		notes = nil
	}
	check("measuring")
	key := calibrationKey(o)
	storeCalibration(key, calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "pocl", cost: cost{Ns: 1e-3}}}})
	check("calibrated")
	if _, ok := loadCalibration(key); !ok {
		t.Errorf("the calibration was dropped")
	}
}

// hangingListing makes the driver's listing of its devices hang, and
// answerWait 50 ms, until the test ends; the listing then returns.
func hangingListing(t *testing.T) {
	was, wasWait := listDevices, answerWait
	hang := make(chan struct{})
	listDevices = func() ([]gpu.DeviceDesc, error) { <-hang; return nil, nil }
	answerWait = 50 * time.Millisecond
	t.Cleanup(func() {
		close(hang)
		answered(t)
		listDevices, answerWait = was, wasWait
	})
}

// TestOpenHangingDriver: a start of the OpenCL engine (run --engine
// opencl, --device N, N,M or all) under a driver that does not list its
// devices ends in answerWait with a *NoAnswerError, and auto's start of
// the device, or devices, its calibration chose runs the job on simd with
// the note of a listing that did not answer, the calibration kept: each
// waited for ever on a driver that hangs as it starts.
func TestOpenHangingDriver(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	hangingListing(t)
	for _, devs := range []string{"", "0", "0,1", "all"} {
		_, err := openCLEntry.Open(context.Background(), Options{Devices: devs})
		if na := (*NoAnswerError)(nil); !errors.As(err, &na) || na.Wait != answerWait {
			t.Errorf("open of --device %q under a driver that hangs: %v, want a *NoAnswerError", devs, err)
		}
	}
	// Auto's look at a device's program file, where the calibration
	// keeps none, lists the devices too.
	if f := openCLEntry.ProgramFile(Options{}, 0); f != "" {
		t.Errorf("the program file of device 0 under a driver that hangs: %q, want none", f)
	}
	// The library this process loaded, where it loaded one (the listing
	// is the test's; the error names the library as a context's does).
	lib := ""
	if l := cl.LibraryTried(); l != "" {
		lib = l + " "
	}
	said := "opencl failed, running on simd: the OpenCL driver " + lib + "did not answer in 0.05 s when asked for its devices"
	simdWorkers(t)
	for _, n := range []int{1, 8} { // one device chosen, then several at once
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			var opened []string
			dev := fakeGPUs(n, &opened, nil, nil)
			dev.Open = func(ctx context.Context, o Options) (sim.Engine, error) {
				opened = append(opened, o.Devices)
				return openCLEntry.Open(ctx, o)
			}
			c := h200Calibration(n)
			ch, notes, key := autoOn(t, dev, c, 1e11, 100)
			want := []string{"0"}
			if n > 1 {
				want = []string{"0,1,2,3,4,5,6,7"}
			}
			reason := "opencl failed: " + strings.TrimPrefix(said, "opencl failed, running on simd: ")
			if !slices.Equal(opened, want) || ch.Engine != "simd" || ch.Reason != reason || len(notes) != 1 || notes[0] != said {
				t.Errorf("opened %q: %s (%s), notes %q; want %q opened, simd and the note %q", opened, ch.Engine, ch.Reason, notes, want, said)
			}
			if got, ok := loadCalibration(key); !ok || !reflect.DeepEqual(got.Devices, c.Devices) || got.MultiDropped != "" {
				t.Errorf("the calibration after the driver did not answer: %+v, %v; want it kept as it was", got, ok)
			}
		})
	}
}

// TestAutoOpenCLHint: where OpenCL does not load, auto runs on simd with
// one note, and a second, one line, with the fix where the user can make
// one: the OpenCL variable they set that caused it, whatever the variable
// (only GPUSIM_OPENCL_LIBRARY's was said: an OCL_ICD_VENDORS folder without
// .icd files got no word of it), or a driver installed that cannot work
// here (pocl's kernel cache), without the remedy of the CPU engines auto
// runs on; a machine simply without OpenCL gets the one note.
func TestAutoOpenCLHint(t *testing.T) {
	t.Setenv(cl.EnvLibrary, "")
	install := "install an OpenCL driver with its ICD loader; " + cl.CPUEnginesRun
	vendors := "OCL_ICD_VENDORS=/x: a folder with no .icd files, and the ICD loader looks nowhere else: point it at a folder of .icd files or unset it"
	for _, c := range []struct {
		name string
		err  error
		hint string // the second note's, "" for none
	}{
		{"no OpenCL", &cl.UnavailableError{Kind: cl.ErrNoLibrary, Cause: "no usable OpenCL library", Hint: install}, ""},
		{"a variable", &cl.UnavailableError{Kind: cl.ErrNoPlatform, Cause: "no OpenCL platform", Hint: vendors + "; otherwise " + install, Setting: vendors}, vendors},
		{"pocl's cache", &cl.UnavailableError{Kind: cl.ErrEnvironment, Cause: "pocl cannot write its kernel cache /x",
			Hint: "set POCL_CACHE_DIR to a writable directory; " + cl.CPUEnginesRun}, "set POCL_CACHE_DIR to a writable directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			dev := openCLEntry
			dev.Open = func(context.Context, Options) (sim.Engine, error) { return nil, c.err }
			dev.Devices = func() ([]Device, error) { return nil, c.err }
			dev.ProgramFile = func(Options, int) string { return "" }
			withDevices(t, dev)
			p := sim.Default()
			p.Lanes, p.Steps = 5e7, 10
			var notes []string
			e, ch, err := Auto(context.Background(), Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }})
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			want := 1
			if c.hint != "" {
				want = 2
			}
			if ch.Engine != "simd" || len(notes) != want || !strings.HasPrefix(notes[0], "opencl ") || want == 2 && notes[1] != "hint for opencl: "+c.hint {
				t.Errorf("%s, notes %q; want simd, %d notes, the hint %q", ch.Engine, notes, want, c.hint)
			}
		})
	}
}

// TestAutoSmallJobPath checks that the small-job shortcut costs simd by the
// path this build runs: a plain build (no GOEXPERIMENT=simd) ran 2.9e6
// lanes x 10 steps on the portable path for 0.6-0.9 s as "a small job",
// costed at AVX-512's 2 ns per lane-step, where opencl took 0.13 s.
func TestAutoSmallJobPath(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	lists := 0
	withDevices(t, Entry{Name: "fake", Devices: func() ([]Device, error) {
		lists++
		return nil, errors.New("no fake devices")
	}, Absent: func(error) bool { return true }})
	defer func(f func() string) { simdPath = f }(simdPath)
	p := sim.Default()
	p.Lanes, p.Steps = 1e6, 10 // 20 ms on one AVX-512 core, 40 ms on AVX2, 0.2 s on the portable path
	for _, c := range []struct {
		path  string
		small bool
	}{{"avx512", true}, {"portable", false}, {"avx2", false}, {"unknown", false}} {
		simdPath = func() string { return c.path }
		lists = 0
		e, ch, err := Auto(context.Background(), Options{Params: p, Workers: 1})
		if err != nil || e.Name() != "simd" {
			t.Fatalf("%s: Auto = %v, %v", c.path, e, err)
		}
		if small := strings.Contains(ch.Reason, "small job"); small != c.small || (lists == 0) != c.small {
			t.Errorf("simd on %s: reason %q after %d device listings; want a small job %v", c.path, ch.Reason, lists, c.small)
		}
	}
}

// TestAutoColdDevice checks that a device whose program is not compiled (a
// cold start: seconds on pocl) is not started for a job simd finishes
// within coldStartCost, and that later runs decide so without listing the
// devices; that the device is measured once its program is there, and for
// a job worth compiling it. A newcomer's first `gpusim run` (5M x 10, 55 ms
// on simd) took 6 s, pocl compiling a device auto then did not choose.
func TestAutoColdDevice(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	program := filepath.Join(t.TempDir(), "program")
	dev.ProgramFile = func(Options, int) string { return program }
	withDevices(t, dev)
	p := sim.Default()
	// 100 steps: at 10, simd's 50 ms came within what measuring a device
	// costs (TestAutoMeasuringBounded's rule), and the warm run below
	// rightly left the device unstarted on a loaded machine; at 100, its
	// 0.33 s did too beside 48 busy loops, deciding's wall time stretched
	// to 0.331 s or more: deciding is timed by CPU time here.
	cpuDeciding(t)
	p.Lanes, p.Steps = 5e6, 100
	o := Options{Params: p}
	auto := func(what string) Choice {
		t.Helper()
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sim.Close(e)
		return ch
	}
	ch := auto("first run")
	if ch.Engine != "simd" || opens != 0 || lists != 1 || !strings.Contains(ch.Reason, "not compiled yet") {
		t.Fatalf("first run, cold device: %s (%q), %d opens, %d listings; want simd, the device not started", ch.Engine, ch.Reason, opens, lists)
	}
	// The 1 s that compiles the device is simd's predicted time, not a
	// run's: on a loaded machine 5M x 100 took 1.1 to 2.2 s on simd, twelve
	// runs, where the note said "a job of 1 s or more on simd" compiles it,
	// and none did, the calibration predicting 0.334 s.
	if want := "a cold start of seconds for a job simd is predicted to finish in "; !strings.Contains(ch.Reason, want) ||
		!strings.Contains(ch.Reason, "and a job predicted at 1 s or more on simd)") {
		t.Errorf("first run, cold device: %q; want the note to say the times are predicted (%q, \"a job predicted at 1 s or more on simd\")", ch.Reason, want)
	}
	ch = auto("second run")
	if ch.Engine != "simd" || opens != 0 || lists != 1 || ch.Probe != 0 || !strings.Contains(ch.Reason, "calibration") || !strings.Contains(ch.Reason, "not compiled yet") {
		t.Errorf("second run: %s (%q), %d opens, %d listings, probe %v; want simd from the calibration, the devices not listed", ch.Engine, ch.Reason, opens, lists, ch.Probe)
	}
	// A job simd takes seconds for: worth the compile.
	big := o
	big.Params.Lanes = 1e9
	o, big = big, o
	ch = auto("large job")
	if opens == 0 || ch.Engine != "timed" {
		t.Errorf("a job of %g lane-steps with the device cold: %s (%q), %d opens; want the device measured and chosen", laneSteps(&sim.Job{Params: o.Params}), ch.Engine, ch.Reason, opens)
	}
	// Compiled since (gpusim selftest): the next run measures it.
	o = big
	t.Setenv(EnvCacheDir, t.TempDir())
	auto("cold again")
	opens, lists = 0, 0
	if err := os.WriteFile(program, []byte("compiled"), 0o644); err != nil {
		t.Fatal(err)
	}
	ch = auto("warm")
	if opens == 0 || lists != 1 || ch.Engine != "timed" {
		t.Errorf("after the program was compiled: %s (%q), %d opens, %d listings; want the device measured and chosen", ch.Engine, ch.Reason, opens, lists)
	}
}

// TestPickLoadableNoProgramFile: pickLoadable, which every run that
// chooses from the calibration passes through (chooseCalibrated, and
// fastestSingle for the run on several devices), checks the program file
// the calibration keeps for its device, not Entry.ProgramFile's, which
// lists the devices and so loads the driver: on an H200 that took 0.18 s of
// a run simd was predicted to finish in 0.05 s, so every other default run
// there dropped the calibration and measured again. A calibration written
// before it kept the file still asks.
func TestPickLoadableNoProgramFile(t *testing.T) {
	program := compiledProgram(t)
	asked := 0
	dev := Entry{Name: "opencl", ProgramFile: func(Options, int) string { asked++; return program }}
	c := calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "fast", Startup: 0.01, Program: program, cost: cost{Ns: 0.01}}}}
	best, _, _, compiles := c.pickLoadable(dev, Options{}, 1e8)
	if best != 0 || compiles != "" || asked != 0 {
		t.Errorf("kept program file: best %d, compiles %q, ProgramFile asked %d times; want device 0, warm, not asked", best, compiles, asked)
	}
	c.Devices[0].Program = ""
	if best, _, _, _ = c.pickLoadable(dev, Options{}, 1e8); best != 0 || asked != 1 {
		t.Errorf("no kept file: best %d, ProgramFile asked %d times; want device 0, asked once", best, asked)
	}
}

// TestAutoColdDeviceTimeLimit: under a time limit (ctx's deadline,
// --timeout) that simd's predicted time fits with room, but a cold start
// and simd's time would not, a device whose program is not compiled is
// not started, however long the job: `gpusim run --lanes 6e7 --timeout
// 6s`, 3 s on simd, compiled pocl's program for 6 s and exited 124 with no
// result. With time enough for both, or none set, it is measured.
func TestAutoColdDeviceTimeLimit(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	dev.ProgramFile = func(Options, int) string { return filepath.Join(t.TempDir(), "program") }
	withDevices(t, dev)
	p := sim.Default()
	p.Lanes, p.Steps = 5e6, 10
	o := Options{Params: p}
	if _, ch, err := Auto(context.Background(), o); err != nil || ch.Engine != "simd" || opens != 0 {
		t.Fatalf("small job: %s (%q), %v, %d opens; want simd, the device cold", ch.Engine, ch.Reason, err, opens)
	}
	c, ok := loadCalibration(calibrationKey(o))
	if !ok || c.SIMD.Ns <= 0 {
		t.Fatalf("no calibration of simd: %+v", c)
	}
	// A job of about 2 s on simd, worth a compile without a limit.
	simdT := 2.0
	o.Params.Lanes = uint64(simdT / (c.SIMD.Ns * 1e-9) / float64(p.Steps))
	simdT = c.SIMD.time(float64(o.Params.Lanes) * float64(p.Steps))
	for _, tc := range []struct {
		limit time.Duration // 0: none
		start bool
	}{
		{time.Duration(3 * simdT * float64(time.Second)), false},
		{coldStartBound + time.Duration(3*simdT*float64(time.Second)), true},
		{0, true},
	} {
		opens = 0
		ctx := context.Background()
		if tc.limit > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tc.limit)
			defer cancel()
		}
		e, ch, err := Auto(ctx, o)
		if err != nil {
			t.Fatalf("limit %v: %v", tc.limit, err)
		}
		sim.Close(e)
		if started := opens > 0; started != tc.start {
			t.Errorf("limit %v, simd %.3g s: %s (%q), %d opens; want the device started %v", tc.limit, simdT, ch.Engine, ch.Reason, opens, tc.start)
		}
		if !tc.start && !strings.Contains(ch.Reason, "could overrun the run's time limit") {
			t.Errorf("limit %v: reason %q does not say why the device is left cold", tc.limit, ch.Reason)
		}
	}
}

// TestAutoColdDeviceNoCache: with a cache folder that cannot be written, a
// cold device compiles on every start, and the reason says so and how to
// fix it, instead of advising `gpusim selftest`, whose compile could not be
// kept either. With gpusim's cache off (GPUSIM_CACHE_DIR=off or a relative
// path) no program is ever cached either and every start compiles
// (gpu.ProgramFile is ""), so a device is as cold as one whose program is
// missing: not started for a job simd finishes within coldStartCost. It was
// started: GPUSIM_CACHE_DIR=off with pocl's cache empty ran a 0.3 s job
// (5e7 x 1) in 8.2 s, 7.8 s of it compiling, without a word. With the
// cache off, the driver is not even loaded for such a job: loading it and
// probing simd, to find the device cold, took 40 to 50 ms a run, as
// nothing was kept for the next (a 50 ms job took 0.11 s), and so with a
// file where the folder should be, which keeps nothing either (a 0.09 s
// job took 0.13 s, with a note that nothing was kept, on every run).
func TestAutoColdDeviceNoCache(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir, program string
		fix          bool // the reason says to set a writable folder
	}{
		{file, filepath.Join(file, "program"), true}, // a file where the folder should be
		{"off", "", false},
		{"relative/dir", "", false},
	} {
		t.Setenv(EnvCacheDir, c.dir)
		opens, lists := 0, 0
		dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
		dev.ProgramFile = func(Options, int) string { return c.program }
		withDevices(t, dev)
		p := sim.Default()
		p.Lanes, p.Steps = 5e6, 10
		e, ch, err := Auto(context.Background(), Options{Params: p})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if lists != 0 {
			t.Errorf("%s=%s: the devices listed %d times, the driver loaded for a job simd finishes within %v", EnvCacheDir, c.dir, lists, coldStartCost)
		}
		if ch.Engine != "simd" || opens != 0 || strings.Contains(ch.Reason, "selftest") ||
			!strings.Contains(ch.Reason, "every start compiles its program") ||
			c.fix && !strings.Contains(ch.Reason, "set "+EnvCacheDir+" to a writable folder") {
			t.Errorf("%s=%s: %s (%q), %d opens: want simd, the device not started, the reason saying every start compiles (and, for a folder, naming it)", EnvCacheDir, c.dir, ch.Engine, ch.Reason, opens)
		}
	}
}

// refusingEngine is a timed device that refuses the jobs refuse picks before
// running any of them, as gpu.Engine refuses a job that can reach subnormal
// values on a device that flushes them.
type refusingEngine struct {
	timedEngine
	refuse func(*sim.Job) bool
	shift  *atomic.Int64 // not nil: its runs move now (shiftedClock), not sleep
}

func (e *refusingEngine) Refuses(j *sim.Job) error {
	if e.refuse(j) {
		return errors.New("fake: flushes subnormal floats and this job's values can become subnormal")
	}
	return nil
}

func (e *refusingEngine) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	if err := e.Refuses(j); err != nil {
		return nil, err
	}
	if e.shift != nil {
		return (&shiftedEngine{e.timedEngine, e.shift}).Run(ctx, j)
	}
	return e.timedEngine.Run(ctx, j)
}

// TestAutoDeviceRefusesJob checks that auto does not hand a job to a device
// that refuses it (a GPU without CL_FP_DENORM, a job that can reach
// subnormal values): simd runs it, with a note. With a calibration that
// predicted the device fastest, auto opened it and the run failed (exit 1,
// "run it on a CPU engine"); a job refused only with --daily was chosen for
// the device by a fresh calibration too; and one refused at the probe left
// a calibration without the device, which no later job of those steps
// would then use (a --daily job's probe is daily, so such a device refuses
// it there, and the plain jobs' calibration is measured apart).
func TestAutoDeviceRefusesJob(t *testing.T) {
	tiny := func(j *sim.Job) bool { return j.Params.Sigma < 1e-20 }
	daily := func(j *sim.Job) bool { return j.Daily }
	finals := func(j *sim.Job) bool { return j.KeepFinals } // no address space for them
	// The device's runs move the clock (shiftedClock): slept, their late
	// wake-ups on a loaded machine made it slower than simd, which then
	// took the job it takes (2 of 16 runs beside 16 busy loops on 2 cores).
	dev := func(refuse func(*sim.Job) bool, shift *atomic.Int64) Entry {
		return Entry{Name: "fake",
			Open: func(context.Context, Options) (sim.Engine, error) {
				return &refusingEngine{timedEngine{fixed: 1e-5, perLaneStep: 1e-13}, refuse, shift}, nil
			},
			Devices: func() ([]Device, error) {
				return []Device{{Engine: "fake", Index: 0, Type: "GPU", GPU: true, Label: "fake device"}}, nil
			},
			Absent: func(error) bool { return false },
		}
	}
	p := sim.Default()
	p.Lanes, p.Steps = 2e7, 10 // simd takes 0.1 s or more: the device is worth starting
	subnormal := p
	subnormal.Start, subnormal.Persistence, subnormal.Sigma = 1e-30, 1e-9, 1e-32
	for _, c := range []struct {
		name       string
		refuse     func(*sim.Job) bool
		o          Options
		calibrated bool
		stored     bool // a fresh calibration is kept, with the device
	}{
		{"calibrated", tiny, Options{Params: subnormal}, true, true},
		{"calibrated daily", daily, Options{Params: p, Daily: true}, true, true},
		{"probe refused", tiny, Options{Params: subnormal}, false, false},
		// --daily's calibration is its own (its probe is daily): the
		// device refuses that probe, as a subnormal job's.
		{"daily only", daily, Options{Params: p, Daily: true}, false, false},
		// Under ulimit -v 2000000 auto chose opencl for --lanes 3e7
		// --out, whose finals did not fit, and the run failed (exit 1).
		{"calibrated finals", finals, Options{Params: p, KeepFinals: true}, true, true},
		{"finals only", finals, Options{Params: p, KeepFinals: true}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			cpuShare(t, 0.95, 1)
			withDevices(t, dev(c.refuse, shiftedClock(t)))
			var notes []string
			o := c.o
			o.Workers = 1
			o.Note = func(s string) { notes = append(notes, s) }
			key := calibrationKey(o)
			if c.calibrated {
				storeCalibration(key, calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "fake device", GPU: true, cost: cost{Ns: 1e-3}}}})
			}
			e, ch, err := Auto(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			if ch.Engine != "simd" || e.Name() != "simd" || !strings.Contains(strings.Join(notes, "\n"), "refuses this job") {
				t.Fatalf("Auto chose %s (%s), notes %q; want simd and a note that the device refuses the job", ch.Engine, ch.Reason, notes)
			}
			// The run that measured says it in its reason too (hereNote):
			// it said "measured here: simd predicted at ..." alone.
			if !c.calibrated && !strings.Contains(ch.Reason, "refuses this job") {
				t.Errorf("reason %q; want the device that refuses the job named", ch.Reason)
			}
			got, ok := loadCalibration(key)
			if ok != c.stored || (ok && len(got.Devices) != 1) {
				t.Errorf("calibration kept %v with %d devices; want kept %v with the device", ok, len(got.Devices), c.stored)
			}
			// A job the device takes still goes to it.
			o.Params, o.Daily, o.KeepFinals, notes = p, false, false, nil
			e, ch, err = Auto(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			if ch.Engine != "timed" {
				t.Errorf("a job the device takes: Auto chose %s (%s), notes %q", ch.Engine, ch.Reason, notes)
			}
		})
	}
}

// TestRefusalAsksTheJob: auto asks a device about the job it would run: a
// shard's lanes, not the whole job's, whether it keeps its finals (--out,
// which under ulimit -v may not fit where the job without them does) and
// its per-step statistics.
func TestRefusalAsksTheJob(t *testing.T) {
	var asked []sim.Job
	e := &refusingEngine{refuse: func(j *sim.Job) bool { asked = append(asked, *j); return false }}
	p := sim.Default()
	p.Lanes = 1e9
	for _, c := range []struct {
		o     Options
		lanes uint64
	}{
		{Options{Params: p, KeepFinals: true}, 1e9},
		{Options{Params: p, Daily: true}, 1e9},
		{Options{Params: p, Sharded: true, Lanes: 3e7, KeepFinals: true}, 3e7},
		{Options{Params: p, Sharded: true, Lanes: 0}, 1}, // a shard of none
	} {
		asked = nil
		if err := refusal(e, c.o); err != nil || len(asked) != 1 {
			t.Fatalf("%+v: refusal %v, asked %d times", c.o, err, len(asked))
		}
		j := asked[0]
		_, n, err := j.Range()
		if err != nil || n != c.lanes || j.KeepFinals != c.o.KeepFinals || j.Daily != c.o.Daily || j.Params != p {
			t.Errorf("sharded %v, %d lanes, finals %v, daily %v: asked about %d lanes (%v), finals %v, daily %v", c.o.Sharded, c.o.Lanes, c.o.KeepFinals, c.o.Daily, n, err, j.KeepFinals, j.Daily)
		}
	}
}

// autoRuns sets up a fake device beside simd, stores c as the calibration
// of a job of lanes x steps, and runs auto n times, each run observed as
// taking real[engine] seconds: the engines it ran, the choices, and the
// calibration's key.
func autoRuns(t *testing.T, lanes uint64, steps int, c calibration, real map[string]float64, n int) (ran []string, chs []Choice, key string) {
	t.Helper()
	return autoRunsTaking(t, lanes, steps, c, func(_ int, engine string) float64 { return real[engine] }, n)
}

// autoRunsTaking is autoRuns with run i on engine observed as taking
// took(i, engine) seconds.
func autoRunsTaking(t *testing.T, lanes uint64, steps int, c calibration, took func(i int, engine string) float64, n int) (ran []string, chs []Choice, key string) {
	t.Helper()
	return autoRunsSharing(t, lanes, steps, c, took, func(int) float64 { return 0.95 }, n)
}

// autoRunsSharing is autoRunsTaking with run i getting share(i) of its
// cores.
func autoRunsSharing(t *testing.T, lanes uint64, steps int, c calibration, took func(i int, engine string) float64, share func(i int) float64, n int) (ran []string, chs []Choice, key string) {
	t.Helper()
	return autoRunsStarting(t, lanes, steps, c, took, share, nil, n)
}

// autoRunsStarting is autoRunsSharing with run i on a GPU started in
// startup(i) seconds, and its run after that taking took(i, engine):
// with startup nil, the calibrated start-up, and took the whole run's.
func autoRunsStarting(t *testing.T, lanes uint64, steps int, c calibration, took func(i int, engine string) float64, share, startup func(i int) float64, n int) (ran []string, chs []Choice, key string) {
	t.Helper()
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = lanes, steps
	o := Options{Params: p, Observed: true}
	key = calibrationKey(o)
	if err := storeCalibration(key, c); err != nil {
		t.Fatal(err)
	}
	// The machine's idle CPU time, read at Auto's call and backdated
	// below as the run's share is.
	const idle0 = time.Hour
	machineIdle = func() (time.Duration, bool) { return idle0, true }
	t.Cleanup(func() { machineIdle = noMachineIdle; now = time.Now })
	for i := range n {
		s := share(i)
		if s >= busyShare {
			s = 1.5 // got its cores: over 1, Observe times the run as took
		}
		cpuShare(t, s, 2)
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		ran, chs = append(ran, e.Name()), append(chs, ch)
		t.Logf("run %d: %s (%s)", i, e.Name(), ch.Reason)
		// The run's share of its cores measured over a second before
		// now: the test's runs take microseconds, and a preemption
		// between runShare's two clock readings on a loaded machine made
		// one read as busy, unconfirmed (TestAutoChecksRunnerUpPastProbeSpread
		// failed beside other packages' tests). The clock stands still
		// until Observe has read it: a run of 0.05 s read as 0.050112 s,
		// preempted here (TestAutoGPUStartupLearned, CI).
		t0 := time.Now()
		now = func() time.Time { return t0 }
		ch.at = t0.Add(-time.Second)
		ch.cpu0 = processCPU() - time.Duration(s*float64(ch.cores)*float64(time.Second))
		took := took(i, e.Name())
		if !ch.spare.at.IsZero() {
			// A GPU's run: the machine had s of simd's cores to spare
			// over that second, and the run after its start-up took
			// the rest of took.
			ch.spare = spare{at: ch.at, idle: idle0 - time.Duration(s*ch.simdCores*float64(time.Second)), cpu: processCPU()}
			st := ch.startup
			if startup != nil {
				st, took = startup(i), startup(i)+took
			}
			ch.at = t0.Add(-time.Duration((took - st) * float64(time.Second)))
		}
		n := Observe(ch, time.Duration(took*float64(time.Second)))
		now = time.Now
		if n != "" {
			t.Errorf("run %d: Observe noted %q", i, n)
		}
	}
	return ran, chs, key
}

// TestAutoConfirmsRunnerUp: where the calibration's probes put two engines
// within exploreMargin and no run has confirmed the runner-up's cost, auto
// runs the job on it once, and each run's own rate replaces its engine's
// probed one (Observe), so that after two runs auto chooses from real
// runs. A calibration whose probe made simd 1.2x slower than pocl kept
// auto on pocl, 1.2x slower than simd (0.42 s against 0.35 s at 5M x 100),
// for good: only the chosen engine's runs were observed, and they matched
// its own prediction.
func TestAutoConfirmsRunnerUp(t *testing.T) {
	work := 5e8
	// The probes: simd 0.91 ns a lane-step, the device 0.70 ns and 0.04 s
	// of start-up (0.455 s against 0.39 s); runs take 0.35 s on simd and
	// 0.42 s on the device.
	ran, chs, key := autoRuns(t, 5e6, 100,
		calibration{SIMD: cost{Ns: 0.91}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.04, cost: cost{Ns: 0.70}}}},
		map[string]float64{"simd": 0.35, "timed": 0.42}, 6)
	if !strings.Contains(chs[1].Reason, "checking simd with a run") {
		t.Errorf("run 1: reason %q, want it to say simd is checked", chs[1].Reason)
	}
	if want := []string{"timed", "simd", "simd", "simd", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: the device, predicted fastest, confirmed by its run (within confirmSlack of its probe), simd checked, then simd for good", ran, want)
	}
	c, ok := loadCalibration(key)
	if !ok || c.SIMD.runs() != 2 || len(c.Devices) != 1 || c.Devices[0].runs() != 2 ||
		math.Abs(c.SIMD.time(work)-0.35) > 1e-4 || math.Abs(c.Devices[0].Startup+c.Devices[0].time(work)-0.42) > 1e-4 {
		t.Errorf("calibration %+v (kept %v): want both confirmed, predicting 0.35 s and 0.42 s", c, ok)
	}
	// A runner-up predicted more than exploreMargin slower is not checked.
	c = calibration{SIMD: cost{Ns: 1.75}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.04, cost: cost{Ns: 0.62}}}}
	if best, _, why := c.pick(work, true); best != 0 || why != "" {
		t.Errorf("simd at 2.5x the device's prediction: pick %d (%q), want the device without a check", best, why)
	}
	// One a run has confirmed once is checked again within recheckMargin
	// alone: 1.33x the device's time is not, 1.14x is.
	c = calibration{SIMD: cost{Ns: 0.93, Confirmed: true, Runs: 1}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.04, cost: cost{Ns: 0.62, Confirmed: true, Runs: 2}}}}
	if best, _, why := c.pick(work, true); best != 0 || why != "" {
		t.Errorf("simd confirmed once at 1.33x the device's time: pick %d (%q), want the device without a check", best, why)
	}
	c.SIMD.Ns = 0.8
	if best, _, why := c.pick(work, true); best != -1 || !strings.Contains(why, "one run has confirmed its cost") {
		t.Errorf("simd confirmed once at 1.14x the device's time: pick %d (%q), want simd checked again", best, why)
	}
	c.SIMD.Ns = 0.91
	c.SIMD.Runs, c.SIMD.Confirmed = 0, false
	// Nor one for a run Observe does not judge (a shard, --daily).
	c.SIMD.Ns = 0.91
	if best, _, why := c.pick(work, false); best != 0 || why != "" {
		t.Errorf("a run not observed: pick %d (%q), want the device without a check", best, why)
	}
	// Nor is one of a job too short to observe.
	if best, _, why := c.pick(1e7, true); why != "" {
		t.Errorf("a 10 ms job: pick %d (%q), want no check", best, why)
	}
}

// TestAutoChecksRunnerUpPastProbeSpread: a fresh calibration of 5M x 100
// on the 2-core VM measured simd at 0.955 ns a lane-step and pocl at 0.653
// with 0.043 s of start-up (0.477 s against 0.370 s, 1.29x), where simd
// runs the job in 0.29 s and pocl in 0.32 as Observe times them (0.34 and
// 0.39 s as whole processes): with exploreMargin at 1.25, pocl's run
// confirmed it at 0.32 s, simd's 0.477 s was then 1.5x that and never
// checked, and auto stayed on pocl. It checks simd once and then keeps
// to it.
func TestAutoChecksRunnerUpPastProbeSpread(t *testing.T) {
	ran, _, _ := autoRuns(t, 5e6, 100,
		calibration{SIMD: cost{Ns: 0.955}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.043, cost: cost{Ns: 0.653}}}},
		map[string]float64{"simd": 0.29, "timed": 0.32}, 5)
	if want := []string{"timed", "timed", "simd", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: the device, predicted fastest, run until two runs confirm it, simd checked, then simd for good", ran, want)
	}
}

// TestAutoRunsUntrustedFastestFirst: where the engine predicted fastest
// is not yet trusted, auto runs it rather than checking the runner-up. A
// sweep on the 2-core VM calibrated 1e7 x 10 with simd probed at 1.10 ns
// a lane-step (0.110 s; its runs take 0.088 s) and pocl at 0.80 ns and
// 0.043 s of start-up; pocl's run confirmed it once at 0.123 s, within
// recheckMargin of simd's probe, so pocl was checked again (0.16 s) before
// simd ran: three of the five runs there slow, auto 1.6x simd's median.
func TestAutoRunsUntrustedFastestFirst(t *testing.T) {
	ran, _, _ := autoRuns(t, 1e7, 10,
		calibration{SIMD: cost{Ns: 1.10}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.043, cost: cost{Ns: 0.80, Confirmed: true, Runs: 1}}}},
		map[string]float64{"simd": 0.088, "timed": 0.16}, 4)
	if want := []string{"simd", "simd", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: simd, predicted fastest and not yet trusted, run and kept", ran, want)
	}
}

// TestAutoRechecksOneSlowRun: one slow run (0.133 s where simd's runs
// take 0.09 s, in a sweep on the 2-core VM) confirmed simd at 1.33 ns a
// lane-step; pocl's confirmed 0.87 ns and 0.045 s of start-up predicted
// 1 ms less, and every later 1e7 x 10 job ran on pocl, 1.48x simd's time
// (0.145 against 0.098 s). A cost one run has confirmed is checked once
// more, and the second run's cost is the less of the two.
func TestAutoRechecksOneSlowRun(t *testing.T) {
	ran, _, key := autoRuns(t, 1e7, 10,
		calibration{SIMD: cost{Ns: 1.33, Confirmed: true}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.045, cost: cost{Ns: 0.87, Confirmed: true, Runs: 2}}}},
		map[string]float64{"simd": 0.09, "timed": 0.132}, 4)
	if want := []string{"simd", "simd", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: simd checked again, then kept", ran, want)
	}
	if c, ok := loadCalibration(key); !ok || c.SIMD.runs() != 2 || math.Abs(c.SIMD.Ns-0.9) > 0.01 {
		t.Errorf("calibration %+v (kept %v): want simd confirmed by two runs at 0.9 ns", c.SIMD, ok)
	}
}

// TestAutoSlowRuns: slow runs of the engine auto runs, whose cost two runs
// have confirmed. One slow run makes the cost one run's again, standing for
// the prediction, and the engine's next run decides: in a sweep at 1e7 x
// 10 on the 2-core VM one simd run took 0.142 s where its runs take 0.095
// s, replaced simd's trusted cost, and pocl's trusted 0.132 s was then
// predicted faster for good; in run.sh at 5M x 100 one round slow for every
// backend (simd 0.51 s where its runs take 0.33 s) made simd's cost one
// run's at 1.0 ns, 1.38x behind pocl's trusted 0.363 s, past
// recheckMargin, and auto ran pocl (0.39 s) from then on. An engine that
// really became slower (here 1.5x, under Observe's 2x) takes two slow runs
// in a row to get its new cost, and auto moves to the engine now faster.
func TestAutoSlowRuns(t *testing.T) {
	pocl := func(ns, startup float64) []deviceTiming {
		return []deviceTiming{{Index: 0, Label: "fake device", Startup: startup, cost: cost{Ns: ns, Confirmed: true, Runs: trustedRuns}}}
	}
	for _, c := range []struct {
		name         string
		lanes        uint64
		steps        int
		simdNs       float64 // simd's trusted cost
		devices      []deviceTiming
		device, fast float64 // the device's and simd's run times (s)
		slow         func(i int) float64
		want         []string
		wantNs       float64 // simd's trusted cost at the end
	}{
		{"one slow run at 1e7 x 10", 1e7, 10, 0.95, pocl(0.87, 0.045), 0.132, 0.095,
			func(i int) float64 { return map[int]float64{1: 0.142}[i] },
			[]string{"simd", "simd", "simd", "simd", "simd", "simd"}, 0.95},
		{"one slow run past recheckMargin at 5M x 100", 5e6, 100, 0.66, pocl(0.62, 0.053), 0.39, 0.33,
			func(i int) float64 { return map[int]float64{1: 0.51}[i] },
			[]string{"simd", "simd", "simd", "simd", "simd", "simd"}, 0.66},
		{"simd slower from run 1 on", 5e6, 100, 0.66, pocl(0.62, 0.053), 0.363, 0.33,
			func(i int) float64 { return map[bool]float64{true: 0.5}[i >= 1] },
			[]string{"simd", "simd", "simd", "timed", "timed", "timed"}, 1.0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ran, _, key := autoRunsTaking(t, c.lanes, c.steps,
				calibration{SIMD: cost{Ns: c.simdNs, Confirmed: true, Runs: trustedRuns}, Devices: c.devices},
				func(i int, engine string) float64 {
					if engine == "timed" {
						return c.device
					}
					if s := c.slow(i); s > 0 {
						return s
					}
					return c.fast
				}, len(c.want))
			if !slices.Equal(ran, c.want) {
				t.Errorf("runs on %v, want %v", ran, c.want)
			}
			if got, ok := loadCalibration(key); !ok || got.SIMD.runs() != trustedRuns || math.Abs(got.SIMD.Ns-c.wantNs) > 0.01 || got.SIMD.Slow != 0 {
				t.Errorf("calibration %+v (kept %v): want simd trusted at %g ns", got.SIMD, ok, c.wantNs)
			}
		})
	}
}

// tookOn is a run time for autoRunsTaking: device seconds on the fake
// device ("timed"), simd's on simd.
func tookOn(device, simd float64) func(int, string) float64 {
	return func(_ int, engine string) float64 {
		if engine == "timed" {
			return device
		}
		return simd
	}
}

// busyThenQuiet is a share of its cores for autoRunsSharing: 40% for the
// first busy runs (a machine beside two CPU hogs), 95% after.
func busyThenQuiet(busy int) func(int) float64 {
	return func(i int) float64 {
		if i < busy {
			return 0.4
		}
		return 0.95
	}
}

// TestAutoBusyChecksBounded: on a busy machine a check of the runner-up
// confirms nothing (busyShare), so auto checks it at most busyChecks times
// until a run gets its cores, and then checks it again. On the 2-core VM
// beside two CPU hogs, with simd trusted and pocl's cost not yet
// confirmed, every run of 1e7 x 10 checked pocl while the hogs ran.
func TestAutoBusyChecksBounded(t *testing.T) {
	const busyRuns = 4 // runs 0 to 3 on a busy machine, then quiet ones
	ran, _, key := autoRunsSharing(t, 1e7, 10,
		calibration{SIMD: cost{Ns: 0.95, Confirmed: true, Runs: trustedRuns}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.045, cost: cost{Ns: 0.87}}}},
		tookOn(0.132, 0.095),
		busyThenQuiet(busyRuns), 7)
	if want := []string{"timed", "timed", "simd", "simd", "simd", "timed", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: the device checked twice on the busy machine, simd then, and the device checked again once a run got its cores", ran, want)
	}
	if c, ok := loadCalibration(key); !ok || c.Devices[0].runs() != trustedRuns || c.Devices[0].Busy != 0 || c.SIMD.Busy != 0 {
		t.Errorf("calibration %+v (kept %v): want the device confirmed by its quiet check, no busy checks counted", c, ok)
	}
}

// TestAutoBusyChecksClearedOnGPU: where a GPU is the fastest, its runs,
// which compute off the machine's cores, clear the count of simd's checks
// on a busy machine once the machine has simd's cores to spare over one
// (spareShare), so that simd is checked again. Only a run on the machine's
// cores cleared it: after two checks of simd beside CPU hogs, every later
// run went to the GPU and simd was never checked again until the next
// calibration.
func TestAutoBusyChecksClearedOnGPU(t *testing.T) {
	const busyRuns = 4 // runs 0 to 3 on a busy machine, then quiet ones
	// The GPU, trusted, at 0.085 s; simd, unconfirmed, at 0.095 s.
	ran, _, key := autoRunsSharing(t, 1e7, 10,
		calibration{SIMD: cost{Ns: 0.95}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.045, GPU: true, cost: cost{Ns: 0.4, Confirmed: true, Runs: trustedRuns}}}},
		tookOn(0.085, 0.095),
		busyThenQuiet(busyRuns), 7)
	if want := []string{"simd", "simd", "timed", "timed", "timed", "simd", "timed"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: simd checked twice on the busy machine, the GPU then, and simd checked again after the GPU's first run on a quiet one", ran, want)
	}
	if c, ok := loadCalibration(key); !ok || c.SIMD.runs() != trustedRuns || c.SIMD.Busy != 0 {
		t.Errorf("calibration %+v (kept %v): want simd confirmed by its quiet check, no busy checks counted", c, ok)
	}
	// A GPU's run on a machine without simd's cores to spare keeps the
	// count, as does one where the machine's idle time is unknown.
	for _, c := range []struct {
		name   string
		share  float64
		idleOK bool
	}{{"busy", 0.4, true}, {"unknown", 0.95, false}} {
		ch := Choice{key: key, predicted: 0.085, device: 0, work: 1e8, startup: 0.045, simdCores: 2, check: false}
		updateCost(Choice{key: key, device: -1}, func(x *cost) { x.Busy = busyChecks })
		machineIdle = func() (time.Duration, bool) { return time.Hour, c.idleOK }
		ch.at = time.Now().Add(-time.Second)
		ch.spare = spare{at: ch.at, idle: time.Hour - time.Duration(c.share*2*float64(time.Second)), cpu: processCPU()}
		if !c.idleOK {
			ch.spare = spareNow()
		}
		Observe(ch, 85*time.Millisecond)
		if got, ok := loadCalibration(key); !ok || got.SIMD.Busy != busyChecks {
			t.Errorf("a GPU's run, the machine %s: simd's busy checks %d (kept %v), want %d", c.name, got.SIMD.Busy, ok, busyChecks)
		}
	}
}

// TestObserveGPUStartupNoise: a GPU's start-up (context, program load)
// varies from run to run by far more than its run of the job takes (an
// H200: 0.15 to 0.4 s warm, against 3.3 ms for 1e9 lane-steps), so a run
// confirms its time per lane-step from the run after the start-up, not
// from the whole time less the calibrated start-up. A start-up of 0.4 s
// where 0.25 s was calibrated confirmed 0.15 ns a lane-step, 46x the
// GPU's, and the next run, started in 0.15 s, took under half its
// prediction and dropped the calibration.
func TestObserveGPUStartupNoise(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{}, &opens, &lists))
	const (
		startup = 0.25           // s, calibrated
		fixed   = 35e-6          // s a run: launches
		ns      = 1 / 3e11 * 1e9 // a lane-step, 3e11 a second
		work    = 1e9
	)
	p := sim.Default()
	p.Lanes, p.Steps = 1e7, 100
	o := Options{Params: p, Observed: true}
	key := calibrationKey(o)
	if err := storeCalibration(key, calibration{SIMD: cost{Ns: 0.88}, Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: startup, GPU: true, cost: cost{Fixed: fixed, Ns: ns}}}}); err != nil {
		t.Fatal(err)
	}
	run := fixed + work*ns*1e-9
	for i, st := range []float64{0.4, 0.15, 0.2, 0.39, 0.16} {
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if ch.Engine != "timed" {
			t.Fatalf("run %d: Auto chose %s (%s), want the GPU", i, ch.Engine, ch.Reason)
		}
		ch.at = time.Now().Add(-time.Duration(run * 1e9)) // started st s after Auto's call
		if n := Observe(ch, time.Duration((st+run)*1e9)); n != "" {
			t.Errorf("run %d, started in %g s: Observe noted %q; want the calibration kept", i, st, n)
		}
		c, ok := loadCalibration(key)
		if !ok {
			t.Fatalf("run %d: calibration dropped", i)
		}
		if got := c.Devices[0].Ns; math.Abs(got/ns-1) > 0.1 {
			t.Errorf("run %d, started in %g s: the GPU's cost %.3g ns a lane-step, want %.3g", i, st, got, ns)
		}
	}
}

// The tests choose deterministically: a choice rechecks a trusted
// runner-up only where a test draws it (TestAutoRechecksCloseRunnerUp).
func init() { recheckDraw = func() bool { return false } }

// TestAutoRechecksCloseRunnerUp: a runner-up whose cost two runs have
// trusted, predicted within confirmSlack of the fastest, is run again on
// the choices recheckDraw draws (one in recheckOdds), and a faster run
// replaces its cost at once, though within confirmSlack of it, which the
// next run confirms. simd, trusted at 0.739 ns a lane-step from two slow
// runs (it runs 5M x 100 at 0.695), lost that job to pocl, trusted at
// 0.658 ns and 0.034 s of start-up (0.363 s against 0.370 s), for good:
// only the chosen engine's runs were observed, and a trusted cost is
// written again only past confirmSlack. auto's runs took 0.376 s where
// simd's took 0.352 s.
func TestAutoRechecksCloseRunnerUp(t *testing.T) {
	draws := []bool{false, true, false, false, false}
	i := 0
	recheckDraw = func() bool { i++; return draws[(i-1)%len(draws)] }
	t.Cleanup(func() { recheckDraw = func() bool { return false } })
	c := calibration{SIMD: cost{Ns: 0.739, Confirmed: true, Runs: trustedRuns},
		Devices: []deviceTiming{{Index: 0, Label: "fake device", Startup: 0.034, cost: cost{Ns: 0.658, Confirmed: true, Runs: trustedRuns}}}}
	ran, chs, key := autoRuns(t, 5e6, 100, c, map[string]float64{"simd": 0.3475, "timed": 0.363}, 5)
	if !strings.Contains(chs[1].Reason, "rechecking simd with a run, one in 8") {
		t.Errorf("run 1: reason %q, want simd rechecked", chs[1].Reason)
	}
	if want := []string{"timed", "simd", "simd", "simd", "simd"}; !slices.Equal(ran, want) {
		t.Errorf("runs on %v, want %v: the device, simd rechecked and found faster, then simd for good", ran, want)
	}
	got, ok := loadCalibration(key)
	if !ok || got.SIMD.runs() != trustedRuns || math.Abs(got.SIMD.time(5e8)-0.3475) > 1e-4 {
		t.Errorf("calibration %+v (kept %v): want simd trusted at its runs' 0.3475 s", got.SIMD, ok)
	}
	// Not drawn, or past confirmSlack, or a runner-up not trusted (which
	// pick checks by its own rules), it is not rechecked.
	c.recheck = false
	if best, _, why := c.pick(5e8, true); best != 0 || why != "" {
		t.Errorf("not drawn: pick %d (%q), want the device", best, why)
	}
	c.recheck = true
	if best, _, why := c.pick(5e8, true); best != -1 || !strings.Contains(why, "within 10% of the fastest") {
		t.Errorf("drawn: pick %d (%q), want simd rechecked", best, why)
	}
	if best, _, why := c.pick(5e8, false); best != 0 || why != "" {
		t.Errorf("drawn for a run not observed: pick %d (%q), want the device", best, why)
	}
	c.SIMD.Ns = 0.81 // 0.405 s, 1.11x the device's
	if best, _, why := c.pick(5e8, true); best != 0 || why != "" {
		t.Errorf("drawn, simd 11%% slower: pick %d (%q), want the device", best, why)
	}
	c.SIMD.Ns, c.SIMD.Busy = 0.739, busyChecks
	if best, _, why := c.pick(5e8, true); best != 0 || why != "" {
		t.Errorf("drawn, simd's checks busy: pick %d (%q), want the device", best, why)
	}
}

// TestConfirmRecheckFaster: a recheck's run faster than its engine's
// trusted cost is written though within confirmSlack (one run's, to be
// confirmed by the next); a slower one within it, or a faster one not a
// check, leaves the file as it was.
func TestConfirmRecheckFaster(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "test;cpus 2"
	if err := storeCalibration(key, calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns}}); err != nil {
		t.Fatal(err)
	}
	confirm(Choice{key: key, work: 1e9, device: -1}, 0.95)
	confirm(Choice{key: key, work: 1e9, device: -1, check: true}, 1.05)
	if c, ok := loadCalibration(key); !ok || c.SIMD.Ns != 1 || c.SIMD.runs() != trustedRuns {
		t.Errorf("a faster run not a check and a slower check, within confirmSlack: %+v (kept %v), want 1 ns trusted", c.SIMD, ok)
	}
	confirm(Choice{key: key, work: 1e9, device: -1, check: true}, 0.94)
	if c, ok := loadCalibration(key); !ok || math.Abs(c.SIMD.Ns-0.94) > 1e-9 || c.SIMD.runs() != 1 {
		t.Errorf("a faster check: %+v (kept %v), want 0.94 ns, one run's", c.SIMD, ok)
	}
}

// TestConfirmAgreesWithProbe: a first run within confirmSlack of the
// probe's cost trusts it at once, as two measures of it; one further off
// is confirmed once, to be checked again. Two checks of the runner-up at
// the size a sweep first calibrated at made three of its five runs there
// checks (1.54x simd's median at 1e6 x 100), where the device's run had
// read 0.638 ns a lane-step against its probe's 0.624.
func TestConfirmAgreesWithProbe(t *testing.T) {
	for _, c := range []struct {
		ns   float64 // the run's, against the probe's 1
		runs int
	}{{1.05, trustedRuns}, {0.95, trustedRuns}, {1.5, 1}, {0.6, 1}} {
		t.Setenv(EnvCacheDir, t.TempDir())
		const key = "test;cpus 2"
		if err := storeCalibration(key, calibration{SIMD: cost{Ns: 1}}); err != nil {
			t.Fatal(err)
		}
		confirm(Choice{key: key, work: 1e9, device: -1}, c.ns)
		got, ok := loadCalibration(key)
		if !ok || got.SIMD.runs() != c.runs || math.Abs(got.SIMD.Ns-c.ns) > 1e-9 {
			t.Errorf("a first run at %g ns against a probe's 1: cost %+v (kept %v), want %g ns confirmed by %d runs", c.ns, got.SIMD, ok, c.ns, c.runs)
		}
	}
}

// TestConfirmWritesOnChange: a run whose time per lane-step is within
// confirmSlack of a cost already confirmed leaves the calibration file as
// it is (it was rewritten, under its lock, after every run of 50 ms or
// more); one further off is written: a slower run beside the cost, which
// stands until the next run.
func TestConfirmWritesOnChange(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "test;cpus 2"
	if err := storeCalibration(key, calibration{SIMD: cost{Ns: 1, Confirmed: true, Runs: trustedRuns}}); err != nil {
		t.Fatal(err)
	}
	path := calibrationPath()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	ch := Choice{key: key, work: 1e9, device: -1}
	confirm(ch, 1.05) // 1.05 ns a lane-step
	if st, err := os.Stat(path); err != nil || !st.ModTime().Equal(old) {
		t.Errorf("a run 5%% off a confirmed cost rewrote the calibration (%v)", err)
	}
	confirm(ch, 1.5)
	if c, ok := loadCalibration(key); !ok || c.SIMD.Ns != 1 || c.SIMD.Slow != 1.5 || c.SIMD.runs() != 1 {
		t.Errorf("a run 50%% slower: calibration %+v (kept %v), want 1 ns standing, one run's, beside the slow run's 1.5 ns", c, ok)
	}
	confirm(ch, 0.5)
	if c, ok := loadCalibration(key); !ok || c.SIMD.Ns != 0.5 || c.SIMD.Slow != 0 || c.SIMD.runs() != trustedRuns {
		t.Errorf("the next run at 0.5 ns: calibration %+v (kept %v), want 0.5 ns trusted", c, ok)
	}
}

// TestAutoUnloadableProgram: a device whose compiled program is in the
// cache but cannot be loaded (a cache shared read-only, whose entries take
// no loading mark here: gpu.ProgramLoadable) compiles at every start, as a
// cold one does: it is not started for a job simd finishes within
// coldStartCost, and the reason says why and what to set. auto took it for
// warm and started it on every run: 5 s of compiling (pocl's own cache
// off) for a job simd ran in 0.08 s. Once it can be loaded it is measured.
func TestAutoUnloadableProgram(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	program := compiledProgram(t)
	dev.ProgramFile = func(Options, int) string { return program }
	loadErr := errors.New("no loading mark can be made")
	dev.ProgramLoadable = func(string) error { return loadErr }
	withDevices(t, dev)
	p := sim.Default()
	// 100 steps: simd's 0.3 s or so stays above what deciding spends
	// (at 10 steps, 0.0513 s on a loaded machine against 0.122 s of
	// deciding left the device unstarted in the last case); deciding is
	// timed by CPU time, whose wall time beside 48 busy loops came to
	// 0.443 s and left it unstarted still.
	cpuDeciding(t)
	p.Lanes, p.Steps = 5e6, 100
	for _, run := range []string{"first run", "calibrated run"} {
		e, ch, err := Auto(context.Background(), Options{Params: p})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if ch.Engine != "simd" || opens != 0 || !strings.Contains(ch.Reason, "every start compiles its program") ||
			!strings.Contains(ch.Reason, loadErr.Error()) || !strings.Contains(ch.Reason, "XDG_RUNTIME_DIR") {
			t.Errorf("%s: %s (%q), %d opens; want simd, the device not started, the reason saying why and what to set", run, ch.Engine, ch.Reason, opens)
		}
	}
	loadErr = nil
	dev.ProgramLoadable = func(string) error { return nil }
	withDevices(t, dev)
	e, ch, err := Auto(context.Background(), Options{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if opens == 0 || ch.Engine != "timed" {
		t.Errorf("the program loadable: %s (%q), %d opens; want the device measured and chosen", ch.Engine, ch.Reason, opens)
	}
}

// TestAutoCalibratedUnloadable: a calibration measured while the device's
// program could be loaded does not start the device once it cannot be (a
// cache made read-only since, where no loading mark can be made): every
// start compiles, and auto.json, which such a cache cannot rewrite, still
// predicted a warm start. simd runs a job it finishes well within the
// compile, with a reason that says why and what to set; a job the device
// saves more than the compile on still starts it, unjudged by Observe.
func TestAutoCalibratedUnloadable(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	dev.Devices = func() ([]Device, error) {
		lists++
		return []Device{{Engine: "fake", Index: 0, Type: "CPU", Label: "0: pthread-x (pocl, CPU)"}}, nil
	}
	program := compiledProgram(t)
	dev.ProgramFile = func(Options, int) string { return program }
	var loadErr error
	dev.ProgramLoadable = func(string) error { return loadErr }
	withDevices(t, dev)
	p := sim.Default()
	// Longer on simd than a device's start-up (devicesOutweigh), as
	// measuring the device would be in vain otherwise, and deciding timed
	// by CPU time, which a loaded machine does not stretch past it.
	cpuDeciding(t)
	p.Lanes, p.Steps = 5e6, 100
	o := Options{Params: p}
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if _, ok := loadCalibration(calibrationKey(o)); ch.Engine != "timed" || !ok {
		t.Fatalf("the program loadable: %s (%q), calibration kept %v; want the device measured and chosen", ch.Engine, ch.Reason, ok)
	}
	loadErr = errors.New("no loading mark can be made")
	opens = 0
	e, ch, err = Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "simd" || opens != 0 || !strings.Contains(ch.Reason, "fake not started on device 0 (pthread-x, pocl, CPU): every start compiles its program") ||
		!strings.Contains(ch.Reason, "cannot load it: "+loadErr.Error()+"; set TMPDIR or XDG_RUNTIME_DIR") {
		t.Errorf("calibrated, the program not loadable now: %s (%q), %d opens; want simd, the device not started, the reason saying why and what to set", ch.Engine, ch.Reason, opens)
	}
	// A job simd takes seconds longer on: the device, compile and all.
	p.Lanes = 1e10
	o.Params = p
	e, ch, err = Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "timed" || opens != 1 || ch.key != "" || !strings.Contains(ch.Reason, "fake started on device 0 (pthread-x, pocl, CPU): every start compiles its program") {
		t.Errorf("a long job, the program not loadable: %s (%q), %d opens, key %q; want the device started, the reason saying it compiles, no key for Observe", ch.Engine, ch.Reason, opens, ch.key)
	}
}

// TestDeviceName: a device's label reads as prose where notes and
// reasons embed it, without the label's colon and nested parentheses.
func TestDeviceName(t *testing.T) {
	for label, want := range map[string]string{
		"0: pthread-haswell (pocl, CPU)": "device 0 (pthread-haswell, pocl, CPU)",
		"12: NVIDIA H200 (NVIDIA, GPU)":  "device 12 (NVIDIA H200, NVIDIA, GPU)",
		"1: odd":                         "device 1 (odd)",
		"fake device":                    "fake device",
		// A name that holds " (": it read "device 2 (AMD Radeon (TM) RX
		// 7900 (AMD Accelerated Parallel Processing, GPU))".
		"2: AMD Radeon (TM) RX 7900 (AMD Accelerated Parallel Processing, GPU)": "device 2 (AMD Radeon (TM) RX 7900, AMD Accelerated Parallel Processing, GPU)",
		"3: pthread-skylake-avx512-Intel(R) Xeon(R) Processor (pocl, CPU)":      "device 3 (pthread-skylake-avx512-Intel(R) Xeon(R) Processor, pocl, CPU)",
	} {
		if got := deviceName(label); got != want {
			t.Errorf("deviceName(%q) = %q, want %q", label, got, want)
		}
	}
	// labelName cut a name that holds " (" at its first: "NVIDIA H200".
	for label, want := range map[string]string{
		"0: NVIDIA H200 (rev 2) (NVIDIA CUDA, GPU)": "NVIDIA H200 (rev 2)",
		"1: pthread-haswell (pocl, CPU)":            "pthread-haswell",
		"fake":                                      "fake",
	} {
		if got := labelName(label); got != want {
			t.Errorf("labelName(%q) = %q, want %q", label, got, want)
		}
	}
}

// parenDepth is the deepest nesting of parentheses in s.
func parenDepth(s string) int {
	depth, most := 0, 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
			most = max(most, depth)
		case ')':
			depth--
		}
	}
	return most
}

// TestColdNoteReads: the reason for a device left cold names it as prose
// and nests no parentheses: it read "fake not started on 0: pthread-x
// (pocl, CPU): every start compiles ... (the cache is off
// (GPUSIM_CACHE_DIR=off, or no user cache folder); set ...)".
func TestColdNoteReads(t *testing.T) {
	t.Setenv(EnvCacheDir, "off")
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{}, &opens, &lists)
	dev.ProgramFile = func(Options, int) string { return "" }
	c := calibration{SIMD: cost{Fixed: 0.05}, Cold: []coldDevice{{Index: 0, Label: "0: pthread-x (pocl, CPU)"}}}
	note := c.coldNote(dev, Options{}, 1e6)
	if !strings.Contains(note, "fake not started on device 0 (pthread-x, pocl, CPU): every start compiles its program") ||
		!strings.Contains(note, "the cache is off") || parenDepth(note) > 1 {
		t.Errorf("coldNote = %q; want the device named as prose, why, and no nested parentheses", note)
	}
}

// TestDeviceLabel: DeviceLabel is the device a CPU engine's results name
// when it starts every goroutine it may, and no shorter than what a job of
// one lane names (fewer goroutines): the bound of what a run's page says of
// its engine (report.Ran), counted before the job runs.
func TestDeviceLabel(t *testing.T) {
	for _, name := range []string{"serial", "parallel", "simd"} {
		for _, workers := range []int{0, 3} {
			o := Options{}
			if name != "serial" {
				o.Workers = workers
			}
			eng, err := Open(context.Background(), name, o)
			if err != nil {
				t.Fatal(err)
			}
			label := DeviceLabel(eng)
			for _, lanes := range []uint64{1, 1 << 20} {
				p := sim.Default()
				p.Lanes, p.Steps = lanes, 1
				res, err := eng.Run(context.Background(), &sim.Job{Params: p})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Device) > len(label) || lanes > 1 && res.Device != label {
					t.Errorf("%s, %d workers, %d lanes: the result names %q, DeviceLabel %q", name, o.Workers, lanes, res.Device, label)
				}
			}
		}
	}
	if l := DeviceLabel(failedEngine{"fake", errors.New("x")}); len(l) != 1<<10 {
		t.Errorf("an engine the registry does not open: DeviceLabel of %d bytes, want 1 KiB", len(l))
	}
}

// pilotOnlyEngine runs jobs of at most pilotLaneSteps lane-steps, as
// timedEngine does, and fails larger ones, as a device does that starts
// and runs auto's pilot but fails its probe (a launch out of resources).
type pilotOnlyEngine struct{ timedEngine }

func (e *pilotOnlyEngine) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	if j.Params.Lanes*uint64(j.Params.Steps) > pilotLaneSteps {
		return nil, errors.New("CL_OUT_OF_RESOURCES in the test")
	}
	return e.timedEngine.Run(ctx, j)
}

// TestAutoDeviceProbeFails: a device that starts (its pilot runs) but
// fails auto's probe is a note, and simd runs the job, as Auto's doc says
// of a device that cannot start or run. The probe's error ended the run
// (gpusim run exited 1) where simd would have run it.
func TestAutoDeviceProbeFails(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) {
			return &pilotOnlyEngine{timedEngine{fixed: 1e-4, perLaneStep: 1e-12}}, nil
		},
		Devices: func() ([]Device, error) {
			return []Device{{Engine: "fake", Index: 0, Type: "CPU", Label: "fake device"}}, nil
		},
		Absent: func(error) bool { return false },
	})
	p := sim.Default()
	p.Lanes, p.Steps = 5e7, 10 // beyond deviceStartupFloor on simd: the device is measured
	var notes []string
	e, ch, err := Auto(context.Background(), Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatalf("Auto with a device that fails its probe: %v; want simd, with a note", err)
	}
	sim.Close(e)
	if all := strings.Join(notes, "\n"); ch.Engine != "simd" || !strings.Contains(all, "CL_OUT_OF_RESOURCES in the test") {
		t.Errorf("Auto chose %s, notes %q; want simd and a note with the device's error", ch.Engine, all)
	}
}

// TestAutoCrashMarkRemoved: a device that a crash's mark refused when
// auto measured the machine (gpu.EarlierCrashError) is left out while the
// mark is there, not started again; once the mark is removed, as the
// refusal's hint says, the next run measures the machine again, with a
// note that says why, and the device is a candidate. The calibration left
// it out of every choice until auto.json was removed too, its reason
// still naming the crash and no longer the mark.
func TestAutoCrashMarkRemoved(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	mark := filepath.Join(t.TempDir(), "f99dc6e1.building.9cdbc147.13517")
	if err := os.WriteFile(mark, []byte("crashed"), 0o644); err != nil {
		t.Fatal(err)
	}
	opens := 0
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) {
			opens++
			if _, err := os.Stat(mark); err == nil {
				return nil, fmt.Errorf("fake: build kernels for device 0: %w", &gpu.EarlierCrashError{Who: "process 13517", Step: "built one of gpusim's programs for the device", Marks: []string{mark}, Crashed: true})
			}
			return &timedEngine{fixed: 0.001, perLaneStep: 1e-12}, nil
		},
		Devices: func() ([]Device, error) {
			return []Device{{Engine: "fake", Index: 0, Type: "GPU", GPU: true, Label: "0: NVIDIA H200 (NVIDIA CUDA, GPU)"}}, nil
		},
		Absent: func(error) bool { return false },
	})
	p := sim.Default()
	p.Lanes, p.Steps = 5e7, 10
	var notes []string
	o := Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }}
	const refused = "process 13517 ended while the OpenCL driver built one of gpusim's programs for the device, which crashed it: not asked again"
	for run := range 2 {
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if ch.Engine != "simd" || opens != 1 || !strings.Contains(ch.Reason, refused) {
			t.Fatalf("run %d with the mark: %s (%s), %d opens; want simd, the device started once, the refusal said", run, ch.Engine, ch.Reason, opens)
		}
	}
	if c, ok := loadCalibration(calibrationKey(o)); !ok || len(c.Failed) != 1 || !slices.Equal(c.Failed[0].Marks, []string{mark}) {
		t.Fatalf("calibration %+v (kept %v): want the device failed, with its mark", c.Failed, ok)
	}
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	notes = nil
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	want := "auto: fake device 0 (NVIDIA H200, NVIDIA CUDA, GPU) was left out when this machine was measured, as an earlier crash's mark refused it; its mark is gone (" + mark + "), so this run measures the machine again"
	if opens < 2 || strings.Contains(ch.Reason, refused) || !slices.Contains(notes, want) {
		t.Errorf("after the mark's removal: %s (%s), notes %q, %d opens; want the device measured again, and the note %q", ch.Engine, ch.Reason, notes, opens, want)
	}
	if c, ok := loadCalibration(calibrationKey(o)); !ok || len(c.Failed) != 0 || len(c.Devices) != 1 {
		t.Errorf("calibration after the mark's removal: devices %+v, failed %+v (kept %v); want the device measured, none failed", c.Devices, c.Failed, ok)
	}
}

// TestAutoFailedDeviceSaid: a GPU that does not start when auto measures
// the machine (one that fails its self-test) is a note on that run, and
// every later run that the calibration decides says it was left out, and
// why; auto.json keeps it (failed), which a binary without the field
// reads as before. Said only in the first run's note, a node's GPU was
// left out of every later choice without a word; and the first run's
// reason, which measured it, said "measured here: simd predicted at ..."
// alone, the device in a note above it (hereNote).
func TestAutoFailedDeviceSaid(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	const why = "opencl: device 0 failed the self-test check normals"
	opens := 0
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) { opens++; return nil, errors.New(why) },
		Devices: func() ([]Device, error) {
			return []Device{{Engine: "fake", Index: 0, Type: "GPU", GPU: true, Label: "0: NVIDIA H200 (NVIDIA CUDA, GPU)"}}, nil
		},
		Absent: func(error) bool { return false },
		// The engine's hint, as gpu.SelfTestError's: noted beside the
		// failure without its advice to run on a CPU engine, which auto
		// does (the note had no hint, where --engine opencl's error
		// names the variable to unset).
		Hint: func(error) string { return "unset POCL_EXTRA_BUILD_FLAGS and run again; " + cl.CPUMeanwhile },
	})
	p := sim.Default()
	p.Lanes, p.Steps = 5e7, 10
	var notes []string
	o := Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }}
	want := "did not start (" + why + ")"
	for run := range 3 {
		notes = nil
		e, ch, err := Auto(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		said := ch.Reason
		if run == 0 {
			said = strings.Join(notes, "\n")
			if !strings.Contains(ch.Reason, "fake device 0 (NVIDIA H200, NVIDIA CUDA, GPU) was left out, as it "+want) {
				t.Errorf("run 0: reason %q; want the device left out, as it %s", ch.Reason, want)
			}
			if hint := "hint for fake: unset POCL_EXTRA_BUILD_FLAGS and run again"; !slices.Contains(notes, hint) {
				t.Errorf("run 0: notes %q; want %q", notes, hint)
			}
		}
		if ch.Engine != "simd" || !strings.Contains(said, "fake device 0 (NVIDIA H200, NVIDIA CUDA, GPU) ") || !strings.Contains(said, want) || opens != 1 {
			t.Errorf("run %d: %s (%s), notes %q, %d opens; want simd, the device started once, and %q said", run, ch.Engine, ch.Reason, notes, opens, want)
		}
	}
	b, err := os.ReadFile(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	var old map[string]struct { // what a binary before the field reads
		SIMD    cost           `json:"simd"`
		Devices []deviceTiming `json:"devices"`
	}
	if err := json.Unmarshal(b, &old); err != nil || len(old) != 1 || !strings.Contains(string(b), `"failed"`) {
		t.Errorf("auto.json %s: %v; want one calibration, with the failed device, that reads as before", b, err)
	}
}

// TestDeviceCoresIgnoreGOMAXPROCS: a CPU device's driver (pocl) runs
// threads of its own on every CPU this process may use, whatever
// GOMAXPROCS says, so its probes and a run's share of its cores count
// those CPUs: under GOMAXPROCS=1 on 2 cores a run on pocl read as having
// 200% of its cores, and a loaded machine's run was judged as a quiet one's.
// simd's goroutines do keep to GOMAXPROCS.
func TestDeviceCoresIgnoreGOMAXPROCS(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: GOMAXPROCS cannot be set below it")
	}
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	want, _ := usableCores(runtime.NumCPU())
	wide := sim.Default()
	if k := deviceClock(false, wide); k.cores != want {
		t.Errorf("a CPU device's clock under GOMAXPROCS=1 counts %g cores, want %g (runtime.NumCPU within the CPU limit)", k.cores, want)
	}
	if k := deviceClock(true, wide); k.cores != 0 {
		t.Errorf("a GPU's clock counts %g cores, want wall time (0)", k.cores)
	}
	var ch Choice
	ch.onCores(cpu.SIMD{}, true, false, wide)
	if ch.cores != want || !ch.cpuBound {
		t.Errorf("a run on a CPU device under GOMAXPROCS=1: cores %g (cpu-bound %v), want %g", ch.cores, ch.cpuBound, want)
	}
	ch.onCores(cpu.SIMD{}, false, false, wide)
	if simdWant, _ := usableCores(1); ch.cores != simdWant {
		t.Errorf("a run on simd under GOMAXPROCS=1: cores %g, want %g", ch.cores, simdWant)
	}
}

// dailyRecorder is a timedEngine that records whether each job it runs
// keeps per-step statistics (--daily).
type dailyRecorder struct {
	timedEngine
	daily *[]bool
}

func (e *dailyRecorder) Run(ctx context.Context, j *sim.Job) (*sim.Result, error) {
	*e.daily = append(*e.daily, j.Daily)
	return e.timedEngine.Run(ctx, j)
}

// TestAutoDailyCalibratedApart: a --daily job is chosen from a calibration
// of its own, whose probes keep the per-step statistics, which cost each
// engine its own share: on the 2-core VM a --daily 5M x 100 job ran on
// simd, predicted at 0.333 s from the plain probes, and took 1.02 s, where
// pocl took 0.72 s (simd 0.33 s and pocl 0.39 s without --daily). The
// device's probe is daily, and the plain job's key is not the daily one's.
func TestAutoDailyCalibratedApart(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	cpuShare(t, 0.95, 1)
	var daily []bool
	withDevices(t, Entry{Name: "fake",
		Open: func(context.Context, Options) (sim.Engine, error) {
			return &dailyRecorder{timedEngine{fixed: 1e-5, perLaneStep: 1e-13}, &daily}, nil
		},
		Devices: func() ([]Device, error) {
			return []Device{{Engine: "fake", Index: 0, Type: "GPU", GPU: true, Label: "fake device"}}, nil
		},
		Absent: func(error) bool { return false },
	})
	p := sim.Default()
	p.Lanes, p.Steps = 2e7, 10 // simd takes 0.1 s or more: the device is worth starting
	o := Options{Params: p, Daily: true, Workers: 1}
	if calibrationKey(o) == calibrationKey(Options{Params: p, Workers: 1}) {
		t.Fatalf("--daily shares the plain jobs' calibration key %q", calibrationKey(o))
	}
	e, ch, err := Auto(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if len(daily) == 0 || slices.Contains(daily, false) {
		t.Errorf("the device's probes kept per-step statistics: %v, want all true (chose %s: %s)", daily, ch.Engine, ch.Reason)
	}
	if !probeJob(p, true).Daily || probeJob(p, false).Daily {
		t.Errorf("probeJob does not follow daily")
	}
	if _, ok := loadCalibration(calibrationKey(o)); !ok {
		t.Errorf("no calibration kept under the daily key")
	}
}

// TestCalibrationKeyDriverSettings: the drivers' settings that may change
// their code key the calibration apart, where set: a device that failed
// its self-test under POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math stayed
// left out once the setting was gone.
func TestCalibrationKeyDriverSettings(t *testing.T) {
	t.Setenv("POCL_EXTRA_BUILD_FLAGS", "")
	o := Options{Params: sim.Default()}
	plain := calibrationKey(o)
	t.Setenv("POCL_EXTRA_BUILD_FLAGS", "-cl-fast-relaxed-math")
	if set := calibrationKey(o); set == plain || !strings.Contains(set, "POCL_EXTRA_BUILD_FLAGS=-cl-fast-relaxed-math") {
		t.Errorf("key under POCL_EXTRA_BUILD_FLAGS %q, without %q; want another, naming it", set, plain)
	}
	if strings.Contains(plain, "driver settings") {
		t.Errorf("key without driver settings %q names them", plain)
	}
}

// TestAutoColdDeviceBuildRefused: a device the calibration left cold whose
// build no start here may do (Entry.BuildRefused: pocl under ulimit -f,
// asked of its label) is not measured for a job worth its compile, nor
// picked to compile at its start: such a job listed the devices, loading
// the driver, to start the device and be refused.
func TestAutoColdDeviceBuildRefused(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists, asked := 0, 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	program := filepath.Join(t.TempDir(), "program")
	dev.ProgramFile = func(Options, int) string { return program }
	dev.BuildRefused = func(int, string) error {
		asked++
		return errors.New("pocl cannot build the program under the file-size limit")
	}
	withDevices(t, dev)
	p := sim.Default()
	p.Lanes, p.Steps = 5e6, 10
	if e, ch, err := Auto(context.Background(), Options{Params: p}); err != nil || ch.Engine != "simd" || opens != 0 {
		t.Fatalf("first run: %v, %s (%q), %d opens; want simd, the device cold", err, ch.Engine, ch.Reason, opens)
	} else {
		sim.Close(e)
	}
	lists = 0
	p.Lanes = 1e9
	e, ch, err := Auto(context.Background(), Options{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "simd" || opens != 0 || lists != 0 || asked == 0 || !strings.Contains(ch.Reason, "cannot be compiled here: pocl cannot build") {
		t.Errorf("a job worth the compile, the build refused: %s (%q), %d opens, %d listings, refusal asked %d times; want simd from the calibration, the devices not listed", ch.Engine, ch.Reason, opens, lists, asked)
	}
	// A calibration whose device was measured, its program gone since:
	// it is not picked to compile at its start.
	c := calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "fast", Startup: 0.01, Program: program, cost: cost{Ns: 0.01}}}}
	if best, _, _, compiles := c.pickLoadable(dev, Options{}, 1e10); best != -1 || !strings.Contains(compiles, "not started on") {
		t.Errorf("pickLoadable, the build refused: device %d (%q); want simd", best, compiles)
	}
}

// TestAutoCalibrateBuildRefused: with no calibration yet, a job worth a
// cold device's compile lists the devices (no label is known before) but
// does not open one whose build this process's limits refuse
// (Entry.BuildRefused: pocl under ulimit -f): calibrate opened it, to be
// refused, and kept it as failed ("did not start"). It is left cold, with
// the reason's note, and a run whose limit no longer refuses the build
// measures it.
func TestAutoCalibrateBuildRefused(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opens, lists := 0, 0
	dev := fakeDevice(timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, &opens, &lists)
	program := filepath.Join(t.TempDir(), "program")
	dev.ProgramFile = func(Options, int) string { return program }
	refused := errors.New("pocl cannot build the program under the file-size limit")
	dev.BuildRefused = func(int, string) error { return refused }
	withDevices(t, dev)
	p := sim.Default()
	p.Lanes, p.Steps = 1e9, 10 // seconds on simd: worth a compile
	e, ch, err := Auto(context.Background(), Options{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if ch.Engine != "simd" || opens != 0 || lists == 0 || !strings.Contains(ch.Reason, "fake not started on fake device: its program is not compiled yet, and cannot be compiled here: pocl cannot build") {
		t.Fatalf("no calibration, the build refused: %s (%q), %d opens, %d listings; want simd, the device listed, not opened, and said why", ch.Engine, ch.Reason, opens, lists)
	}
	c, ok := loadCalibration(calibrationKey(Options{Params: p}))
	if !ok || len(c.Cold) != 1 || len(c.Failed) != 0 {
		t.Fatalf("calibration kept %v: cold %v, failed %v; want the device cold, none failed", ok, c.Cold, c.Failed)
	}
	dev.BuildRefused = func(int, string) error { return nil } // the limit lifted
	withDevices(t, dev)
	if e, ch, err = Auto(context.Background(), Options{Params: p}); err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	if opens == 0 {
		t.Errorf("the limit lifted: %s (%q), the device not opened; want it measured", ch.Engine, ch.Reason)
	}
}

// TestAutoDeviceFailedReason: where the device engine is there but failed
// to list its devices (pocl under an empty POCL_CACHE_DIR), auto's reason
// says why, briefly (the error's first line): it said only "opencl
// failed", the cause in the notes above it alone. Absent and not loaded
// say why in their words, and keep them.
func TestAutoDeviceFailedReason(t *testing.T) {
	for _, v := range openCLVars {
		t.Setenv(v, "")
	}
	t.Setenv(EnvCacheDir, t.TempDir())
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" } // 2 ns a lane-step on one core
	for _, c := range []struct {
		absent  bool
		vendors string // OCL_ICD_VENDORS
		want    string
	}{
		{false, "", "fake failed: OpenCL not loaded: POCL_CACHE_DIR is set but empty"},
		{true, "", "fake is not here"},
		// Absent under a setting of where the loader looks, which may
		// hide a driver that is there: it said "is not here".
		{true, "/etc/passwd", "fake is not usable under OCL_ICD_VENDORS: OpenCL not loaded: POCL_CACHE_DIR is set but empty"},
	} {
		t.Setenv("OCL_ICD_VENDORS", c.vendors)
		withDevices(t, Entry{Name: "fake",
			Open: func(context.Context, Options) (sim.Engine, error) { return nil, errors.New("no fake device") },
			Devices: func() ([]Device, error) {
				return nil, errors.New("OpenCL not loaded: POCL_CACHE_DIR is set but empty\nsecond line")
			},
			Absent: func(error) bool { return c.absent },
		})
		p := sim.Default()
		p.Lanes, p.Steps = 5e6, 10 // 0.1 s on simd by the cost model
		e, ch, err := Auto(context.Background(), Options{Params: p, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		sim.Close(e)
		if ch.Engine != "simd" || ch.Reason != c.want {
			t.Errorf("absent %v: %s (%q), want simd (%q)", c.absent, ch.Engine, ch.Reason, c.want)
		}
	}
}

// describedEngine is a timedEngine that names its device as gpu.Engine does.
type describedEngine struct {
	timedEngine
	desc gpu.DeviceDesc
}

func (e *describedEngine) Device() gpu.DeviceDesc { return e.desc }

// TestAutoCalibrationOtherDevice: a calibration whose device is not the one
// a start opens at its place (a cache shared by machines of one set-up, a
// GPU swapped; auto.json keyed the same) is never trusted: the run goes to
// simd and the calibration is dropped. It predicted "NVIDIA H100" and ran
// on pocl's CPU device, each run, by the H100's costs.
func TestAutoCalibrationOtherDevice(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	opened := &describedEngine{timedEngine{fixed: 1e-4, perLaneStep: 1e-12}, gpu.DeviceDesc{Index: 0}}
	opened.desc.Name, opened.desc.PlatformName, opened.desc.Type = "pthread-cpu", "Portable Computing Language", "CPU"
	withDevices(t, Entry{Name: "fake", Absent: func(error) bool { return false },
		Open:    func(context.Context, Options) (sim.Engine, error) { return opened, nil },
		Devices: func() ([]Device, error) { return nil, errors.New("fake: not listed") }})
	p := sim.Default()
	p.Lanes, p.Steps = 1<<28, 100
	o := Options{Params: p}
	for _, tc := range []struct {
		label, want string
	}{{"0: NVIDIA H100 (NVIDIA CUDA, GPU)", "simd"}, {opened.desc.String(), "timed"}} {
		key := calibrationKey(o)
		storeCalibration(key, calibration{SIMD: cost{Ns: 0.5}, Devices: []deviceTiming{{Index: 0, Label: tc.label, Startup: 0.01, cost: cost{Ns: 0.01}}}})
		e, ch, err := Auto(context.Background(), o)
		if err != nil || e.Name() != tc.want {
			t.Fatalf("calibrated on %q: %v (%q), %v; want %s", tc.label, e, ch.Reason, err, tc.want)
		}
		sim.Close(e)
		if _, kept := loadCalibration(key); kept != (tc.want == "timed") {
			t.Errorf("calibrated on %q: calibration kept %v; want it kept only for the device opened", tc.label, kept)
		}
	}
}

// TestFirstLine: a note's one line of an error drops a clause that
// introduces the lines after it (a device list).
func TestFirstLine(t *testing.T) {
	for in, want := range map[string]string{
		"--device: invalid value \"7\": there is no device 7 (valid range 0..0, a list N,M,... or all); devices:\n  0: pocl": "--device: invalid value \"7\": there is no device 7 (valid range 0..0, a list N,M,... or all)",
		"one line":                  "one line",
		"first\nsecond":             "first",
		"a; b:":                     "a; b:", // nothing after it: as written
		"build failed: log:\nerror": "build failed: log:",
	} {
		if got := firstLine(errors.New(in)); got != want {
			t.Errorf("firstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCalibrationKeyCPU checks that the calibration's key holds the CPU's
// model and simd's path on it: a cache shared by machines of other CPUs,
// or a run under GODEBUG=cpu.avx512f=off, took simd's cost on another
// CPU or path (avx2 run at the avx512 path's cost).
func TestCalibrationKeyCPU(t *testing.T) {
	o := Options{Params: sim.Default()}
	old := cpuModel
	t.Cleanup(func() { cpuModel = old })
	cpuModel = func() string { return "Intel Xeon" }
	xeon := calibrationKey(o)
	cpuModel = func() string { return "AMD EPYC" }
	if epyc := calibrationKey(o); epyc == xeon {
		t.Errorf("two CPUs share the key %q", epyc)
	}
	if path, _ := (cpu.SIMD{}).Path(); !strings.Contains(xeon, " simd "+path+";") {
		t.Errorf("the key %q does not hold simd's path %q", xeon, path)
	}
}

// TestAutoKnownStartupOtherCPU: a start-up kept in a calibration of
// another machine's CPU (a cache folder shared by machines, a home folder
// on NFS, under one binary and OpenCL set-up) does not send a job to simd
// unmeasured. knownStartup matched the key's OpenCL tail alone, so a GPU's
// 0.25 s measured on another machine kept this one's jobs of up to 0.25 s
// on simd, "as measured in this machine's calibrations", whatever its own
// devices start in.
func TestAutoKnownStartupOtherCPU(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	defer func(f func() string) { simdPath = f }(simdPath)
	simdPath = func() string { return "avx512" }
	defer func(f func() string) { cpuModel = f }(cpuModel)
	cpuModel = func() string { return "Other CPU" }
	p := sim.Default()
	p.Steps = 20
	gpu := deviceTiming{Index: 0, Label: "fake device", Startup: 0.25, GPU: true, cost: cost{Fixed: 35e-6, Ns: 0.0033}}
	if err := storeCalibration(calibrationKey(Options{Params: p, Workers: 1}), calibration{SIMD: cost{Ns: 2}, Devices: []deviceTiming{gpu}}); err != nil {
		t.Fatal(err)
	}
	if s, label := knownStartup(); s != 0.25 || label != "fake device" {
		t.Fatalf("on the CPU that measured it: knownStartup %g %q, want 0.25 and the fake device", s, label)
	}
	cpuModel = func() string { return "This CPU" }
	if s, label := knownStartup(); s != 0 || label != "" {
		t.Errorf("on another CPU: knownStartup %g %q, want none (0, \"\")", s, label)
	}
}

// TestCalibrationKeyDriver: the calibration's key changes with the driver's
// library that a registration (.icd) names, its registration untouched (a
// driver updated in place), and with the GPUs' device files (a GPU added):
// the calibration measured under the old driver or devices was used, its
// costs and start-ups, and its choice among the devices, stale.
func TestCalibrationKeyDriver(t *testing.T) {
	dir := t.TempDir()
	lib, icd := filepath.Join(t.TempDir(), "libfake.so"), filepath.Join(dir, "fake.icd")
	if err := os.WriteFile(lib, []byte("version 1"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(icd, []byte(lib+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(icd)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("OCL_ICD_VENDORS", dir)
	o := Options{Params: sim.Default()}
	before := calibrationKey(o)
	if err := os.WriteFile(lib, []byte("version 2, larger"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(icd, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if after := calibrationKey(o); after == before {
		t.Errorf("the driver's library replaced, its registration untouched: the key %q stayed", after)
	}
	defer func(d string) { devRoot = d }(devRoot)
	devRoot = t.TempDir()
	if err := os.WriteFile(filepath.Join(devRoot, "nvidia0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	one := calibrationKey(o)
	if err := os.WriteFile(filepath.Join(devRoot, "nvidia1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if two := calibrationKey(o); two == one || !strings.Contains(two, `gpu nodes "nvidia0 nvidia1";`) {
		t.Errorf("a GPU's device file added: key %q, before %q", two, one)
	}
}

// answered waits, a second at most, for the listings that withinWait cut
// short to return (hungWait), once the test let them.
func answered(t *testing.T) {
	t.Helper()
	for t0 := time.Now(); time.Since(t0) < time.Second; time.Sleep(time.Millisecond) {
		if h := hungWait.Load(); h == nil || isClosed(h.done) {
			return
		}
	}
	t.Fatal("the listings cut short did not return")
}

// TestListWaitShared: a wait for the driver after one that ListWait cut
// short, whose listing has not returned, ends by the first one's start and
// ListWait, not its own: a command that lists the devices twice (bench's
// flags, then its plan's floor) waited ListWait twice. Once the first
// listing returns, a wait has its own ListWait again.
func TestListWaitShared(t *testing.T) {
	wasWait := listWait
	t.Cleanup(func() { listWait = wasWait })
	listWait = 200 * time.Millisecond
	hang := make(chan struct{})
	hung := func() int { <-hang; return 1 }
	t0 := time.Now()
	if _, ok := WithinListWait(hung); ok {
		t.Fatal("a listing that hangs answered")
	}
	if _, ok := WithinListWait(hung); ok {
		t.Fatal("a second listing that hangs answered")
	}
	if took := time.Since(t0); took >= 2*listWait {
		t.Errorf("two waits on a driver that hangs took %v, want one ListWait (%v)", took, listWait)
	}
	close(hang)
	answered(t)
	slow := func() int { time.Sleep(listWait / 4); return 3 }
	if v, ok := WithinListWait(slow); !ok || v != 3 {
		t.Errorf("a listing within ListWait once the driver answered: %v, %v", v, ok)
	}
}

// TestListingAfterStopProbe: a listing after the probe's child was ended
// (Load's cl.ErrNoAnswer at once) names the driver's library, as the
// first listing's error did, where it named none.
func TestListingAfterStopProbe(t *testing.T) {
	if _, err := gpu.Devices(); err != nil || cl.LibraryTried() == "" {
		t.Skipf("no OpenCL library loaded: %v", err)
	}
	fakeDevices(t, 0, fmt.Errorf("opencl: %w", &cl.UnavailableError{Kind: cl.ErrNoAnswer, Cause: "the OpenCL driver did not answer"}))
	_, err := listedWithin()
	if ne := (*NoAnswerError)(nil); !errors.As(err, &ne) || ne.Lib != cl.LibraryTried() {
		t.Errorf("listedWithin() after StopProbe: %#v (%v), want a *NoAnswerError naming %s", err, err, cl.LibraryTried())
	}
}

// TestLoadsDriver: the engines that may load a device driver are those
// that run on devices and auto, which lists them; the CPU engines and a
// name no engine has load none (the CLI reads GPUSIM_DRIVER_WAIT for the
// first alone).
func TestLoadsDriver(t *testing.T) {
	for name, want := range map[string]bool{"serial": false, "parallel": false, "simd": false, "opencl": true, "auto": true, "nosuch": false, "": false} {
		if got := LoadsDriver(name); got != want {
			t.Errorf("LoadsDriver(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestCrashRefusedNotes: a device that auto does not start for a job, its
// program not compiled (a cold device; a measured one whose program is
// gone since), which an earlier crash's mark refuses (Entry.CrashRefused
// of the keys the calibration keeps), is said to be refused, with the mark
// to remove in the reason and the hint's rm -f in a note: the reason said
// "its program is not compiled yet ... (`gpusim selftest` compiles it,
// ...)", which the mark then refused. A calibration that keeps no keys
// (written before they were kept) names selftest as before.
func TestCrashRefusedNotes(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	missing := filepath.Join(t.TempDir(), "program")
	crash := &gpu.EarlierCrashError{Who: "process 7", Step: "built one of gpusim's programs for the device", Marks: []string{"/cache/programs/k.building.h.7"}, Crashed: true}
	asked := 0
	dev := Entry{Name: "opencl", ProgramFile: func(Options, int) string { return missing }, CrashRefused: func(keys []string) error {
		asked++
		if slices.Equal(keys, []string{"k"}) {
			return crash
		}
		return nil
	}}
	for _, keys := range [][]string{{"k"}, nil} {
		var notes []string
		o := Options{Note: func(s string) { notes = append(notes, s) }}
		measured := calibration{SIMD: cost{Ns: 1}, Devices: []deviceTiming{{Index: 0, Label: "0: fast (pocl, CPU)", Startup: 0.01, ColdStart: 5, Program: missing, Keys: keys, cost: cost{Ns: 0.01}}}}
		_, _, _, measuredNote := measured.pickLoadable(dev, o, 1e9)
		cold := calibration{SIMD: cost{Ns: 1}, Cold: []coldDevice{{Index: 0, Label: "0: fast (pocl, CPU)", Program: missing, Keys: keys}}}
		coldNote := cold.coldNote(dev, o, 1e8)
		for what, note := range map[string]string{"measured, its program gone": measuredNote, "cold": coldNote} {
			refused := strings.Contains(note, "opencl not started on device 0 (fast, pocl, CPU): an earlier crash's mark refuses it: process 7 ended while the OpenCL driver built one of gpusim's programs for the device, which crashed it: not asked again (rm -f /cache/programs/k.building.h.7 to ask it again)")
			switch {
			case keys != nil && (!refused || strings.Contains(note, "gpusim selftest")):
				t.Errorf("%s, a crash's mark: %q; want the refusal and its mark, not selftest", what, note)
			case keys == nil && (refused || !strings.Contains(note, "`gpusim selftest` compiles it")):
				t.Errorf("%s, no keys kept: %q; want selftest named", what, note)
			}
		}
		hint := slices.ContainsFunc(notes, func(s string) bool {
			return strings.HasPrefix(s, "hint for opencl: ") && strings.HasSuffix(s, "rm -f /cache/programs/k.building.h.7")
		})
		if hint != (keys != nil) || len(notes) != map[bool]int{true: 4, false: 0}[keys != nil] {
			t.Errorf("keys %q: notes %q; want the refusal and its hint for each note where a mark refuses the device, none else", keys, notes)
		}
	}
	if asked != 2 {
		t.Errorf("CrashRefused asked %d times; want once for each note where keys are kept", asked)
	}
}
