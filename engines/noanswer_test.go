package engines

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/count"
)

// TestUnansweredStands: the mark of a listing that did not answer
// (rememberNoAnswer) keeps auto from asking the driver (openCLUnanswered)
// for an hour from the hang while the OpenCL set-up, the library that did
// not answer (here a driver through the ICD loader: the driver's file and
// the loader's), the boot and the wait are as they were; a new version of
// the driver or of the loader, another OpenCL setting, another
// LD_LIBRARY_PATH, a reboot, a longer GPUSIM_DRIVER_WAIT, an hour past
// the hang or a clock set back before it asks again, the mark left for
// the set-up it stands for: one slow listing turned the driver off for
// auto for the whole boot, and the mark keyed on the name of a driver
// through the loader, a constant "missing" stamp, and held for the
// system's loader where it was made under LD_LIBRARY_PATH's. Each case
// first sees the mark stand, then makes its one change: the changes were
// made on the parent test (t.Setenv of the case before the subtest), so
// that every case after the first began changed already, and could not
// fail. A listing
// that answers under another set-up leaves it (forgetNoAnswer); one under
// its own removes it. With the cache off nothing is kept. Every auto run
// waited the whole wait on a driver that hangs as it starts.
func TestUnansweredStands(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "libhang.so")
	loader := filepath.Join(dir, "libOpenCL.so.1")
	boot := filepath.Join(dir, "boot_id")
	for _, f := range []string{lib, loader, boot} {
		if err := os.WriteFile(f, []byte("one\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	libTime := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	for _, f := range []string{lib, loader} {
		if err := os.Chtimes(f, libTime, libTime); err != nil {
			t.Fatal(err)
		}
	}
	// The name gpusim's notes give a driver reached through the ICD
	// loader (cl.DriverName), the loader by its soname, found on
	// LD_LIBRARY_PATH.
	name := lib + " (libhang.so) (through the ICD loader libOpenCL.so.1)"
	wasBoot, wasWait := bootIDFile, answerWait
	t.Cleanup(func() { bootIDFile, answerWait = wasBoot, wasWait })
	bootIDFile, answerWait = boot, 3*time.Second
	// The cache out of LD_LIBRARY_PATH's folder, whose time the set-up
	// holds.
	t.Setenv(EnvCacheDir, filepath.Join(t.TempDir(), "cache"))
	t.Setenv("POCL_DEVICES", "pthread")
	t.Setenv("LD_LIBRARY_PATH", dir)

	if err := openCLUnanswered(); err != nil {
		t.Fatalf("no mark: %v, want nil", err)
	}
	rememberNoAnswer(&NoAnswerError{Wait: answerWait, Lib: name, LibFiles: []string{lib, "libOpenCL.so.1"}})
	m, ok := readNoAnswer(noAnswerFile())
	if !ok || !slices.Equal(m.LibraryFiles, []string{lib, loader}) || !strings.Contains(m.LibraryStamp, strconv.Quote(lib)) || !strings.Contains(m.LibraryStamp, strconv.Quote(loader)) {
		t.Errorf("mark %+v: want the driver's and the loader's files, and their stamps", m)
	}
	err := openCLUnanswered()
	var ue *unansweredError
	if !errors.As(err, &ue) || ue.NoAnswer.Lib != name || ue.NoAnswer.Wait != 3*time.Second || ue.Mark != noAnswerFile() {
		t.Fatalf("after a listing that did not answer: %v, want an *unansweredError of %s", err, name)
	}
	if want := "the OpenCL driver " + name + " did not answer in 3 s when asked for its devices on "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("%q, want it to begin %q", err, want)
	}
	until := ue.At.Add(time.Hour).Local().Format("15:04:05 MST")
	for _, want := range []string{"to have auto ask it again: rm -f " + noAnswerFile(), "for an hour from then (until " + until + ")", "another OpenCL setting, a reboot)"} {
		if h := openCLHint(err); !strings.Contains(h, want) {
			t.Errorf("hint %q: want %q", h, want)
		}
	}
	at := ue.At
	for _, c := range []struct {
		name string
		// setup: the change is to the set-up, which a listing that
		// answers leaves the mark of another for; a listing that
		// answers under the mark's set-up removes it (below).
		setup  bool
		change func(t *testing.T)
	}{
		{"another OpenCL setting", true, func(t *testing.T) { t.Setenv("POCL_DEVICES", "pthread pthread") }},
		{"another LD_LIBRARY_PATH", true, func(t *testing.T) { t.Setenv("LD_LIBRARY_PATH", dir+":"+t.TempDir()) }},
		{"a reboot", true, func(t *testing.T) { writeFile(t, boot, "two\n") }},
		{"a new version of the library", false, func(t *testing.T) { writeFile(t, lib, "version two\n") }},
		{"a new version of the ICD loader", false, func(t *testing.T) { writeFile(t, loader, "version two\n") }},
		{"a longer wait", false, func(t *testing.T) { answerWait = 4 * time.Second }},
		{"an hour later", false, func(t *testing.T) { setMarkAt(t, time.Now().Add(-time.Hour)) }},
		{"a clock set back", false, func(t *testing.T) { setMarkAt(t, time.Now().Add(time.Minute)) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Cleanup(func() {
				writeFile(t, boot, "one\n")
				for _, f := range []string{lib, loader} {
					writeFile(t, f, "one\n")
					os.Chtimes(f, libTime, libTime)
				}
				answerWait = 3 * time.Second
				setMarkAt(t, at)
			})
			if err := openCLUnanswered(); err == nil {
				t.Fatal("the mark does not stand before the change")
			}
			c.change(t)
			if err := openCLUnanswered(); err != nil {
				t.Errorf("%v, want the driver asked again", err)
			}
			if !c.setup {
				return
			}
			forgetNoAnswer(false) // under this other set-up: the mark stays
			if _, err := os.Stat(noAnswerFile()); err != nil {
				t.Errorf("a listing under another set-up removed the mark: %v", err)
			}
		})
	}
	if err := openCLUnanswered(); err == nil {
		t.Fatalf("the mark stands no more as it was")
	}
	setMarkAt(t, time.Now().Add(-59*time.Minute))
	if err := openCLUnanswered(); err == nil {
		t.Errorf("59 minutes after the hang: the mark does not stand")
	}
	// Where there is no boot id (macOS, the BSDs) the hint does not say
	// that a reboot asks again.
	bootIDFile = filepath.Join(dir, "no boot_id")
	rememberNoAnswer(&NoAnswerError{Wait: answerWait, Lib: name, LibFiles: []string{lib, "libOpenCL.so.1"}})
	if err := openCLUnanswered(); err == nil || strings.Contains(openCLHint(err), "reboot") {
		t.Errorf("without a boot id: %v, hint %q: want the mark, and no reboot said", err, openCLHint(err))
	}
	forgetNoAnswer(false)
	if _, err := os.Stat(noAnswerFile()); !os.IsNotExist(err) {
		t.Errorf("a listing that answered left the mark: %v", err)
	}

	t.Setenv(EnvCacheDir, "off")
	rememberNoAnswer(&NoAnswerError{Wait: answerWait, Lib: name, LibFiles: []string{lib, "libOpenCL.so.1"}})
	if err := openCLUnanswered(); err != nil {
		t.Errorf("with the cache off: %v, want nil", err)
	}
}

