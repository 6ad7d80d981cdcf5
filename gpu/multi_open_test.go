package gpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
	"github.com/gpusim/gpusim/sim"
)

// envTwoDevices marks the child process twoDevices runs a test in.
const envTwoDevices = "GPUSIM_TEST_TWO_DEVICES"

// overlapWait is how long an open waits in the tests below for the other
// devices' opens to start: on the old code, which opened them in turn, the
// first waited it out, as no other started before it returned.
const overlapWait = 20 * time.Second

// twoDevices returns two device indexes of distinct devices, the second
// first (OpenMulti must keep that order), or nil after it has run the
// test in a child process whose pocl lists two devices (POCL_DEVICES=
// "pthread pthread") where this process lists one.
func twoDevices(t *testing.T) []int {
	t.Helper()
	cltest.RequireDevice(t)
	ds, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) >= 2 {
		return []int{1, 0}
	}
	if os.Getenv(envTwoDevices) != "" || platformShort(ds[0].PlatformName) != "pocl" {
		t.Skip("one OpenCL device, and no pocl to list two")
	}
	cmd := testCommand(t, "^"+t.Name()+"$")
	cmd.Args = append(cmd.Args, "-test.v")
	cmd.Env = append(cmd.Env, "POCL_DEVICES=pthread pthread", envTwoDevices+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("on two pocl devices: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "--- SKIP") {
		t.Skipf("on two pocl devices:\n%s", out)
	}
	t.Logf("on two pocl devices:\n%s", out)
	return nil
}

// rendezvous returns meet, which waits until n calls have started (or
// overlapWait has passed), and the count of calls that waited it out: a
// call made only after another returned, as in turn, waits it out.
func rendezvous(n int) (meet func(), late *atomic.Int32) {
	var started atomic.Int32
	late = new(atomic.Int32)
	all := make(chan struct{})
	return func() {
		if started.Add(1) == int32(n) {
			close(all)
		}
		select {
		case <-all:
		case <-time.After(overlapWait):
			late.Add(1)
		}
	}, late
}

// TestOpenMultiParallel: OpenMulti opens the devices at once, each in a
// goroutine: every device's open starts before any returns (each waits,
// as it starts, for the others' to start too; opened in turn, the first
// waited overlapWait for the second, which started only once it had
// returned), so a node of eight GPUs pays about one device's start-up,
// not eight one after another. The engines come in the order of the
// indices, and the first run reports OpenMulti's own start-up, its wall
// time (the engines' summed counted the overlap twice over).
func TestOpenMultiParallel(t *testing.T) {
	idx := twoDevices(t)
	if idx == nil {
		return
	}
	meet, late := rendezvous(len(idx))
	opt := Options{opening: func(int) error {
		meet()
		return nil
	}}
	t0 := time.Now()
	m, err := OpenMulti(idx, opt)
	took := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if n := late.Load(); n > 0 {
		t.Errorf("%d of %d opens waited %v for the others' to start: the devices opened in turn", n, len(idx), overlapWait)
	}
	for k, e := range m.engines {
		if e.desc.Index != idx[k] {
			t.Errorf("engine %d is device %d's, want device %d's (the order of the indices)", k, e.desc.Index, idx[k])
		}
	}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 5
	r, err := m.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	enumerated.Lock()
	listing := enumerated.took
	enumerated.Unlock()
	if s := r.Timing.Startup; s <= 0 || s > took+listing || r.Timing.Compile > s {
		t.Errorf("start-up %v, compile %v: want OpenMulti's %v (and the listing's %v at most), the compile time within it", s, r.Timing.Compile, took, listing)
	}
}

