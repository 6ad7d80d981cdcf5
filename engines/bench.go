package engines

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/sim"
)

// Spec is an engine as `gpusim bench` runs it.
type Spec struct {
	Name   string // in reports: the entry's name, or entry:device
	Entry  string // the registry entry it comes from
	Device bool   // runs on a device (bench compares devices with simd)
	// Devices is the --device list a device spec runs on ("2"), "" where
	// it is not known (bench's plan before the devices are listed).
	Devices string
	// New returns a fresh engine with workers goroutines (0: the engine's
	// default). An engine that cannot start is returned anyway and fails
	// in Run, so a benchmark reports it rather than stopping. note, when
	// not nil, receives the start's notes as they happen: a device's
	// program that starts compiling (not in gpusim's cache: seconds on
	// pocl; gpu.Options.Compiling), said when the compile starts, not
	// predicted before the open (a process that waited for another's
	// compile and loaded its binary was told it compiled).
	New func(workers int, note func(string)) sim.Engine
	// Scales says the engine takes a worker count, for the scaling table.
	Scales bool
	// MaxWorkers, when set, is the most workers a run of lanes x steps
	// starts whatever it is given (cpu.RunWorkers: one a block of lanes):
	// worker counts above it measure the same run again.
	MaxWorkers func(lanes uint64, steps int) int
	// Refused, where not nil, says why a start of the spec's device is
	// refused before its driver is asked (an earlier process crashed the
	// driver there: gpu.Refused, as gpusim devices lists it). Select
	// leaves such a spec out of the default engines, and RefusedNotes
	// says why; one that --engines names runs, and its start fails with
	// the refusal.
	Refused error
}

// MinTime is the floor MinTime puts on work lane-steps of s with workers
// goroutines (0: the engine's default), and what it assumes ("simd on 2
// cores"): a spec whose device is known (Devices) at the ceiling of that
// device's kind, its devices listed already (ListedMinTime: bench counted
// pocl, a CPU device, as a GPU at 2e12 lane-steps per second), any other
// device spec as one GPU.
func (s Spec) MinTime(workers int, work float64) (seconds float64, on string) {
	o := Options{Workers: workers, Devices: s.Devices}
	if s.Device && s.Devices != "" {
		return ListedMinTime(s.Entry, o, work)
	}
	return MinTime(s.Entry, o, work)
}

// ListedSpecs is specs with each device spec whose devices are not known
// yet (Devices "", bench's plan) on its device, listed here: the one its
// name gives (opencl:1), else the one its engine opens by default
// (gpu.PickDefault), so that MinTime floors it at the ceiling
// of that device's kind, not a GPU's; one whose devices cannot be listed
// is left out: it cannot run here, and Select refuses it, saying why.
// Where the driver does not answer in ListWait (devicesWithin), a spec is
// kept as it is, taken for a GPU: bench --engines opencl --lanes 1e12
// waited for ever on a driver that hangs. changed says whether any spec
// was.
func ListedSpecs(specs []Spec) (out []Spec, changed bool) {
	var (
		all      []gpu.DeviceDesc
		listed   bool
		answered bool
		err      error
	)
	for _, s := range specs {
		if !s.Device || s.Devices != "" {
			out = append(out, s)
			continue
		}
		if !listed {
			all, answered, err = devicesWithin()
			listed = true
		}
		if !answered {
			// The driver did not answer in ListWait: taken for a GPU,
			// as MinTime takes it.
			out = append(out, s)
			continue
		}
		changed = true
		if err != nil || len(all) == 0 {
			continue
		}
		i := max(gpu.PickDefault(), 0)
		if _, dev, named := strings.Cut(s.Name, ":"); named {
			// opencl:1: device 1, where it is listed.
			idx, why := parseDevices(dev, len(all))
			if why != "" || len(idx) != 1 || idx[0] >= len(all) {
				continue
			}
			i = idx[0]
		}
		s.Devices = strconv.Itoa(i)
		out = append(out, s)
	}
	return out, changed
}

// benchOne runs entry e as it is.
func benchOne(e Entry) ([]Spec, error) { return benchSpec(e, false) }