// writeFile writes s to path, or fails t.
func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestForgetNoAnswerFails: a mark that a listing that answered cannot
// remove (here a folder in its place, which no removal of a file takes,
// as a read-only cache folder keeps one) is said in a note of the cache's,
// and the mark's file stays: forgetNoAnswer ignored the failure, and a
// driver that answered went on unasked by auto without a word.
func TestForgetNoAnswerFails(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	file := noAnswerFile()
	if err := os.MkdirAll(filepath.Join(file, "in the way"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropCalibrationNotes(file) })
	forgetNoAnswer(false)
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	want := "cache: the OpenCL driver answered, but its mark of not answering is not removed, and auto does not ask it while the mark stands (set " + EnvCacheDir + " to a writable folder, or off): remove " + file + ": "
	if notes := calibrationNotes.List(); !slices.ContainsFunc(notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
		t.Errorf("notes %q: want one beginning %q", notes, want)
	}
}

// TestNoAnswerSuspended: the listing's wait does not count the time the
// process was suspended in it (Ctrl-Z, SIGSTOP, Slurm's suspend:
// suspended grew), which the wall clock and the timer do: a listing that
// answers after a tenth of a second, in a wait of 50 ms through which the
// process was stopped for 5 s, is waited for, where it was called a hang
// ("did not answer in 0.05 s") and the mark was left unwritten for a
// driver that hangs all the same. A driver that does not answer in the
// wait with the process running is a hang, remembered, and its error
// says the time suspended that the wait did not count; one without a
// suspension says none.
func TestNoAnswerSuspended(t *testing.T) {
	for _, c := range []struct {
		stop   time.Duration
		answer bool // the listing answers after a tenth of a second
	}{
		{5 * time.Second, true},
		{200 * time.Millisecond, false},
		{0, false},
	} {
		t.Run(fmt.Sprintf("stopped %v, answers %v", c.stop, c.answer), func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			var stopped atomic.Int64
			saved := suspended
			suspended = func() time.Duration { return time.Duration(stopped.Load()) }
			t.Cleanup(func() { suspended = saved })
			hangingListing(t)
			hang := listDevices
			listDevices = func() ([]gpu.DeviceDesc, error) {
				stopped.Add(int64(c.stop)) // stopped as the driver lists them
				if c.answer {
					time.Sleep(100 * time.Millisecond)
					return nil, nil
				}
				return hang()
			}
			_, err := listedWithin()
			_, marked := readNoAnswer(noAnswerFile())
			if c.answer {
				if err != nil || marked {
					t.Errorf("suspended for %v in the wait, the listing answering after 0.1 s of it: %v, mark kept %v; want its answer, and no mark", c.stop, err, marked)
				}
				return
			}
			var na *NoAnswerError
			if !errors.As(err, &na) {
				t.Fatalf("listedWithin: %v, want a *NoAnswerError", err)
			}
			said := fmt.Sprintf("suspended for %s more, by Ctrl-Z or SIGSTOP, which the wait did not count", count.Seconds(c.stop.Seconds()))
			if na.Suspended != c.stop || strings.Contains(err.Error(), said) != (c.stop > 0) || (c.stop == 0) == strings.Contains(err.Error(), "suspended") || !marked {
				t.Errorf("suspended for %v in the wait: %q (Suspended %v), mark kept %v; want the time suspended said (%q) where there was one, and the mark kept", c.stop, err, na.Suspended, marked, said)
			}
		})
	}
}

