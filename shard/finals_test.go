package shard_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// finalsShards runs n shards of p keeping their finals, as gpusim run does
// for a job of at most sim.ExactQuantileLanes lanes, saves each, and
// returns the files.
func finalsShards(t *testing.T, p sim.Params, n uint64) []string {
	t.Helper()
	var paths []string
	dir := t.TempDir()
	for i := range n {
		r, err := shard.Run(context.Background(), cpu.Serial{}, &sim.Job{Params: p, KeepFinals: true}, shard.Shard{Index: i, Count: n})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("part-%d.json", i))
		if err := shard.WritePart(path, r); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// TestMergeFinalsExactQuantiles: a merge of the parts of a job of at most
// sim.ExactQuantileLanes lanes reports its lanes' exact quantiles, bit for
// bit the single run's. Before, parts saved no finals, and the merge
// interpolated them in the histogram (p25 of 10 lanes 72.5137 against the
// single run's exact 73.2344).
func TestMergeFinalsExactQuantiles(t *testing.T) {
	for _, lanes := range []uint64{1, 10, 1000, sim.ExactQuantileLanes} {
		p := smallJob(lanes)
		single := run(t, cpu.Serial{}, &sim.Job{Params: p, KeepFinals: true})
		want, exact := single.Quantiles()
		if !exact {
			t.Fatalf("%d lanes: the single run's quantiles are not exact", lanes)
		}
		for _, n := range []uint64{1, 3, 7} {
			res, err := shard.Merge(readParts(t, finalsShards(t, p, n)...))
			if err != nil {
				t.Fatal(err)
			}
			got, exact := res.Quantiles()
			if !exact || !slices.Equal(got, want) {
				t.Errorf("%d lanes in %d parts: quantiles %v (exact %v), want the single run's %v", lanes, n, got, exact, want)
			}
		}
	}
}

// TestPartFinals: a part of a job of at most sim.ExactQuantileLanes lanes
// saves its finals as version 6, bit for bit (-0, infinities, NaNs); a
// larger job's part saves none and stays version 4; and ParsePart refuses
// finals that do not belong to the part.
func TestPartFinals(t *testing.T) {
	p := smallJob(8)
	r := run(t, cpu.Serial{}, &sim.Job{Params: p, KeepFinals: true, First: 2, Count: 4})
	odd := []float32{float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN()), 1e-45}
	r.Finals = odd
	r.Summary.Digest = 0
	for i, x := range odd {
		r.Summary.Digest += sim.DigestTerm(2+uint64(i), math.Float32bits(x))
	}
	data, err := shard.NewPart(r).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"version": 6`)) {
		t.Fatalf("want version 6:\n%.200s", data)
	}
	got, err := shard.ParsePart(data)
	if err != nil {
		t.Fatal(err)
	}
	for i := range odd {
		if math.Float32bits(got.Finals[i]) != math.Float32bits(odd[i]) {
			t.Errorf("final %d read back %v, want %v", i, got.Finals[i], odd[i])
		}
	}
	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"version 5", "finals came with version 6", bytes.Replace(data, []byte(`"version": 6`), []byte(`"version": 5`), 1)},
		{"changed", "not the summary's", forge(t, data, func(pl map[string]any) { pl["finals"] = "AAAAAAAAgH8AAMB/AQAAAA==" })},
		{"short", "12 bytes, where the part's 4 lanes take 4 each", forge(t, data, func(pl map[string]any) { pl["finals"] = "AAAAAAAAgH8AAMB/" })},
		{"not base64", "not base64", forge(t, data, func(pl map[string]any) { pl["finals"] = "!!!!" })},
		// Taken out, the part merged with interpolated quantiles, as one
		// of an earlier gpusim.
		{"taken out", "malformed part: no finals, which a version 6 part of lanes of a job of at most 4096 lanes saves", forge(t, data, func(pl map[string]any) { delete(pl, "finals") })},
		{"null", "malformed part: no finals", forge(t, data, func(pl map[string]any) { pl["finals"] = nil })},
	} {
		if _, err := shard.ParsePart(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: ParsePart = %v, want %q", c.name, err, c.want)
		}
	}

	big := smallJob(sim.ExactQuantileLanes + 1)
	rb := run(t, cpu.Serial{}, &sim.Job{Params: big, KeepFinals: true, Count: 10})
	part := shard.NewPart(rb)
	if part.Finals != nil {
		t.Errorf("a part of a job of %d lanes keeps %d finals", big.Lanes, len(part.Finals))
	}
	bdata, err := part.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bdata, []byte(`"version": 4`)) || bytes.Contains(bdata, []byte(`"finals"`)) {
		t.Errorf("a large job's part: want version 4 without finals:\n%.200s", bdata)
	}
	part.Finals = rb.Finals
	if _, err := part.Marshal(); err == nil {
		t.Error("Marshal saved the finals of a part of a large job")
	}
	forged := forge(t, bdata, func(pl map[string]any) {
		pl["finals"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	})
	forged = bytes.Replace(forged, []byte(`"version":4`), []byte(`"version":6`), 1)
	if _, err := shard.ParsePart(forged); err == nil || !strings.Contains(err.Error(), "only a job of at most 4096 lanes saves them") {
		t.Errorf("finals in a large job's part: ParsePart = %v", err)
	}
}

// TestMergeOldPartsInterpolate: where a part has no finals (a version 5
// part of an earlier gpusim), the merge interpolates the quantiles in the
// histogram, as that gpusim's single run did, and still merges.
func TestMergeOldPartsInterpolate(t *testing.T) {
	p := smallJob(10)
	paths := finalsShards(t, p, 2)
	parts := readParts(t, paths...)
	parts[1].Finals = nil
	res, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if _, exact := res.Quantiles(); exact {
		t.Error("quantiles exact with a part without finals")
	}
	if data, _ := os.ReadFile(paths[0]); !bytes.Contains(data, []byte(`"finals"`)) {
		t.Error("no finals in a part of 10 lanes")
	}
}
