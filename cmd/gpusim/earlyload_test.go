package main

import (
	"io"
	"testing"
)

// TestOpensDevice: the runs whose driver Run loads before it reads the
// command line are those that name the device engine, by its last
// --engine or by --device alone; not auto's, the CPU engines', help,
// other commands, or a run whose last --device its form refuses (no driver
// can make -1 a device: it loaded the driver all the same).
func TestOpensDevice(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"run", "--engine", "opencl"}, true},
		{[]string{"run", "--engine=opencl", "--lanes", "1e3"}, true},
		{[]string{"run", "-engine", "opencl"}, true},
		{[]string{"run", "--backend", "opencl"}, true},
		{[]string{"run", "--device", "0"}, true},
		{[]string{"run", "--device=all", "--lanes", "-1"}, true},
		{[]string{"run", "--engine", " opencl "}, true},
		{[]string{"run", "--device", "-1", "--device", "0"}, true},
		{[]string{"run", "--device", "0,1", "--lanes", "1e3"}, true},
		{[]string{"run", "--device", "-1"}, false},
		{[]string{"run", "--device=abc", "--engine", "opencl"}, false},
		{[]string{"run", "--engine", "opencl", "--device", "1.5"}, false},
		{[]string{"run", "--device", "0", "--device", "0,0"}, false},
		{[]string{"run", "--device="}, false},
		{[]string{"run"}, false},
		{[]string{"run", "--engine", "simd"}, false},
		{[]string{"run", "--engine", "auto", "--device", "0"}, false},
		{[]string{"run", "--device", "0", "--engine", "serial"}, false},
		{[]string{"run", "--engine", "opencl", "--engine", "simd"}, false},
		{[]string{"run", "--engine", "simd", "--engine", "opencl"}, true},
		{[]string{"run", "--engine", "opencl", "--help"}, false},
		{[]string{"run", "--", "--engine", "opencl"}, false},
		{[]string{"run", "--out", "opencl"}, false},
		{[]string{"bench", "--engine", "opencl"}, false},
		{[]string{"selftest"}, false},
		{[]string{"--engine", "opencl"}, false},
		{nil, false},
	} {
		if got := opensDevice(c.args); got != c.want {
			t.Errorf("opensDevice(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// TestStartDevicesEarly: Run starts the device listing for a run that
// names the device engine, a bad one among them (its error comes as
// before), and not for others or under a thread limit (ulimit -u), whose
// check weighs the threads the process runs.
func TestStartDevicesEarly(t *testing.T) {
	was, wasFree, wasEarly := startDevices, threadsFree, earlyDevices
	keepExits(t)
	t.Cleanup(func() { startDevices, threadsFree, earlyDevices = was, wasFree, wasEarly })
	earlyDevices = true
	started := 0
	startDevices = func() { started++ }
	for _, c := range []struct {
		args    []string
		limited bool
		want    int
	}{
		{[]string{"run", "--engine", "opencl", "--lanes", "-1"}, false, 1},
		{[]string{"run", "--device", "0", "--steps", "-1"}, false, 1},
		{[]string{"run", "--device", "-1", "--lanes", "1e3"}, false, 0},
		{[]string{"run", "--engine", "opencl", "--device", "x"}, false, 0},
		{[]string{"run", "--engine", "simd", "--lanes", "-1"}, false, 0},
		{[]string{"run", "--lanes", "-1"}, false, 0},
		{[]string{"run", "--engine", "opencl", "--lanes", "-1"}, true, 0},
	} {
		started = 0
		threadsFree = func(need uint64) (limit, used uint64, limited bool) {
			if c.limited {
				return 1 << 20, 0, true
			}
			return 0, 0, false
		}
		if code := Run(c.args, nil, io.Discard, io.Discard); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", c.args, code, exitUsage)
		}
		if started != c.want {
			t.Errorf("%q (thread limit %v): the device listing started %d times, want %d", c.args, c.limited, started, c.want)
		}
	}
}