// setMarkAt rewrites the mark's time of the hang as at, or fails t.
func setMarkAt(t *testing.T, at time.Time) {
	t.Helper()
	m, ok := readNoAnswer(noAnswerFile())
	if !ok {
		t.Fatal("no mark")
	}
	m.At = at.UTC()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, noAnswerFile(), string(b))
}

// TestUnansweredFloor: the floor on auto's job (ListedFloor, for a job of
// years) under a driver that gpusim's cache remembers as not answering is
// simd's on the cores, at once: the listing is not asked for, where it
// waited ListWait and took the devices for GPUs.
func TestUnansweredFloor(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	was, wasWait := listDevices, listWait
	hang := make(chan struct{})
	asked := make(chan struct{}, 1)
	t.Cleanup(func() {
		close(hang)
		answered(t)
		listDevices, listWait = was, wasWait
	})
	listDevices = func() ([]gpu.DeviceDesc, error) {
		asked <- struct{}{}
		<-hang
		return nil, nil
	}
	listWait = 50 * time.Millisecond
	rememberNoAnswer(&NoAnswerError{Wait: answerWait})
	const work = 1e15
	cores := floorCores(Options{})
	secs, on, ok := ListedFloor("auto", Options{}, work)
	if want := "auto on " + count.Noun(cores, "core"); !ok || on != want || fmt.Sprint(secs) != fmt.Sprint(work/(coreCeiling*float64(cores))) {
		t.Errorf("ListedFloor(auto) = %g, %q, %v; want simd's floor on %q", secs, on, ok, want)
	}
	select {
	case <-asked:
		t.Errorf("the driver was asked for its devices")
	default:
	}
}

// TestForgetSetUpCheckHang: a listing's hang in its probe's set-up check
// (What "a context for device 0 (...)", a listing's all the same) is
// forgotten by a listing that answers, which asked for that context
// again, and its hint says so; the hang of a device's opening in this
// process (Opening) is forgotten only by a device that starts. The
// set-up check's hang was kept as an opening's, its What alone told
// apart, until --engine opencl started a device.
func TestForgetSetUpCheckHang(t *testing.T) {
	const what = "a context for device 0 (pthread, pocl, CPU)"
	for _, c := range []struct {
		opening                 bool
		afterListing, afterOpen bool // the mark stands after a listing, after an opening
		hint                    string
	}{
		{false, false, false, "gpusim devices or --engine opencl asks it now, and forgets the hang where it answers"},
		{true, true, false, "--engine opencl asks it now, and forgets the hang where the device starts"},
	} {
		t.Run(fmt.Sprint("opening ", c.opening), func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			rememberNoAnswer(&NoAnswerError{Wait: answerWait, What: what, Opening: c.opening})
			err := openCLUnanswered()
			if err == nil || !strings.Contains(openCLHint(err), c.hint) {
				t.Fatalf("the mark: %v, hint %q; want it standing, its hint saying %q", err, openCLHint(err), c.hint)
			}
			forgetNoAnswer(false)
			if _, err := os.Stat(noAnswerFile()); (err == nil) != c.afterListing {
				t.Errorf("after a listing that answered: the mark's file %v; want it there %v", err, c.afterListing)
			}
			forgetNoAnswer(true)
			if _, err := os.Stat(noAnswerFile()); (err == nil) != c.afterOpen {
				t.Errorf("after a device started: the mark's file %v; want it there %v", err, c.afterOpen)
			}
		})
	}
}
