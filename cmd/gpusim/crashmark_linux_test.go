//go:build amd64 || arm64

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// crashWords end a refusal of a device whose driver crashed a process:
// on linux/amd64 the crash handler's evidence in the mark says it did,
// elsewhere (no handler) the mark says only that the process ended.
var crashWords = map[bool]string{true: "which crashed it: not asked again", false: "which may have crashed it: not asked again"}[runtime.GOARCH == "amd64"]

// TestCrashRemembered: a driver that crashes gpusim's process building
// its program from source, or in a first launch of a program built from
// source, is not asked for that step again by the next start on that
// device, driver and program (the step's mark, gpu/stepmark.go): auto
// runs on simd with a note that names the earlier crash and the device,
// exit 0; run --device 0, selftest and bench --engines opencl exit 1 with
// an error that names the earlier crash and the step, and a hint that
// names the mark to remove. Each crashed again at every start, and auto,
// which chose the device, exited 1 each time. Once the mark is removed the
// driver is asked (and crashes) again. A build's crash refuses every
// program of the device and driver: a --daily run (another program) after
// a plain run's build crashed crashed once more. A crash creating the
// engine's first buffer (the device's set-up, before its program) is
// remembered likewise, where it crashed every start, and so is one
// creating a later buffer (the warm-up run's, in Open; a run's, the
// self-test's: the device's buffer mark), where each start crashed again
// and the next start discarded the good cached program, under whose
// loading mark the crash came. gpusim devices (text and JSON) shows each
// refusal with its mark, where it listed the device as any other. auto,
// whose calibration left the device out, measures the machine again once
// the mark is removed: it stayed on simd until auto.json was removed too.
func TestCrashRemembered(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	built := " ended while the OpenCL driver built one of gpusim's programs for the device, " + crashWords
	launched := " ended while the OpenCL driver ran a first launch of the program, built from source, " + crashWords
	setUp := " ended while the OpenCL driver set the device up (its context, a queue or the engine's first buffer), " + crashWords
	buffer := " ended while the OpenCL driver created a buffer on the device (for a run or the self-test's checks), " + crashWords
	const crashed = " crashed (SIGSEGV) when asked "
	const device = "run --device 0 --lanes 1000 --steps 10"
	// What the crash handler says of a later buffer's crash: the
	// buffer, and a buffer's hint. It read "when asked to allocate a
	// buffer on", with the hint of a program's build or run, or the
	// self-test's buffer with the set-up's hint.
	crashSays := map[string]string{
		"crash:clCreateBuffer@2": " crashed (SIGSEGV) when asked for a buffer of ",
	}
	const bufferHint = "gpusim: hint: a driver that lists its devices and then crashes creating a buffer on one (clinfo -l lists them all the same)"
	mark := regexp.MustCompile(`rm -f ([^\s;,]+\.(building|launching|setup|buffer)\.[0-9a-f]+\.[0-9]+)`)
	for _, c := range []struct {
		fault   string
		warm    bool // a copy of warm; else a cache of warm's probe record alone
		line    string
		crashes int // the starts that crash, one after another
		code    int // the next start's exit status
		want    string
		next    string // the next start's command line, where not line
	}{
		// auto starts the device for a job predicted at 1 s or more on
		// simd (here some 2.7 s), which compiles its program.
		{"crash:clBuildProgram", false, "run --lanes 2e7 --steps 200", 1, 0, built, ""},
		{"crash:clBuildProgram", false, device, 1, 1, built, ""},
		{"crash:clBuildProgram", false, "selftest", 1, 1, built, ""},
		{"crash:clBuildProgram", false, "bench --engines opencl --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --no-sweep", 1, 1, built, ""},
		{"crash:clBuildProgram", false, device, 1, 1, built, device + " --daily"},
		// A cached program's first launch: its loading mark makes the
		// next start build the source, whose self-test's checks load
		// the self-test's cached program and crash in its first launch:
		// that program's loading mark alone (the engine's was lifted:
		// shared.focus), so the third builds the self-test's program
		// from source, whose first launch crashes too. The engine's
		// launching mark refused the third start, whose crash was not
		// in a launch of the engine's.
		{"crash:clEnqueueNDRangeKernel", true, device, 3, 1, launched, ""},
		// The engine's first buffer, made before its program on a warm
		// cache: the probe's child makes none, and each start crashed.
		{"crash:clCreateBuffer", true, "run --lanes 2e7 --steps 200", 1, 0, setUp, ""},
		{"crash:clCreateBuffer", true, device, 1, 1, setUp, ""},
		// The second buffer: the warm-up run's first, in Open.
		{"crash:clCreateBuffer@2", true, "run --lanes 2e7 --steps 200", 1, 0, buffer, ""},
		{"crash:clCreateBuffer@2", true, device, 1, 1, buffer, ""},
	} {
		next := c.next
		if next == "" {
			next = c.line
		}
		t.Run(c.fault+" "+c.line+" then "+next, func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			if c.warm {
				if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
					t.Fatal(err)
				}
			} else {
				// No probe's child, which a loaded machine can keep past
				// its 10 s wait.
				if err := os.Mkdir(cache, 0o755); err != nil {
					t.Fatal(err)
				}
				copyFile(t, filepath.Join(warm, "opencl-probe"), filepath.Join(cache, "opencl-probe"))
			}
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=" + c.fault})
			for i := range c.crashes {
				if r := runSetUpCase(setUpCase{line: c.line}, caseEnv); r.hung || r.code == 0 || !strings.Contains(r.stderr, crashed) {
					t.Fatalf("start %d: exit status %d, stderr %q: want the driver's crash", i+1, r.code, r.stderr)
				} else if says := crashSays[c.fault]; runtime.GOARCH == "amd64" && says != "" && (!strings.Contains(r.stderr, says) || !strings.Contains(r.stderr, bufferHint)) {
					t.Errorf("start %d: stderr %q: want the handler's words %q and %q", i+1, r.stderr, says, bufferHint)
				}
			}
			r := runSetUpCase(setUpCase{line: next}, caseEnv)
			m := mark.FindStringSubmatch(r.stderr)
			switch {
			case r.hung:
				t.Fatalf("still running after %v: %q", r.took, r.stderr)
			case r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, crashed) || m == nil:
				t.Fatalf("the start after the crash: exit status %d, stderr %q: want %d, %q and the hint that names the mark to remove", r.code, r.stderr, c.code, c.want)
			case c.code == 0 && (!strings.Contains(r.stderr, "gpusim: note: opencl device 0 (") || strings.Contains(r.stderr, "auto.json")):
				t.Errorf("stderr %q: want auto's note that names the device, and no calibration to remove", r.stderr)
			}
			// gpusim devices shows the refusal, with the mark to remove.
			if r := runSetUpCase(setUpCase{line: "devices"}, caseEnv); r.code != 0 || !strings.Contains(r.stdout, "\n      refused:  ") || !strings.Contains(r.stdout, c.want[1:len(c.want)-len(": not asked again")]) || !strings.Contains(r.stdout, "rm -f "+m[1]) {
				t.Errorf("devices after the crash: exit status %d, stdout %q: want the device's refused line naming %s", r.code, r.stdout, m[1])
			}
			r = runSetUpCase(setUpCase{line: "devices --format json"}, caseEnv)
			var doc struct {
				Devices []struct {
					Refused *struct {
						Reason string
						Marks  []string
					}
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Devices) == 0 || doc.Devices[0].Refused == nil || !slices.Contains(doc.Devices[0].Refused.Marks, m[1]) {
				t.Errorf("devices --format json after the crash: %v, stdout %q: want device 0's refused.marks naming %s", err, r.stdout, m[1])
			}
			// The hint's way to try again: the driver is asked again,
			// by auto too, whose calibration that left the device out
			// is measured again (it stood, on simd, until auto.json
			// was removed as well).
			if err := os.Remove(m[1]); err != nil {
				t.Fatal(err)
			}
			if r := runSetUpCase(setUpCase{line: next}, caseEnv); r.code == 0 || !strings.Contains(r.stderr, crashed) {
				t.Errorf("the start after the mark's removal: exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
			} else if c.code == 0 && !strings.Contains(r.stderr, "its mark is gone ("+m[1]+"), so this run measures the machine again") {
				t.Errorf("auto after the mark's removal: stderr %q: want the note that it measures again, naming %s", r.stderr, m[1])
			}
		})
	}
}

