package cl

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gpusim/gpusim/internal/quote"
)

// The probe's child (ProbeChild) also creates a context and a queue on
// each device it lists, and releases them, so that a driver that crashes
// there (SIGSEGV in clCreateContext) is Load's *UnavailableError naming
// the step, not Go's trace (exit 2) in gpusim itself; a child that hangs
// there is named by ProbeAsked. On pocl on the 2-core development VM it
// cost nothing measurable: gpusim devices with no record, median of 9
// interleaved runs, 80 ms listing only, 79 ms with the context and queue
// (a tiny program built and launched as well: 109 ms with pocl's own
// cache warm, 735 ms with it cold, so the child builds nothing). A start
// whose record holds runs no child, so a driver that crashes there later
// still takes the process with it.

// probeSetUp creates a context and a queue on dev, device index of the
// listing (gpu's index: every platform's devices in order) named name
// (DeviceWords: "NAME, PLATFORM, TYPE", as gpusim's own process names it),
// and releases them; each step is said first in the child's report
// ("context N NAME", "queue N NAME", "release queue N NAME", "release
// context N NAME"), so that a crash or a hang in it is named (probeStep):
// a hang releasing the queue was named "a queue on device 0".
func probeSetUp(dev *Device, index int, name string) {
	traceLine("context %d %s", index, name)
	ctx, err := CreateContext(dev)
	if err != nil {
		return
	}
	traceLine("queue %d %s", index, name)
	if q, err := CreateQueue(ctx, dev); err == nil {
		traceLine("release queue %d %s", index, name)
		q.Release()
	}
	traceLine("release context %d %s", index, name)
	ctx.Release()
	traceLine("set up %d", index)
}

// probeSteps are the lines of probeSetUp's steps, by their first words,
// what each says the driver was asked for, and the kind of call it is,
// which chooses a crash's hint (crashHints): a release's is that of a
// driver that crashes releasing, where it was the set-up's.
var probeSteps = []struct {
	prefix, what, after string
	step                CrashStep
}{
	{"context ", "a context for", "", CrashSetUp},
	{"queue ", "a queue on", "", CrashSetUp},
	{"release queue ", "the release of the queue on", " after the set-up check", CrashRelease},
	{"release context ", "the release of the context for", " after the set-up check", CrashRelease},
}

// DeviceWords is what names a device within "device N (...)" in gpusim's
// errors and notes: "NAME, PLATFORM, TYPE" ("pthread-skylake-avx512-AMD
// EPYC, pocl, CPU"), from CL_DEVICE_NAME, CL_PLATFORM_NAME (PlatformShort)
// and DeviceInfo.Type, each quoted where it is not printable UTF-8
// (quote.Printable). gpu's labels and the probe's child both use it: the
// child named a device by its name alone.
func DeviceWords(name, platform, typ string) string {
	return quote.Printable(name) + ", " + PlatformShort(platform) + ", " + quote.Printable(typ)
}

// PlatformShort is a platform's name (CL_PLATFORM_NAME) in a device's
// label: "pocl" for pocl's, "unknown platform" for none, else the name,
// quoted as a device's is.
func PlatformShort(name string) string {
	switch name {
	case poclPlatform:
		return "pocl"
	case "":
		return "unknown platform"
	}
	return quote.Printable(name)
}

// probeStep is what a line of the child's report says the driver was
// asked for next: "a context for device 0 (NAME)" for "context 0 NAME",
// "a queue on device 0 (NAME)" for "queue 0 NAME", "the release of the
// queue on device 0 (NAME) after the set-up check" for "release queue 0
// NAME" (and of the context likewise), "" for another line.
func probeStep(line string) string {
	what, _ := probeStepKind(line)
	return what
}

// probeStepKind is probeStep with the kind of call the line's step is
// (CrashSetUp, CrashRelease); 0 with "".
func probeStepKind(line string) (what string, step CrashStep) {
	for _, s := range probeSteps {
		rest, ok := strings.CutPrefix(line, s.prefix)
		if !ok {
			continue
		}
		n, name, _ := strings.Cut(rest, " ")
		if _, err := strconv.Atoi(n); err != nil {
			return "", 0
		}
		return fmt.Sprintf("%s device %s (%s)%s", s.what, n, name, s.after), s.step
	}
	return "", 0
}

// probeReport is the report of the probe's child while it runs (a file
// in memory), nil where none runs or its report is a pipe.
var probeReport atomic.Pointer[os.File]

// ProbeAsked is what the probe's child running now was last asked of the
// driver, where that was a device's context or queue ("a context for
// device 0 (NAME)"), else "", and the library it loaded last ("" before
// its first, or where no child runs; for an ICD loader, its driver that
// the child asks for its platforms itself, askVendor, while it is in that
// call, and its one driver that gives platforms past the listing, each
// through the loader: reportDriver): the words of a wait for the devices that ended with the child
// still in the driver. The library was "" where
// the child hung in the listing itself, whose error named none.
func ProbeAsked() (asked, lib string) {
	p := probeReport.Load()
	if p == nil {
		return "", ""
	}
	b := make([]byte, 1<<16)
	n, _ := p.ReadAt(b, 0)
	var d reportDriver
	for line := range strings.Lines(string(b[:n])) {
		if !strings.HasSuffix(line, "\n") {
			break // being written
		}
		line = strings.TrimSuffix(line, "\n")
		d.line(line)
		asked = probeStep(line)
	}
	return asked, d.lib
}
