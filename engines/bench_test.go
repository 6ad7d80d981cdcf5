package engines

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/sim"
)

// TestRepeats: an engine named twice is noted however it is spelled: an
// entry and its one device's spec (opencl,opencl:0) ran the device once
// without the note that serial,serial gets.
func TestRepeats(t *testing.T) {
	b := Benchable{Entries: []string{"serial", "simd", "opencl"}, Specs: []Spec{
		{Name: "serial", Entry: "serial"}, {Name: "simd", Entry: "simd"},
		{Name: "opencl:0", Entry: "opencl"}, {Name: "opencl:1", Entry: "opencl"},
	}}
	for _, c := range []struct {
		list string
		want []string
	}{
		{"serial,simd,opencl", nil},
		{"opencl:0,opencl:1", nil},
		{"serial,serial", []string{"serial"}},
		{" serial, simd ,serial", []string{"serial"}},
		{"opencl,opencl:0", []string{"opencl:0 (as opencl and opencl:0)"}},
		{"opencl:1,opencl", []string{"opencl:1 (as opencl:1 and opencl)"}},
		{"opencl,opencl", []string{"opencl"}},
		{"opencl,opencl:0,opencl:0", []string{"opencl:0 (as opencl, opencl:0 and opencl:0)"}},
		{"simd,opencl:1,serial,opencl,simd", []string{"simd", "opencl:1 (as opencl:1 and opencl)"}},
		{"nosuch,nosuch", nil}, // Select's error
	} {
		if got := b.Repeats(c.list); !slices.Equal(got, c.want) {
			t.Errorf("Repeats(%q) = %q, want %q", c.list, got, c.want)
		}
	}
}

// TestSelectNoDevice: a device of a device engine that is here, spelt as
// no device (not a device index as --device reads one, or an index no
// device has), is refused in --device's words with the range of the
// devices there; it read "unknown engine". Every spelling goes through
// CanonicalList first, as bench's --engines does.
func TestSelectNoDevice(t *testing.T) {
	b := Benchable{Entries: []string{"serial", "opencl"}, Specs: []Spec{
		{Name: "serial", Entry: "serial"}, {Name: "opencl:0", Entry: "opencl", Device: true}, {Name: "opencl:1", Entry: "opencl", Device: true},
	}}
	fakeDevices(t, 2, nil)
	// An index past the devices is refused with their range; a name
	// that no driver could make a device (its form), without asking the
	// driver (TestRefuseByFormUnlisted).
	const valid = "(valid range 0..1, written opencl:N, or opencl for every device); devices:\n  0: dev 0 (pocl, CPU)\n  1: dev 1 (pocl, CPU)"
	const form = "(valid: a device's index, written opencl:N, or opencl for every device; gpusim devices lists them)"
	for list, want := range map[string]string{
		"opencl:+2":                   `invalid value "opencl:2": there is no device 2 ` + valid,
		"opencl:1.5":                  `invalid value "opencl:1.5": 1.5 is not a whole number ` + form,
		"opencl:0o1":                  `invalid value "opencl:0o1": not a device index ` + form,
		"opencl:2^64":                 `invalid value "opencl:2^64": 2^64 is out of range ` + form,
		"opencl: ":                    `invalid value "opencl:": not a device index ` + form,
		"opencl:-1":                   `invalid value "opencl:-1": -1 is negative ` + form,
		"opencl:-1e0":                 `invalid value "opencl:-1e0": -1e0 is negative ` + form,
		"serial,opencl:x":             `invalid value "opencl:x": not a device index ` + form,
		"opencl:2":                    `invalid value "opencl:2": there is no device 2 ` + valid,
		"opencl:007":                  `invalid value "opencl:7": there is no device 7 ` + valid,
		"opencl:99999999999999999999": `invalid value "opencl:99999999999999999999": 99999999999999999999 is out of range ` + form,
		"serial:0":                    `unknown engine "serial:0"; did you mean serial? (valid: serial, opencl, opencl:N)`,
		"serial:auto":                 `unknown engine "serial:auto"; did you mean serial? (valid: serial, opencl, opencl:N)`,
		"cuda:0":                      `unknown engine "cuda:0" (valid: serial, opencl, opencl:N)`,
	} {
		var pe *sim.ParamError
		if _, err := b.Select(CanonicalList(list)); !errors.As(err, &pe) || pe.Flag != "engines" || pe.Msg != want {
			t.Errorf("Select(%q): %v; want --engines: %s", list, err, want)
		}
	}
	for _, list := range []string{"opencl:00", "opencl: 1", "opencl:01", "opencl:all", "opencl:+0", "opencl:-0", "opencl:0x1", "opencl:1e0", "opencl:0.0", "opencl:2^0"} {
		if _, err := b.Select(CanonicalList(list)); err != nil {
			t.Errorf("Select(%q): %v; want it taken, as --device takes it", list, err)
		}
	}
	// Where OpenCL finds no device, it says so (it read "unknown
	// engine").
	fakeDevices(t, 0, gpu.ErrNoDevice)
	b.Specs = b.Specs[:1]
	if _, err := b.Select("opencl:0"); err == nil || !strings.HasSuffix(err.Error(), `invalid value "opencl:0": there is no device 0 (valid: a device's index, written opencl:N, or opencl for every device, and there is no OpenCL device here; gpusim devices says why)`) {
		t.Errorf("Select(opencl:0) with no device: %v", err)
	}
}

