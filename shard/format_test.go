package shard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// Above 2^53 a float64 no longer holds every integer: bigSeed becomes
// 9007199254740992 when a tool reads it as a float64 (jq 1.6, JavaScript).
const (
	bigSeed = 1<<53 + 1
	// Three lanes per shard of 2^62+2 (the tail part's), so that its
	// shard is its lane range (ParsePart checks).
	bigLanes = 3 * (1<<62 + 2)
	tailRun  = 3 // lanes the test computes, at the end of the job
)

// viaAny decodes data into any (every number a float64) and encodes it
// again, with keys sorted: what a tool that reads JSON numbers as float64
// does to a part.
func viaAny(t *testing.T, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// viaJQ16 rewrites data as jq 1.6 does: every number through float64,
// printed with 17 significant digits ("%.17g").
func viaJQ16(t *testing.T, data []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var enc func(v any)
	enc = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			b.WriteByte('{')
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(k)
				b.WriteByte(':')
				enc(v[k])
			}
			b.WriteByte('}')
		case []any:
			b.WriteByte('[')
			for i, x := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				enc(x)
			}
			b.WriteByte(']')
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'g', 17, 64))
		default:
			s, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(s)
		}
	}
	enc(v)
	return b.Bytes()
}

// bigParts returns the two parts of a job of bigLanes lanes with seed
// bigSeed, as files: the last tailRun lanes run on the serial engine, and a
// part for the lanes before them whose summary is made up (no test can run
// 2^53 lanes) but consistent: every lane in one bin, so that bin holds more
// than 2^53.
func bigParts(t *testing.T) (head, tail []byte, want *sim.Result) {
	t.Helper()
	p := sim.Default()
	p.Lanes, p.Seed, p.Steps = bigLanes, bigSeed, 4
	r := run(t, cpu.Serial{}, &sim.Job{Params: p, First: bigLanes - tailRun, Count: tailRun})
	tp := shard.NewPart(r)
	tp.Shard = &shard.Shard{Index: 1<<62 + 1, Count: 1<<62 + 2}
	s := sim.NewSummary(p)
	s.Count, s.Mean, s.M2, s.Min, s.Max, s.Digest = bigLanes-tailRun, 72.5, 0, 72.5, 72.5, 0x0123456789abcdef
	s.Hist.Bins[s.Hist.Bin(72.5)] = s.Count
	hp := &shard.Part{Params: p, First: 0, Count: s.Count, Engine: "made up", Requested: "auto", Math: sim.MathExact, Summary: s}
	var err error
	if head, err = hp.Marshal(); err != nil {
		t.Fatal(err)
	}
	if tail, err = tp.Marshal(); err != nil {
		t.Fatal(err)
	}
	want, err = shard.Merge([]*shard.Part{hp, tp})
	if err != nil {
		t.Fatal(err)
	}
	return head, tail, want
}

// TestPartSurvivesFloat64 rewrites parts of a job whose seed, lane count,
// lane range, shard and one histogram bin exceed 2^53 through float64 (an
// encoding/json round trip through any, and jq 1.6's printing), and
// requires them to read back, verify and merge to the same result.
func TestPartSurvivesFloat64(t *testing.T) {
	head, tail, want := bigParts(t)
	for _, tool := range []struct {
		name    string
		rewrite func(*testing.T, []byte) []byte
	}{{"encoding/json via any", viaAny}, {"jq 1.6 %.17g", viaJQ16}, {"twice", func(t *testing.T, b []byte) []byte { return viaJQ16(t, viaAny(t, b)) }}} {
		var parts []*shard.Part
		for _, data := range [][]byte{head, tail} {
			p, err := shard.ParsePart(tool.rewrite(t, data))
			if err != nil {
				t.Fatalf("%s: %v", tool.name, err)
			}
			parts = append(parts, p)
		}
		if p := parts[1]; p.Params.Seed != bigSeed || p.Params.Lanes != bigLanes || p.First != bigLanes-tailRun || p.Shard.Index != 1<<62+1 {
			t.Errorf("%s: seed %d lanes %d first %d shard %v", tool.name, p.Params.Seed, p.Params.Lanes, p.First, p.Shard)
		}
		got, err := shard.Merge(parts)
		if err != nil {
			t.Fatalf("%s: %v", tool.name, err)
		}
		sameSummary(t, tool.name, got.Summary, want.Summary)
		if got.Summary.Mean != want.Summary.Mean || got.Summary.M2 != want.Summary.M2 || got.Params != want.Params {
			t.Errorf("%s: merged %+v, want %+v", tool.name, got, want)
		}
	}
}

