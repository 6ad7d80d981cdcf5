package engines

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/cachedir"
	"github.com/gpusim/gpusim/internal/quote"
	"github.com/gpusim/gpusim/sim"
)

// An OpenCL driver that does not list its devices within answerWait (it
// hangs as it starts) cost every auto run the whole wait, 10 s by
// default, before simd ran the job: nothing was kept of it. listedWithin
// now keeps a mark of such a listing in gpusim's cache folder
// (noAnswerFile), and auto (Entry.Unanswered) does not ask the driver
// again while the mark stands (noAnswerMark.stands): for an hour from the
// hang (noAnswerLasts), under the same OpenCL set-up, the same library
// that did not answer, the same boot, and a wait no longer than the one
// it did not answer in. A listing that
// answers (gpusim devices, --engine opencl, selftest and bench, which
// always ask) removes the mark of its set-up; with the cache off
// nothing is kept.

// noAnswerName is the mark's file in the cache folder.
const noAnswerName = "opencl-no-answer"

// noAnswerLasts is how long a mark stands from its hang: a driver only
// slow once (the first start of a GPU after a boot on a loaded machine,
// NVIDIA's without its persistence daemon) was left unasked by auto for
// the whole boot. A hang again, of a command that asks it or of auto's
// listing after the hour, renews it.
const noAnswerLasts = time.Hour

// maxNoAnswerFile bounds the mark read: a few kilobytes of JSON, the
// OpenCL set-up's key the most of it.
const maxNoAnswerFile = 64 << 10

// noAnswerFile is the mark's path, "" where the cache is off.
func noAnswerFile() string {
	d := cachedir.Dir()
	if d == "" {
		return ""
	}
	return filepath.Join(d, noAnswerName)
}

// noAnswerMark is the mark's content (docs/auto.md).
type noAnswerMark struct {
	// Setup is the OpenCL set-up it was made under (noAnswerSetup).
	Setup string `json:"setup"`
	// Library is the library that did not answer as gpusim's notes name
	// it ("" where none was known), LibraryFiles the files that name
	// stands for (cl.NameFiles: the driver's, and the ICD loader's where
	// it was reached through one), and LibraryStamp their files, sizes
	// and modification times then (libraryStamp), after their links.
	Library      string   `json:"library,omitempty"`
	LibraryFiles []string `json:"library_files,omitempty"`
	LibraryStamp string   `json:"library_stamp,omitempty"`
	// What the driver was asked for ("" its devices: NoAnswerError.What).
	What string `json:"what,omitempty"`
	// Opening says a device's opening did not answer
	// (NoAnswerError.Opening), which a listing that answers does not
	// forget; a listing's hang in its set-up check (What "a context for
	// ...") it does, as that listing asked for the context again.
	Opening bool      `json:"opening,omitempty"`
	WaitS   float64   `json:"wait_s"`
	At      time.Time `json:"at"`
}

// bootIDFile holds the kernel's id of this boot (a variable for tests):
// a driver or a GPU hung until a reboot is asked again after one.
var bootIDFile = "/proc/sys/kernel/random/boot_id"