// TestCanonicalList: --engines reads a device number as --device does
// (ParseDevices): opencl:00 was an unknown engine where selftest --device
// 00 and run --device 00 took device 0. Names that are not a device index
// are kept, for Select to refuse with the valid names.
func TestCanonicalList(t *testing.T) {
	for _, c := range []struct{ list, want string }{
		{"", ""},
		{"serial,simd", "serial,simd"},
		{"opencl:0", "opencl:0"},
		{"opencl:00", "opencl:0"},
		{"opencl:007, opencl: 1 ,serial", "opencl:7,opencl:1,serial"},
		{" opencl :01", "opencl:1"},
		{"opencl:+0", "opencl:0"},
		{"opencl:-0", "opencl:0"},
		{"opencl:0x1", "opencl:1"},
		{"opencl:0.0", "opencl:0"},
		{"opencl:1_0", "opencl:10"},
		{"opencl:1.5", "opencl:1.5"},
		{"opencl:0o1", "opencl:0o1"},
		{"opencl:-1", "opencl:-1"},
		{"opencl:1e0", "opencl:1"},
		{"opencl:", "opencl:"},
		{"opencl:all", "opencl"},
		{"serial, opencl: all ", "serial,opencl"},
		{"opencl:99999999999999999999", "opencl:99999999999999999999"},
	} {
		if got := CanonicalList(c.list); got != c.want {
			t.Errorf("CanonicalList(%q) = %q, want %q", c.list, got, c.want)
		}
	}
	b := Benchable{Entries: []string{"serial", "opencl"}, Specs: []Spec{
		{Name: "serial", Entry: "serial"}, {Name: "opencl:0", Entry: "opencl", Device: true},
	}}
	if specs, err := b.Select(CanonicalList("opencl:00")); err != nil || len(specs) != 1 || specs[0].Name != "opencl:0" {
		t.Errorf("Select(CanonicalList(opencl:00)) = %v, %v; want opencl:0", specs, err)
	}
	if got := b.Repeats(CanonicalList("opencl:0,opencl:00")); !slices.Equal(got, []string{"opencl:0"}) {
		t.Errorf("Repeats(CanonicalList(opencl:0,opencl:00)) = %q, want [opencl:0]", got)
	}
}

// TestCheckDeviceIndex: an --engines entry ENTRY:N whose N is past the
// devices listed is refused with the range and the devices, for bench to
// name it where a later entry is bad (opencl:9,bogus named bogus alone);
// any other name, and a driver that does not answer in ListWait, is no
// refusal.
func TestCheckDeviceIndex(t *testing.T) {
	fakeDevices(t, 2, nil)
	const devs = " (valid range 0..1, written opencl:N, or opencl for every device); devices:\n  0: dev 0 (pocl, CPU)"
	for name, refused := range map[string]bool{"opencl:9": true, "opencl:2": true, "opencl:1": false, "opencl": false, "opencl:all": false, "opencl:x": false, "serial:9": false, "bogus": false} {
		err := CheckDeviceIndex(name)
		want := fmt.Sprintf("invalid value %q: there is no device %s", name, strings.TrimPrefix(name, "opencl:")) + devs
		var pe *sim.ParamError
		if refused && (!errors.As(err, &pe) || pe.Flag != "engines" || !strings.HasPrefix(pe.Msg, want)) || !refused && err != nil {
			t.Errorf("CheckDeviceIndex(%q) = %v; want refused: %v", name, err, refused)
		}
	}
	was, wasWait := listDevices, listWait
	hang := make(chan struct{})
	t.Cleanup(func() {
		close(hang)
		answered(t)
		listDevices, listWait = was, wasWait
	})
	listDevices = func() ([]gpu.DeviceDesc, error) { <-hang; return nil, nil }
	listWait = 50 * time.Millisecond
	if err := CheckDeviceIndex("opencl:9"); err != nil {
		t.Errorf("CheckDeviceIndex(opencl:9) under a driver that hangs: %v, want nil", err)
	}
}

// TestSelectRefused: the default engines (Select of "") leave out a
// device spec whose device is refused (Spec.Refused: an earlier crash's
// mark), and RefusedNotes says so with the refusal's hint, which names the
// mark; an --engines list that names the device, or its entry, keeps it.
// bench started it, its start failed with the refusal, and bench exited 1.
func TestSelectRefused(t *testing.T) {
	const mark = "/cache/programs/f99dc6e1.setup.9cdbc147.13517"
	refused := fmt.Errorf("device 0 (fake, pocl, CPU): %w", &gpu.EarlierCrashError{Who: "process 13517", Step: "set the device up", Marks: []string{mark}, Crashed: true})
	b := Benchable{Entries: []string{"simd", "opencl"}, Missing: map[string]error{}, Specs: []Spec{
		{Name: "simd", Entry: "simd"},
		{Name: "opencl:0", Entry: "opencl", Device: true, Devices: "0", Refused: refused},
		{Name: "opencl:1", Entry: "opencl", Device: true, Devices: "1"},
	}}
	names := func(specs []Spec) (n []string) {
		for _, s := range specs {
			n = append(n, s.Name)
		}
		return n
	}
	for list, want := range map[string][]string{"": {"simd", "opencl:1"}, "opencl:0": {"opencl:0"}, "opencl": {"opencl:0", "opencl:1"}} {
		specs, err := b.Select(list)
		if err != nil || !slices.Equal(names(specs), want) {
			t.Errorf("Select(%q) = %q, %v; want %q", list, names(specs), err, want)
		}
	}
	notes := b.RefusedNotes(nil)
	if len(notes) != 2 || notes[0] != "opencl:0 left out: "+refused.Error() || !strings.HasPrefix(notes[1], "hint for opencl:0: ") || !strings.Contains(notes[1], "rm -f "+mark) {
		t.Errorf("RefusedNotes = %q; want opencl:0 left out with its refusal, and the hint that names %s", notes, mark)
	}
}