// TestPartSurvivesJQ runs jq . (any version) over a part, when jq is
// installed; under CI=true, which installs it, it must be.
func TestPartSurvivesJQ(t *testing.T) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		if testenv.CI() {
			t.Fatal("CI=true but no jq was found (.ci/run installs jq)")
		}
		t.Skip("no jq")
	}
	head, tail, want := bigParts(t)
	var parts []*shard.Part
	for _, data := range [][]byte{head, tail} {
		cmd := exec.Command(jq, "-S", ".")
		cmd.Stdin = bytes.NewReader(data)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		p, err := shard.ParsePart(out)
		if err != nil {
			t.Fatalf("after jq -S .: %v", err)
		}
		parts = append(parts, p)
	}
	got, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	sameSummary(t, "jq", got.Summary, want.Summary)
}

// TestFloat32ThroughFloat64 checks that the float32s a part holds (min,
// max, histogram lo and scale) read back exactly in a reader that parses
// them as float64 and converts to float32 (numpy, pandas), and in
// ParsePart after jq 1.6's printing, for awkward values of min: the one
// float32 whose shortest float32 decimal rounds twice through float64
// (issue 11, case 8), a subnormal and the extremes. (Lo and scale are the
// job's, which ParsePart checks bit for bit.)
func TestFloat32ThroughFloat64(t *testing.T) {
	p := sim.Default()
	p.Lanes = 10
	r := run(t, cpu.Serial{}, &sim.Job{Params: p})
	for _, x := range []float32{math.Float32frombits(0x15ae43fd), math.SmallestNonzeroFloat32, -math.MaxFloat32 / 10, 1e-30, 0.1} {
		part := shard.NewPart(r)
		s := *r.Summary
		h := *s.Hist
		s.Hist = &h
		// A consistent summary (ParsePart checks): count-1 lanes at x,
		// one at the max, their mean, spread and histogram.
		s.Min, s.Max = x, max(x, r.Summary.Max)
		lo := h.Lo // the job's (ParsePart checks the layout)
		n, a, b := float64(s.Count), float64(s.Min), float64(s.Max)
		s.Mean = ((n-1)*a + b) / n
		s.M2 = (n-1)*(a-s.Mean)*(a-s.Mean) + (b-s.Mean)*(b-s.Mean)
		h.Bins = make([]uint64, len(h.Bins))
		h.Bins[h.Bin(s.Min)] += s.Count - 1
		h.Bins[h.Bin(s.Max)]++
		part.Summary = &s
		data, err := part.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Payload struct {
				Summary struct {
					Min  float64
					Hist struct{ Lo float64 }
				}
			}
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if sum := doc.Payload.Summary; math.Float32bits(float32(sum.Min)) != math.Float32bits(x) || math.Float32bits(float32(sum.Hist.Lo)) != math.Float32bits(lo) {
			t.Errorf("#%#x: through float64, min %#x lo %#x", math.Float32bits(x), math.Float32bits(float32(sum.Min)), math.Float32bits(float32(sum.Hist.Lo)))
		}
		got, err := shard.ParsePart(viaJQ16(t, data))
		if err != nil {
			t.Fatalf("%#x: %v", math.Float32bits(x), err)
		}
		if g := got.Summary; math.Float32bits(g.Min) != math.Float32bits(x) || math.Float32bits(g.Hist.Lo) != math.Float32bits(lo) {
			t.Errorf("#%#x: read back min %#x lo %#x", math.Float32bits(x), math.Float32bits(g.Min), math.Float32bits(g.Hist.Lo))
		}
	}
}