// benchScales runs entry e as it is and at 1..N workers.
func benchScales(e Entry) ([]Spec, error) { return benchSpec(e, true) }

func benchSpec(e Entry, scales bool) ([]Spec, error) {
	// Start the engine once so one that cannot run here is left out with
	// its reason rather than failing mid-way.
	eng, err := e.Open(context.Background(), Options{})
	if err != nil {
		return nil, err
	}
	sim.Close(eng)
	spec := Spec{Name: e.Name, Entry: e.Name, Scales: scales, New: func(workers int, note func(string)) sim.Engine {
		eng, err := e.Open(context.Background(), Options{Workers: workers, Note: note})
		if err != nil {
			return failedEngine{e.Name, err}
		}
		return eng
	}}
	if scales {
		// parallel and simd: goroutines over blocks of lanes.
		spec.MaxWorkers = func(lanes uint64, steps int) int { return cpu.RunWorkers(math.MaxInt, lanes, steps, false) }
	}
	return []Spec{spec}, nil
}

// failedEngine is an engine that could not start; its Run says why.
type failedEngine struct {
	name string
	err  error
}

func (f failedEngine) Name() string { return f.name }

func (f failedEngine) Run(context.Context, *sim.Job) (*sim.Result, error) {
	return nil, NotStarted(f.name, f.err)
}

// NotStarted is the error of the engine name that could not start for err,
// as a benchmark's measurement meets it: "start NAME: ERR" (Failed).
// CouldNotStart tells one the environment kept from starting.
func NotStarted(name string, err error) error {
	return &notStartedError{Failed("start "+name, name, err)}
}

type notStartedError struct{ err error }

func (e *notStartedError) Error() string { return e.err.Error() }
func (e *notStartedError) Unwrap() error { return e.err }

// CouldNotStart says whether err holds an engine's failure to start
// (NotStarted) for a cause that kept it from running here, no device at
// fault (CouldNotRun): bench --engines opencl under ulimit -f 200, or with
// a full POCL_CACHE_DIR, failed its build at its first workload and exited
// 1, where run --engine opencl, selftest and the README's exit table say 2.
// A failure past the start is not one (a full disk mid-benchmark: exit 1).
func CouldNotStart(err error) bool {
	var ns *notStartedError
	return errors.As(err, &ns) && CouldNotRun(ns.err)
}

// Benchable is what `gpusim bench` can run here: every spec in registry
// order, and why each entry that cannot run here is missing.
type Benchable struct {
	Entries []string         // the benchmarked entries, in registry order
	Specs   []Spec           // every spec that runs here, in registry order
	Missing map[string]error // why an entry of Entries cannot run here
}

// ForBench lists the engines `gpusim bench` runs: the entries want takes,
// or every one when want is nil. An entry left out is not started, so a
// benchmark of CPU engines never loads OpenCL to list its devices.
func ForBench(want func(entry string) bool) Benchable {
	b := Benchable{Missing: map[string]error{}}
	for _, e := range table {
		if e.Bench == nil || (want != nil && !want(e.Name)) {
			continue
		}
		b.Entries = append(b.Entries, e.Name)
		specs, err := e.Bench(e)
		if err != nil {
			b.Missing[e.Name] = err
			continue
		}
		b.Specs = append(b.Specs, specs...)
	}
	return b
}

// BenchEntries is every registry entry `gpusim bench` runs, then extra
// (bench's processes), in registry order, none started and no device
// listed: the names a refused --engines gives (Forms), which depend on no
// driver. Its Specs are none, so its Select only refuses.
func BenchEntries(extra ...string) Benchable {
	b := Benchable{Missing: map[string]error{}}
	for _, e := range table {
		if e.Bench != nil {
			b.Entries = append(b.Entries, e.Name)
		}
	}
	b.Entries = append(b.Entries, extra...)
	return b
}

