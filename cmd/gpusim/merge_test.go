package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/sysmem"
	"github.com/gpusim/gpusim/shard"
)

// mergeLanes is an odd lane count, so that shards differ in size.
const (
	mergeLanes = "20011"
	// mergeTol is the relative difference allowed between merged and single
	// mean and std: the merge groups the same float64 additions differently
	// (docs/cluster.md).
	mergeTol = 1e-12
)

func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, stdout, stderr := run(context.Background(), args...)
	if code != 0 {
		t.Fatalf("gpusim %q: exit %d: %s", args, code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("gpusim %q: %v", args, err)
	}
	return doc
}

// TestMergeMatchesRun checks that 1, 2, 3 and 7 shards, run by different
// backends and merged, report what a single run reports: digest, count, min,
// max and histogram quantiles exactly, mean and std to mergeTol.
func TestMergeMatchesRun(t *testing.T) {
	job := []string{"--lanes", mergeLanes, "--steps", "7", "--seed", "42", "--format", "json"}
	single := runJSON(t, append([]string{"run"}, job...)...)
	sum := single["summary"].(map[string]any)
	for _, n := range []int{1, 2, 3, 7} {
		dir := t.TempDir()
		var files []string
		for i := range n {
			f := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
			backend := []string{"serial", "parallel"}[i%2]
			runJSON(t, append([]string{"run", "--engine", backend, "--shard", fmt.Sprintf("%d/%d", i, n), "--save", f}, job...)...)
			files = append(files, f)
		}
		merged := runJSON(t, append([]string{"merge", "--format", "json"}, files...)...)
		msum := merged["summary"].(map[string]any)
		if merged["digest"] != single["digest"] {
			t.Errorf("%d shards: digest %v, want %v", n, merged["digest"], single["digest"])
		}
		for _, k := range []string{"count", "min", "max"} {
			if msum[k] != sum[k] {
				t.Errorf("%d shards: %s %v, want %v", n, k, msum[k], sum[k])
			}
		}
		for k, want := range sum["quantiles"].(map[string]any) {
			if got := msum["quantiles"].(map[string]any)[k]; got != want {
				t.Errorf("%d shards: quantile %s %v, want %v", n, k, got, want)
			}
		}
		for _, k := range []string{"mean", "std"} {
			got, want := msum[k].(float64), sum[k].(float64)
			if d := math.Abs(got-want) / math.Abs(want); d > mergeTol {
				t.Errorf("%d shards: %s %v, want %v (relative difference %.2g > %g)", n, k, got, want, d, mergeTol)
			}
		}
		if merged["params"].(map[string]any)["lanes"] != single["params"].(map[string]any)["lanes"] {
			t.Errorf("%d shards: params %v, want %v", n, merged["params"], single["params"])
		}
	}
}

