//go:build unix

package gpu

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestEarlierCrash: the mark of a step (a build from source, a first
// launch of the program so built) that a process of this host left as it
// ended is an *EarlierCrashError naming the process, the step and the
// mark, which stays; one of a process that runs, or this process's own
// while it holds it, is none; markStep's done removes its mark.
func TestEarlierCrash(t *testing.T) {
	entry := filepath.Join(t.TempDir(), "0123456789abcdef0123456789abcdef")
	if err := earlierCrash(entry, ""); err != nil {
		t.Fatalf("no marks: %v", err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	if err := os.WriteFile(markNameAs(entry, buildingSuffix, live.Process.Pid), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	done := markStep(entry, launchingSuffix)
	if err := earlierCrash(entry, ""); err != nil {
		t.Fatalf("a running process's mark and this one's: %v", err)
	}
	done()
	if _, err := os.Stat(markNameAs(entry, launchingSuffix, os.Getpid())); !os.IsNotExist(err) {
		t.Fatalf("markStep's mark after its done: %v", err)
	}

	pid := deadPID(t)
	mark := markNameAs(entry, launchingSuffix, pid)
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the mark stays: every start is refused
		var ec *EarlierCrashError
		if err := earlierCrash(entry, ""); !errors.As(err, &ec) || ec.Step != "ran a first launch of the program, built from source" || !slices.Equal(ec.Marks, []string{mark}) {
			t.Fatalf("a dead process's mark: %v (%#v), want an *EarlierCrashError of the launch naming %s", err, ec, mark)
		}
	}
	// This process's own ID, not held: an earlier process's.
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(markNameAs(entry, buildingSuffix, os.Getpid()), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := earlierCrash(entry, ""); err == nil || CrashHint(err) == "" {
		t.Fatalf("a mark of this process's ID that it does not hold: %v, want an earlier crash with its hint", err)
	}
}

// BenchmarkEarlierCrash is what a start pays for the steps' marks on each
// program it opens, built from the cache or not: earlierCrash reads the
// entry's folder (here a warm cache's, five files) and this user's
// folders of marks.
func BenchmarkEarlierCrash(b *testing.B) {
	dir := b.TempDir()
	entry := filepath.Join(dir, "0123456789abcdef0123456789abcdef")
	for _, f := range []string{"", ".lock", ".build.lock", "x", "x.lock"} {
		if err := os.WriteFile(entry+f, nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if err := earlierCrash(entry, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetUpMark is what an engine's start pays for the mark of its
// device's set-up: setUpCrash's reading of the programs folder (here a warm
// cache's, seven files) and this user's folders of marks, and the mark made
// and removed (markSetUp).
func BenchmarkSetUpMark(b *testing.B) {
	dir := b.TempDir()
	b.Setenv(EnvCacheDir, dir)
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device"}}
	programs := filepath.Join(dir, "programs")
	if err := os.Mkdir(programs, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, f := range []string{"0123456789abcdef0123456789abcdef", "x", "x.build.lock", "y", "y.build.lock", "z", "z.build.lock"} {
		if err := os.WriteFile(filepath.Join(programs, f), nil, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if err := setUpCrash(desc); err != nil {
			b.Fatal(err)
		}
		markSetUp(desc)()
	}
}

// TestEarlierCrashNamesOtherPrograms: a start builds two programs of a
// device, so one kill -9 in a cold start can leave a launching mark on one
// and a building mark on the other; the hint's rm -f names both, where the
// start after its rm -f was refused again on the other's mark.
func TestEarlierCrashNamesOtherPrograms(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "0123456789abcdef0123456789abcdef")
	other := filepath.Join(dir, "fedcba9876543210fedcba9876543210")
	pid := deadPID(t)
	marks := []string{markNameAs(entry, launchingSuffix, pid), markNameAs(other, buildingSuffix, pid)}
	for _, m := range marks {
		if err := os.WriteFile(m, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ec *EarlierCrashError
	if err := earlierCrash(entry, ""); !errors.As(err, &ec) || !slices.Equal(ec.Marks, marks) {
		t.Fatalf("earlierCrash: %v (%#v), want an *EarlierCrashError naming %v", err, ec, marks)
	}
	if h := CrashHint(ec); !strings.HasSuffix(h, "remove the marks of the crash: rm -f "+strings.Join(marks, " ")) {
		t.Fatalf("hint %q, want the rm -f of both marks", h)
	}
}

// TestEarlierCrashDeviceBuild: the build mark a process left on a device
// (buildHooks.buildMark) refuses every program of that device, naming that
// mark alone in the hint's rm -f; one on another device's refuses none.
func TestEarlierCrashDeviceBuild(t *testing.T) {
	dir := t.TempDir()
	device := filepath.Join(dir, "00000000000000000000000000000000")
	other := filepath.Join(dir, "11111111111111111111111111111111")
	mark := markNameAs(device, buildingSuffix, deadPID(t))
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{filepath.Join(dir, "0123456789abcdef0123456789abcdef"), filepath.Join(dir, "fedcba9876543210fedcba9876543210")} {
		var ec *EarlierCrashError
		if err := earlierCrash(entry, device); !errors.As(err, &ec) || !slices.Equal(ec.Marks, []string{mark}) || !strings.HasSuffix(CrashHint(ec), "rm -f "+mark) {
			t.Fatalf("earlierCrash(%s): %v, want the device's build mark %s", entry, err, mark)
		}
		if err := earlierCrash(entry, other); err != nil {
			t.Fatalf("earlierCrash(%s) on another device: %v, want none", entry, err)
		}
	}
}

// TestLiftMark: a lifted mark's file is gone until its back makes it
// again; lifts nest; a mark two loads count on is not lifted, and one
// released while lifted is not made again.
func TestLiftMark(t *testing.T) {
	entry := filepath.Join(t.TempDir(), "0123456789abcdef0123456789abcdef")
	file := markNameAs(entry, loadingSuffix, os.Getpid())
	there := func() bool { _, err := os.Stat(file); return err == nil }
	done, err := markAs(entry, loadingSuffix)
	if err != nil {
		t.Fatal(err)
	}
	back := liftMark(entry + loadingSuffix)
	inner := liftMark(entry + loadingSuffix)
	if there() {
		t.Fatal("the mark is there while lifted")
	}
	inner()
	if there() {
		t.Fatal("the mark is there while the outer lift stands")
	}
	back()
	if !there() {
		t.Fatal("the mark is not made again")
	}
	second, err := markAs(entry, loadingSuffix)
	if err != nil {
		t.Fatal(err)
	}
	liftMark(entry + loadingSuffix)()
	if !there() {
		t.Fatal("a mark two loads count on was lifted")
	}
	second()
	back = liftMark(entry + loadingSuffix)
	done()
	back()
	if there() {
		t.Fatal("a mark released while lifted was made again")
	}
}

// TestDistrustProbe: the mark of a device's set-up (markProbeSetUp) that a
// process left as it ended removes the probe's record, so the next load
// probes the driver in a child again; a running process's mark, or none,
// leaves it; markProbeSetUp's done removes its mark.
func TestDistrustProbe(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	record := filepath.Join(dir, probeRecord)
	if err := os.WriteFile(record, []byte("record"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := markProbeSetUp()
	mine := markNameAs(record, setUpSuffix, os.Getpid())
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("markProbeSetUp's mark: %v", err)
	}
	distrustProbe()
	done()
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Fatalf("markProbeSetUp's mark after its done: %v", err)
	}
	if _, err := os.Stat(record); err != nil {
		t.Fatalf("the record with this process's live mark: %v", err)
	}
	dead := markNameAs(record, setUpSuffix, deadPID(t))
	if err := os.WriteFile(dead, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	distrustProbe()
	for _, f := range []string{record, dead} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s after a dead process's set-up mark: %v, want it removed", f, err)
		}
	}
}

// TestSetUpMarked: a device's set-up (its context, a queue, the engine's
// first buffer: markSetUp) is marked by the device and its driver in the
// programs folder, made where a first start has none, and a process that
// ended while it held the mark is an *EarlierCrashError naming the step
// and the mark (setUpCrash), which stays; this process's own live mark, or
// a build's mark on the device (the build's own check names it), is none.
// A crash creating the engine's first buffer had no mark, and crashed
// every start, auto's too, as the probe's child makes no buffer.
func TestSetUpMarked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv(EnvCacheDir, dir)
	t.Setenv("TMPDIR", t.TempDir())
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "1"}}
	path := setUpPath(desc)
	done := markSetUp(desc)
	mine := markNameAs(path, setUpSuffix, os.Getpid())
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("markSetUp's mark: %v", err)
	}
	if err := setUpCrash(desc); err != nil {
		t.Fatalf("setUpCrash with this process's live mark: %v", err)
	}
	done()
	done()
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Fatalf("markSetUp's mark after its done: %v", err)
	}
	if err := os.WriteFile(markNameAs(path, buildingSuffix, deadPID(t)), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := setUpCrash(desc); err != nil {
		t.Fatalf("setUpCrash with a build's mark: %v, want none", err)
	}
	dead := markNameAs(path, setUpSuffix, deadPID(t))
	if err := os.WriteFile(dead, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var ec *EarlierCrashError
	for range 2 {
		if err := setUpCrash(desc); !errors.As(err, &ec) || ec.Step != setUpStep.step || !slices.Equal(ec.Marks, []string{dead}) || !strings.HasSuffix(CrashHint(ec), "rm -f "+dead) {
			t.Fatalf("setUpCrash: %v, want an *EarlierCrashError of the set-up naming %s", err, dead)
		}
	}
	other := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "2"}}
	if err := setUpCrash(other); err != nil {
		t.Errorf("setUpCrash of another driver version: %v, want none", err)
	}
	t.Setenv(EnvCacheDir, "off")
	if done := markSetUp(desc); setUpCrash(desc) != nil {
		t.Errorf("the cache off: a set-up crash found")
	} else {
		done()
	}
}

// TestSetUpMarkedReadOnly: where the cache folder takes no mark (shared
// read-only, filled by others), the marks of a device's set-up, the
// device's (markSetUp) and the probe's (markProbeSetUp), go to this
// user's folder of marks, as a load's do, and a start finds a crash's
// there: the device's refuses the device (setUpCrash), the probe's makes
// distrustProbe remove the probe's record, or, where the record cannot be
// removed, distrust it for this process's probe (cl.DistrustRecord); the
// probe's mark goes. Neither was made, and a crash setting a device up on
// a read-only cache crashed every start.
func TestSetUpMarkedReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv(EnvCacheDir, dir)
	t.Setenv("TMPDIR", t.TempDir())
	if err := os.MkdirAll(filepath.Join(dir, "programs"), 0o755); err != nil {
		t.Fatal(err)
	}
	openMark = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if strings.HasPrefix(name, dir) {
			return nil, os.ErrPermission // the cache's folder takes no mark
		}
		return os.OpenFile(name, flag, perm)
	}
	defer func() { openMark = os.OpenFile }()
	distrusted := 0
	distrustRecord = func() { distrusted++ }
	defer func() { distrustRecord = cl.DistrustRecord }()
	fb, err := fallbackMarks(true)
	if err != nil {
		t.Fatal(err)
	}
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device"}}
	record := filepath.Join(dir, probeRecord)
	if err := os.WriteFile(record, []byte("record"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		path string
		mark func() func()
	}{
		{"the device's", setUpPath(desc), func() func() { return markSetUp(desc) }},
		{"the probe's", record, markProbeSetUp},
	} {
		done := c.mark()
		mine := filepath.Join(fb, pathTag(c.path)+setUpSuffix+hostTag()+"."+strconv.Itoa(os.Getpid()))
		if _, err := os.Stat(mine); err != nil {
			t.Errorf("%s set-up mark in the folder of marks: %v", c.what, err)
		}
		done()
		if _, err := os.Stat(mine); !os.IsNotExist(err) {
			t.Errorf("%s set-up mark after its done: %v", c.what, err)
		}
	}
	dead := filepath.Join(fb, pathTag(setUpPath(desc))+setUpSuffix+hostTag()+"."+strconv.Itoa(deadPID(t)))
	if err := os.WriteFile(dead, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var ec *EarlierCrashError
	if err := setUpCrash(desc); !errors.As(err, &ec) || !slices.Equal(ec.Marks, []string{dead}) {
		t.Errorf("setUpCrash: %v, want the crash's mark %s", err, dead)
	}
	probeMark := filepath.Join(fb, pathTag(record)+setUpSuffix+hostTag()+"."+strconv.Itoa(deadPID(t)))
	for _, removable := range []bool{false, true} {
		if err := os.WriteFile(probeMark, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if !removable {
			removeFile = func(p string) error {
				return &os.PathError{Op: "remove", Path: p, Err: syscall.EROFS}
			}
		}
		distrusted = 0
		distrustProbe()
		removeFile = os.Remove
		_, rerr := os.Stat(record)
		switch _, merr := os.Stat(probeMark); {
		case !os.IsNotExist(merr):
			t.Errorf("removable %v: the probe's set-up mark after distrustProbe: %v, want it removed", removable, merr)
		case removable && (!os.IsNotExist(rerr) || distrusted != 0):
			t.Errorf("the record after distrustProbe: %v, distrusted %d times; want it removed", rerr, distrusted)
		case !removable && (rerr != nil || distrusted != 1):
			t.Errorf("the record that cannot be removed after distrustProbe: %v, distrusted %d times; want it there, distrusted once", rerr, distrusted)
		}
	}
}

// TestRefused: gpusim devices' refusal of a device (Refused) is the
// earlier crash of a process that ended holding a mark on the device's
// name (its set-up, a buffer's creation, a build from source) or on the
// first launch of a program a start with the default options builds (the
// engine's, the self-test's), naming the step and the mark; none for a
// first launch's mark on a program of other options, a live process's
// mark, or another driver version. A buffer's mark (markBuffer's kind) is
// setUpCrash's too, which refused no start after a crash creating a
// run's buffer.
func TestRefused(t *testing.T) {
	t.Setenv(EnvCacheDir, filepath.Join(t.TempDir(), "cache"))
	t.Setenv("TMPDIR", t.TempDir())
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "1", CorrectlyRoundedSqrt: true}, VectorWidth: 4}
	path := setUpPath(desc)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	eng := newEngine(Options{Math: MathExact}, desc)
	options, err := eng.buildOptions()
	if err != nil {
		t.Fatal(err)
	}
	engine := cachePath("programs", programKey(desc, options, eng.source()))
	selfTest := cachePath("programs", programKey(desc, selfTestOptions(options), eng.selfTestSource()))
	fast := cachePath("programs", programKey(desc, options+" -DFAST_MATH", eng.source()))
	if err := Refused(desc); err != nil {
		t.Fatalf("no marks: %v", err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	for _, c := range []struct {
		at, suffix string
		pid        int
		step       string // "": none
	}{
		{path, setUpSuffix, deadPID(t), setUpStep.step},
		{path, bufferSuffix, deadPID(t), bufferStep.step},
		{path, buildingSuffix, deadPID(t), stepSuffixes[0].step},
		{engine, launchingSuffix, deadPID(t), stepSuffixes[1].step},
		{selfTest, launchingSuffix, deadPID(t), stepSuffixes[1].step},
		{fast, launchingSuffix, deadPID(t), ""},
		{path, bufferSuffix, live.Process.Pid, ""},
	} {
		mark := markNameAs(c.at, c.suffix, c.pid)
		if err := os.WriteFile(mark, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		var ec *EarlierCrashError
		err := Refused(desc)
		switch {
		case c.step == "" && err != nil:
			t.Errorf("%s: %v, want none", filepath.Base(mark), err)
		case c.step != "" && (!errors.As(err, &ec) || ec.Step != c.step || !slices.Contains(ec.Marks, mark)):
			t.Errorf("%s: %v, want the step %q naming the mark", filepath.Base(mark), err, c.step)
		}
		if c.suffix == bufferSuffix && c.step != "" {
			if err := setUpCrash(desc); !errors.As(err, &ec) || ec.Step != bufferStep.step {
				t.Errorf("setUpCrash with a buffer's mark: %v, want the buffer's step", err)
			}
		}
		other := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "2", CorrectlyRoundedSqrt: true}, VectorWidth: 4}
		if err := Refused(other); err != nil {
			t.Errorf("another driver version: %v, want none", err)
		}
		os.Remove(mark)
	}
}

// TestRefusedKeys: RefusedKeys, given the keys RefusalKeys names (which
// auto's calibration keeps for a cold device, read later without loading
// the driver), refuses as Refused does on a set-up mark and an engine's
// first launch's mark, reads the marks where the cache folder is now, and
// reads no key that is not such a name (a calibration edited by hand: a
// path out of the programs folder), nor any with the cache off.
func TestRefusedKeys(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache")
	t.Setenv(EnvCacheDir, cache)
	t.Setenv("TMPDIR", t.TempDir())
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "1", CorrectlyRoundedSqrt: true}, VectorWidth: 4}
	keys := refusalKeys(desc)
	if len(keys) != 3 {
		t.Fatalf("refusalKeys: %q, want the device's and two programs'", keys)
	}
	if err := os.MkdirAll(filepath.Join(cache, "programs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RefusedKeys(keys); err != nil {
		t.Fatalf("no marks: %v", err)
	}
	for _, c := range []struct {
		key, suffix string
		at          int // where keys holds it
	}{
		{keys[0], setUpSuffix, 0},
		{keys[1], launchingSuffix, 1},
	} {
		mark := markNameAs(filepath.Join(cache, "programs", c.key), c.suffix, deadPID(t))
		if err := os.WriteFile(mark, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		var ec *EarlierCrashError
		if err := RefusedKeys(keys); !errors.As(err, &ec) || !slices.Contains(ec.Marks, mark) {
			t.Errorf("%s: %v, want the refusal naming the mark", filepath.Base(mark), err)
		}
		if err, rerr := RefusedKeys(keys), Refused(desc); (err == nil) != (rerr == nil) {
			t.Errorf("%s: RefusedKeys %v, Refused %v: want both alike", filepath.Base(mark), err, rerr)
		}
		bad := slices.Clone(keys)
		bad[c.at] = filepath.Join("..", "programs", c.key)
		if err := RefusedKeys(bad); err != nil {
			t.Errorf("%s with the key %q: %v, want it not read", filepath.Base(mark), bad[c.at], err)
		}
		t.Setenv(EnvCacheDir, "off")
		if err := RefusedKeys(keys); err != nil {
			t.Errorf("%s with the cache off: %v, want none", filepath.Base(mark), err)
		}
		t.Setenv(EnvCacheDir, cache)
		os.Remove(mark)
	}
}

// BenchmarkBufferMark is what each buffer's creation pays for its mark
// (markBuffer's file, made and removed; a start's warm-up run makes three
// to six, and each run as many): markStep in the programs folder of a warm
// cache.
func BenchmarkBufferMark(b *testing.B) {
	dir := b.TempDir()
	b.Setenv(EnvCacheDir, dir)
	desc := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device"}}
	if err := os.Mkdir(filepath.Join(dir, "programs"), 0o755); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		markStep(setUpPath(desc), bufferSuffix)()
	}
}

// TestSeveralDevicesMarks: a process that crashed while it used two
// devices at once (a Multi's) leaves the marks each held then, the set-up
// of one and a buffer's creation on the other; the crash handler cannot
// tell whose call crashed, so each device is refused, and the error's
// hint says the process used several devices and names the marks on
// each, whose one rm -f asks both again. A mark on one device alone says
// nothing of several.
func TestSeveralDevicesMarks(t *testing.T) {
	t.Setenv(EnvCacheDir, filepath.Join(t.TempDir(), "cache"))
	t.Setenv("TMPDIR", t.TempDir())
	a := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "device A", DriverVersion: "1"}}
	b := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "device B", DriverVersion: "1"}}
	if err := os.MkdirAll(filepath.Dir(setUpPath(a)), 0o755); err != nil {
		t.Fatal(err)
	}
	pid := deadPID(t)
	ma, mb := markNameAs(setUpPath(a), setUpSuffix, pid), markNameAs(setUpPath(b), bufferSuffix, pid)
	crashed := []byte(cl.CrashMarkWatched + cl.CrashMarkWord) // the handler's evidence
	if err := os.WriteFile(ma, crashed, 0o644); err != nil {
		t.Fatal(err)
	}
	var ec *EarlierCrashError
	if err := setUpCrash(a); !errors.As(err, &ec) || ec.Several || strings.Contains(ec.Hint(), "several devices") || !strings.HasSuffix(err.Error(), ", which crashed it: not asked again") {
		t.Fatalf("one device's mark: %v, want an *EarlierCrashError not of several devices, which crashed it", err)
	}
	if err := os.WriteFile(mb, crashed, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []DeviceDesc{a, b} {
		err := setUpCrash(d)
		if !errors.As(err, &ec) || !ec.Several || !slices.Contains(ec.Marks, ma) || !slices.Contains(ec.Marks, mb) ||
			!strings.Contains(ec.Hint(), "process "+strconv.Itoa(pid)+" was using several devices at once") {
			t.Errorf("%s: %v (hint %q), want the marks on both devices and the hint of several", d.Name, err, CrashHint(err))
		}
		// Each device's refusal says the crash may have been the
		// other's: it said "which crashed it" of both.
		if want := ", which crashed it here or on another device it used at once (which one's call cannot be told): not asked again"; err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %v, want it to end %q", d.Name, err, want)
		}
		if err := Refused(d); !errors.As(err, &ec) || !ec.Several {
			t.Errorf("Refused(%s): %v, want it refused, of several devices", d.Name, err)
		}
	}
}