// CheckDeviceNames refuses, before any driver is asked for its devices
// (ForBench), each ENTRY:X of a comma-separated --engines list whose ENTRY
// runs on devices and whose X is no lone device index ("opencl:x",
// "opencl:-1", "opencl:"), as Select would (noDevice, which waits for the
// listing of the devices ListWait at most): bench --engines opencl:x
// waited for ever on a driver that hangs to list them first. nil where
// every such X may name a device (opencl:99: only the driver can say).
func CheckDeviceNames(list string) error { return checkDeviceNames(list, true) }

// CheckDeviceForms is CheckDeviceNames without the devices' listing in its
// refusal (refuseUnlisted), so that no driver loads: for a command line
// checked before the limits gpusim refuses (CheckDeviceList).
func CheckDeviceForms(list string) error { return checkDeviceNames(list, false) }

// checkDeviceNames is CheckDeviceNames, whose refusal lists the devices
// where listed says so.
func checkDeviceNames(list string, listed bool) error {
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		entry, index, found := strings.Cut(name, ":")
		if e, err := Lookup(strings.TrimSpace(entry)); !found || err != nil || e.Devices == nil {
			continue
		}
		index = strings.TrimSpace(index)
		if idx, why := parseDevices(index, -1); index == "all" || why == "" && len(idx) == 1 && !strings.Contains(index, ",") {
			continue
		}
		if !listed {
			return refuseUnlisted("engines", name, notDeviceWhy(index), deviceForms(strings.TrimSpace(entry)))
		}
		return (Benchable{}).noDevice(name)
	}
	return nil
}

// CheckDeviceIndex refuses name, an entry of a comma-separated bench
// --engines list, where it is ENTRY:N, ENTRY an engine that runs on
// devices and N an index (as CanonicalList reads one: "opencl:9",
// "opencl: 09") past the devices the driver lists within ListWait, with
// noDevice's *sim.ParamError, which lists them: the refusal of a later
// entry (opencl:9,bogus) named bogus alone. nil for any other name, and
// where the driver did not list its devices in ListWait or has none
// (only the benchmark's own listing can say why).
func CheckDeviceIndex(name string) error {
	entry, index, found := strings.Cut(strings.TrimSpace(name), ":")
	if e, err := Lookup(strings.TrimSpace(entry)); !found || err != nil || e.Devices == nil {
		return nil
	}
	idx, why := parseDevices(strings.TrimSpace(index), -1)
	if why != "" || len(idx) != 1 || strings.TrimSpace(index) == "all" {
		return nil
	}
	ds, ok, err := devicesWithin()
	if !ok || err != nil || idx[0] < len(ds) {
		return nil
	}
	return (Benchable{}).noDevice(strings.TrimSpace(name))
}