// TestMergeDaily checks that merging --daily shards keeps the per-step
// statistics and reports them as the single run does: counts and
// histogram quantiles exactly, mean and std to mergeTol; and that the
// merge says so.
func TestMergeDaily(t *testing.T) {
	job := []string{"--lanes", mergeLanes, "--steps", "5", "--seed", "9", "--daily", "--format", "json"}
	single := runJSON(t, append([]string{"run"}, job...)...)
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		f := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		runJSON(t, append([]string{"run", "--shard", fmt.Sprintf("%d/3", i), "--save", f}, job...)...)
		files = append(files, f)
	}
	merged := runJSON(t, append([]string{"merge", "--format", "json"}, files...)...)
	if info := merged["merged"].(map[string]any); info["daily"] != true || info["math"] != "exact" {
		t.Errorf("merged %v, want daily true and math exact", info)
	}
	got, _ := merged["daily"].([]any)
	want := single["daily"].([]any)
	if len(got) != len(want) || len(want) != 5 {
		t.Fatalf("merged %d days, want %d (the single run's)", len(got), len(want))
	}
	for i := range want {
		g, w := got[i].(map[string]any), want[i].(map[string]any)
		for _, k := range []string{"step", "count", "exact_mean", "exact_std"} {
			if g[k] != w[k] {
				t.Errorf("day %d: %s %v, want %v", i+1, k, g[k], w[k])
			}
		}
		for k, wq := range w["quantiles"].(map[string]any) {
			if gq := g["quantiles"].(map[string]any)[k]; gq != wq {
				t.Errorf("day %d: quantile %s %v, want %v", i+1, k, gq, wq)
			}
		}
		for _, k := range []string{"mean", "std"} {
			gv, wv := g[k].(float64), w[k].(float64)
			if d := math.Abs(gv-wv) / math.Abs(wv); d > mergeTol {
				t.Errorf("day %d: %s %v, want %v (relative difference %.2g > %g)", i+1, k, gv, wv, d, mergeTol)
			}
		}
	}
	// Without --daily in every part, the merge says what it dropped.
	plain := filepath.Join(dir, "plain.json")
	runJSON(t, "run", "--lanes", mergeLanes, "--steps", "5", "--seed", "9", "--shard", "2/3", "--save", plain, "--format", "json")
	code, stdout, stderr := run(context.Background(), "merge", "--format", "json", files[0], files[1], plain)
	if code != 0 || !strings.Contains(stderr, "the per-step statistics of 2 parts ("+strconv.Quote(files[0])+" and 1 more) are not merged: "+strconv.Quote(plain)+" has none") || strings.Contains(stdout, `"step"`) {
		t.Errorf("merge of daily and plain parts: exit %d, stderr %q", code, stderr)
	}
}

// TestMergeV1Math: format version 1 parts do not record --math, which
// existed then; their merge was labelled exact.
func TestMergeV1Math(t *testing.T) {
	parts := []string{"../../shard/testdata/v1-part-0.json", "../../shard/testdata/v1-part-1.json"}
	code, stdout, stderr := run(context.Background(), append([]string{"merge", "--format", "json"}, parts...)...)
	if code != 0 || !strings.Contains(stdout, `"math": "unknown"`) {
		t.Errorf("exit %d, stderr %q; want math unknown in:\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = run(context.Background(), append([]string{"merge"}, parts...)...)
	if code != 0 || !strings.Contains(stdout, "\nmath      unknown: format version 1 parts do not record whether --math fast computed them\n") {
		t.Errorf("exit %d, stderr %q; want the unknown math in:\n%s", code, stderr, stdout)
	}
}

// TestMergeOnePart: "merged    1 part; its run took", not "1 parts".
func TestMergeOnePart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "p.json")
	if code, _, stderr := run(context.Background(), "run", "--lanes", "100", "--shard", "0/1", "--save", p); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := run(context.Background(), "merge", p)
	if code != 0 || !strings.Contains(stdout, "\nmerged    1 part; its run took ") {
		t.Errorf("exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
}

// TestTextReportQuotesControlCharacters: a file name holding a byte that
// is not UTF-8 or a character that is not printable (a no-break space;
// names with control or format characters, a right-to-left override, are
// refused, TestOutputNames), or
// a merged part's device holding a newline or an escape, is quoted in the
// text report (a part whose engine name holds one is refused, the name
// quoted). They were printed raw: a name with a newline split its line,
// and a part whose device read "x\n\ndigest    0000000000000000" printed
// a digest line of its own before the real one (a part's checksum does not
// stop an edit).
func TestTextReportQuotesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	out, save := filepath.Join(dir, "a\xffb\u00a0c.npy"), filepath.Join(dir, "p.json")
	code, stdout, stderr := run(context.Background(), "run", "--lanes", "10", "--steps", "2", "--engine", "serial", "-q", "--out", out, "--save", save)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "\nout       " + strconv.Quote(out) + " (10 lanes)\n"; !strings.Contains(stdout, want) {
		t.Errorf("report %q does not contain %q", stdout, want)
	}
	p, err := shard.ReadPart(save)
	if err != nil {
		t.Fatal(err)
	}
	// An engine name with them is refused, quoted (TestMergeEngineNames);
	// the device is free text.
	p.Engine, p.Requested = "serial\x1b[2J", "auto\n"
	forged := filepath.Join(dir, "forged.json")
	if err := p.WriteFile(forged); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(context.Background(), "merge", forged)
	if want := `engine "serial\x1b[2J" is not an engine`; code != exitFailure || !strings.Contains(stderr, want) || strings.Contains(stderr, "\x1b") {
		t.Errorf("merge of engine %q: exit %d, %q; want exit 1 and %q", p.Engine, code, stderr, want)
	}
	p.Engine, p.Requested, p.Device = "serial", "auto", "1 goroutine\n\ndigest    0000000000000000"
	if err := p.WriteFile(forged); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run(context.Background(), "merge", forged)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\ndigest "); n != 1 || strings.Contains(stdout, "\x1b") {
		t.Errorf("merge report has %d digest lines, or an escape:\n%s", n, stdout)
	}
	if want := "engine    serial (auto) on " + strconv.Quote(p.Device) + "\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("merge report begins %q, want %q", strings.SplitN(stdout, "\n", 2)[0], want)
	}
}