// bootID is this boot's id (bootIDFile), ok false where there is none
// (macOS, the BSDs).
func bootID() (id string, ok bool) {
	b, err := os.ReadFile(bootIDFile)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// noAnswerSetup is the OpenCL set-up a mark stands for: the calibration
// key's (openCLSetup: the OpenCL variables, GPUSIM_OPENCL_LIBRARY's file,
// the drivers' registrations and their libraries, the GPUs' device files,
// the drivers' settings), the OpenCL probe's record's (cl.SetupKey: the
// executable, /etc/ld.so.cache, LD_LIBRARY_PATH's folders, the ICD
// loader's folder, the OpenCL and driver variables, the limits), and the
// boot's id where there is one. A mark made under LD_LIBRARY_PATH's
// loader held for the system's loader without it: openCLSetup has
// neither.
func noAnswerSetup() string {
	s := openCLSetup() + "\n" + cl.SetupKey()
	if id, ok := bootID(); ok {
		s += fmt.Sprintf("boot %q;", id)
	}
	return s
}

// resolvedStamp is libraryStamp of each of files after its links, one
// after the other: a link moved to another version of the library is
// another library.
func resolvedStamp(files []string) string {
	var b strings.Builder
	for _, lib := range files {
		if f := libraryFile(lib); f != "" {
			if r, err := filepath.EvalSymlinks(f); err == nil {
				lib = r
			}
		}
		b.WriteString(libraryStamp(lib))
	}
	return b.String()
}

// rememberNoAnswer keeps e, a listing or a device's opening that did not
// answer (openedWithin), as the mark,
// and sets e.Kept to its file, which e's hint names; nothing where the
// cache is off. A mark that cannot be written is not said: the next run
// waits again, as before.
func rememberNoAnswer(e *NoAnswerError) {
	file := noAnswerFile()
	if file == "" {
		return
	}
	m := noAnswerMark{Setup: noAnswerSetup(), Library: e.Lib, What: e.What, Opening: e.Opening, WaitS: e.Wait.Seconds(), At: time.Now().UTC().Truncate(time.Second)}
	if e.Lib != "" {
		// The files, not the name: a driver through the ICD loader
		// ("DRIVER (through the ICD loader LOADER)") was stamped as
		// a missing file, which no new version changed.
		files := e.LibFiles
		if files == nil {
			files = cl.NameFiles(e.Lib)
		}
		for _, f := range files {
			if p := libraryFile(f); p != "" {
				f = p // a soname (the ICD loader's) where the loader finds it
			}
			m.LibraryFiles = append(m.LibraryFiles, f)
		}
		m.LibraryStamp = resolvedStamp(m.LibraryFiles)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil && cachedir.WriteFile(file, append(b, '\n')) == nil {
		e.Kept = file
	}
}

// forgetNoAnswer removes the mark of this set-up, for a listing that
// answered (opened false) or a device that opened (opened true), or
// notes that it cannot; a mark of another set-up stays, and so does a
// mark of a device's opening (Opening) where only the listing answered:
// a driver that lists its devices and hangs creating a device's context
// or kernel in this process answers every listing. A listing's own hang
// in its probe's set-up check (What "a context for ...", not Opening) is
// forgotten by a listing that answers, which went through that check
// again: it was kept, as an opening's, until a device started.
func forgetNoAnswer(opened bool) {
	file := noAnswerFile()
	if file == "" {
		return
	}
	if _, err := os.Lstat(file); err != nil {
		return // the common case: no mark, and no set-up to read
	}
	if m, ok := readNoAnswer(file); !ok || m.Setup == noAnswerSetup() && (opened || !m.Opening) {
		// A mark that stays (a read-only cache folder) is said, as the
		// cache's other failures are (calibrationNotes): a listing that
		// answered said nothing, and auto went on not asking.
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			calibrationNotes.Add("cache: the OpenCL driver answered, but its mark of not answering is not removed, and auto does not ask it while the mark stands (set %s to a writable folder, or off): %v", EnvCacheDir, err)
		}
	}
}

// readNoAnswer reads the mark at file: ok false where it is missing or
// is not one.
func readNoAnswer(file string) (m noAnswerMark, ok bool) {
	b, err := cachedir.ReadFileMax(file, maxNoAnswerFile)
	if err != nil || json.Unmarshal(b, &m) != nil || m.Setup == "" || m.WaitS <= 0 || m.At.IsZero() {
		return noAnswerMark{}, false
	}
	return m, true
}

// stands says whether m keeps auto from asking the driver now: within
// noAnswerLasts of its hang (an At after now, a clock set back, is
// past), the same set-up, the same library as it was, and a wait of m's
// or less (a longer GPUSIM_DRIVER_WAIT, for a driver that is only slow,
// asks again).
func (m noAnswerMark) stands() bool {
	if age := time.Since(m.At); age < 0 || age >= noAnswerLasts {
		return false
	}
	if answerWait.Seconds() > m.WaitS || m.Setup != noAnswerSetup() {
		return false
	}
	return m.Library == "" || resolvedStamp(m.LibraryFiles) == m.LibraryStamp
}

// unansweredError is auto's error where a mark in gpusim's cache says the
// OpenCL driver did not answer a listing in its wait (NoAnswer) at At,
// and the mark stands: auto does not ask the driver again. Mark is the
// mark's file.
type unansweredError struct {
	NoAnswer *NoAnswerError
	At       time.Time
	Mark     string
}

func (e *unansweredError) Error() string {
	return fmt.Sprintf("%v on %s, which gpusim's cache remembers", e.NoAnswer, e.At.Local().Format("2006-01-02 15:04:05 MST"))
}

func (e *unansweredError) Unwrap() error { return e.NoAnswer }

// Again is the command that has auto ask the driver again.
func (e *unansweredError) Again() string { return "rm -f " + quote.Shell(e.Mark) }

// unansweredHint is the hint of an *unansweredError. "a reboot" is said
// only where the boot's id is read (bootID), which the mark's set-up
// holds: elsewhere (macOS, the BSDs) a reboot does not ask again.
func unansweredHint(e *unansweredError) string {
	changes := "a new version of it, another OpenCL setting"
	if _, ok := bootID(); ok {
		changes += ", a reboot"
	}
	return fmt.Sprintf("auto asks that driver no more for an hour from then (until %s), nor until it changes (%s) or %s gives it longer than %g s; %s; to have auto ask it again: %s",
		e.At.Add(noAnswerLasts).Local().Format("15:04:05 MST"), changes, EnvDriverWait, e.NoAnswer.Wait.Seconds(), askedNow(e.NoAnswer, true), e.Again())
}

// openCLUnanswered is the OpenCL entry's Unanswered: an *unansweredError
// where the mark stands, else nil.
func openCLUnanswered() error {
	file := noAnswerFile()
	if file == "" {
		return nil
	}
	m, ok := readNoAnswer(file)
	if !ok || !m.stands() {
		return nil
	}
	return &unansweredError{NoAnswer: &NoAnswerError{Wait: time.Duration(m.WaitS * float64(time.Second)), What: m.What, Lib: m.Library, LibFiles: m.LibraryFiles, Opening: m.Opening}, At: m.At, Mark: file}
}

// unansweredReason notes, for auto, that dev's driver is not asked as err
// (Entry.Unanswered's) says, with the hint, and returns the reason.
func unansweredReason(dev Entry, o Options, err error) string {
	o.note("%s is not asked, running on simd: %v", dev.Name, err)
	if dev.Hint != nil {
		if h := dev.Hint(err); h != "" {
			o.note("hint for %s: %s", dev.Name, h)
		}
	}
	again := ""
	if ue := (*unansweredError)(nil); errors.As(err, &ue) {
		again = " (" + ue.Again() + " to ask it again)"
	}
	return dev.Name + " not asked: " + err.Error() + again
}

// askedNow says which commands ask the driver of the hang e despite its
// mark ("now" in it where now), and what forgets the hang: for a
// listing, gpusim devices or --engine opencl where it answers; for a
// device's opening (e.Opening), a start of the device, which --engine
// opencl makes, as a listing that answers says nothing of a device's
// context or kernel.
func askedNow(e *NoAnswerError, now bool) string {
	when := ""
	if now {
		when = " now"
	}
	if !e.Opening {
		return "gpusim devices or --engine opencl asks it" + when + ", and forgets the hang where it answers"
	}
	return "--engine opencl asks it" + when + ", and forgets the hang where the device starts"
}

// openedWithin is open, the device engine's opening once the listing
// answered: a device's opening that did not answer in its wait (gpu's
// withinAnswer: a context, a queue, a kernel) is kept as the mark
// (rememberNoAnswer), as a listing's is, and a device that opened
// forgets any mark of this set-up. Every auto run whose calibration
// chose the device waited for it again, the whole wait, as nothing was
// kept. gpu's wait does not count the time the process was suspended in
// it (NoAnswerError.Suspended), as the listing's does not.
func openedWithin(open func() (sim.Engine, error)) (sim.Engine, error) {
	e, err := open()
	keepOpening(err)
	return e, err
}

// keepOpening keeps err, a device's opening's error, as the mark where
// the driver did not answer in its wait (rememberNoAnswer), and forgets
// any mark of this set-up where err is nil: the device started
// (openedWithin; selftest's start of each device).
func keepOpening(err error) {
	if na := (*NoAnswerError)(nil); errors.As(err, &na) {
		rememberNoAnswer(na)
	} else if err == nil {
		forgetNoAnswer(true)
	}
}
