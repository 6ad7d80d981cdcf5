package shard_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// TestMergeFilesHoldsOnePart: a merge holds the histograms of one part at a
// time, not every part's, so that thousands of parts, or a few hundred of
// many --daily steps, merge in the memory of one: 20,000 parts of a
// 20,000-lane job took 1.4 GB (72 kB a part, mostly its 4098 bins), and 16
// parts of 3,000 --daily steps 563 MB (35 MB a part, 3,000 histograms).
// What the merge keeps past the read (its result and the parts, whose
// moments the lane-ordered merge needs) is measured after a collection,
// and bounded by four parts' histograms and 256 bytes for each of the
// parts' summaries (184 measured), where it was every part's histograms
// (19 MB of these 100 parts, 10 times the bound). The
// result is the single run's, as Merge's (TestMergeResultDaily).
func TestMergeFilesHoldsOnePart(t *testing.T) {
	p := smallJob(150)
	p.Steps = 40
	const n = 100
	files := writeShards(t, t.TempDir(), p, n, true)
	want := run(t, cpu.Serial{}, &sim.Job{Params: p, Daily: true})
	names := shard.Names{Engines: []string{"serial", "parallel"}, Requested: []string{"serial", "parallel"}}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	parts, got, err := shard.MergeFiles(files, names)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	one := 8 * len(got.Summary.Hist.Bins)
	for _, d := range got.Daily {
		one += 8 * len(d.Hist.Bins)
	}
	moments := int64(256 * n * (p.Steps + 1))
	if bound := 4*int64(one) + moments; kept > bound {
		t.Errorf("the merge of %d parts keeps %d kB, over four parts' histograms (%d kB a part) and %d kB of their moments", n, kept>>10, one>>10, moments>>10)
	}
	if len(parts) != n {
		t.Errorf("%d parts, want %d", len(parts), n)
	}
	sameSummary(t, "final", got.Summary, want.Summary)
	if len(got.Daily) != p.Steps {
		t.Fatalf("%d daily summaries, want %d", len(got.Daily), p.Steps)
	}
	for s := range got.Daily {
		sameSummary(t, fmt.Sprintf("step %d", s+1), got.Daily[s], want.Daily[s])
	}
	runtime.KeepAlive(parts)
	runtime.KeepAlive(got)
}