// mergeDiffers are the JSON report's keys in which a merge of a job's
// shards differs from a single run of the job by design (docs/cluster.md,
// "What the merge reports"): the timing (the merge computes nothing),
// what the merge merged, auto's choice, which each shard made for its
// own lanes, and the --workers a run was given and the goroutines it
// started, which parts do not record.
var mergeDiffers = []string{"timing", "merged", "auto", "workers", "workers_ran"}

// flatJSON flattens a decoded JSON document into path -> value: "a.b",
// "daily[2].mean".
func flatJSON(prefix string, v any, out map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			flatJSON(strings.TrimPrefix(prefix+"."+k, "."), x, out)
		}
	case []any:
		out[prefix+"[len]"] = len(v)
		for i, x := range v {
			flatJSON(fmt.Sprintf("%s[%d]", prefix, i), x, out)
		}
	default:
		out[prefix] = v
	}
}

// TestMergeReportMatchesRun compares, key by key, the JSON report of a
// single run with the merge of the same job's shards, for several engines
// and options: every key but mergeDiffers must be there in both and hold
// the same value (mean and std, and the days', to mergeTol). The merge
// reported as requested_engine the engine that ran (simd for --engine
// auto), because parts did not record the engine asked for.
func TestMergeReportMatchesRun(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shards int
		args   []string
	}{
		{"auto", 3, []string{"--lanes", mergeLanes, "--steps", "4", "--engine", "auto", "--workers", "1"}},
		{"auto daily", 2, []string{"--lanes", "1001", "--steps", "3", "--daily", "--workers", "1"}},
		{"serial", 3, []string{"--lanes", mergeLanes, "--steps", "2", "--engine", "serial", "--seed", "7"}},
		{"parallel daily", 3, []string{"--lanes", "999", "--steps", "3", "--engine", "parallel", "--workers", "1", "--daily"}},
		{"simd no steps", 2, []string{"--lanes", "100", "--steps", "0", "--engine", "simd", "--workers", "1", "--daily"}},
		{"more shards than lanes", 5, []string{"--lanes", "3", "--steps", "2", "--engine", "serial"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := append(tc.args, "--format", "json", "-q")
			single := runJSON(t, append([]string{"run"}, job...)...)
			dir := t.TempDir()
			var files []string
			for i := range tc.shards {
				f := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
				runJSON(t, append([]string{"run", "--shard", fmt.Sprintf("%d/%d", i, tc.shards), "--save", f}, job...)...)
				files = append(files, f)
			}
			merged := runJSON(t, append([]string{"merge", "--format", "json"}, files...)...)
			for _, k := range mergeDiffers {
				delete(single, k)
				delete(merged, k)
			}
			want, got := map[string]any{}, map[string]any{}
			flatJSON("", single, want)
			flatJSON("", merged, got)
			for k, w := range want {
				g, ok := got[k]
				if !ok {
					t.Errorf("%s: the run reports %v, the merge nothing", k, w)
					continue
				}
				if !sameReported(k, g, w) {
					t.Errorf("%s: the merge reports %v, the run %v", k, g, w)
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: the merge reports %v, the run nothing", k, g)
				}
			}
		})
	}
}