// TestSetUpCrashReadOnly: on a cache folder shared read-only (filled by
// others; here a read-only tmpfs), a driver's crash setting the device up
// in gpusim's process is remembered in this user's folder of marks, as a
// load's: auto's start after it runs on simd, exit 0 (after a crash
// creating the queue, the probe's child, which distrusts the record that
// cannot be removed, meets the crash itself), and run --device 0 without
// the fault names the earlier crash and the mark to remove, exit 1;
// removed, the driver is asked, and crashes, again. No mark was made
// there, and every start crashed.
func TestSetUpCrashReadOnly(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	setUp := " ended while the OpenCL driver set the device up (its context, a queue or the engine's first buffer), " + crashWords
	const crashed = " crashed (SIGSEGV) when asked "
	const device = "run --device 0 --lanes 1000 --steps 10"
	mark := regexp.MustCompile(`rm -f ([^\s;,]+\.setup\.[0-9a-f]+\.[0-9]+)`)
	for _, fault := range []string{"crash:clCreateBuffer", "crash:clCreateCommandQueue"} {
		t.Run(fault, func(t *testing.T) {
			cache := testenv.SmallDisk(t, "64m", false, nil)
			if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mount("tmpfs", cache, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=64m"); err != nil {
				t.Skipf("cannot remount the tmpfs read-only: %v", err)
			}
			marks := t.TempDir()
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "TMPDIR=" + marks})
			faulty := slices.Concat(caseEnv, []string{"FAKECL_FAULT=" + fault})
			if r := runSetUpCase(setUpCase{line: device}, faulty); r.code != 1 || !strings.Contains(r.stderr, crashed) {
				t.Fatalf("exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
			}
			if r := runSetUpCase(setUpCase{line: "run --lanes 2e7 --steps 200"}, faulty); r.code != 0 || !strings.Contains(r.stdout, "digest ") {
				t.Fatalf("auto after the crash: exit status %d, stderr %q: want exit 0 on simd", r.code, r.stderr)
			}
			r := runSetUpCase(setUpCase{line: device}, caseEnv)
			m := mark.FindStringSubmatch(r.stderr)
			if r.code != 1 || !strings.Contains(r.stderr, setUp) || strings.Contains(r.stderr, crashed) || m == nil || !strings.HasPrefix(m[1], marks+string(filepath.Separator)) {
				t.Fatalf("the start after the crash: exit status %d, stderr %q: want 1, %q and the hint that names the mark in %s", r.code, r.stderr, setUp, marks)
			}
			if err := os.Remove(m[1]); err != nil {
				t.Fatal(err)
			}
			if r := runSetUpCase(setUpCase{line: device}, faulty); r.code != 1 || !strings.Contains(r.stderr, crashed) {
				t.Errorf("the start after the mark's removal: exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
			}
		})
	}
}