// TestMergeRefusesMathMixture: exact and fast parts of one job have
// different digests, so a merge of them matches neither run.
func TestMergeRefusesMathMixture(t *testing.T) {
	p := smallJob(1000)
	dir := t.TempDir()
	var parts []*shard.Part
	for i, mode := range []string{sim.MathExact, sim.MathFast, sim.MathExact} {
		sh := shard.Shard{Index: uint64(i), Count: 3}
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p}, sh)
		if err != nil {
			t.Fatal(err)
		}
		r.Math = mode // as the OpenCL engine with --math fast would
		path := filepath.Join(dir, fmt.Sprintf("%s-%d.json", mode, i))
		if err := shard.NewPart(r).WriteFile(path); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, readParts(t, path)...)
	}
	if parts[1].Math != sim.MathFast {
		t.Fatalf("read back math %q, want %q", parts[1].Math, sim.MathFast)
	}
	_, err := shard.Merge(parts)
	a, b := strconv.Quote(parts[0].Path), strconv.Quote(parts[1].Path)
	want := a + " and " + b + " are parts of different jobs: --math is exact in " + a + " (serial) and fast in " + b + " (serial)"
	if err == nil || err.Error() != want {
		t.Errorf("merge of exact and fast parts: %v, want %q", err, want)
	}
	// Every shard given --math fast, auto running one on a CPU engine,
	// which computes exact math only: the error said only that the modes
	// differ.
	parts[0].Engine, parts[0].Requested = "simd", "auto"
	parts[1].Engine, parts[1].Requested = "opencl", "auto"
	_, err = shard.Merge(parts)
	want = a + " and " + b + " are parts of different jobs: --math is exact in " + a + " (simd, auto's choice) and fast in " + b + " (opencl, auto's choice); if every shard was given --math fast, auto ran " + a +
		" on simd, which computes exact math only (--math fast applies to the device engine alone): run every shard with --engine opencl for fast math, or every shard with --math exact"
	if err == nil || err.Error() != want {
		t.Errorf("merge of exact and fast parts auto chose: %v, want %q", err, want)
	}
	// A part of no lanes holds no values: its mode does not matter.
	parts[0].Math, parts[2].Math = sim.MathFast, sim.MathFast
	q := smallJob(2)
	var tiny []*shard.Part
	for i := range uint64(3) {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: q}, shard.Shard{Index: i, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.Count > 0 {
			r.Math = sim.MathFast
		}
		tiny = append(tiny, shard.NewPart(r))
	}
	if r, err := shard.Merge(tiny); err != nil || r.Math != sim.MathFast {
		t.Errorf("fast parts and an empty exact part: %v, math %q", err, r.Math)
	}
	if r, err := shard.Merge(parts); err != nil || r.Math != sim.MathFast {
		t.Errorf("all fast: %v", err)
	}
}

// TestReadVersion1 reads parts that gpusim wrote in version 1 of the format
// (testdata, made by `gpusim run --lanes 1000 --steps 3 --seed 7 --daily
// --shard i/2 --save`): they merge to the single run's digest, and their
// math mode, which version 1 did not record, keeps them from mixing with
// version 2 parts.
func TestReadVersion1(t *testing.T) {
	parts := readParts(t, "testdata/v1-part-0.json", "testdata/v1-part-1.json")
	p := smallJob(1000)
	p.Steps, p.Seed = 3, 7
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	got, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Math != "" || parts[0].Math != "" {
		t.Errorf("math %q, want none", got.Math)
	}
	sameSummary(t, "version 1", got.Summary, want.Summary)
	if len(got.Daily) != p.Steps {
		t.Fatalf("%d daily summaries", len(got.Daily))
	}
	for n := range got.Daily {
		sameSummary(t, fmt.Sprintf("version 1, step %d", n+1), got.Daily[n], want.Daily[n])
	}
	r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p, Daily: true}, shard.Shard{Index: 1, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	v2 := filepath.Join(t.TempDir(), "v2.json")
	if err := shard.NewPart(r).WriteFile(v2); err != nil {
		t.Fatal(err)
	}
	_, err = shard.Merge(append(parts[:1:1], readParts(t, v2)...))
	if err == nil || !strings.Contains(err.Error(), "--math is unknown (a version 1 part) in \"testdata/v1-part-0.json\" (simd) and exact in "+strconv.Quote(v2)+" (serial)") {
		t.Errorf("version 1 and 2 parts: %v", err)
	}
	data, err := os.ReadFile("testdata/v1-part-0.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shard.ParsePart(bytes.Replace(data, []byte(`"seed": 7`), []byte(`"seed": 8`), 1)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("changed version 1 part: %v", err)
	}
}

