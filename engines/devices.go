package engines

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/internal/suggest"
	"github.com/gpusim/gpusim/sim"
)

// Device is one device of an engine that runs on devices, as `gpusim
// devices` lists it.
type Device struct {
	Engine          string // the entry it belongs to
	Index           int    // the number --device takes
	Platform        string // the platform's name (CL_PLATFORM_NAME)
	PlatformVersion string // CL_PLATFORM_VERSION
	Name            string // the device's name (CL_DEVICE_NAME)
	Type            string // CPU, GPU, ACCELERATOR, ... joined by "|" (cl.DeviceInfo.Type)
	GPU             bool   // a GPU and not a CPU (gpu.DeviceDesc.GPUNotCPU): auto's first candidates
	// Label is the device in one line, as reports name it.
	Label string
	// Props are the engine-specific properties, in display order.
	Props []Prop
}

// Prop is a device property: Key names it in JSON, Label in text, Value is
// its JSON value and Text its text.
type Prop struct {
	Key, Label string
	Value      any
	Text       string
}

// MarshalJSON writes the device as one flat object: index, platform,
// platform_version, name and type, then each property under its key.
func (d Device) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	add := func(k string, v any) error {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
		return nil
	}
	for _, kv := range []struct {
		k string
		v any
	}{{"index", d.Index}, {"platform", d.Platform}, {"platform_version", d.PlatformVersion}, {"name", d.Name}, {"type", d.Type}} {
		if err := add(kv.k, kv.v); err != nil {
			return nil, err
		}
	}
	for _, p := range d.Props {
		if err := add(p.Key, p.Value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// model is what tells d from a device of another model: all it describes
// but its index (Label, where it has no name). Identical GPUs of one node
// share it.
func (d Device) model() string {
	if d.Name == "" {
		return d.Label
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q %q %q", d.Platform, d.PlatformVersion, d.Name, d.Type)
	for _, p := range d.Props {
		fmt.Fprintf(&b, " %s=%v", p.Key, p.Value)
	}
	return b.String()
}

// DeviceEntry returns the entry whose devices --device indexes: the one
// engine that runs on devices.
func DeviceEntry() (Entry, error) {
	for _, e := range table {
		if e.Devices != nil {
			return e, nil
		}
	}
	return Entry{}, ErrNoDevices
}

// Devices lists the devices of the device engine, with its entry. Errors:
// ErrNoDevices, or the engine's listing's (for OpenCL, gpu.Devices': see
// Entry.Absent and Hint).
func Devices() (Entry, []Device, error) {
	e, err := DeviceEntry()
	if err != nil {
		return e, nil, err
	}
	ds, err := e.Devices()
	return e, ds, err
}

// DeviceLabelsFor lists, one line each (a Device's Label), the devices that
// the device engines among specs run on (opencl:0 is device 0), for bench's
// report: the devices a benchmark used, not every one there is. Errors are
// Devices'.
func DeviceLabelsFor(specs []Spec) ([]string, error) {
	_, ds, err := Devices()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds {
		name := fmt.Sprintf("%s:%d", d.Engine, d.Index)
		if slices.ContainsFunc(specs, func(s Spec) bool { return s.Device && s.Name == name }) {
			out = append(out, d.Label)
		}
	}
	return out, nil
}

// MaxDeviceIndex is the largest device index --device reads before OpenCL
// says how many devices there are: the range its syntax allows, the same
// where int has 32 bits. The engine checks the index against the devices
// there later (deviceIndexes); a refusal names their range, not this.
const MaxDeviceIndex = math.MaxInt32

// DeviceForms are the values --device takes, as its errors name them:
// the empty value's too (it read "valid: N, a list N,M, or all; see
// gpusim devices" where every other refused value reads these words).
const DeviceForms = "a device's index, " + deviceListForms + "; gpusim devices lists them"

// ParseDevices reads a device list: "N", "N,M,..." or "all". n is the
// number of devices "all" stands for, or -1 when not known yet ("all" then
// gives nil); whether each index exists is the engine's to check. The
// indices come back in the list's order. Errors are refuseByForm's
// *sim.ParamError for --device, with the valid forms and not the devices,
// whose listing would wait on the driver: an empty list, an index that is
// not a whole number from 0 (deviceIndex), one listed twice.
func ParseDevices(s string, n int) ([]int, error) {
	idx, why := parseDevices(s, n)
	if why == "" {
		return idx, nil
	}
	if strings.TrimSpace(s) == "" {
		// Given empty, as by an unset shell variable: the words of run's
		// check, which selftest's differed from, in the shape of every
		// refused value (it read `needs a device, got ""`).
		return nil, &sim.ParamError{Flag: "device", Msg: fmt.Sprintf("invalid value %q: want a device (valid: %s)", s, DeviceForms)}
	}
	return nil, refuseByForm("device", s, why, deviceListForms)
}

// CheckDeviceList refuses s, a --device value, where its form names no
// device list (ParseDevices' faults: not an index, a negative one, all in
// a list, an index listed twice, an empty entry), as ParseDevices does,
// which lists no devices either, so that no driver loads: for a command
// line checked before the limits gpusim refuses (ulimit -n 6, under which
// loading pocl to list the devices killed Go: "fatal error: runtime:
// eventfd failed"). nil where s may name devices here (only the driver can
// say whether they are there). Errors are *sim.ParamError for --device.
func CheckDeviceList(s string) error {
	_, err := ParseDevices(s, -1)
	return err
}

// refuseUnlisted is refuseDevice's refusal without the devices' listing:
// the valid forms, and where the devices are listed.
func refuseUnlisted(flag, value, why, forms string) *sim.ParamError {
	return &sim.ParamError{Flag: flag, Msg: fmt.Sprintf("invalid value %q: %s (valid: a device's index, %s; gpusim devices lists them)", value, why, forms)}
}

// parseDevices is ParseDevices without its error: why says what is wrong
// with s ("" where nothing), as refuseDevice words it; the callers that
// count a valid list's devices take it, and list no devices for a bad one.
func parseDevices(s string, n int) (idx []int, why string) {
	if strings.TrimSpace(s) == "all" { // spaces around it ignored, as around the indices
		if n < 0 {
			return nil, ""
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, ""
	}
	if strings.TrimSpace(s) == "" {
		return nil, "want a device"
	}
	entry, entries := 0, strings.Count(s, ",")+1
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		entry++
		i, why := deviceIndex(f)
		switch {
		case why != "":
			// -1 and 99999999999999999999: out of range, with the
			// range, as a count flag words it (they read "is not a
			// device index" without a number).
			return nil, f + " " + why
		case i < 0:
			// "x" is not a device index, "0,,1" and "１" alike.
			return nil, notIndex(f, entry, entries)
		case slices.Contains(idx, i):
			return nil, fmt.Sprintf("device %d is listed twice", i)
		}
		idx = append(idx, i)
	}
	return idx, ""
}

// deviceListForms are the forms of --device's value besides an index, as
// refuseDevice's range names them.
const deviceListForms = "a list N,M,... or all"

// deviceRefusal is refuseDevice's message, given the labels of the devices
// here and whether the listing said which there are (none, where it found
// no OpenCL device at all); slow says the driver did not answer in
// ListWait, and the devices are not listed.
func deviceRefusal(value, why, forms string, labels []string, listed, slow bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid value %q: %s ", value, why)
	switch {
	case len(labels) > 0:
		fmt.Fprintf(&b, "(valid range 0..%d, %s); devices:", len(labels)-1, forms)
		for _, l := range labels {
			b.WriteString("\n  " + l)
		}
	case slow:
		fmt.Fprintf(&b, "(valid: a device's index, %s; %s)", forms, notListedText())
	case listed:
		fmt.Fprintf(&b, "(valid: a device's index, %s, and there is no OpenCL device here; gpusim devices says why)", forms)
	default:
		fmt.Fprintf(&b, "(valid: a device's index, %s; the devices could not be listed: gpusim devices says why)", forms)
	}
	return b.String()
}

// notIndex says why f, entry i of a list of entries, is no device index:
// empty, all in a list, digits of another script than ASCII's that
// written in ASCII are an index (１: write 1), or any other; a list's
// entry is named. The count grammar's other advice is for sizes and is
// not passed on: 1m (write 1M), 1 000 (write 1000 or 1k) and 1e2k named
// a million, a thousand or a hundred thousand, which no device index is;
// an index refused reads "not a device index" with the range.
func notIndex(f string, i, entries int) string {
	name := ""
	if entries > 1 {
		name = fmt.Sprintf("entry %q: ", f)
	}
	var digits *count.DigitsError
	if _, err := count.Parse(f); errors.As(err, &digits) {
		if j, why := deviceIndex(digits.ASCII); j >= 0 && why == "" {
			return name + err.Error()
		}
	}
	switch {
	case f == "" && entries > 1:
		return fmt.Sprintf("entry %d of %d is empty", i, entries)
	case f == "all":
		return name + "all is given alone, not in a list"
	case entries > 1:
		return fmt.Sprintf("entry %q is not a device index%s", f, suggest.Value(f, "all"))
	}
	return "not a device index" + suggest.Value(f, "all") // ALL: did you mean all?
}

// deviceIndex reads f, one index of a device list, in the one grammar of
// every count and index gpusim reads (count.Parse: 1, 01, +1, 0x1, 1e0,
// 1.0 and 2^0 are 1, -0 is 0): --device took 00 and 01 but refused +0,
// 0x0 and 0.0, which --lanes, --seed and --shard's index take. A number
// that is negative, not whole or past MaxDeviceIndex gives why ("is
// negative", "is not a whole number", "is out of range"); anything else
// that is no index gives -1 and "".
func deviceIndex(f string) (i int, why string) {
	n, err := count.Parse(f)
	switch {
	case errors.Is(err, count.ErrNegative):
		return -1, "is negative"
	case errors.Is(err, count.ErrFraction):
		return -1, "is not a whole number"
	case errors.Is(err, count.ErrOverflow), err == nil && n > MaxDeviceIndex:
		return -1, "is out of range"
	case err != nil:
		return -1, ""
	}
	return int(n), ""
}

// deviceName is a device's Label ("0: NAME (PLATFORM, TYPE)") as prose
// names it: "device 0 (NAME, PLATFORM, TYPE)". Embedded as it was, the
// label's colon and parentheses read as the sentence's: "opencl not
// started on 0: pthread-... (pocl, CPU): its program ...".
func deviceName(label string) string {
	idx, rest, ok := strings.Cut(label, ": ")
	if !ok {
		return label
	}
	if _, err := strconv.Atoi(idx); err != nil {
		return label
	}
	// The last " (" opens the platform's and type's: a name may hold one
	// ("Radeon (TM) RX", "H200 (rev 2)"), which the first cut off.
	if i := strings.LastIndex(rest, " ("); i > 0 && strings.HasSuffix(rest, ")") && !strings.Contains(rest[i+2:], "(") {
		return fmt.Sprintf("device %s (%s, %s)", idx, rest[:i], strings.TrimSuffix(rest[i+2:], ")"))
	}
	return fmt.Sprintf("device %s (%s)", idx, rest)
}