// TestOpenMultiContexts: OpenMulti's devices create their OpenCL contexts
// at once (a GPU's takes 0.1 s and more, the driver's own set-up of the
// device), and a device's engines share one: each creation waits, as it
// starts, for the others' to start too. The registry's lock was held
// through the creation, and the opens, in parallel otherwise, created the
// contexts one after another.
func TestOpenMultiContexts(t *testing.T) {
	idx := twoDevices(t)
	if idx == nil {
		return
	}
	closeAll(t)
	meet, late := rendezvous(len(idx))
	create := createContext
	createContext = func(ds ...*cl.Device) (*cl.Context, error) {
		meet()
		return create(ds...)
	}
	defer func() { createContext = create }()
	m, err := OpenMulti(idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := late.Load(); n > 0 {
		t.Errorf("%d of %d contexts waited %v for the others' creation to start: created in turn", n, len(idx), overlapWait)
	}
	if c := openContexts(); c != len(idx) {
		t.Errorf("%d contexts alive for %d devices", c, len(idx))
	}
	// A device's second engine shares its context.
	e, err := Open(Options{Device: idx[0]})
	if err != nil {
		t.Fatal(err)
	}
	if e.sh != m.engines[0].sh {
		t.Error("a device's second engine has a context of its own")
	}
	if err := e.Close(); err != nil {
		t.Error(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if c := openContexts(); c != 0 {
		t.Errorf("%d contexts alive after Close", c)
	}
}

// TestOpenMultiFails: where a device fails to open, OpenMulti closes every
// engine the others opened, whose contexts and programs are released,
// leaves no goroutine behind, and names the first device in the order of
// the indices that failed, whichever failed first: the second device's
// open fails at once, the first's only once it has. Where the first fails,
// it reports at once, without waiting for a slow open of the second, whose
// engine is closed when it opens (Settle).
func TestOpenMultiFails(t *testing.T) {
	idx := twoDevices(t)
	if idx == nil {
		return
	}
	closeAll(t)
	goroutines := runtime.NumGoroutine()
	fail := errors.New("CL_DEVICE_NOT_AVAILABLE (-2)")
	check := func(what string, m *Multi, err error, want int) {
		t.Helper()
		if m != nil || !errors.Is(err, fail) || !strings.HasPrefix(err.Error(), "device "+strconv.Itoa(want)+": ") {
			t.Errorf("%s: OpenMulti returned %v, %v; want the error of device %d", what, m, err, want)
		}
		Settle(context.Background())
		if n, c := cachedPrograms(), openContexts(); n != 0 || c != 0 {
			t.Errorf("%s: %d programs and %d contexts alive after OpenMulti failed", what, n, c)
		}
	}

	// One fails: the other's engine, opened, is closed.
	m, err := OpenMulti(idx, Options{opening: func(d int) error {
		if d == idx[1] {
			return fail
		}
		return nil
	}})
	check("one device failing", m, err, idx[1])

	// Both fail, the later in the list first.
	failed := make(chan struct{})
	m, err = OpenMulti(idx, Options{opening: func(d int) error {
		if d == idx[1] {
			close(failed)
		} else {
			select {
			case <-failed:
			case <-time.After(overlapWait):
			}
		}
		return fail
	}})
	check("both failing", m, err, idx[0])

	// The first fails at once, the second's open is slow (a cold
	// build): the error comes at once, and the second's engine, opened
	// after OpenMulti returned, is closed in the background.
	returned := make(chan struct{})
	var waited atomic.Bool
	m, err = OpenMulti(idx, Options{opening: func(d int) error {
		if d == idx[0] {
			return fail
		}
		select {
		case <-returned:
		case <-time.After(overlapWait):
			waited.Store(true)
		}
		return nil
	}})
	// A stop (ctx) does not wait for the open left running.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Now()
	Settle(stopped)
	if took := time.Since(t0); waited.Load() || took > overlapWait/2 {
		t.Errorf("Settle with its context ended waited %v for the open left running", took)
	}
	close(returned)
	if waited.Load() {
		t.Errorf("a slow open: OpenMulti waited %v for the second device's open before it reported the first's failure", overlapWait)
	}
	check("the first failing, the second slow", m, err, idx[0])

	// In turn (Oclgrind's runtime, an address-space limit), a failing
	// device's followers are not opened.
	inTurn := openInTurn
	openInTurn = func() bool { return true }
	defer func() { openInTurn = inTurn }()
	var opened atomic.Int32
	m, err = OpenMulti(idx, Options{opening: func(d int) error {
		opened.Add(1)
		if d == idx[0] {
			return fail
		}
		return nil
	}})
	check("in turn", m, err, idx[0])
	if n := opened.Load(); n != 1 {
		t.Errorf("in turn: %d devices' opens started after the first failed, want none", n-1)
	}

	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > goroutines; {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after OpenMulti failed, %d before", runtime.NumGoroutine(), goroutines)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMultiLabelsIndexed: two devices of one model are told apart in what
// a run reports (Result.Device, the report's engine line and the JSON's
// device): each engine's Label names its index, and a Multi's joins them in
// the order of the indices. Without the index, a run on device 1 of two
// identical GPUs read as one on device 0, and one on both as "NAME + NAME".
func TestMultiLabelsIndexed(t *testing.T) {
	idx := twoDevices(t)
	if idx == nil {
		return
	}
	m, err := OpenMulti(idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var want []string
	for k, e := range m.engines {
		l := e.Label()
		if prefix := fmt.Sprintf("device %d: ", idx[k]); !strings.HasPrefix(l, prefix) || !strings.HasSuffix(l, ")") {
			t.Errorf("engine %d's label %q: want %q, the device's name and its vector type", k, l, prefix+"NAME (PLATFORM, TYPE, float...)")
		}
		want = append(want, l)
	}
	if want[0] == want[1] {
		t.Errorf("devices %v share the label %q", idx, want[0])
	}
	p := sim.Default()
	p.Lanes, p.Steps = 1000, 4
	res, err := m.Run(context.Background(), &sim.Job{Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(want, " + "); res.Device != w || m.Label() != w {
		t.Errorf("a run's device %q, the Multi's label %q: want %q", res.Device, m.Label(), w)
	}
}

// TestMultiOpenErrorNamesDeviceOnce: a device of OpenMulti that does not
// start is named once in the error, which keeps the OpenCL status's
// symbolic name and the build log: it read "device 0: opencl: build
// kernels for device 0 (...)". An error of Open that names no device
// (cl's, a test's) is still prefixed with it.
func TestMultiOpenErrorNamesDeviceOnce(t *testing.T) {
	d := testDevice(t)
	forgetCacheNotes(t)
	t.Setenv(EnvCacheDir, "off")
	_, err := OpenMulti([]int{d, d}, Options{source: "__kernel void broken(__global int *p) { p[0] = ; }"})
	if err == nil {
		t.Fatal("OpenMulti built a broken program")
	}
	msg := err.Error()
	if n := strings.Count(msg, fmt.Sprintf("device %d", d)); n != 1 {
		t.Errorf("the error names device %d %d times, want once:\n%s", d, n, msg)
	}
	for _, want := range []string{"CL_BUILD_PROGRAM_FAILURE", "build log:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	var be *cl.BuildError
	if !errors.As(err, &be) {
		t.Errorf("the error is not a *cl.BuildError: %T", err)
	}
	bare := errors.New("the device is gone")
	_, err = OpenMulti([]int{d}, Options{opening: func(int) error { return bare }})
	if want := fmt.Sprintf("device %d: the device is gone", d); err == nil || err.Error() != want || !errors.Is(err, bare) {
		t.Errorf("an error that names no device: %v, want %q", err, want)
	}
}
