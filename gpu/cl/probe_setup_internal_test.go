package cl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProbeDeathStep: a child that died creating a device's context or
// queue (probeSetUp's "context N NAME", "queue N NAME") or releasing them
// ("release queue N NAME": it said "a queue on device 0") names the step
// and the device, where it said "when asked for its devices"; after the
// device's set-up ("set up N"), its devices again. The hint of a crash in
// a device's set-up says the driver lists its devices first (clinfo -l
// does not crash there), where it said "a driver that crashes as it
// starts" for both.
func TestProbeDeathStep(t *testing.T) {
	const starts, setsUp = "a driver that crashes as it starts: ", "a driver that lists its devices and then crashes setting one up "
	// A crash in the child's release of its queue or context gets the
	// hint of a crash in a release, as gpusim's own process gives it
	// (crashHints): it got the set-up's.
	const releases = "a driver that lists its devices and then crashes releasing what gpusim made on one "
	for _, c := range []struct{ report, want, hint string }{
		{"load /a.so\ndevices\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for its devices", starts},
		{"load /a.so\ndevices\ncontext 0 GPU X\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for a context for device 0 (GPU X)", setsUp},
		{"load /a.so\ndevices\ncontext 0 GPU X\nqueue 0 GPU X\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for a queue on device 0 (GPU X)", setsUp},
		{"load /a.so\ndevices\ncontext 0 GPU X\nqueue 0 GPU X\nrelease queue 0 GPU X\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for the release of the queue on device 0 (GPU X) after the set-up check", releases},
		{"load /a.so\ndevices\ncontext 0 GPU X\nqueue 0 GPU X\nrelease queue 0 GPU X\nrelease context 0 GPU X\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for the release of the context for device 0 (GPU X) after the set-up check", releases},
		{"load /a.so\ndevices\ncontext 0 GPU X\nqueue 0 GPU X\nrelease queue 0 GPU X\nrelease context 0 GPU X\nset up 0\n", "the OpenCL driver /a.so crashed (SIGSEGV) when asked for its devices", starts},
	} {
		err := probeDeath(c.report, "SIGSEGV")
		ue, _ := err.(*UnavailableError)
		if got := err.Error(); got != c.want || ue == nil || !strings.HasPrefix(ue.Hint, c.hint) {
			t.Errorf("probeDeath(%q) = %q (%#v), want %q and a hint that starts %q", c.report, got, err, c.want, c.hint)
		}
	}
}

// TestProbeAsked: while a child runs, ProbeAsked reads its report so far:
// the step it is in where that is a context or a queue or their release
// (a hang releasing the queue read "a queue on device 1"), and the library
// it loaded, also where it is in the listing or after the set-up (it was
// "", and a hang in the listing named no library); nothing where no child
// runs or it loaded none yet; the driver of an ICD loader that the child
// asks for its platforms itself (askVendor), while it is in that call, and
// its one driver that gives platforms past the listing ("via"), each
// through the loader.
func TestProbeAsked(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if asked, lib := ProbeAsked(); asked != "" || lib != "" {
		t.Errorf("no child: ProbeAsked() = %q, %q, want nothing", asked, lib)
	}
	probeReport.Store(f)
	defer probeReport.Store(nil)
	for _, c := range []struct{ more, asked, lib string }{
		{probeHello + "\n", "", ""},
		// An ICD loader's driver that the child asks itself
		// (askVendor) while it does; the loader's name had stood.
		{"load libOpenCL.so.1\nvendor /v.so\nvendors mapped\nask /v.so\n", "", "/v.so (through the ICD loader libOpenCL.so.1)"},
		{"answered\n", "", "libOpenCL.so.1"},
		// The loader's one driver that gives platforms (nameDriver),
		// past the listing: the loader's name stood.
		{"via /v.so\ndevices\n", "", "/v.so (through the ICD loader libOpenCL.so.1)"},
		{"set up 1\ncontext 0 X\n", "a context for device 0 (X)", "/v.so (through the ICD loader libOpenCL.so.1)"},
		{"load /a.so\ndevices\n", "", "/a.so"},
		{"context 1 GPU X\n", "a context for device 1 (GPU X)", "/a.so"},
		{"queue 1 GPU X\nrel", "a queue on device 1 (GPU X)", "/a.so"}, // a line half written
		{"ease queue 1 GPU X\n", "the release of the queue on device 1 (GPU X) after the set-up check", "/a.so"},
		{"release context 1 GPU X\nset", "the release of the context for device 1 (GPU X) after the set-up check", "/a.so"},
		{" up 1\n", "", "/a.so"},
	} {
		if _, err := f.WriteString(c.more); err != nil {
			t.Fatal(err)
		}
		if asked, lib := ProbeAsked(); asked != c.asked || lib != c.lib {
			t.Errorf("after %q: ProbeAsked() = %q, %q, want %q, %q", c.more, asked, lib, c.asked, c.lib)
		}
	}
}

// TestStopProbeLibrary: StopProbe keeps the library the child had loaded,
// and Load's error after it (noAnswer) and LibraryTried, where this
// process loaded none, name it: a listing after the stop named no library.
func TestStopProbeLibrary(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "report"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("load /a.so\ndevices\n"); err != nil {
		t.Fatal(err)
	}
	probeRun.Lock()
	stopped, lib := probeRun.stopped, probeRun.lib
	probeRun.Unlock()
	t.Cleanup(func() {
		probeRun.Lock()
		probeRun.stopped, probeRun.lib = stopped, lib
		probeRun.Unlock()
	})
	probeReport.Store(f)
	StopProbe()
	probeReport.Store(nil) // the child reaped
	const want = "the OpenCL driver /a.so did not answer when asked for its platforms, and its probe was ended"
	if got := noAnswer().Error(); !strings.Contains(got, want) {
		t.Errorf("noAnswer() = %q, want %q", got, want)
	}
	if got := LibraryTried(); trying.Load() == nil && got != "/a.so" {
		t.Errorf("LibraryTried() = %q, want /a.so", got)
	}
}
