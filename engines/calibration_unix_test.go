//go:build unix

package engines

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpusim/gpusim/sim"
)

// forgetCalibrationNotes empties the process's calibration notes for the
// test, and again after it.
func forgetCalibrationNotes(t *testing.T) {
	all := func(string) bool { return true }
	calibrationNotes.Drop(all)
	t.Cleanup(func() { calibrationNotes.Drop(all) })
}

// TestCalibrationFileIrregularNoted: auto.json that is a named pipe, a
// link to /dev/zero or /dev/null or a link to a file of the user's is
// replaced by a file of its own when auto stores its calibration, and one
// note says so, as the program cache's notes say of its entries ("cache:
// read ...: not a regular file"): auto replaced them without a word. A
// link's read said "not a regular file" in a second note on the file.
func TestCalibrationFileIrregularNoted(t *testing.T) {
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	for _, c := range []struct {
		name string
		make func(path string) error
		want string
	}{
		{"a named pipe", func(path string) error { return unix.Mkfifo(path, 0o644) }, "not a regular file"},
		{"a link to /dev/zero", func(path string) error { return os.Symlink("/dev/zero", path) }, "was a link to /dev/zero: replaced by a file of its own"},
		{"a link to /dev/null", func(path string) error { return os.Symlink("/dev/null", path) }, "was a link to /dev/null: replaced by a file of its own"},
		{"a link to a file", func(path string) error {
			if err := os.WriteFile(target, []byte("{}"), 0o644); err != nil {
				return err
			}
			return os.Symlink(target, path)
		}, "was a link to " + target + ": replaced by a file of its own"},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			forgetCalibrationNotes(t)
			t.Setenv(EnvCacheDir, t.TempDir())
			path := calibrationPath()
			if err := c.make(path); err != nil {
				t.Skipf("%s: %v", c.name, err)
			}
			opens, lists := 0, 0
			withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-8}, &opens, &lists))
			p := sim.Default()
			p.Lanes, p.Steps = 5e6, 10
			cpuShare(t, 0.95, 1)
			e, _, err := Auto(context.Background(), Options{Params: p, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			sim.Close(e)
			if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
				t.Fatalf("after the calibration: %s is %v, %v; want a regular file", path, st.Mode(), err)
			}
			var on []string // one note on the file: two said "not a regular file", then that the link was replaced
			for _, n := range Notes() {
				if strings.Contains(n, path) {
					on = append(on, n)
				}
			}
			if len(on) != 1 || !strings.Contains(on[0], "cache: ") || !strings.Contains(on[0], c.want) {
				t.Errorf("%s as %s: notes on it %q; want one cache note, %q", c.name, path, on, c.want)
			}
			if b, err := os.ReadFile(target); c.name == "a link to a file" && (err != nil || string(b) != "{}") {
				t.Errorf("the link's target reads %q, %v after the store; want it untouched", b, err)
			}
		})
	}
}