// sameReported says whether the merge's value g of the report's key k
// agrees with the run's w: means and stds to mergeTol, the z-scores made
// from them to what mergeTol moves them (sqrt(2 lanes) mergeTol at most),
// everything else exactly.
func sameReported(k string, g, w any) bool {
	gf, gok := g.(float64)
	wf, wok := w.(float64)
	switch {
	case !gok || !wok:
	case strings.HasPrefix(k, "z."):
		return math.Abs(gf-wf) <= 1e-9
	case strings.HasSuffix(k, ".mean") || strings.HasSuffix(k, ".std") || strings.HasSuffix(k, "_error"):
		// The float64 sums, and the errors estimated from the std.
		return math.Abs(gf-wf) <= mergeTol*math.Abs(wf)
	}
	return g == w
}

// TestMergeRequested: the merge reports the --engine its parts were run
// with; "unknown" when a part does not record it (format versions 1 to 3,
// here the version 3 parts in shard/testdata, alone or beside a version 4
// part), and each engine asked for, in lane order, when the parts were
// run with different ones.
func TestMergeRequested(t *testing.T) {
	v3 := []string{"../../shard/testdata/v3-part-0.json", "../../shard/testdata/v3-part-1.json"}
	job := []string{"--lanes", "1001", "--steps", "2", "--seed", "11", "--daily", "-q"}
	dir := t.TempDir()
	auto0, auto1, serial1 := filepath.Join(dir, "auto-0.json"), filepath.Join(dir, "auto-1.json"), filepath.Join(dir, "serial-1.json")
	runJSON(t, append([]string{"run", "--format", "json", "--shard", "0/2", "--save", auto0}, job...)...)
	runJSON(t, append([]string{"run", "--format", "json", "--shard", "1/2", "--save", auto1}, job...)...)
	runJSON(t, append([]string{"run", "--format", "json", "--shard", "1/2", "--engine", "serial", "--save", serial1}, job...)...)
	for _, c := range []struct {
		parts            []string
		requested, label string
	}{
		{v3, "unknown", ""},
		{[]string{auto1, v3[0]}, "unknown", ""},
		{[]string{auto1, auto0}, "auto", " (auto)"},
		{[]string{serial1, auto0}, "auto+serial", " (auto+serial)"},
	} {
		merged := runJSON(t, append([]string{"merge", "--format", "json"}, c.parts...)...)
		if merged["requested_engine"] != c.requested {
			t.Errorf("merge %v: requested_engine %v, want %s", c.parts, merged["requested_engine"], c.requested)
		}
		code, stdout, stderr := run(context.Background(), append([]string{"merge"}, c.parts...)...)
		engine := merged["engine"].(string)
		if want := "engine    " + engine + c.label + " on "; code != 0 || !strings.HasPrefix(stdout, want) {
			t.Errorf("merge %v: exit %d, stderr %q; want the report to begin %q:\n%s", c.parts, code, stderr, want, stdout)
		}
		unknown := strings.Contains(stdout, "\nrequested unknown: parts of format versions 1 to 3 do not record the --engine they were run with\n")
		if unknown != (c.requested == "unknown") {
			t.Errorf("merge %v: says the requested engine is unknown: %v, want %v:\n%s", c.parts, unknown, !unknown, stdout)
		}
	}
}