// TestPartStrings keeps engine and device names intact whatever they hold:
// brackets and numbers like a histogram, quotes, escapes, newlines.
func TestPartStrings(t *testing.T) {
	r := run(t, cpu.Serial{}, &sim.Job{Params: smallJob(10)})
	for _, dev := range []string{"pthread [0, 1]", "cpu \\\"[1,\n2]\"", "[3]", "<&>", "\t[ 4 ]"} {
		part := shard.NewPart(r)
		part.Device = dev
		data, err := part.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := shard.ParsePart(data)
		if err != nil || got.Device != dev {
			t.Errorf("device %q: read back %v, %v", dev, got, err)
		}
	}
}

// TestReadVersion2 reads parts that gpusim wrote in version 2 of the
// format (testdata, made by `gpusim run --lanes 200003 --steps 3 --start
// 73.5 --anchor 73.5 --sigma 1e-6 --daily --engine serial --shard i/2
// --save`), which carry no shift: they merge to the single run's digest
// with their means, as before, also with a version 3 part of the job (the
// merge then uses the means too, and gives the same moments bit for bit),
// while version 3 parts merge on the deviations, to 1e-12 of the run's std.
func TestReadVersion2(t *testing.T) {
	v2 := readParts(t, "testdata/v2-part-0.json", "testdata/v2-part-1.json")
	p := narrowJob()
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	for _, part := range v2 {
		if _, _, ok := part.Summary.Shift(); ok || part.Math != sim.MathExact || part.Params != p || len(part.Daily) != p.Steps {
			t.Fatalf("%s: read back as %+v (shift %v)", part.Path, part, ok)
		}
	}
	old, err := shard.Merge(v2)
	if err != nil {
		t.Fatal(err)
	}
	// By the means: the digest, extremes and histogram exactly, the std
	// as version 2 merged it (1.2e-10 off).
	sameExact(t, "version 2", old.Summary, want.Summary)
	if e := relErr(old.Summary.Std(), want.Summary.Std()); e > 1e-9 {
		t.Errorf("version 2: std %v, want %v (relative error %.2g)", old.Summary.Std(), want.Summary.Std(), e)
	}
	// Version 3 parts of the same runs (the serial engine's, as the
	// version 2 parts are).
	var v3 []*shard.Part
	for i := range uint64(2) {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p, Daily: true}, shard.Shard{Index: i, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("v3-part-%d.json", i))
		if err := shard.NewPart(r).WriteFile(path); err != nil {
			t.Fatal(err)
		}
		v3 = append(v3, readParts(t, path)...)
	}
	for _, mix := range [][]*shard.Part{{v2[0], v3[1]}, {v3[0], v2[1]}, {v3[1], v2[0]}} {
		got, err := shard.Merge(mix)
		if err != nil {
			t.Fatal(err)
		}
		for n, s := range append([]*sim.Summary{got.Summary}, got.Daily...) {
			o := append([]*sim.Summary{old.Summary}, old.Daily...)[n]
			if s.Mean != o.Mean || s.M2 != o.M2 || s.Digest != o.Digest {
				t.Errorf("%s and %s, summary %d: mean %v m2 %v digest %x, the version 2 parts' %v %v %x", mix[0].Path, mix[1].Path, n, s.Mean, s.M2, s.Digest, o.Mean, o.M2, o.Digest)
			}
		}
	}
	got, err := shard.Merge(v3)
	if err != nil {
		t.Fatal(err)
	}
	sameSummary(t, "version 3", got.Summary, want.Summary)
	data, err := os.ReadFile("testdata/v2-part-1.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shard.ParsePart(bytes.Replace(data, []byte(`"sigma": 0.000001`), []byte(`"sigma": 0.000002`), 1)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("changed version 2 part: %v", err)
	}
}