// Names lists what --engines takes: each benchmarked entry (which selects
// all its specs) and each spec name that differs from its entry's.
func (b Benchable) Names() []string {
	names := slices.Clone(b.Entries)
	for _, s := range b.Specs {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names
}

// Notes says which entries are left out and why, in registry order, each
// followed by a note of its error's hint where it has one ("hint for
// ENTRY: ..."; Hint), worded by word for the command that runs the
// benchmark (nil: as Hint gives it; "" where word leaves nothing): the note
// of the error's text alone lost it (pocl's kernel cache to set, a driver
// that ran out of resources).
func (b Benchable) Notes(word func(hint string) string) []string {
	var notes []string
	for _, e := range b.Entries {
		err, ok := b.Missing[e]
		if !ok {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s left out: %v", e, err))
		h := Hint(err)
		if h != "" && word != nil {
			h = word(h)
		}
		if h != "" {
			notes = append(notes, fmt.Sprintf("hint for %s: %s", e, h))
		}
	}
	return notes
}

// RefusedNotes says which specs the default engines leave out (Select of
// "") as their device is refused (Spec.Refused), and why, each followed by
// a note of the refusal's hint, worded by word as Notes words it: the
// marks to remove for the driver to be asked again.
func (b Benchable) RefusedNotes(word func(hint string) string) []string {
	var notes []string
	for _, s := range b.Specs {
		if s.Refused == nil {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s left out: %v", s.Name, s.Refused))
		h := Hint(s.Refused)
		if h != "" && word != nil {
			h = word(h)
		}
		if h != "" {
			notes = append(notes, fmt.Sprintf("hint for %s: %s", s.Name, h))
		}
	}
	return notes
}

// Repeats names each spec that two entries of a comma-separated --engines
// list select, in registry order: "serial" for serial,serial, and with
// the entries that named it where they differ, "opencl:0 (as opencl and
// opencl:0)" for opencl,opencl:0 where device 0 is the one device (an
// entry selects all its specs). Each is run once; an entry that is not a
// name here is left to Select.
func (b Benchable) Repeats(list string) []string {
	as := map[string][]string{} // spec name -> the entries that select it
	for name := range strings.SplitSeq(list, ",") {
		name = strings.TrimSpace(name)
		for _, s := range b.Specs {
			if s.Entry == name || s.Name == name {
				as[s.Name] = append(as[s.Name], name)
			}
		}
	}
	var twice []string
	for _, s := range b.Specs {
		names := as[s.Name]
		note := ""
		switch {
		case len(names) < 2:
			continue
		case len(slices.Compact(slices.Clone(names))) == 1:
			note = names[0] // opencl,opencl: the entry, once for its specs
		default:
			note = fmt.Sprintf("%s (as %s and %s)", s.Name, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
		}
		if !slices.Contains(twice, note) {
			twice = append(twice, note)
		}
	}
	return twice
}

// CanonicalList rewrites each ENTRY:N of a comma-separated --engines list
// whose N is a device index as --device spells one (ParseDevices: the
// count grammar, spaces around it ignored, as "opencl:00", "opencl:0x1"
// or "opencl: 1") to the name
// bench gives that device's spec, N in decimal without leading zeros
// ("opencl:0"), and ENTRY:all to ENTRY, every device, so --engines reads
// a device as --device and selftest --device do: "opencl:00" and
// "opencl:all" were unknown engines. Every other entry, "opencl:-1" or
// "opencl:1.5" among them, is kept as given, for Select to refuse with
// the names that are valid.
func CanonicalList(list string) string {
	names := strings.Split(list, ",")
	for i, name := range names {
		entry, index, found := strings.Cut(strings.TrimSpace(name), ":")
		if !found {
			continue
		}
		entry = strings.TrimSpace(entry)
		if strings.TrimSpace(index) == "all" {
			names[i] = entry // every device, as the entry alone names them
		} else if idx, why := parseDevices(index, -1); why == "" && len(idx) == 1 {
			names[i] = fmt.Sprintf("%s:%d", entry, idx[0])
		}
	}
	return strings.Join(names, ",")
}

// deviceOf is the registry entry of name when it names one device of a
// device engine, as ENTRY:N with N a decimal index ("opencl:0"); ok is
// false for any other name.
func deviceOf(name string) (entry string, ok bool) {
	entry, index, found := strings.Cut(name, ":")
	if !found || index == "" || strings.Trim(index, "0123456789") != "" {
		return "", false
	}
	e, err := Lookup(entry)
	return entry, err == nil && e.Devices != nil
}

// Select picks the specs a comma-separated --engines list names, keeping
// registry order; "" picks every spec that runs here. A name no engine
// here has is a *sim.ParamError; an entry that cannot run here is refused
// with its reason, and so is one device of it (opencl:0 where OpenCL does
// not load, which read "unknown engine" and lost the reason).
func (b Benchable) Select(list string) ([]Spec, error) {
	if list == "" {
		// A refused device (Spec.Refused) is left out with a note
		// (RefusedNotes), as an entry that cannot run here is: bench
		// failed on it, exit 1, as on a device at fault.
		return slices.DeleteFunc(slices.Clone(b.Specs), func(s Spec) bool { return s.Refused != nil }), nil
	}
	valid := b.Names()
	names := strings.Split(list, ",")
	for i, name := range names {
		if strings.TrimSpace(name) == "" {
			// "processes," read `unknown engine ""`: the entry is
			// named by its place, as the count lists name theirs.
			// Before any name is looked up: "opencl:0," under a
			// driver that did not answer (its devices not listed) was
			// refused as naming no device 0.
			return nil, &sim.ParamError{Flag: "engines", Msg: fmt.Sprintf("invalid value %q: entry %d of %d is empty (valid: %s)", list, i+1, len(names), strings.Join(b.Forms(), ", "))}
		}
	}
	want := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		err, missing := b.Missing[name]
		if entry, ok := deviceOf(name); ok && !slices.Contains(valid, name) {
			// opencl:0 where OpenCL cannot load: it has no specs to
			// name its devices, and "unknown engine" hid why.
			err, missing = b.Missing[entry]
		}
		if !missing && !slices.Contains(valid, name) {
			if err := b.noDevice(name); err != nil {
				return nil, err
			}
			return nil, &sim.ParamError{Flag: "engines", Msg: fmt.Sprintf("unknown engine %q%s (valid: %s)", name, DidYouMean(name, valid...), strings.Join(b.Forms(), ", "))}
		}
		if missing {
			return nil, &MissingError{Name: name, Err: err}
		}
		want[name] = true
	}
	var specs []Spec
	for _, s := range b.Specs {
		if want[s.Entry] || want[s.Name] {
			specs = append(specs, s)
		}
	}
	return specs, nil
}

// Forms is how --engines names b's entries, for a refusal's valid names:
// each entry, and ENTRY:N after one that runs on devices ("serial,
// parallel, simd, opencl, opencl:N, processes"), whatever devices there
// are. They listed the devices (opencl:0), or the entry alone and why
// where the driver did not answer: the valid names of bench --engines ""
// changed with the driver, and waited for it.
func (b Benchable) Forms() []string {
	var forms []string
	for _, name := range b.Entries {
		forms = append(forms, name)
		if e, err := Lookup(name); err == nil && e.Devices != nil {
			forms = append(forms, name+":N")
		}
	}
	return forms
}

// noDevice is Select's error for ENTRY:X where ENTRY is an engine that
// runs on devices and X names none of them here, in --device's words:
// X not a device index as ParseDevices reads one ("opencl:x",
// "opencl:1.5", "opencl:", "opencl:99999999999999999999") or a negative
// one ("opencl:-1"), by its form (refuseByForm, no driver asked); an
// index no device has ("opencl:7"), with the range of the devices there
// (refuseDevice); where there is no device, it says so. They read "unknown engine", then '"opencl:7" names no
// device of opencl: there is no device 7', without the invalid value the
// other refusals give. nil for any other name, which is unknown.
func (b Benchable) noDevice(name string) error {
	entry, index, found := strings.Cut(name, ":")
	entry, index = strings.TrimSpace(entry), strings.TrimSpace(index)
	if e, err := Lookup(entry); !found || err != nil || e.Devices == nil {
		return nil
	}
	idx, why := parseDevices(index, -1)
	switch {
	case index == "" || strings.Contains(index, ","):
		why = "not a device index"
	case why == "" && len(idx) == 1:
		// Only the listing says which there are.
		return refuseDevice("engines", name, fmt.Sprintf("there is no device %d", idx[0]), deviceForms(entry))
	}
	return refuseByForm("engines", name, why, deviceForms(entry))
}

// deviceForms is how --engines names the devices of entry, as a refusal
// of ENTRY:X gives the valid forms.
func deviceForms(entry string) string {
	return fmt.Sprintf("written %s:N, or %s for every device", entry, entry)
}

// notDeviceWhy says why index, the X of an ENTRY:X that checkDeviceNames
// refuses, is no lone device index, as noDevice words it: "-1 is
// negative", and "not a device index" for none or a list.
func notDeviceWhy(index string) string {
	_, why := parseDevices(index, -1)
	if why == "" || index == "" || strings.Contains(index, ",") {
		return "not a device index"
	}
	return why
}

// MissingError is Select's error for an entry of --engines, Name as the
// list gives it (opencl, opencl:0), that cannot run here, for Err.
type MissingError struct {
	Name string
	Err  error
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("--engines: %s cannot run here: %v", e.Name, e.Err)
}

func (e *MissingError) Unwrap() error { return e.Err }