// TestCrashRefusedColdNote: after a crash's mark refuses device 0 (a
// buffer's, a build's, the set-up's, a first launch's), auto's reason for
// a small job it keeps on simd, the device's program not compiled yet,
// says the refusal and the mark to remove, text and JSON, and a note on
// stderr gives the hint's rm -f: it said "its program is not compiled
// yet ... (`gpusim selftest` compiles it, ...)", and selftest was then
// refused by the mark. So too from a calibration written before the crash
// (a run that loads no driver), and once the mark is removed the reason
// names selftest again. The device asked for after the crash is refused
// without a note of a compile that does not start.
func TestCrashRefusedColdNote(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	mark := regexp.MustCompile(`rm -f ([^\s;,]+\.(building|launching|setup|buffer)\.[0-9a-f]+\.[0-9]+)`)
	const small = "run --lanes 5e6 --steps 40"
	for _, c := range []struct {
		fault      string
		calibrated bool // a small job's calibration is written before the crash
		format     string
	}{
		{"crash:clCreateBuffer@2", false, "text"},
		{"crash:clCreateBuffer@2", true, "json"},
		{"crash:clBuildProgram", false, "json"},
		{"crash:clCreateBuffer", false, "text"},
		{"crash:clEnqueueNDRangeKernel", true, "text"},
	} {
		t.Run(fmt.Sprintf("%s calibrated=%v %s", c.fault, c.calibrated, c.format), func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			if err := os.Mkdir(cache, 0o755); err != nil {
				t.Fatal(err)
			}
			copyFile(t, filepath.Join(warm, "opencl-probe"), filepath.Join(cache, "opencl-probe"))
			caseEnv := slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
			line := small + " --format " + c.format
			reason := func(r setUpResult) string {
				if c.format == "text" {
					return r.stdout
				}
				var doc struct{ Auto struct{ Reason string } }
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatalf("%v: stdout %q", err, r.stdout)
				}
				return doc.Auto.Reason
			}
			if c.calibrated {
				if r := runSetUpCase(setUpCase{line: line}, caseEnv); r.code != 0 || !strings.Contains(reason(r), "`gpusim selftest` compiles it") {
					t.Fatalf("the small job before the crash: exit status %d, stdout %q, stderr %q: want auto's reason to name selftest", r.code, r.stdout, r.stderr)
				}
			}
			if r := runSetUpCase(setUpCase{line: "run --device 0 --lanes 1000 --steps 10"}, append(slices.Clone(caseEnv), "FAKECL_FAULT="+c.fault)); r.hung || r.code == 0 {
				t.Fatalf("the crashing start: exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
			}
			// The device asked for again: refused by the mark, and no
			// note of a compile that does not start (it read "compiling
			// the OpenCL program ... a first start there, which can take
			// seconds", then the refusal).
			if r := runSetUpCase(setUpCase{line: "run --device 0 --lanes 1000 --steps 10"}, caseEnv); r.hung || r.code != 1 || !strings.Contains(r.stderr, "not asked again") || strings.Contains(r.stderr, "gpusim: note: compiling") {
				t.Errorf("the device asked for after the crash: exit status %d, stderr %q: want the mark's refusal, exit status 1, and no compile note", r.code, r.stderr)
			}
			r := runSetUpCase(setUpCase{line: line}, caseEnv)
			why := reason(r)
			m := mark.FindStringSubmatch(r.stderr)
			if r.hung || r.code != 0 || m == nil || !strings.Contains(r.stderr, "gpusim: note: opencl device 0 (") || !strings.Contains(why, "opencl not started on device 0 (") || !strings.Contains(why, "an earlier crash's mark refuses it: process ") || !strings.Contains(why, "rm -f "+m[1]+" to ask it again") || strings.Contains(why, "gpusim selftest") {
				t.Fatalf("the next small job: exit status %d, stdout %q, stderr %q: want auto's reason to say the crash's refusal and its mark, not to compile the program, and the hint's rm -f on stderr", r.code, r.stdout, r.stderr)
			}
			if err := os.Remove(m[1]); err != nil {
				t.Fatal(err)
			}
			if r := runSetUpCase(setUpCase{line: line}, caseEnv); r.code != 0 || !strings.Contains(reason(r), "`gpusim selftest` compiles it") || strings.Contains(r.stderr, "earlier crash") {
				t.Errorf("the small job after the mark's removal: exit status %d, stdout %q, stderr %q: want auto's reason to name selftest again", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestCrashRefusedBenchDefault: bench with its default engines leaves out
// a device that an earlier crash's mark refuses (as gpusim devices lists
// it, refused), with a note that names the refusal and a hint that names
// the mark to remove, and exits 0 in each format; it started the device,
// which failed with the refusal, and exited 1, where an engine that cannot
// start is left out with a note. --engines that names the device still
// runs it, and exits 1 with the refusal.
func TestCrashRefusedBenchDefault(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	setUp := "ended while the OpenCL driver set the device up (its context, a queue or the engine's first buffer), " + crashWords
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache})
	if r := runSetUpCase(setUpCase{line: "run --device 0 --lanes 1000 --steps 10"}, slices.Concat(env, []string{"FAKECL_FAULT=crash:clCreateBuffer"})); r.code != 1 || !strings.Contains(r.stderr, " crashed (SIGSEGV) when asked ") {
		t.Fatalf("exit status %d, stderr %q: want the driver's crash", r.code, r.stderr)
	}
	r := runSetUpCase(setUpCase{line: "devices"}, env)
	m := regexp.MustCompile(`rm -f ([^\s;,)]+\.setup\.[0-9a-f]+\.[0-9]+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("devices after the crash: exit status %d, stdout %q: want the device refused, with its mark", r.code, r.stdout)
	}
	const line = "bench --quick --baseline none --no-sweep --no-scaling --lanes 100k --steps 10 --reps 1 --warmup 0"
	leftOut := "opencl:0 left out: device 0 ("
	hint := "hint for opencl:0: a driver that crashes there crashes there at every start, so gpusim asks it no more; to try again (a new driver version is tried of itself), remove the mark of the crash: rm -f " + m[1]
	for _, format := range []string{"text", "json", "csv"} {
		r := runSetUpCase(setUpCase{line: line + " --format " + format}, env)
		if r.code != 0 || !strings.Contains(r.stderr, "bench: note: "+leftOut) || !strings.Contains(r.stderr, setUp) || !strings.Contains(r.stderr, "bench: note: "+hint) || strings.Contains(r.stderr, "gpusim: error:") {
			t.Errorf("%s: exit status %d, stderr %q: want exit 0, the device left out with a note naming the refusal and the mark", format, r.code, r.stderr)
			continue
		}
		switch format {
		case "json":
			var doc struct{ Notes []string }
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !slices.ContainsFunc(doc.Notes, func(n string) bool { return strings.HasPrefix(n, leftOut) }) || !slices.Contains(doc.Notes, hint) {
				t.Errorf("json: %v, notes %q: want the device left out, and the hint", err, doc.Notes)
			}
		case "csv":
			if !strings.Contains(r.stdout, "\nnote,") || !strings.Contains(r.stdout, leftOut) || strings.Contains(r.stdout, ",opencl:0,") {
				t.Errorf("csv: stdout %q: want the note, and no row of opencl:0", r.stdout)
			}
		}
	}
	r = runSetUpCase(setUpCase{line: line + " --engines simd,opencl:0"}, env)
	if r.code != 1 || !strings.Contains(r.stderr, "gpusim: error: bench: opencl:0 ") || !strings.Contains(r.stderr, setUp) {
		t.Errorf("--engines simd,opencl:0: exit status %d, stderr %q: want exit 1 with the refusal", r.code, r.stderr)
	}
}