// TestReadVersion3 reads parts that gpusim wrote in version 3 of the
// format (testdata, made by `gpusim run --lanes 1001 --steps 2 --seed 11
// --daily --shard i/2 --save` with --engine auto for shard 0, which ran
// simd, and --engine serial for shard 1), which do not record the engine
// asked for: they merge to the single run's result, alone and with a
// version 4 part of the job, and Requested says that the engine asked for
// is unknown rather than taking a name from the parts that have one.
func TestReadVersion3(t *testing.T) {
	v3 := readParts(t, "testdata/v3-part-0.json", "testdata/v3-part-1.json")
	p := smallJob(1001)
	p.Steps, p.Seed = 2, 11
	job := &sim.Job{Params: p, Daily: true}
	want := run(t, cpu.Serial{}, job)
	for i, part := range v3 {
		if _, _, ok := part.Summary.Shift(); !ok || part.Requested != "" || part.Engine != []string{"simd", "serial"}[i] || len(part.Daily) != p.Steps {
			t.Fatalf("%s: read back as %+v (shift %v)", part.Path, part, ok)
		}
	}
	var v4 []*shard.Part
	for i := range uint64(2) {
		r, err := shard.Run(context.Background(), cpu.Serial{}, job, shard.Shard{Index: i, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		part := shard.NewPart(r)
		part.Requested = "auto"
		path := filepath.Join(t.TempDir(), fmt.Sprintf("v4-part-%d.json", i))
		if err := part.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		v4 = append(v4, readParts(t, path)...)
	}
	for _, c := range []struct {
		name      string
		parts     []*shard.Part
		requested string
	}{
		{"version 3", v3, ""},
		{"version 3 and 4", []*shard.Part{v4[1], v3[0]}, ""},
		{"version 4 and 3", []*shard.Part{v4[0], v3[1]}, ""},
		{"version 4", []*shard.Part{v4[1], v4[0]}, "auto"},
	} {
		got, err := shard.Merge(c.parts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		sameSummary(t, c.name, got.Summary, want.Summary)
		for n := range want.Daily {
			sameSummary(t, fmt.Sprintf("%s, step %d", c.name, n+1), got.Daily[n], want.Daily[n])
		}
		if r := shard.Requested(c.parts); r != c.requested {
			t.Errorf("%s: requested engine %q, want %q", c.name, r, c.requested)
		}
	}
	data, err := os.ReadFile("testdata/v3-part-1.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shard.ParsePart(bytes.Replace(data, []byte(`"seed": "11"`), []byte(`"seed": "12"`), 1)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("changed version 3 part: %v", err)
	}
}

// TestRequested: the engines parts were asked for, distinct, in lane order
// whatever the order of the parts, as Merge names the engines that ran.
func TestRequested(t *testing.T) {
	p := smallJob(10)
	var parts []*shard.Part
	for i, req := range []string{"auto", "opencl", "auto", "serial"} {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p}, shard.Shard{Index: uint64(i), Count: 4})
		if err != nil {
			t.Fatal(err)
		}
		part := shard.NewPart(r)
		if part.Requested != "serial" {
			t.Errorf("NewPart: requested %q, want the engine that ran, serial", part.Requested)
		}
		part.Requested = req
		parts = append(parts, part)
	}
	for _, c := range []struct {
		order []int
		want  string
	}{
		{[]int{0, 1, 2, 3}, "auto+opencl+serial"},
		{[]int{3, 2, 1, 0}, "auto+opencl+serial"},
		{[]int{2, 0}, "auto"},
		{[]int{3, 1}, "opencl+serial"},
	} {
		var ps []*shard.Part
		for _, i := range c.order {
			ps = append(ps, parts[i])
		}
		if got := shard.Requested(ps); got != c.want {
			t.Errorf("parts %v: %q, want %q", c.order, got, c.want)
		}
	}
}

// TestRequestedEmptyShards: a shard with no lanes (more shards than lanes)
// ran on no engine, so the engine it was asked for is not one the job ran
// with either: a job of 3 lanes in 5 shards, the empty ones asked for
// opencl and the others for simd, merged as "simd (opencl+simd)", the
// engine line naming opencl, which ran nothing, as Merge's Engine did
// before it skipped empty parts. Where no part has lanes, every part's
// names are the job's.
func TestRequestedEmptyShards(t *testing.T) {
	p := smallJob(3)
	var parts []*shard.Part
	for i := range uint64(5) {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p}, shard.Shard{Index: i, Count: 5})
		if err != nil {
			t.Fatal(err)
		}
		part := shard.NewPart(r)
		part.Requested = "simd"
		if part.Count == 0 {
			part.Requested = "opencl"
		}
		parts = append(parts, part)
	}
	if got := shard.Requested(parts); got != "simd" {
		t.Errorf("3 lanes in 5 shards, the empty ones asked for opencl: requested %q, want simd", got)
	}
	r, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Engine != "serial" {
		t.Errorf("engine %q, want serial", r.Engine)
	}
	// Shards 0 and 2 of 5 hold no lane of 3.
	if got := shard.Requested([]*shard.Part{parts[0], parts[2]}); parts[0].Count != 0 || parts[2].Count != 0 || got != "opencl" {
		t.Errorf("no part with lanes (counts %d, %d): requested %q, want opencl", parts[0].Count, parts[2].Count, got)
	}
}