// TestMergeEngineNames: merge refuses, as it refuses any damaged part
// (exit 1, the file named), a part whose engine or requested_engine is
// not a name gpusim run writes; it merged a part of engine "banana" and
// reported "banana" as the job's engine.
func TestMergeEngineNames(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	runJSON(t, "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "--save", good, "--format", "json", "-q")
	for _, c := range []struct {
		engine, requested, want string
	}{
		{"banana", "serial", `engine "banana" is not an engine of this gpusim (valid: serial, parallel, simd, opencl)`},
		{"auto", "auto", `engine "auto" is not an engine of this gpusim`},
		{"serial", "unknown", `requested_engine "unknown" is not an --engine of this gpusim (valid: serial, parallel, simd, opencl, auto)`},
		{"serial", "auto+serial", `requested_engine "auto+serial" names several engines`},
	} {
		p, err := shard.ReadPart(good)
		if err != nil {
			t.Fatal(err)
		}
		p.Engine, p.Requested = c.engine, c.requested
		path := filepath.Join(dir, c.engine+"-"+c.requested+".json")
		if err := p.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(context.Background(), "merge", path)
		if want := "gpusim: error: " + strconv.Quote(path) + ": malformed part: " + c.want; code != exitFailure || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("merge of a part of engine %q asked for %q: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.engine, c.requested, code, stdout, stderr, want)
		}
	}
}

// TestWallTotal: the parts' wall times sum as durations (0.7496747, not
// 0.7496746999999999), and a sum past time.Duration's 292 years, of parts
// each within it, in float64 seconds: two parts of 9.2e9 s summed to a
// negative total (-93488147.4 s in the report).
func TestWallTotal(t *testing.T) {
	part := func(s float64) *shard.Part { return &shard.Part{Wall: time.Duration(s * float64(time.Second))} }
	if got := wallTotal([]*shard.Part{part(0.1), part(0.2), part(0.4496747)}); got != 0.7496747 {
		t.Errorf("0.1 + 0.2 + 0.4496747 s: %v", got)
	}
	if got := wallTotal([]*shard.Part{part(9.2e9), part(9.2e9)}); math.Abs(got-18.4e9) > 1 {
		t.Errorf("two parts of 9.2e9 s: %v s, want 1.84e10", got)
	}
}

// TestMergeNotesPartsWithoutFinals: a merge of a job of at most
// sim.ExactQuantileLanes lanes whose parts are not all of this gpusim
// (version 6, with finals) interpolates its quantiles, where the single
// run's are exact, and a note names the parts without finals. Before, only
// the report's footnote said interpolated, with no cause and no part.
func TestMergeNotesPartsWithoutFinals(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		f := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if code, _, stderr := run(context.Background(), "run", "--lanes", "10", "--steps", "1", "--shard", fmt.Sprintf("%d/3", i), "--save", f); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		files = append(files, f)
	}
	code, stdout, stderr := run(context.Background(), append([]string{"merge"}, files...)...)
	if code != 0 || strings.Contains(stderr, "finals") || !strings.Contains(stdout, "exact, from every lane's final") {
		t.Fatalf("parts with finals: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	// The parts as a gpusim before version 6 wrote them (version 4,
	// without finals), one and then two.
	for n, want := range []string{
		fmt.Sprintf("%q has no finals", files[1]),
		fmt.Sprintf("2 parts (%q and 1 more) have no finals", files[1]),
	} {
		p, err := shard.ReadPart(files[1+n])
		if err != nil {
			t.Fatal(err)
		}
		p.Finals = nil
		if err := p.WriteFile(files[1+n]); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(context.Background(), append([]string{"merge"}, files...)...)
		want = "gpusim: note: the quantiles are interpolated in the histogram, not the lanes' own that a single run of this job of 10 lanes reports: " + want + " (a part of a gpusim before part format version 6; run its shard again with this gpusim)\n"
		if code != 0 || !strings.Contains(stderr, want) || !strings.Contains(stdout, "interpolated in a 4096-bin histogram") {
			t.Errorf("exit %d, stderr %q, want %q:\n%s", code, stderr, want, stdout)
		}
	}
}

// TestMergeCgroupLimit: a merge whose parts do not fit in what its
// cgroup's memory limit leaves, beside what the cgroup uses, is refused
// before any part is read (exit 2, "gpusim: error: memory: ...", naming
// the limit's file and folder, what the merge holds and a limit to set),
// and merges under the limit it names; one that fits, or without a limit,
// merges. It was let start, and the kernel's OOM killer ended it part-way
// (exit 137, no report). What it holds is its least (shard.MergeFloor): a
// room between that and the heap it is sized for (shard.MergeMemory's
// need) merges, and so does a cgroup that may swap however little room it
// leaves; both were refused (a merge of four parts of 19.4 MB that merged
// in 164 MB, in a room of 180 MB, refused for 213). The limit is a fake
// (cgroupMemory); TestMergeRealCgroupLimit makes a real one, as root.
func TestMergeCgroupLimit(t *testing.T) {
	dir := t.TempDir()
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if code, _, stderr := run(context.Background(), "run", "--lanes", "100", "--daily", "--steps", "20", "--shard", fmt.Sprintf("%d/2", i), "--save", p); code != 0 {
			t.Fatalf("run: exit %d: %s", code, stderr)
		}
		parts = append(parts, p)
	}
	// A part of the same size that is no part: read, it is refused as
	// damaged (exit 1).
	damaged := filepath.Join(dir, "damaged.json")
	if err := os.WriteFile(damaged, bytes.Repeat([]byte{'x'}, int(fileSize(t, parts[1]))), 0o644); err != nil {
		t.Fatal(err)
	}
	need := shard.MergeFloor(parts)
	sized, _, _ := shard.MergeMemory(parts)
	if sized <= need {
		t.Fatalf("MergeMemory's need %d is not above MergeFloor's %d", sized, need)
	}
	const used = 500_000_000
	swap := false
	under := func(limit uint64, ok bool) {
		old := cgroupMemory
		cgroupMemory = func() (sysmem.CgroupLimit, bool) {
			return sysmem.CgroupLimit{Dir: "/sys/fs/cgroup/job.slice", File: "memory.max", Limit: limit, Used: used, Swap: swap}, ok
		}
		t.Cleanup(func() { cgroupMemory = old })
	}
	merge := func(files ...string) (int, string, string) {
		return run(context.Background(), append([]string{"merge"}, files...)...)
	}
	under(used+need/2, true)
	code, stdout, stderr := merge(parts[0], damaged)
	want := fmt.Sprintf("gpusim: error: memory: the cgroup's memory limit (memory.max of /sys/fs/cgroup/job.slice, %s) leaves %s beside the %s its processes use, under the %s this merge holds",
		diskfree.SizeText(used+need/2), diskfree.SizeText(need/2), diskfree.SizeText(used), diskfree.SizeText(need))
	if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "gpusim: hint: ") {
		t.Fatalf("room for half the merge: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, want)
	}
	m := regexp.MustCompile(`: raise it to [^(]* \(([0-9]+)\) or more\n`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the refusal names no limit: %s", stderr)
	}
	named, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil || named < used+need {
		t.Fatalf("the refusal names %s, under the %d the merge needs beside the cgroup's use: %s", m[1], used+need, stderr)
	}
	for _, c := range []struct {
		name  string
		limit uint64
		ok    bool
		swap  bool
	}{
		{"the limit named", named, true, false}, {"room enough", used + need, true, false}, {"no limit", 0, false, false},
		{"room below the heap's size", used + (need+sized)/2, true, false},
		{"swap", used + need/2, true, true},
	} {
		swap = c.swap
		under(c.limit, c.ok)
		if code, stdout, stderr := merge(parts...); code != 0 || !strings.Contains(stdout, "digest ") {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, stderr)
		}
	}
}

func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
