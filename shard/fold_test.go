package shard_test

import (
	"context"
	"errors"
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
	parts, got, err := shard.MergeFiles(context.Background(), files, names)
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

// stopAfter is a context that is done from its n+1st Err call on, with
// cause errStopped: a stop that comes at the nth check of a merge.
type stopAfter struct {
	context.Context
	n, calls int
}

var errStopped = errors.New("stopped")

func (c *stopAfter) Err() error {
	if c.calls++; c.calls > c.n {
		return context.Canceled
	}
	return nil
}

func (c *stopAfter) Done() <-chan struct{} { return nil }

func (c *stopAfter) Value(key any) any { return c.Context.Value(key) }

// TestMergeFilesStops: a stop at any check of a merge (before each file
// is read, before the final values' and each step's summaries are merged)
// ends it there with the context's error and no result; MergeFiles read
// and merged every part whatever its caller's stop. With no stop, the
// merge checks once a file and once a summary, and gives its result.
func TestMergeFilesStops(t *testing.T) {
	p := smallJob(60)
	p.Steps = 5
	const n = 6
	files := writeShards(t, t.TempDir(), p, n, true)
	names := shard.Names{Engines: []string{"serial", "parallel"}, Requested: []string{"serial", "parallel"}}
	checks := n + 1 + p.Steps
	for k := range checks {
		ctx := &stopAfter{Context: context.Background(), n: k}
		parts, res, err := shard.MergeFiles(ctx, files, names)
		if !errors.Is(err, context.Canceled) || parts != nil || res != nil {
			t.Errorf("stop at check %d of %d: %d parts, result %v, error %v; want none, and context.Canceled", k+1, checks, len(parts), res != nil, err)
		}
	}
	ctx := &stopAfter{Context: context.Background(), n: checks}
	if _, _, err := shard.MergeFiles(ctx, files, names); err != nil || ctx.calls != checks {
		t.Errorf("no stop: %v after %d checks, want none after %d", err, ctx.calls, checks)
	}
	cctx, cancel := context.WithCancelCause(context.Background())
	cancel(errStopped)
	if _, _, err := shard.MergeFiles(cctx, files, names); err != errStopped {
		t.Errorf("a stop with a cause: %v, want the cause", err)
	}
}