// TestLayoutOfOlderFormat: a part whose histogram layout is not the one
// this gpusim computes from its parameters says why. A part of versions 1 to
// 3 was written by a gpusim that computed the exact law with math.Pow, a
// float32 step off for a few jobs near |persistence| = 1, and the error says
// to run its shard again; a version 4 part's says it was changed after the
// run. Both are forged with a valid checksum, one float32 step off.
func TestLayoutOfOlderFormat(t *testing.T) {
	stepLo := func(pl map[string]any) {
		h := pl["summary"].(map[string]any)["hist"].(map[string]any)
		lo, err := h["lo"].(json.Number).Float64()
		if err != nil {
			t.Fatal(err)
		}
		h["lo"] = float64(math.Nextafter32(float32(lo), float32(math.Inf(1))))
	}
	v3, err := os.ReadFile("testdata/v3-part-0.json")
	if err != nil {
		t.Fatal(err)
	}
	p := smallJob(1001)
	p.Steps, p.Seed = 2, 11
	r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p}, shard.Shard{Index: 0, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	v4, err := shard.NewPart(r).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"version 3", forge(t, v3, stepLo), "the part is of a format before version 4, whose gpusim computed the exact law less exactly for this job"},
		{"version 4", forge(t, v4, stepLo), "the part's parameters or summaries were changed after the run"},
	} {
		if _, err := shard.ParsePart(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s, its histogram a float32 step off: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

// TestPlainCounts: plainCounts, binList's fast path, reads every array of
// decimal counts as json.Unmarshal into []uint64 does, and declines every
// other JSON value, which binList then reads the slow way: hand-picked
// edges and random arrays with random JSON whitespace.
func TestPlainCounts(t *testing.T) {
	cases := []string{
		`[]`, ` [ ] `, `[0]`, `[0,1,2]`, "[\n  1,\t2 ,\r3\n]", `[18446744073709551615]`,
		`[18446744073709551616]`, `[-1]`, `[1.0]`, `[1e3]`, `["5"]`, `[1,"9007199254740993"]`, `null`,
		`{}`, `[[1]]`, `[1,null]`, `0`, `"[1]"`, `[true]`, `[ 1 , 2 ] `,
	}
	r := rand.New(rand.NewPCG(1, 2))
	ws := []string{"", " ", "\n", "\t", "\r\n  "}
	for range 500 {
		var b strings.Builder
		b.WriteString(ws[r.IntN(len(ws))] + "[")
		for i := range r.IntN(8) {
			if i > 0 {
				b.WriteString(ws[r.IntN(len(ws))] + ",")
			}
			b.WriteString(ws[r.IntN(len(ws))] + strconv.FormatUint(r.Uint64()>>r.IntN(64), 10) + ws[r.IntN(len(ws))])
		}
		b.WriteString("]" + ws[r.IntN(len(ws))])
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		if !json.Valid([]byte(c)) {
			t.Fatalf("case %q is not JSON", c)
		}
		got, ok := shard.PlainCounts([]byte(c))
		var want []uint64
		err := json.Unmarshal([]byte(c), &want)
		if ok && (err != nil || !slices.Equal(got, want) || got == nil) {
			t.Errorf("%q: plainCounts read %v, json.Unmarshal %v (%v)", c, got, want, err)
		}
		if !ok && err == nil && want != nil && !strings.Contains(c, "null") { // null reads as 0
			t.Errorf("%q: plainCounts declined what json.Unmarshal reads as %v", c, want)
		}
	}
}

// negZeroNumber is a number -0 in a JSON text, as encoding/json writes a
// float's negative zero.
var negZeroNumber = regexp.MustCompile(`[:\[,]\s*-0\s*[,\]}]`)

// TestPartNegativeZero: a part writes a negative zero -0.0, which Python's
// json reads as a float -0 (encoding/json's -0 read as the int 0, without
// the sign, in params.start, the summary's mean, min and max and a day's
// min); it reads back as -0, and its checksum sums the payload as Go
// encodes it, with -0, so that a gpusim that encodes the payload again to
// check it (an older one, or this one after a tool rewrote the numbers)
// reads it, and a part of an older gpusim that wrote -0 reads as before.
func TestPartNegativeZero(t *testing.T) {
	neg := math.Copysign(0, -1)
	p := smallJob(4)
	p.Start, p.Anchor, p.Sigma, p.Steps = neg, neg, 0, 0
	noSteps := run(t, cpu.Serial{}, &sim.Job{Params: p, First: 0, Count: 2})
	// Sigma 0 leaves each lane its noise's sign: the day's min is -0.
	p.Steps = 1
	oneStep := run(t, cpu.Serial{}, &sim.Job{Params: p, First: 0, Count: 4, Daily: true})
	for _, r := range []*sim.Result{noSteps, oneStep} {
		data, err := shard.NewPart(r).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if m := negZeroNumber.Find(data); m != nil {
			t.Errorf("a number -0 (%q) in\n%s", m, data)
		}
		got, err := shard.ParsePart(data)
		if err != nil {
			t.Fatal(err)
		}
		zeros := []float64{got.Params.Start, got.Params.Anchor, float64(got.Summary.Min)}
		if r == noSteps {
			// Not the mean: ParsePart takes it as shift + dev, +0 (the
			// merge makes it -0 again, widen).
			zeros = append(zeros, float64(got.Summary.Max))
		} else {
			zeros = append(zeros, float64(got.Daily[0].Min))
		}
		for i, x := range zeros {
			if x != 0 || !math.Signbit(x) {
				t.Errorf("#%d: read back as %v, want -0", i, x)
			}
		}
		var f struct {
			Payload  json.RawMessage
			Checksum string
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		if sum := shard.PayloadChecksum(f.Payload); sum != f.Checksum {
			t.Errorf("the payload encoded again sums to %s, the file says %s", sum, f.Checksum)
		}
		old := regexp.MustCompile(`-0\.0([,\n])`).ReplaceAll(data, []byte("-0$1"))
		if negZeroNumber.Find(old) == nil {
			t.Fatalf("no -0 in the part as an older gpusim wrote it:\n%s", old)
		}
		if back, err := shard.ParsePart(old); err != nil || back.Checksum != got.Checksum {
			t.Errorf("the part as an older gpusim wrote it (-0): %v, want checksum %v", err, got.Checksum)
		}
		partSignsInPython(t, data, r == noSteps)
	}
}

// partSignsInPython checks with python3's json, where there is one, that
// the zeros of TestPartNegativeZero's part read as floats -0.0: start,
// anchor and min, and the mean and max of a part without steps, or the
// first day's min.
func partSignsInPython(t *testing.T, data []byte, noSteps bool) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if testenv.CI() {
			t.Fatal("CI=true but no python3 was found")
		}
		t.Skip("no python3")
	}
	const script = `import json, math, sys
p = json.load(sys.stdin)["payload"]
s = p["summary"]
zeros = {"start": p["params"]["start"], "anchor": p["params"]["anchor"], "min": s["min"]}
if sys.argv[1] == "true":
    zeros.update(mean=s["mean"], max=s["max"])
else:
    zeros["day 1 min"] = p["daily"][0]["min"]
for k, v in zeros.items():
    assert isinstance(v, float) and v == 0 and math.copysign(1, v) < 0, (k, v)
print("ok")
`
	cmd := exec.Command(py, "-c", script, strconv.FormatBool(noSteps))
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "ok\n" {
		t.Errorf("python3: %v\n%s", err, out)
	}
}
