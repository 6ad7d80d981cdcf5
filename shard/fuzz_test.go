package shard_test

import (
	"cmp"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// FuzzParse checks Parse on any spec and environment: it never panics, a
// shard it returns has Index < Count and prints as an i/N that parses back
// to it, and every error is a --shard *sim.ParamError listing the forms.
func FuzzParse(f *testing.F) {
	for _, c := range [][9]string{
		{"3/4"}, {"0/1"}, {"auto/8", "", "", "", "", "", "5"}, {"auto", "7", "3", "9", "2", "4"},
		{"auto", "4", "2", "6", "1", "3"}, {"auto", "", "", "", "", "", "", "1", "2"},
		{"18446744073709551614/18446744073709551615"}, {"-1/4"}, {"1/18446744073709551616"}, {"auto/0"}, {" 1/2"},
	} {
		f.Add(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
	}
	f.Fuzz(func(t *testing.T, spec, id, lo, hi, step, count, jobIndex, index, shards string) {
		env := map[string]string{
			"SLURM_ARRAY_TASK_ID": id, "SLURM_ARRAY_TASK_MIN": lo, "SLURM_ARRAY_TASK_MAX": hi,
			"SLURM_ARRAY_TASK_STEP": step, "SLURM_ARRAY_TASK_COUNT": count,
			"JOB_COMPLETION_INDEX": jobIndex, shard.EnvShardIndex: index, shard.EnvShardCount: shards,
		}
		sh, err := shard.Parse(spec, func(k string) string { return env[k] })
		if err != nil {
			var pe *sim.ParamError
			if !errors.As(err, &pe) || pe.Flag != "shard" || !strings.HasSuffix(pe.Msg, " (valid: i/N with 0 <= i < N <= 2^64-1, auto, or auto/N)") || strings.Contains(pe.Msg, ") (") {
				t.Fatalf("Parse(%q) = %v, want a --shard error ending with the valid forms, in one bracket", spec, err)
			}
			return
		}
		if sh.Index >= sh.Count {
			t.Fatalf("Parse(%q) = %v", spec, sh)
		}
		again, err := shard.Parse(sh.String(), nil)
		if err != nil || again != sh {
			t.Fatalf("Parse(%q) = %v, which parses back as %v, %v", spec, sh, again, err)
		}
	})
}

// FuzzParsePart checks ParsePart on any bytes: it never panics, and a part
// it accepts is consistent and, written again, reads back the same.
func FuzzParsePart(f *testing.F) {
	for _, name := range []string{"testdata/v1-part-0.json", "testdata/v1-part-1.json", "testdata/v2-part-0.json", "testdata/v2-part-1.json", "testdata/v3-part-0.json", "testdata/v3-part-1.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	p := smallJob(7)
	p.Steps = 2
	r, err := cpu.Serial{}.Run(f.Context(), &sim.Job{Params: p, Daily: true, First: 2, Count: 4})
	if err != nil {
		f.Fatal(err)
	}
	for _, sh := range []*shard.Shard{nil, {Index: 1, Count: 3}} {
		part := shard.NewPart(r)
		part.Shard = sh
		data, err := part.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"format": "gpusim-part", "version": 2, "payload": {}, "checksum": "sha256:"}`))
	f.Add([]byte(`{"format": "gpusim-part", "version": 2, "payload": {"params": {"lanes": "1e3"}}}`))
	f.Add([]byte(`{"format": "gpusim-part", "version": 3, "payload": {"summary": {"shift": 1, "dev": 0}, "daily": []}}`))
	f.Add([]byte(`{"format": "gpusim-part", "version": 4, "payload": {"engine": "simd", "requested_engine": "auto"}}`))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := shard.ParsePart(data)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePart returned a part and %v", err)
			}
			return
		}
		if p.Params.ValidateRanges() != nil || p.First > p.Params.Lanes || p.Count > p.Params.Lanes-p.First || p.Summary.Count != p.Count {
			t.Fatalf("accepted an inconsistent part: %+v", p)
		}
		if p.Math == "" { // version 1, which had no math mode: Marshal writes version 4 only
			return
		}
		// Versions 2 and 3 record no requested engine, which version 4
		// does: written again, their payload (and checksum) gains it.
		old := p.Requested == ""
		if old {
			p.Requested = "fuzz"
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("accepted a part it cannot write: %v", err)
		}
		q, err := shard.ParsePart(out)
		if err != nil {
			t.Fatalf("a part written again does not read: %v\n%s", err, out)
		}
		if (!old && q.Checksum != p.Checksum) || q.Requested != p.Requested || q.Params != p.Params || q.First != p.First || q.Math != p.Math || q.Summary.Digest != p.Summary.Digest || len(q.Daily) != len(p.Daily) {
			t.Fatalf("written again, %+v reads back as %+v", p, q)
		}
	})
}

// FuzzMerge merges made-up parts of a job at any lane ranges: Merge never
// panics and succeeds exactly when the ranges with lanes tile the job's
// lanes once, with the count and digest of the parts added up.
func FuzzMerge(f *testing.F) {
	f.Add(uint16(10), []byte{0, 5, 5, 5})
	f.Add(uint16(10), []byte{0, 5, 6, 4})
	f.Add(uint16(10), []byte{0, 6, 5, 5})
	f.Add(uint16(3), []byte{0, 0, 0, 3, 3, 0})
	f.Add(uint16(1), []byte{})
	f.Fuzz(func(t *testing.T, lanes uint16, ranges []byte) {
		if lanes == 0 || len(ranges) > 64 {
			return
		}
		p := smallJob(uint64(lanes))
		var parts []*shard.Part
		type span struct{ first, count uint64 }
		var spans []span
		var digest uint64
		for i := 0; i+1 < len(ranges); i += 2 {
			first := uint64(ranges[i]) % (uint64(lanes) + 1)
			count := uint64(ranges[i+1]) % (uint64(lanes) - first + 1)
			s := sim.NewSummary(p)
			if count > 0 {
				s.Count, s.Mean, s.Min, s.Max = count, 72, 72, 72
				s.Digest = first*0x9e3779b97f4a7c15 + count
				s.Hist.Bins[s.Hist.Bin(72)] = count
				spans = append(spans, span{first, count})
				digest += s.Digest
			}
			parts = append(parts, &shard.Part{Params: p, First: first, Count: count, Math: sim.MathExact, Summary: s})
		}
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.first, b.first) })
		next, tiles := uint64(0), true
		for _, s := range spans {
			tiles = tiles && s.first == next
			next = s.first + s.count
		}
		tiles = tiles && next == uint64(lanes)
		r, err := shard.Merge(parts)
		switch {
		case tiles && err != nil:
			t.Fatalf("ranges %v tile %d lanes, but: %v", spans, lanes, err)
		case !tiles && err == nil:
			t.Fatalf("ranges %v do not tile %d lanes, but merged", spans, lanes)
		case err == nil && (r.Summary.Count != uint64(lanes) || r.Summary.Digest != digest || r.Summary.Mean != 72 || math.IsNaN(r.Summary.Std())):
			t.Fatalf("merged %+v", r.Summary)
		}
	})
}