// TestEarlierCrashEvidence: a dead process's mark that the crash handler
// watched (cl.CrashMarkWatched) and wrote no crash into is a death
// without a crash (kill -9, the out-of-memory killer): no error, the mark
// removed, a cache note that names the process and the step; one with
// the handler's evidence (cl.CrashMarkWord) or none watched (empty: no
// handler) is refused as before, its mark kept. The refusal says the
// driver crashed the process where the mark holds the handler's evidence,
// and that it may have where none was watched: it said "which may have
// crashed it" of both.
func TestEarlierCrashEvidence(t *testing.T) {
	for _, c := range []struct {
		content string
		refused bool
		words   string
	}{
		{cl.CrashMarkWatched, false, ""},
		{cl.CrashMarkWatched + cl.CrashMarkWord, true, ", which crashed it: not asked again"},
		{cl.CrashMarkWord, true, ", which crashed it: not asked again"}, // a crash before the mark said it was watched
		{"", true, ", which may have crashed it: not asked again"},
	} {
		entry := filepath.Join(t.TempDir(), "0123456789abcdef0123456789abcdef")
		pid := deadPID(t)
		mark := markNameAs(entry, buildingSuffix, pid)
		if err := os.WriteFile(mark, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		err := earlierCrash(entry, "")
		_, serr := os.Stat(mark)
		note := "cache: process " + strconv.Itoa(pid) + " ended without a crash while the OpenCL driver built one of gpusim's programs for the device (killed by kill -9 or the out-of-memory killer, or ended by its driver): the driver is asked again"
		noted := slices.Contains(CacheNotes(), note)
		if c.refused && (err == nil || serr != nil || noted) || !c.refused && (err != nil || serr == nil || !noted) {
			t.Errorf("a mark of %q: error %v, mark's stat %v, noted %v: want refused %v", c.content, err, serr, noted, c.refused)
		}
		if c.refused && (err == nil || !strings.HasSuffix(err.Error(), c.words)) {
			t.Errorf("a mark of %q: error %v, want it to end %q", c.content, err, c.words)
		}
	}
}

// TestLoadingProbeEvidence: a cached program's loading mark and the
// probe's set-up mark read the crash handler's evidence as a step's mark
// does (readEvidence): one that a dead process left watched without a
// crash (kill -9 while the driver loaded) is removed with a cache note,
// and the entry is kept (crashedLoading names no process) and the probe's
// record trusted (distrustProbe leaves it); with the crash's word, or
// none watched, they are a crash's as before. Both took every dead
// process's mark for a crash: the entry was discarded, the record removed.
func TestLoadingProbeEvidence(t *testing.T) {
	for _, c := range []struct {
		content string
		crash   bool
	}{
		{cl.CrashMarkWatched, false},
		{cl.CrashMarkWatched + cl.CrashMarkWord, true},
		{"", true},
	} {
		dir := t.TempDir()
		t.Setenv(EnvCacheDir, dir)
		t.Setenv("TMPDIR", t.TempDir())
		entry := filepath.Join(dir, "0123456789abcdef0123456789abcdef")
		record := filepath.Join(dir, probeRecord)
		for _, f := range []string{entry, record} {
			if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(time.Hour) // past the entry's time: no stale mark
		pid := deadPID(t)
		loading := markNameAs(entry, loadingSuffix, pid)
		probe := markNameAs(record, setUpSuffix, pid)
		for _, m := range []string{loading, probe} {
			if err := os.WriteFile(m, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(m, old, old); err != nil {
				t.Fatal(err)
			}
		}
		who, _ := crashedLoading(entry)
		distrustProbe()
		_, rerr := os.Stat(record)
		_, lerr := os.Stat(loading)
		_, perr := os.Stat(probe)
		if (who != "") != c.crash || (rerr != nil) != c.crash || !os.IsNotExist(lerr) || !os.IsNotExist(perr) {
			t.Errorf("marks of %q: crashedLoading's process %q, the record's stat %v, the marks' %v and %v: want a crash %v, the marks removed", c.content, who, rerr, lerr, perr, c.crash)
		}
		for _, step := range []string{loadingStep, probeSetUpStep} {
			note := "cache: process " + strconv.Itoa(pid) + " ended without a crash while the OpenCL driver " + step + " (killed by kill -9 or the out-of-memory killer, or ended by its driver): the driver is asked again"
			if slices.Contains(CacheNotes(), note) == c.crash {
				t.Errorf("marks of %q: the cache's notes %q: want %q %v", c.content, CacheNotes(), note, !c.crash)
			}
		}
	}
}

// TestEarlierCrashOwnMarkReleased: a mark of this process's that its
// holder removes while another device's check reads the folder (two
// devices of one model and driver share a set-up's key, and OpenMulti
// opens them in parallel) is no crash. The check read the folder, then
// asked whether the mark was held: released in between, this process's
// own ID was taken for an earlier process's, and the second device was
// refused ("process N ended while the OpenCL driver set the device up";
// CI of 74ed4527, TestOpenMultiSharedEntry).
func TestEarlierCrashOwnMarkReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0123456789abcdef0123456789abcdef")
	steps := []stepKind{setUpStep, bufferStep}
	stop := make(chan struct{})
	marked := make(chan int)
	go func() {
		n := 0
		defer func() { marked <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			markStep(path, setUpSuffix)()
			n++
		}
	}()
	deadline := time.Now().Add(time.Second)
	checks := 0
	for ; time.Now().Before(deadline); checks++ {
		if e := earlierCrashAt(path, steps); e != nil {
			close(stop)
			<-marked
			t.Fatalf("check %d: this process's own released mark refused the device: %v", checks, e)
		}
	}
	close(stop)
	t.Logf("%d checks beside %d marks made and removed", checks, <-marked)
	if left, _ := filepath.Glob(path + ".*"); len(left) != 0 {
		t.Errorf("marks left: %q", left)
	}
}

// TestKilledOneNote: a process that ended without a crash while the
// driver created a device's context (exit:clCreateContext: the driver's
// own exit) left the mark beside the probe's record and the device's
// set-up mark, and the next start said two notes of the one process
// ("created a device's context or queue", then "set the device up"); it
// says one, the set-up's, whose words cover both. So does a set-up mark of the same process on a second device
// (a Multi's), found after the first device's note was said (sayKilled)
// and dropped from the cache's notes: it was said again.
func TestKilledOneNote(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	t.Setenv(EnvCacheDir, dir)
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	record := filepath.Join(dir, probeRecord)
	d0 := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "a device", DriverVersion: "1"}}
	d1 := DeviceDesc{DeviceInfo: cl.DeviceInfo{Name: "another device", DriverVersion: "1"}}
	if err := os.MkdirAll(filepath.Dir(setUpPath(d0)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record, []byte("record"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := deadPID(t)
	for _, m := range []string{markNameAs(record, setUpSuffix, pid), markNameAs(setUpPath(d0), setUpSuffix, pid), markNameAs(setUpPath(d1), setUpSuffix, pid)} {
		if err := os.WriteFile(m, []byte(cl.CrashMarkWatched), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var said []string
	say := func(n string) { said = append(said, n) }
	distrustProbe()
	for _, d := range []DeviceDesc{d0, d1} {
		if err := setUpCrash(d); err != nil {
			t.Fatalf("setUpCrash of %s: %v, want none (a kill's mark)", d.Name, err)
		}
		sayKilled(say)
	}
	who := "cache: process " + strconv.Itoa(pid) + killedNote
	var notes []string
	for _, n := range slices.Concat(said, CacheNotes()) {
		if strings.HasPrefix(n, who) {
			notes = append(notes, n)
		}
	}
	if want := who + setUpStep.step + " (killed by "; len(notes) != 1 || !strings.HasPrefix(notes[0], want) {
		t.Errorf("notes of the process: %q, want one, %q...", notes, want)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*", "*"+setUpSuffix+"*")); len(left) != 0 {
		t.Errorf("marks left: %q", left)
	}
}

// TestCrashHintPastes: the rm -f of an EarlierCrashError's hint, pasted
// into a shell, removes the mark, also where the cache folder's path holds
// a space or a $ (GPUSIM_CACHE_DIR="/home/me/my cache"), and nothing else.
// Helper 350 found it unquoted: the shell split it and removed the mark
// not at all (and "c8" in the working folder instead).
func TestCrashHintPastes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my cache $HOME")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(dir, "f99d.setup.9cdb.123")
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	e := &EarlierCrashError{Who: "process 123", Step: "set the device up", Marks: []string{mark}, Crashed: true}
	h := e.Hint()
	i := strings.Index(h, "rm -f ")
	if i < 0 {
		t.Fatalf("hint has no rm -f: %s", h)
	}
	cmd := h[i:]
	if j := strings.Index(cmd, "; or run"); j >= 0 {
		cmd = cmd[:j]
	}
	out, err := exec.Command("sh", "-c", cmd).CombinedOutput()
	if err != nil {
		t.Fatalf("sh -c %q: %v: %s", cmd, err, out)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the hint's command %q, pasted into sh, left the mark %s", cmd, mark)
	}
}