// TestCalibrationFileDamagedNoted: a calibration file that is not JSON is
// measured again with a note, as the program cache's corrupt entry is
// ("cache: ... is corrupt or stale: rebuilt"); a missing one is silent.
func TestCalibrationFileDamagedNoted(t *testing.T) {
	forgetCalibrationNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	if _, ok := loadCalibration("k;cpus 2"); ok || len(calibrationNotes.List()) != 0 {
		t.Fatalf("a missing file: ok %v, notes %q; want nothing loaded, no note", ok, calibrationNotes.List())
	}
	if err := os.WriteFile(calibrationPath(), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadCalibration("k;cpus 2"); ok {
		t.Fatal("a damaged file loaded")
	}
	if n := calibrationNotes.List(); len(n) != 1 || !strings.Contains(n[0], calibrationPath()+" is corrupt") {
		t.Errorf("notes %q; want one saying %s is corrupt", n, calibrationPath())
	}
}

// TestCalibrationFileHuge: a calibration file far larger than any
// calibration (maxCalibrationFile) is replaced unread, with a note: read
// under the program cache's 256 MiB bound, a 250 MB file took a run of
// 0.09 s to 5.3 s and 1.2 GB of memory. Here the file is valid JSON,
// padded, so that a read would have loaded it.
func TestCalibrationFileHuge(t *testing.T) {
	forgetCalibrationNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	const key = "k;cpus 2"
	if err := storeCalibration(key, calibration{SIMD: cost{Ns: 1}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, strings.Repeat(" ", 8<<20)...) // 8 MiB: no calibration file is near it
	if err := os.WriteFile(calibrationPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadCalibration(key); ok {
		t.Errorf("a calibration file of %d bytes was read and loaded; want it refused unread", len(b))
	}
	if n := calibrationNotes.List(); len(n) != 1 || !strings.Contains(n[0], calibrationPath()) || !strings.Contains(n[0], "bytes") {
		t.Errorf("notes %q; want one naming %s and its size", n, calibrationPath())
	}
	if err := storeCalibration(key, calibration{SIMD: cost{Ns: 2}}); err != nil {
		t.Fatal(err)
	}
	if c, ok := loadCalibration(key); !ok || c.SIMD.Ns != 2 {
		t.Errorf("after a store: %+v, %v; want the new calibration", c, ok)
	}
	if st, err := os.Stat(calibrationPath()); err != nil || st.Size() > 4096 {
		t.Errorf("after a store the file is %v bytes (%v); want the one small entry", st.Size(), err)
	}
}

// TestCalibrationFileUnkeptOneNote: an auto.json that can be neither read
// nor replaced (a folder with files in it in its place) is one note a
// run, the store's, which says the measurements are not kept and what to
// remove: the read's "cache: read ...: not a regular file" came after the
// run as a second note on the same file, on every run.
func TestCalibrationFileUnkeptOneNote(t *testing.T) {
	forgetCalibrationNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	path := calibrationPath()
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	opens, lists := 0, 0
	withDevices(t, fakeDevice(timedEngine{fixed: 0.001, perLaneStep: 2e-8}, &opens, &lists))
	p := sim.Default()
	p.Lanes, p.Steps = 5e6, 10
	cpuShare(t, 0.95, 1)
	var notes []string
	e, _, err := Auto(context.Background(), Options{Params: p, Workers: 1, Note: func(s string) { notes = append(notes, s) }})
	if err != nil {
		t.Fatal(err)
	}
	sim.Close(e)
	notes = append(notes, Notes()...)
	var on []string
	for _, n := range notes {
		if strings.Contains(n, path) {
			on = append(on, n)
		}
	}
	if len(on) != 1 || !strings.Contains(on[0], "not kept") || !strings.Contains(on[0], "rm -r "+path) {
		t.Errorf("notes on %s: %q; want one, saying the measurements are not kept and to remove it", path, on)
	}
}

// TestCalibrationFileBound: a store that would take the calibration file
// past the bound its reader keeps (maxCalibrationFile) drops the
// calibrations measured longest ago instead, with a note, and the file
// stays readable: it grew past the bound, one calibration a set of
// options, and the next read replaced it unread, every calibration lost.
func TestCalibrationFileBound(t *testing.T) {
	forgetCalibrationNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	// Entries of about 1.5 kB, each measured a second after the last.
	base := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	entry := func(i int) calibration {
		return calibration{SIMD: cost{Ns: 1}, Measured: base.Add(time.Duration(i) * time.Second), MultiDropped: strings.Repeat("x", 1500)}
	}
	f := calibrationFile{}
	n := 0
	for ; ; n++ {
		f[fmt.Sprintf("k;steps %d", n)] = entry(n)
		if b, _ := json.MarshalIndent(f, "", "  "); len(b) > maxCalibrationFile-4096 {
			break
		}
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	if err := os.WriteFile(calibrationPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	newest := fmt.Sprintf("k;steps %d", n+1)
	if _, ok := loadCalibration("k;steps 0"); !ok {
		t.Fatal("the calibration measured longest ago does not load before the stores")
	}
	forgetCalibrationNotes(t)
	for i := n + 1; i <= n+8; i++ { // past the bound
		if err := storeCalibration(fmt.Sprintf("k;steps %d", i), entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(calibrationPath())
	if err != nil || st.Size() > maxCalibrationFile {
		t.Fatalf("the file is %v bytes (%v); want at most %d", st.Size(), err, maxCalibrationFile)
	}
	if _, ok := loadCalibration(newest); !ok {
		t.Error("a calibration just stored did not load")
	}
	if _, ok := loadCalibration("k;steps 0"); ok {
		t.Error("the calibration measured longest ago was kept")
	}
	if n := strings.Join(calibrationNotes.List(), "\n"); !strings.Contains(n, "reached its bound of 1.05 MB") || strings.Contains(n, "more than this cache entry holds") {
		t.Errorf("notes %q; want one saying the oldest calibrations were dropped, none of a file too large to read", n)
	}
}

// TestCalibrationFileBoundOtherLayout: where entries of another layout (a
// newer gpusim's, sharing the cache folder) fill most of a calibration
// file at its bound, a store keeps the calibration it stores, drops this
// gpusim's calibrations measured longest ago before the other entries,
// and its note counts each kind apart. The trim kept the last entry of its
// order, an entry of another layout: every calibration of this gpusim was
// dropped, the one just stored too, and the note counted the other
// gpusim's entries as calibrations.
func TestCalibrationFileBoundOtherLayout(t *testing.T) {
	forgetCalibrationNotes(t)
	t.Setenv(EnvCacheDir, t.TempDir())
	const mine = 40
	base := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	raws := map[string]json.RawMessage{}
	for i := range mine {
		b, err := json.Marshal(calibration{SIMD: cost{Ns: 1}, Measured: base.Add(time.Duration(i) * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		raws[fmt.Sprintf("k;steps %d", i)] = b
	}
	// fixed_s as a string: no calibration of this gpusim's layout.
	other := json.RawMessage(fmt.Sprintf(`{"simd": {"fixed_s": "0.5"}, "pad": %q}`, strings.Repeat("x", 900)))
	for i := 0; ; i++ {
		raws[fmt.Sprintf("k;newer %04d", i)] = other
		if b, _ := json.MarshalIndent(raws, "", "  "); len(b) > maxCalibrationFile-1024 {
			delete(raws, fmt.Sprintf("k;newer %04d", i))
			break
		}
	}
	b, _ := json.MarshalIndent(raws, "", "  ")
	if err := os.WriteFile(calibrationPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	others := len(raws) - mine
	// Measured before every other: the trim keeps it for being the
	// store's, not for its time.
	const key = "k;steps stored"
	stored := calibration{SIMD: cost{Ns: 7}, Devices: []deviceTiming{{Index: 0, Label: "0: dev", cost: cost{Ns: 1}}}, Measured: base.Add(-time.Hour), MultiDropped: strings.Repeat("y", 4096)}
	forgetCalibrationNotes(t)
	if err := storeCalibration(key, stored); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(calibrationPath())
	if err != nil || len(after) > maxCalibrationFile {
		t.Fatalf("the file is %d bytes (%v); want at most %d", len(after), err, maxCalibrationFile)
	}
	if c, ok := loadCalibration(key); !ok || c.SIMD.Ns != 7 {
		t.Errorf("the calibration just stored does not load (%v, %+v)", ok, c)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(after, &m); err != nil {
		t.Fatal(err)
	}
	keptMine, keptOther := 0, 0
	for k := range m {
		switch {
		case strings.HasPrefix(k, "k;newer "):
			keptOther++
		case k != key:
			keptMine++
		}
	}
	if keptMine != 0 || keptOther == 0 || keptOther == others {
		t.Errorf("kept %d of this gpusim's %d calibrations and %d of the %d entries of another layout; want none of the first (dropped first), some of the second", keptMine, mine, keptOther, others)
	}
	want := fmt.Sprintf("its %d calibrations measured longest ago and %d entries of another layout (another gpusim's, which this one cannot read) were dropped", mine, others-keptOther)
	if n := strings.Join(calibrationNotes.List(), "\n"); !strings.Contains(n, want) {
		t.Errorf("notes %q; want one saying %q", n, want)
	}
}

// TestCalibrationInvalidNoted: a hand-edited or damaged calibration that
// lists a device as measured and cold, two cold devices at one index, a
// device under another's label, or a time per lane-step of 0, is dropped
// with a note that names the file and what is wrong, and measured again:
// the first two were taken as they were, without a note, and the note of
// the others said only that the calibration was invalid.
func TestCalibrationInvalidNoted(t *testing.T) {
	pocl := deviceTiming{Index: 0, Label: "0: pthread (pocl, CPU)", Startup: 0.04, cost: cost{Fixed: 1e-4, Ns: 0.6}}
	cold := func(i int, label string) coldDevice { return coldDevice{Index: i, Label: label, Program: "/p"} }
	for _, c := range []struct {
		name string
		c    calibration
		want string
	}{
		{"measured and cold", calibration{SIMD: cost{Ns: 0.6}, Devices: []deviceTiming{pocl}, Cold: []coldDevice{cold(0, pocl.Label)}}, "device 0 is listed measured and cold"},
		{"cold twice", calibration{SIMD: cost{Ns: 0.6}, Cold: []coldDevice{cold(1, "1: gpu"), cold(1, "1: gpu")}}, "device 1 is listed twice as cold"},
		{"another's label", calibration{SIMD: cost{Ns: 0.6}, Cold: []coldDevice{cold(3, pocl.Label)}}, "cold device 3 is labelled"},
		{"zero ns", calibration{SIMD: cost{Ns: 0}}, "simd's ns_per_lane_step 0 is outside"},
		{"negative ns", calibration{SIMD: cost{Ns: 0.6}, Devices: []deviceTiming{{Index: 0, Label: pocl.Label, cost: cost{Ns: -1}}}}, "device 0's ns_per_lane_step -1 is outside"},
		// The file's numbers and the bounds as the file writes them: %g
		// wrote "fixed_s 1e+08 is outside 0..3.2e+07" of a file's 100000000.
		{"fixed_s past its bound", calibration{SIMD: cost{Ns: 0.6, Fixed: 1e8}}, "simd's fixed_s 100000000 is outside 0..32000000)"},
		{"tiny ns", calibration{SIMD: cost{Ns: 1e-7}}, "simd's ns_per_lane_step 1e-7 is outside 0.000001..1000000000)"},
		{"start-up past its bound", calibration{SIMD: cost{Ns: 0.6}, Devices: []deviceTiming{{Index: 0, Label: pocl.Label, Startup: 1e300, cost: cost{Ns: 0.6}}}}, "device 0's start-up 1e+300 is outside 0..32000000 s)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			forgetCalibrationNotes(t)
			t.Setenv(EnvCacheDir, t.TempDir())
			b, err := json.Marshal(calibrationFile{"k;cpus 2": c.c})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(calibrationPath(), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok := loadCalibration("k;cpus 2"); ok {
				t.Fatalf("%s: loaded", c.name)
			}
			if n := calibrationNotes.List(); len(n) != 1 || !strings.Contains(n[0], calibrationPath()) || !strings.Contains(n[0], c.want) {
				t.Errorf("notes %q; want one naming %s and saying %q", n, calibrationPath(), c.want)
			}
			if _, ok := loadCalibration("k;cpus 2"); ok {
				t.Errorf("%s: loaded after its note (not dropped)", c.name)
			}
		})
	}
	if why := (calibration{SIMD: cost{Ns: 0.6}, Devices: []deviceTiming{pocl}, Cold: []coldDevice{cold(1, "1: gpu")}, Failed: []failedDevice{{Index: 2, Label: "2: other"}}}).invalid(); why != "" {
		t.Errorf("a calibration of one device measured, one cold and one failed: %s", why)
	}
}

// TestCalibrationFileOtherLayout: a calibration file whose entries are of
// another layout (a newer gpusim's, sharing the cache folder) is no corrupt
// file: this gpusim reads the entries it can, measures its own and writes
// it beside the others, which stay as they were, the fields it does not
// know among them. The whole file was called corrupt, measured again and
// overwritten, so two versions of gpusim sharing a cache folder destroyed
// each other's calibrations on every run. An entry under this machine's
// key that does not read (no other gpusim writes it) is measured again and
// replaced, and a file that is not JSON stays corrupt and replaced.
func TestCalibrationFileOtherLayout(t *testing.T) {
	const key = "k;cpus 2"
	mine := calibration{SIMD: cost{Ns: 1}}
	for _, c := range []struct {
		name, content string
		keep          []string // the entries that must stay as they were
		note          string   // what the one note says; "" for none
	}{
		{"a version field", `{"version": 999}`, []string{"version"}, ""},
		{"an entry of another shape", `{"other;cpus 4": {"simd": "fast", "devices": {"0": [1, 2]}}, "version": 999}`, []string{"other;cpus 4", "version"}, ""},
		{"a calibration with fields unknown here", `{"other;cpus 4": {"simd": {"fixed_s": 0.5, "ns_per_lane_step": 2, "future_cost": [1, 2]}, "future": {"a": "b"}}}`, []string{"other;cpus 4"}, ""},
		{"this machine's entry of another shape", `{"k;cpus 2": {"simd": "fast"}, "version": 999}`, []string{"version"}, "holds a calibration for this machine that does not read as one"},
		{"not JSON", `{"version": 9`, nil, "is corrupt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			forgetCalibrationNotes(t)
			t.Setenv(EnvCacheDir, t.TempDir())
			if err := os.WriteFile(calibrationPath(), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok := loadCalibration(key); ok {
				t.Fatal("loaded a calibration the file does not hold")
			}
			n := calibrationNotes.List()
			switch {
			case c.note == "" && len(n) != 0:
				t.Errorf("notes %q; want none", n)
			case c.note != "" && (len(n) != 1 || !strings.Contains(n[0], c.note)):
				t.Errorf("notes %q; want one saying %q", n, c.note)
			}
			if err := storeCalibration(key, mine); err != nil {
				t.Fatal(err)
			}
			if got, ok := loadCalibration(key); !ok || got.SIMD != mine.SIMD {
				t.Errorf("the stored calibration reads back as %+v, %v", got, ok)
			}
			var before, after map[string]any
			json.Unmarshal([]byte(c.content), &before)
			b, err := os.ReadFile(calibrationPath())
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &after); err != nil {
				t.Fatalf("the file written does not read: %v\n%s", err, b)
			}
			for _, k := range c.keep {
				if was, is := fmt.Sprint(before[k]), fmt.Sprint(after[k]); was != is {
					t.Errorf("entry %q was %s, is %s after a store; want it kept as it was", k, was, is)
				}
			}
			if len(after) != len(c.keep)+1 {
				t.Errorf("the file holds %d entries; want this machine's and %q\n%s", len(after), c.keep, b)
			}
		})
	}
}

// TestAutoKnownStartupOtherLayout: an entry of another layout in the
// calibration file (a newer gpusim's) leaves the start-ups of this
// machine's calibrations read: knownStartup took the whole file for
// corrupt, and rule 6 no longer kept small jobs of a new step count on
// simd.
func TestAutoKnownStartupOtherLayout(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	p := sim.Default()
	p.Steps = 20
	gpu := deviceTiming{Index: 0, Label: "fake device", Startup: 0.25, GPU: true, cost: cost{Fixed: 35e-6, Ns: 0.0033}}
	if err := storeCalibration(calibrationKey(Options{Params: p, Workers: 1}), calibration{SIMD: cost{Ns: 2}, Devices: []deviceTiming{gpu}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(calibrationPath())
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	f["version"] = json.RawMessage("999")
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(calibrationPath(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if s, label := knownStartup(); s != 0.25 || label != "fake device" {
		t.Errorf("knownStartup %g %q beside an entry of another layout; want 0.25 and the fake device", s, label)
	}
}
