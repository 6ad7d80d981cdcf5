package shard_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// mergeLanes is prime, so no shard count divides it evenly.
const mergeLanes = 100003

// momentTol is the relative tolerance of merged mean and std against a single
// run: both merge float64 moments, in different groupings.
const momentTol = 1e-12

func smallJob(lanes uint64) sim.Params {
	p := sim.Default()
	p.Lanes = lanes
	return p
}

func run(t *testing.T, e sim.Engine, job *sim.Job) *sim.Result {
	t.Helper()
	r, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeShards runs every shard of p, alternating the serial and parallel
// engines, and writes each as dir/part-i.json; it returns the paths.
func writeShards(t *testing.T, dir string, p sim.Params, n uint64, daily bool) []string {
	t.Helper()
	var paths []string
	for i := range n {
		var e sim.Engine = cpu.Serial{}
		if i%2 == 1 {
			e = cpu.Parallel{Workers: 2}
		}
		sh := shard.Shard{Index: i, Count: n}
		r, err := shard.Run(context.Background(), e, &sim.Job{Params: p, Daily: daily}, sh)
		if err != nil {
			t.Fatal(err)
		}
		part := shard.NewPart(r)
		part.Shard = &sh
		path := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		if err := part.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

func readParts(t *testing.T, paths ...string) []*shard.Part {
	t.Helper()
	var parts []*shard.Part
	for _, path := range paths {
		p, err := shard.ReadPart(path)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	return parts
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

// sameSummary requires got to be want exactly, except for the float64
// moments, which must agree to momentTol.
func sameSummary(t *testing.T, what string, got, want *sim.Summary) {
	t.Helper()
	sameExact(t, what, got, want)
	if e := relErr(got.Mean, want.Mean); e > momentTol {
		t.Errorf("%s: mean %v, want %v (relative error %.2g)", what, got.Mean, want.Mean, e)
	}
	if e := relErr(got.Std(), want.Std()); e > momentTol {
		t.Errorf("%s: std %v, want %v (relative error %.2g)", what, got.Std(), want.Std(), e)
	}
}

// sameExact requires got's count, digest, extremes and histogram to be
// want's.
func sameExact(t *testing.T, what string, got, want *sim.Summary) {
	t.Helper()
	if got.Count != want.Count || got.Digest != want.Digest || got.Min != want.Min || got.Max != want.Max {
		t.Errorf("%s: count %d digest %#016x min %v max %v, want %d %#016x %v %v", what,
			got.Count, got.Digest, got.Min, got.Max, want.Count, want.Digest, want.Min, want.Max)
	}
	if got.Hist.Lo != want.Hist.Lo || got.Hist.Scale != want.Hist.Scale || len(got.Hist.Bins) != len(want.Hist.Bins) {
		t.Fatalf("%s: histogram layout differs", what)
	}
	for i := range got.Hist.Bins {
		if got.Hist.Bins[i] != want.Hist.Bins[i] {
			t.Errorf("%s: histogram bin #%d: got %d, want %d", what, i, got.Hist.Bins[i], want.Hist.Bins[i])
			break
		}
	}
}

// TestMergeEqualsSingleRun splits a job into 1, 2, 3 and 7 shards, saves and
// reads them back in a shuffled order, and requires the merge to be the
// single serial run.
func TestMergeEqualsSingleRun(t *testing.T) {
	p := smallJob(mergeLanes)
	want := run(t, cpu.Serial{}, &sim.Job{Params: p}).Summary
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []uint64{1, 2, 3, 7} {
		dir := t.TempDir()
		parts := readParts(t, writeShards(t, dir, p, n, false)...)
		rnd.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		got, err := shard.MergeParts(parts)
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		sameSummary(t, fmt.Sprintf("%d shards", n), got, want)
	}
}

// TestMergeResultDaily merges per-step summaries too, and an empty shard
// (more shards than lanes).
func TestMergeResultDaily(t *testing.T) {
	p := smallJob(5)
	p.Steps = 6
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	for _, n := range []uint64{3, 8} {
		parts := readParts(t, writeShards(t, t.TempDir(), p, n, true)...)
		got, err := shard.Merge(parts)
		if err != nil {
			t.Fatal(err)
		}
		sameSummary(t, "final", got.Summary, want.Summary)
		if len(got.Daily) != p.Steps {
			t.Fatalf("%d daily summaries, want %d", len(got.Daily), p.Steps)
		}
		for s := range got.Daily {
			sameSummary(t, fmt.Sprintf("%d shards, step %d", n, s+1), got.Daily[s], want.Daily[s])
		}
		// In lane order, of the shards with lanes: 8 shards of 5 lanes
		// leave shard 0 (serial) empty, so parallel's shard 1 is first.
		wantEngine := map[uint64]string{3: "serial+parallel", 8: "parallel+serial"}[n]
		if got.Engine != wantEngine || got.Params != p || got.First != 0 || slices.Contains(strings.Split(got.Device, "; "), "") {
			t.Errorf("merged result: engine %q device %q params %+v first %d", got.Engine, got.Device, got.Params, got.First)
		}
	}
}

// TestMergeMixedSplits: parts of shards of different counts that tile the
// job, run by different engines and read back in a shuffled order, merge to
// the single serial run, finally and per step: a shard run again as finer
// shards (1/2 as 2/4 and 3/4), and a job of fewer lanes than shards, whose
// empty parts merge too.
func TestMergeMixedSplits(t *testing.T) {
	engines := []sim.Engine{cpu.Serial{}, cpu.Parallel{Workers: 3}, cpu.SIMD{Workers: 2}}
	for _, c := range []struct {
		lanes  uint64
		shards []shard.Shard
	}{
		{mergeLanes, []shard.Shard{{0, 2}, {2, 4}, {9, 12}, {10, 12}, {11, 12}}},
		{mergeLanes, []shard.Shard{{0, 3}, {3, 9}, {4, 9}, {5, 9}, {2, 3}}},
		{5, []shard.Shard{{0, 2}, {4, 8}, {5, 8}, {6, 8}, {7, 8}, {0, 7}, {13, 16}}},
	} {
		p := smallJob(c.lanes)
		p.Steps, p.Seed = 6, 1<<32
		want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
		dir := t.TempDir()
		var parts []*shard.Part
		for i, sh := range c.shards {
			r, err := shard.Run(context.Background(), engines[i%len(engines)], &sim.Job{Params: p, Daily: true}, sh)
			if err != nil {
				t.Fatal(err)
			}
			part := shard.NewPart(r)
			part.Shard = &sh
			path := filepath.Join(dir, fmt.Sprintf("part-%d-of-%d.json", sh.Index, sh.Count))
			if err := part.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			parts = append(parts, readParts(t, path)...)
		}
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		what := fmt.Sprintf("%d lanes as shards %v", c.lanes, c.shards)
		got, err := shard.Merge(parts)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		sameSummary(t, what, got.Summary, want.Summary)
		if len(got.Daily) != p.Steps {
			t.Fatalf("%s: %d daily summaries, want %d", what, len(got.Daily), p.Steps)
		}
		for s := range got.Daily {
			sameSummary(t, fmt.Sprintf("%s, step %d", what, s+1), got.Daily[s], want.Daily[s])
		}
	}
}

func TestPartRoundTrip(t *testing.T) {
	p := smallJob(1000)
	r := run(t, cpu.Parallel{Workers: 2}, &sim.Job{Params: p, First: 100, Count: 300})
	path := filepath.Join(t.TempDir(), "p.json")
	if err := shard.WritePart(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := shard.ReadPart(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Params != p || got.First != 100 || got.Count != 300 || got.Engine != "parallel" || got.Device != r.Device || got.Path != path {
		t.Errorf("read back %+v", got)
	}
	if got.Summary.Mean != r.Summary.Mean || got.Summary.M2 != r.Summary.M2 {
		t.Errorf("moments changed: %v %v, want %v %v", got.Summary.Mean, got.Summary.M2, r.Summary.Mean, r.Summary.M2)
	}
	sameSummary(t, "round trip", got.Summary, r.Summary)
	if !strings.HasPrefix(got.Checksum, "sha256:") {
		t.Errorf("checksum %q", got.Checksum)
	}
	// No temporary files are left beside it.
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
	// Reformatting the whitespace keeps it readable.
	data, _ := os.ReadFile(path)
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if _, err := shard.ParsePart(compact.Bytes()); err != nil {
		t.Errorf("compacted part: %v", err)
	}
}

// forge rewrites a part's payload with edit and recomputes the checksum, to
// reach the checks behind it.
func forge(t *testing.T, data []byte, edit func(pl map[string]any)) []byte {
	t.Helper()
	var f map[string]json.RawMessage
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(f["payload"]))
	d.UseNumber()
	var pl map[string]any
	if err := d.Decode(&pl); err != nil {
		t.Fatal(err)
	}
	edit(pl)
	payload, err := json.Marshal(pl)
	if err != nil {
		t.Fatal(err)
	}
	f["payload"] = payload
	f["checksum"], _ = json.Marshal(shard.PayloadChecksum(payload))
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadPartErrors(t *testing.T) {
	p := smallJob(1000)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := shard.WritePart(good, run(t, cpu.Serial{}, &sim.Job{Params: p})); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	sub := func(s *map[string]any) map[string]any { return (*s)["summary"].(map[string]any) }
	// A part of a --daily run, for edits of its final summary against its
	// last day's, which every engine computes from the same lanes.
	goodDaily := filepath.Join(dir, "good-daily.json")
	if err := shard.WritePart(goodDaily, run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})); err != nil {
		t.Fatal(err)
	}
	dailyData, err := os.ReadFile(goodDaily)
	if err != nil {
		t.Fatal(err)
	}
	// A part of no lanes (shard 0/2 of one lane), and a version 2 part.
	empty := filepath.Join(dir, "empty.json")
	r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: smallJob(1)}, shard.Shard{Index: 0, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := shard.NewPart(r).WriteFile(empty); err != nil {
		t.Fatal(err)
	}
	emptyData, err := os.ReadFile(empty)
	if err != nil {
		t.Fatal(err)
	}
	v2Data, err := os.ReadFile("testdata/v2-part-0.json")
	if err != nil {
		t.Fatal(err)
	}
	v3Data, err := os.ReadFile("testdata/v3-part-0.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"shift": `)) || !bytes.Contains(dailyData, []byte(`"dev": `)) {
		t.Fatal("the parts have no shift and dev to edit")
	}
	num := func(v any) float64 {
		x, _ := v.(json.Number).Float64()
		return x
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"blank", []byte("\n  \n"), "empty file"},
		{"truncated", data[:len(data)/2], "truncated"},
		{"truncated at the end", data[:len(data)-3], "truncated"},
		{"text", []byte("lanes 1000\n"), "not a gpusim part (not JSON"},
		{"other JSON", []byte(`{"lanes": 1000}`), `not a gpusim part (format ""`},
		{"run report", []byte(`{"engine": "simd", "params": {"lanes": 1000}, "digest": "3161cbc7735e8f81"}`), "not a gpusim part but a report (--format json): a part is what gpusim run --save FILE writes"},
		{"JSON array", []byte(`[1, 2]`), `not a gpusim part (a JSON array, not an object with "format": "gpusim-part")`},
		{"other format", []byte(`{"format": "gpusim-result", "version": 1}`), `format "gpusim-result"`},
		{"newer version", bytes.Replace(data, []byte(`"version": 4`), []byte(`"version": 7`), 1), "part format version 7; this gpusim reads versions 1 to 6, written by a newer gpusim: merge with that gpusim (or a newer one)"},
		{"version 0", bytes.Replace(data, []byte(`"version": 4`), []byte(`"version": 0`), 1), "part format version 0; this gpusim reads versions 1 to 6"},
		{"no version", bytes.Replace(data, []byte(`"version": 4,`), nil, 1), `no part format version ("version", 1 to 6 in a part this gpusim reads): a damaged part, or not a part`},
		{"no checksum", bytes.Replace(data, []byte(`"checksum"`), []byte(`"checksun"`), 1), "malformed part"},
		{"changed digit", bytes.Replace(data, []byte(`"seed": "1"`), []byte(`"seed": "2"`), 1), "checksum mismatch"},
		{"changed bin", changeBin(data), "checksum mismatch"},
		{"trailing junk", append(bytes.Clone(data), "}"...), "not JSON"},
		{"unknown field", forge(t, data, func(pl map[string]any) { pl["colour"] = "blue" }), `unknown field "colour"`},
		{"bad params", forge(t, data, func(pl map[string]any) { pl["params"].(map[string]any)["sigma"] = -1 }), "--sigma"},
		{"outside lanes", forge(t, data, func(pl map[string]any) { pl["lanes"].(map[string]any)["first"] = 1 }), "outside the job's 1000 lanes"},
		{"count mismatch", forge(t, data, func(pl map[string]any) { pl["lanes"].(map[string]any)["count"] = 999 }), "summary counts 1000 lanes, the part holds 999"},
		{"hist sum", forge(t, data, func(pl map[string]any) { sub(&pl)["count"] = 999 }), "histogram counts 1000 lanes, the summary 999"},
		{"short hist", forge(t, data, func(pl map[string]any) {
			h := sub(&pl)["hist"].(map[string]any)
			h["bins"] = h["bins"].([]any)[1:]
		}), "histogram has 4097 bins"},
		{"bad digest", forge(t, data, func(pl map[string]any) { sub(&pl)["digest"] = "xyz" }), "digest"},
		{"no min", forge(t, data, func(pl map[string]any) { sub(&pl)["min"] = nil }), "no min or max"},
		{"min above max", forge(t, data, func(pl map[string]any) { sub(&pl)["min"] = 1000 }), "inconsistent"},
		// Re-signed edits the checksum cannot catch, which merge used to
		// accept and print: a min below the histogram's lowest counting
		// bin, a spread no values in [min, max] have, an impossible time.
		{"min outside its bin", forge(t, data, func(pl map[string]any) { sub(&pl)["min"] = -1000 }), "summary: inconsistent"},
		{"max outside its bin", forge(t, data, func(pl map[string]any) { sub(&pl)["max"] = 1e30 }), "summary: inconsistent"},
		{"min outside its bin, m2 within", forge(t, data, func(pl map[string]any) { sub(&pl)["min"] = 53.5 }), "min 53.5 falls in histogram bin"},
		{"m2 beyond the range", forge(t, data, func(pl map[string]any) { sub(&pl)["m2"] = 1e308 }), "inconsistent (min"},
		{"m2 below the extremes' spread", forge(t, data, func(pl map[string]any) { sub(&pl)["m2"] = 1 }), "inconsistent (min"},
		{"mean off the histogram", forge(t, data, func(pl map[string]any) { sub(&pl)["mean"] = 60 }), "summary: inconsistent: mean 60, the histogram's lanes have a mean in ["},
		{"negative wall time", forge(t, data, func(pl map[string]any) { pl["wall_seconds"] = -5 }), "wall_seconds -5 is not a duration"},
		{"digest off the last day's", forge(t, dailyData, func(pl map[string]any) { sub(&pl)["digest"] = "0123456789abcdef" }), "summary and the last day's disagree: digest 0123456789abcdef and"},
		{"m2 off the last day's", forge(t, dailyData, func(pl map[string]any) {
			m2, _ := sub(&pl)["m2"].(json.Number).Float64()
			sub(&pl)["m2"] = m2 * 1.6
		}), "summary and the last day's disagree: mean"},
		// Layouts the parameters do not give: changed parameters, days in
		// another order (both merged into a report of another job).
		{"steps changed", forge(t, data, func(pl map[string]any) { pl["params"].(map[string]any)["steps"] = 12 }), "summary: histogram from"},
		{"sigma changed", forge(t, data, func(pl map[string]any) { pl["params"].(map[string]any)["sigma"] = 5.001 }), "the part's parameters or summaries were changed after the run"},
		{"days swapped", forge(t, dailyData, func(pl map[string]any) {
			d := pl["daily"].([]any)
			d[0], d[1] = d[1], d[0]
		}), "daily summary of step 1: histogram from"},
		{"shard off its lanes", forge(t, data, func(pl map[string]any) { pl["shard"] = map[string]any{"index": "0", "count": "2"} }), "shard 0/2 of 1000 lanes is lanes [0, 0+500), the part holds [0, 0+1000)"},
		{"wall time past a Duration", forge(t, data, func(pl map[string]any) { pl["wall_seconds"] = 1e300 }), "wall_seconds 1e+300 is not a duration"},
		// A file's number as the file writes it, as the bound: %v wrote
		// "1e+10" of a part's 10000000000 and "1e-05" of its 0.00001.
		{"wall time in the file's form", forge(t, data, func(pl map[string]any) { pl["wall_seconds"] = 1e10 }), "wall_seconds 10000000000 is not a duration (valid range 0..9223372036)"},
		{"m2 in the file's form", forge(t, data, func(pl map[string]any) { sub(&pl)["m2"] = 0.00001 }), ", m2 0.00001)"},
		{"bad shard", forge(t, data, func(pl map[string]any) { pl["shard"] = map[string]any{"index": 2, "count": 2} }), "not a shard"},
		{"daily for wrong steps", forge(t, data, func(pl map[string]any) { pl["daily"] = []any{sub(&pl)} }), "1 daily summaries for 10 steps"},
		{"no daily for steps", forge(t, data, func(pl map[string]any) { pl["daily"] = []any{} }), "0 daily summaries for 10 steps"},
		// The shift and deviation a version 3 summary keeps its mean as.
		{"shift without dev", forge(t, data, func(pl map[string]any) { delete(sub(&pl), "dev") }), "summary: one of shift and dev without the other"},
		{"dev without shift", forge(t, dailyData, func(pl map[string]any) { delete(pl["daily"].([]any)[2].(map[string]any), "shift") }), "daily summary of step 3: one of shift and dev without the other"},
		{"mean off shift + dev", forge(t, data, func(pl map[string]any) { sub(&pl)["dev"] = num(sub(&pl)["dev"]) + 1e-9 }), "summary: inconsistent: mean "},
		{"mean off shift + dev by an ulp", forge(t, data, func(pl map[string]any) {
			s := sub(&pl)
			s["mean"] = math.Nextafter(num(s["mean"]), 0)
		}), "is not shift"},
		{"shift of no lanes", forge(t, emptyData, func(pl map[string]any) { sub(&pl)["shift"], sub(&pl)["dev"] = 72, 0 }), "summary: no lanes counted, yet it has values"},
		// The engine asked for, which version 4 records and earlier
		// versions do not.
		{"no requested engine", forge(t, data, func(pl map[string]any) { delete(pl, "requested_engine") }), "malformed part: no requested_engine"},
		{"empty requested engine", forge(t, data, func(pl map[string]any) { pl["requested_engine"] = "" }), "malformed part: no requested_engine"},
		{"requested engine in version 3", forge(t, v3Data, func(pl map[string]any) { pl["requested_engine"] = "auto" }), "malformed part: requested_engine came with version 4, and this version 3 part has it"},
		{"shift in version 2", forge(t, v2Data, func(pl map[string]any) { sub(&pl)["shift"], sub(&pl)["dev"] = 73.5, 0 }), "malformed part: shift and dev came with version 3, and this version 2 part has them"},
		{"daily shift in version 2", forge(t, v2Data, func(pl map[string]any) { pl["daily"].([]any)[1].(map[string]any)["dev"] = 0 }), "malformed part: shift and dev came with version 3, and this version 2 part has them"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		part, err := shard.ReadPart(path)
		if err == nil || part != nil {
			t.Errorf("%s: ReadPart = %v, %v; want an error", c.name, part, err)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, strconv.Quote(path)+": ") || !strings.Contains(msg, c.want) {
			t.Errorf("%s: %q, want %q after the path", c.name, msg, c.want)
		}
	}
	// Every cut of a part says it is truncated: one inside a number or a
	// literal ("mean": 72., an empty part's "min": nu) was "not JSON:
	// invalid character ' ' after decimal point", the space Go's scanner
	// feeds at the end.
	for name, whole := range map[string][]byte{"part": data, "part of no lanes": emptyData} {
		whole = bytes.TrimRight(whole, " \n")
		for n := 1; n < len(whole); n++ {
			if _, err := shard.ParsePart(whole[:n]); err == nil || !strings.HasPrefix(err.Error(), "truncated: the file ends after ") {
				t.Errorf("%s cut after %d bytes (%q): %v, want it truncated", name, n, whole[max(0, n-12):n], err)
				break
			}
		}
	}
	absent := filepath.Join(dir, "absent.json")
	if _, err := shard.ReadPart(absent); err == nil || err.Error() != strconv.Quote(absent)+": no such file or directory" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want %q: no such file or directory", err, absent)
	}
}

// TestPartNamesEscaped checks that every error naming a part file quotes
// its name, as gpusim names every file: an escape sequence in a name
// (nope\x1b[31m.json) went to the terminal as it was, and an absent
// file read "read part: open X: ...", unlike the "X: ..." of the others.
func TestPartNamesEscaped(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd\x1b[31m\n.json")
	for _, names := range [][]string{{odd}, {odd, filepath.Join(dir, "b.json")}} {
		_, err := shard.ReadParts(names, shard.Names{Engines: []string{"serial"}, Requested: []string{"serial"}})
		if err == nil {
			t.Fatalf("ReadParts(%q) = nil error", names)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\x1b\r") || strings.Contains(msg, "read part") || !strings.Contains(msg, strconv.Quote(odd)+": no such file or directory") {
			t.Errorf("ReadParts(%q): %q, want the name quoted, then the cause", names, msg)
		}
	}
	if err := os.WriteFile(odd, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := shard.ReadPart(odd); err == nil || err.Error() != strconv.Quote(odd)+": empty file, not a gpusim part" {
		t.Errorf("ReadPart of an empty file: %v", err)
	}
}

// TestReadPartsMissingNote: a part file that cannot be opened is said to be
// a shell pattern only where its name reads as one (*, ? or [...] where no
// file or folder of that name is) and no such file is there, and then with
// what the pattern matches. A link to nowhere named part[1].json, a
// missing file in a folder d[1], and a [ with no ] were each said to be
// "the shell matched no files to the pattern", and so was a quoted
// part-*.json whose files were there; a real file with brackets in its
// name is read.
func TestReadPartsMissingNote(t *testing.T) {
	dir := t.TempDir()
	paths := writeShards(t, dir, smallJob(100), 2, false)
	real := filepath.Join(dir, "part[0].json")
	if err := os.Rename(paths[0], real); err != nil {
		t.Fatal(err)
	}
	names := shard.Names{Engines: []string{"serial", "parallel"}, Requested: []string{"serial", "parallel"}}
	if _, err := shard.ReadParts([]string{real, paths[1]}, names); err != nil {
		t.Fatalf("ReadParts of a real part[0].json: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone.json"), filepath.Join(dir, "link[1].json")); err != nil {
		t.Fatal(err)
	}
	mkdir(t, dir, "d[1]")
	for _, c := range []struct{ name, note string }{
		{"link[1].json", fmt.Sprintf(" (a link to %q, which is not there)", filepath.Join(dir, "gone.json"))},
		{"d[1]/x.json", ""},
		{"part[1.json", ""},
		{"plain.json", ""},
		{"part-*.json", fmt.Sprintf(" (a shell pattern not expanded, quoted perhaps, that matches %q: name it, or leave the pattern unquoted)", paths[1])},
		{"part*.json", fmt.Sprintf(" (a shell pattern not expanded, quoted perhaps, that matches 2 files such as %q: leave it unquoted)", paths[1])},
		{"part[2].json", " (and no file matches it as a shell pattern)"},
		{"d[1]/x?.json", " (and no file matches it as a shell pattern)"},
		{"none/p*.json", " (and no file matches it as a shell pattern)"},
	} {
		f := filepath.Join(dir, c.name)
		_, err := shard.ReadParts([]string{f}, names)
		if want := strconv.Quote(f) + ": no such file or directory" + c.note; err == nil || err.Error() != want {
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, want)
		}
	}
}

// TestReadPartsEngineNames: a part's engine and requested_engine must be
// names a run writes: an engine that runs, and what --engine takes (the
// registry's names, which ReadParts is given); a merge reported "banana"
// as the job's engine. A name joined with + (as a merge's report writes
// several) is no part's, an empty engine none either. Parts of versions 1
// to 3, which have no requested_engine, and requested auto still read.
func TestReadPartsEngineNames(t *testing.T) {
	names := shard.Names{Engines: []string{"serial", "simd"}, Requested: []string{"serial", "simd", "auto"}}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := shard.WritePart(good, run(t, cpu.Serial{}, &sim.Job{Params: smallJob(100)})); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var old [3][]byte // versions 1 to 3
	for i := range old {
		if old[i], err = os.ReadFile(fmt.Sprintf("testdata/v%d-part-0.json", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	v3 := old[2]
	set := func(data []byte, field, name string) []byte {
		return forge(t, data, func(pl map[string]any) { pl[field] = name })
	}
	for _, c := range []struct {
		name string
		data []byte
		want string // "" for a part that reads
	}{
		{"good", data, ""},
		{"auto asked for", set(data, "requested_engine", "auto"), ""},
		{"version 1", old[0], ""},
		{"version 2", old[1], ""},
		{"version 3", v3, ""},
		{"banana", set(data, "engine", "banana"), `malformed part: engine "banana" is not an engine of this gpusim (valid: serial, simd)`},
		{"auto ran", set(data, "engine", "auto"), `malformed part: engine "auto" is not an engine of this gpusim`},
		{"no engine", set(data, "engine", ""), "malformed part: no engine (the engine that ran)"},
		{"engines joined", set(data, "engine", "serial+simd"), `malformed part: engine "serial+simd" names several engines`},
		{"banana asked for", set(data, "requested_engine", "banana"), `malformed part: requested_engine "banana" is not an --engine of this gpusim (valid: serial, simd, auto)`},
		{"unknown asked for", set(data, "requested_engine", "unknown"), `malformed part: requested_engine "unknown" is not an --engine of this gpusim`},
		{"none asked for", set(data, "requested_engine", ""), "malformed part: no requested_engine"},
		{"requests joined", set(data, "requested_engine", "auto+serial"), `malformed part: requested_engine "auto+serial" names several engines`},
		{"banana in version 3", set(v3, "engine", "banana"), `malformed part: engine "banana" is not an engine of this gpusim`},
		{"another asked for", forge(t, data, func(pl map[string]any) { pl["engine"], pl["requested_engine"] = "serial", "simd" }), `malformed part: engine "serial" ran a run asked for "simd" (requested_engine); a run asked for an engine runs on it, and only auto chooses`},
		{"itself asked for", forge(t, data, func(pl map[string]any) { pl["engine"], pl["requested_engine"] = "simd", "simd" }), ""},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".json")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		parts, err := shard.ReadParts([]string{path}, names)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), strconv.Quote(path)+": ") || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: ReadParts = %v, %v; want %q after the path", c.name, parts, err, c.want)
		}
	}
}

func TestMergeErrors(t *testing.T) {
	const lanes = 1000
	p := smallJob(lanes)
	dir := t.TempDir()
	four := readParts(t, writeShards(t, filepath.Join(dir), p, 4, false)...) // [0,250) [250,500) [500,750) [750,1000)
	three := writeShards(t, mkdir(t, dir, "three"), p, 3, false)             // [0,333) [333,666) [666,1000)
	q := p
	q.Seed = 2
	other := writeShards(t, mkdir(t, dir, "seed2"), q, 4, false)
	q = p
	q.Sigma = 4
	sigma := writeShards(t, mkdir(t, dir, "sigma4"), q, 4, false)
	copyPath := filepath.Join(dir, "copy.json")
	data, _ := os.ReadFile(four[1].Path)
	os.WriteFile(copyPath, data, 0o644)

	n := func(i int) string { return strconv.Quote(four[i].Path) }
	q3, qc, qo, qs := strconv.Quote(three[1]), strconv.Quote(copyPath), strconv.Quote(other[2]), strconv.Quote(sigma[3])
	for _, c := range []struct {
		name  string
		parts []*shard.Part
		want  string
	}{
		{"none", nil, "no parts to merge"},
		{"gap", []*shard.Part{four[0], four[1], four[3]}, "lanes [500, 750) are missing"},
		{"missing head", []*shard.Part{four[1], four[2], four[3]}, "lanes [0, 250) are missing"},
		{"missing tail", four[:2], "do not cover the job's 1000 lanes exactly once: lanes [500, 1000) are missing"},
		{"two gaps", []*shard.Part{four[1], four[3]}, "lanes [0, 250) are missing; lanes [500, 750) are missing"},
		{"overlap", append(four[:3:3], readParts(t, three[2])...), "lanes [666, 750) are in both " + n(2) + " and " + strconv.Quote(three[2])},
		{"contained", append(bytesParts(four), readParts(t, three[1])...), "lanes [333, 500) are in both " + n(1) + " and " + q3 + "; lanes [500, 666) are in both " + q3 + " and " + n(2)},
		{"twice", []*shard.Part{four[0], four[1], four[2], four[3], four[1]}, n(1) + " is given twice (parts 2 and 5)"},
		// It said "twice (parts 2 and 5)" of a file given three times.
		{"three times", []*shard.Part{four[0], four[1], four[2], four[3], four[1], four[1]}, n(1) + " is given 3 times (parts 2, 5 and 6)"},
		{"copy", append(bytesParts(four), readParts(t, copyPath)...), n(1) + " and " + qc + " are copies of the same part (lanes [250, 500))"},
		{"other seed", append(four[:2:2], readParts(t, other[2], other[3])...), n(0) + " and " + qo + " are parts of different jobs: --seed is 1 in " + n(0) + " and 2 in " + qo},
		{"other sigma", append(four[:3:3], readParts(t, sigma[3])...), "--sigma is 5 in " + n(0) + " and 4 in " + qs},
	} {
		s, err := shard.MergeParts(c.parts)
		if err == nil || s != nil {
			t.Errorf("%s: merged %+v", c.name, s)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q, want %q", c.name, err, c.want)
		}
		if r, err := shard.Merge(c.parts); err == nil || r != nil {
			t.Errorf("%s: MergeResult merged", c.name)
		}
	}
	var cov *shard.CoverageError
	_, err := shard.MergeParts([]*shard.Part{four[1], four[3]})
	if !errors.As(err, &cov) || len(cov.Problems) != 2 || cov.Lanes != lanes {
		t.Errorf("gaps: %#v, want a CoverageError with 2 problems", err)
	}
	// Parts made in memory get the checks ReadPart would do.
	bad := *four[3]
	bad.Count++
	if _, err := shard.MergeParts([]*shard.Part{four[0], four[1], four[2], &bad}); err == nil || !strings.Contains(err.Error(), "do not fit the job's 1000 lanes") {
		t.Errorf("part reaching past the lanes: %v", err)
	}
	// The four good parts still merge, in any order.
	if _, err := shard.MergeParts([]*shard.Part{four[3], four[1], four[0], four[2]}); err != nil {
		t.Error(err)
	}
}

// changeBin adds one to the last digit of the first histogram count.
func changeBin(data []byte) []byte {
	out := bytes.Clone(data)
	i := bytes.Index(out, []byte(`"bins": [`))
	for ; out[i] < '0' || out[i] > '9'; i++ {
	}
	for out[i+1] >= '0' && out[i+1] <= '9' {
		i++
	}
	out[i] = '0' + (out[i]-'0'+1)%10
	return out
}

// TestMergeEmptyPartCopy: a copy of a part of no lanes is refused as a
// copy, as one of a part with lanes is: the merge took it, and counted it
// among its parts ("merged 6 parts" of 5 shards).
func TestMergeEmptyPartCopy(t *testing.T) {
	dir := t.TempDir()
	paths := writeShards(t, dir, smallJob(2), 5, false)
	parts := readParts(t, paths...)
	empty := -1
	for i, p := range parts {
		if p.Count == 0 {
			empty = i
			break
		}
	}
	if empty < 0 {
		t.Fatal("no shard of 2 lanes in 5 is empty")
	}
	copyPath := filepath.Join(dir, "copy.json")
	data, err := os.ReadFile(paths[empty])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%q and %q are copies of the same part (shard %d/5, of no lanes)", paths[empty], copyPath, empty)
	if s, err := shard.MergeParts(append(parts, readParts(t, copyPath)...)); err == nil || err.Error() != want {
		t.Errorf("merged with a copy of an empty part: %+v, %v; want %q", s, err, want)
	}
	if _, err := shard.MergeParts(parts); err != nil {
		t.Errorf("the 5 parts: %v", err)
	}
}

func mkdir(t *testing.T, dir, name string) string {
	d := filepath.Join(dir, name)
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// bytesParts copies the slice so appends do not share it.
func bytesParts(ps []*shard.Part) []*shard.Part { return append([]*shard.Part(nil), ps...) }

// narrowJob is a 1e-6 sd around 73.5, below the ulp of 73.5's float32:
// a mean rounded to 73.5's float64 ulp costs digits of the sd (the merge
// of two parts by their means was 1.2e-10 off the single run's std).
func narrowJob() sim.Params {
	p := smallJob(200003)
	p.Steps, p.Start, p.Anchor, p.Sigma = 3, 73.5, 73.5, 1e-6
	return p
}

// TestMergeKeepsShift: parts carry each summary's shift and deviation
// (sim.Summary.Shift), so that a merge of shards works on the deviations
// as the single run does and keeps its std to 1e-12, final and daily.
func TestMergeKeepsShift(t *testing.T) {
	p := narrowJob()
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	for _, n := range []uint64{2, 3} {
		parts := readParts(t, writeShards(t, t.TempDir(), p, n, true)...)
		for _, part := range parts {
			if _, _, ok := part.Summary.Shift(); !ok {
				t.Errorf("%s: read back without its shift", part.Path)
			}
		}
		got, err := shard.Merge(parts)
		if err != nil {
			t.Fatal(err)
		}
		sameSummary(t, fmt.Sprintf("%d shards", n), got.Summary, want.Summary)
		for s := range got.Daily {
			sameSummary(t, fmt.Sprintf("%d shards, step %d", n, s+1), got.Daily[s], want.Daily[s])
		}
	}
}

// TestMergeDailyNoSteps: a --daily part of no steps writes "daily": [],
// and their merge keeps the (empty) per-step statistics as the single
// --daily run does; parts without --daily still write none and merge
// without.
func TestMergeDailyNoSteps(t *testing.T) {
	p := smallJob(37)
	p.Steps = 0
	for _, daily := range []bool{true, false} {
		paths := writeShards(t, t.TempDir(), p, 2, daily)
		data, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if has := bytes.Contains(data, []byte(`"daily": []`)); has != daily || bytes.Contains(data, []byte(`"daily": null`)) {
			t.Errorf("--daily %v: the part holds an empty daily list: %v", daily, has)
		}
		parts := readParts(t, paths...)
		if got := parts[0].Daily != nil; got != daily {
			t.Errorf("--daily %v: read back with daily %v", daily, got)
		}
		r, err := shard.Merge(parts)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Daily != nil; got != daily || len(r.Daily) != 0 {
			t.Errorf("--daily %v: merged daily %v (%d steps), want %v", daily, got, len(r.Daily), daily)
		}
	}
}

// TestMergeFarFromLaw: float32 rounding can take a job's lanes far from
// the exact law, whose mean every engine sums the lanes' deviations from:
// from start 1 under anchor 1e20 at --persistence -1 the lanes are within
// 1e-20 of 0 after 2 steps while the law's mean is 1, so every deviation
// rounds to -1 and M2 to 0, or to rounding noise, far from the lanes'
// spread. The part check held the moments to the spread and refused such
// parts, even the run's own --save; they merge into the single run.
func TestMergeFarFromLaw(t *testing.T) {
	p := smallJob(1000)
	p.Steps, p.Start, p.Anchor, p.Persistence, p.Sigma = 2, 1, 1e20, -1, 1e-20
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	if want.Summary.Min == want.Summary.Max {
		t.Fatal("the lanes hold one value: the job tests nothing")
	}
	for _, n := range []uint64{1, 2, 3} {
		parts := readParts(t, writeShards(t, t.TempDir(), p, n, true)...)
		got, err := shard.Merge(parts)
		if err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		sameExact(t, fmt.Sprintf("%d shards", n), got.Summary, want.Summary)
		for s := range got.Daily {
			sameExact(t, fmt.Sprintf("%d shards, step %d", n, s+1), got.Daily[s], want.Daily[s])
		}
	}
}

// TestMergeJobBoundRefuses: a part records computed values, so reading it
// checks its job's ranges, not the overflow bound that gates new runs. The
// job of f6b90d9 (start 1e30, anchor -2.5e36, --persistence 1 + 2^-20, no
// noise, 2812066 steps), which the bound accepted before it counted
// float32's roundings and refused since, reached 3.49e37, finite: its
// parts, saved by the earlier gpusim, were refused by merge ("invalid job
// parameters") once the bound was tightened. With the limit at 2^126 (it
// was a tenth of float32's largest) the same job with an anchor 2.6 times
// as far (6.5e36) reaches 8.64e37, past it and finite.
func TestMergeJobBoundRefuses(t *testing.T) {
	p := smallJob(5)
	p.Steps, p.Start, p.Anchor, p.Persistence, p.Sigma = 2812066, 1e30, -6.5e36, 1+0x1p-20, 0
	if p.Validate() == nil {
		t.Fatal("the bound accepts the job: the test tests nothing")
	}
	want := run(t, cpu.Serial{}, &sim.Job{Params: p})
	if m := want.Summary.Max; math.IsInf(float64(m), 0) || m <= sim.MaxTemperature {
		t.Fatalf("the job reaches %v, want finite above %v", m, sim.MaxTemperature)
	}
	parts := readParts(t, writeShards(t, t.TempDir(), p, 2, false)...)
	got, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	sameExact(t, "merged", got.Summary, want.Summary)
}

// TestMergeEngineOfEmptyShards: a shard with no lanes ran on no engine, so
// the merge's engine lists only the engines of parts with lanes. An empty
// shard run with `--engine opencl` beside shards run on simd merged as
// "opencl+simd on avx512 x16, 1 goroutine": simd's cores given as the
// devices of both.
func TestMergeEngineOfEmptyShards(t *testing.T) {
	p := smallJob(3)
	var parts []*shard.Part
	empty := 0
	for i := range uint64(5) {
		sh := shard.Shard{Index: i, Count: 5}
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p}, sh)
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Count == 0 {
			empty++
			if r, err = shard.Run(context.Background(), cpu.Parallel{Workers: 2}, &sim.Job{Params: p}, sh); err != nil {
				t.Fatal(err)
			}
		}
		part := shard.NewPart(r)
		part.Shard = &sh
		path := filepath.Join(t.TempDir(), "part.json")
		if err := part.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, readParts(t, path)...)
	}
	if empty == 0 {
		t.Fatal("no empty shard of 3 lanes in 5: the test tests nothing")
	}
	got, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Engine != "serial" {
		t.Errorf("merged engine %q (device %q), want \"serial\": the %d empty shards' engine ran nothing", got.Engine, got.Device, empty)
	}
}

// TestPartFloatDepth: a part of a run that summed in float32 (an OpenCL
// device without fp64, sim.Summary.FloatDepth) keeps its depth, final and
// per step, through the file (version 5, float_depth), and a merge with a
// part summed in float64 states the worse of the two, so that neither the
// part nor the merge claims float64's accuracy; a part summed in float64
// stays version 4, as older gpusims read it. A version 4 part with a
// float_depth, and a depth above sim.MaxFloatDepth, are refused.
func TestPartFloatDepth(t *testing.T) {
	const depth = 1234
	p := smallJob(1000)
	p.Steps = 3
	dir := t.TempDir()
	var parts []*shard.Part
	for i := range uint64(2) {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p, Daily: true}, shard.Shard{Index: i, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 { // as a device without fp64 leaves it
			r.Summary.FloatDepth = depth
			for _, d := range r.Daily {
				d.FloatDepth = depth
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		if err := shard.WritePart(path, r); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		version, hasDepth := `"version": 4`, false
		if i == 0 {
			version, hasDepth = `"version": 5`, true
		}
		if !bytes.Contains(data, []byte(version)) || bytes.Contains(data, []byte(`"float_depth"`)) != hasDepth {
			t.Fatalf("part %d: want %s, float_depth %v:\n%.300s", i, version, hasDepth, data)
		}
		parts = append(parts, readParts(t, path)...)
		if i == 0 {
			for _, c := range []struct {
				name, want string
				data       []byte
			}{
				{"version 4", "float_depth came with version 5", bytes.Replace(data, []byte(`"version": 5`), []byte(`"version": 4`), 1)},
				{"too deep", "float_depth 4194305 is above 4194304", forge(t, data, func(pl map[string]any) {
					pl["summary"].(map[string]any)["float_depth"] = fmt.Sprint(sim.MaxFloatDepth + 1)
				})},
			} {
				if _, err := shard.ParsePart(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: ParsePart = %v, want %q", c.name, err, c.want)
				}
			}
		}
	}
	if got := parts[0]; got.Summary.FloatDepth != depth || got.Daily[2].FloatDepth != depth {
		t.Errorf("read back depths %d and %d (day 3), want %d", got.Summary.FloatDepth, got.Daily[2].FloatDepth, depth)
	}
	if got := parts[1]; got.Summary.FloatDepth != 0 {
		t.Errorf("float64 part read back with depth %d", got.Summary.FloatDepth)
	}
	res, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.FloatDepth != depth || res.Daily[0].FloatDepth != depth {
		t.Errorf("merged depths %d and %d (day 1), want %d, the float part's", res.Summary.FloatDepth, res.Daily[0].FloatDepth, depth)
	}
	mu, _ := p.Exact(p.Steps)
	me, se := res.Summary.MomentErrors(mu)
	res.Summary.FloatDepth = 0
	me64, se64 := res.Summary.MomentErrors(mu)
	if !(me > me64 && se > se64) {
		t.Errorf("merged errors %g and %g, not above float64's %g and %g", me, se, me64, se64)
	}
}

// BenchmarkReadPartDaily reads a part of 25,000 lanes x 3,650 steps with
// per-step statistics (8 MB, as a shard of a ten-year daily job writes):
// decoding, checks and checksum.
func BenchmarkReadPartDaily(b *testing.B) {
	p := smallJob(25_000)
	p.Steps = 3650
	r, err := (cpu.SIMD{}).Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "part.json")
	if err := shard.NewPart(r).WriteFile(path); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := shard.ReadPart(path); err != nil {
			b.Fatal(err)
		}
	}
}

// oldLayout is the part file layout as Marshal wrote it before it indented
// in one pass: json.MarshalIndent of the envelope with two spaces, then
// every array of numbers put on one line.
func oldLayout(t *testing.T, file []byte) []byte {
	t.Helper()
	var env struct {
		Format   string          `json:"format"`
		Version  int             `json:"version"`
		Payload  json.RawMessage `json:"payload"`
		Checksum string          `json:"checksum"`
	}
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(&env, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		switch b[i] {
		case '"':
			j := i + 1
			for ; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
			j = min(j+1, len(b))
			out, i = append(out, b[i:j]...), j
			continue
		case '[':
			j := i + 1
			for j < len(b) && strings.IndexByte("0123456789, \n\t", b[j]) >= 0 {
				j++
			}
			if j < len(b) && b[j] == ']' && j > i+1 {
				out = append(out, '[')
				out = append(out, bytes.Join(bytes.Fields(b[i+1:j]), []byte(" "))...)
				out, i = append(out, ']'), j+1
				continue
			}
		}
		out, i = append(out, b[i]), i+1
	}
	return append(out, '\n')
}

// TestPartLayout: Marshal's one-pass layout is byte for byte the layout of
// json.MarshalIndent with lists of numbers on one line (oldLayout), for
// parts with and without per-step statistics, a shard, --math fast, no
// lanes, and a device name holding brackets, commas, braces and quotes.
func TestPartLayout(t *testing.T) {
	p := smallJob(3001)
	p.Steps = 6
	for _, c := range []struct {
		name   string
		daily  bool
		shard  *shard.Shard
		count  uint64
		device string
	}{
		{"plain", false, nil, 3001, ""},
		{"daily", true, nil, 3001, ""},
		{"shard", true, &shard.Shard{Index: 2, Count: 3}, 3001, ""},
		{"no lanes", true, &shard.Shard{Index: 4, Count: 5000}, 0, ""},
		{"device", false, nil, 3001, `dev "[1, 2]" {a: [3,4]}, \ ok`},
	} {
		job := &sim.Job{Params: p, Daily: c.daily}
		var r *sim.Result
		var err error
		if c.shard != nil {
			r, err = shard.Run(context.Background(), cpu.Serial{}, job, *c.shard)
		} else {
			r, err = cpu.Serial{}.Run(context.Background(), job)
		}
		if err != nil {
			t.Fatal(err)
		}
		part := shard.NewPart(r)
		part.Shard = c.shard
		if c.device != "" {
			part.Device = c.device
		}
		got, err := part.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if want := oldLayout(t, got); !bytes.Equal(got, want) {
			t.Errorf("%s: Marshal wrote\n%s\nwant\n%s", c.name, got, want)
		}
		back, err := shard.ParsePart(got)
		if err != nil || back.Device != part.Device || back.Count != part.Count {
			t.Errorf("%s: read back %v (%v)", c.name, back, err)
		}
	}
}

// TestReadPartForms: a part saved again with a UTF-8 byte-order mark (an
// editor, PowerShell's Set-Content) reads as the part; one in UTF-16 or
// gzip-compressed is refused naming its form and what to do. All three were
// refused as "not a JSON object", with their first bytes.
func TestReadPartForms(t *testing.T) {
	dir := t.TempDir()
	paths := writeShards(t, dir, smallJob(1000), 1, false)
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	want := readParts(t, paths[0])[0]
	bom := filepath.Join(dir, "bom.json")
	if err := os.WriteFile(bom, append([]byte{0xef, 0xbb, 0xbf}, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := shard.ReadPart(bom); err != nil || got.Summary.Digest != want.Summary.Digest || got.Summary.Count != want.Summary.Count {
		t.Errorf("a part with a UTF-8 byte-order mark: %v, want it read as the part", err)
	}
	u16 := []byte{0xff, 0xfe}
	for _, b := range data {
		u16 = append(u16, b, 0)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"u16.json":   {u16, "it is UTF-16LE, not UTF-8"},
		"u16le.json": {u16[2:], "it is UTF-16LE, not UTF-8"},
		"p.json.gz":  {gz.Bytes(), "it is gzip-compressed: decompress it first (gunzip)"},
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := shard.ReadPart(path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}
