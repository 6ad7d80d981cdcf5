package shard_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/shard"
)

// TestCoverageErrorOneLane: a job of one lane is "1 lane" ("the job's 1
// lanes" was written).
func TestCoverageErrorOneLane(t *testing.T) {
	for _, c := range []struct {
		lanes uint64
		want  string
	}{{1, "the job's 1 lane exactly once"}, {2, "the job's 2 lanes exactly once"}} {
		err := &shard.CoverageError{Lanes: c.lanes, Problems: []string{"lanes [0, 1) are missing"}}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d lanes: %q, want %q", c.lanes, err, c.want)
		}
	}
}

// TestCoverageNamesMissingShards: a merge that misses lanes names the
// shards that hold them and how to run them again, every one of them where
// the lanes it lists stop at eight ("and 2 more" hid shards 17 and 19 of
// 20: a user re-running an array's failed tasks could not tell which), and
// no empty shard (more shards than lanes), whose part is not needed. It
// names none where the parts do not say their shards (a whole run saved)
// or the gap is not whole shards of theirs (parts of two splits).
func TestCoverageNamesMissingShards(t *testing.T) {
	p := smallJob(1000)
	twenty := readParts(t, writeShards(t, t.TempDir(), p, 20, false)...)
	var even []*shard.Part
	for i, part := range twenty {
		if i%2 == 0 {
			even = append(even, part)
		}
	}
	tiny := smallJob(3)
	seven := readParts(t, writeShards(t, t.TempDir(), tiny, 7, false)...) // lanes in 2, 4 and 6
	three := readParts(t, writeShards(t, t.TempDir(), p, 3, false)...)
	unnamed := *twenty[0]
	unnamed.Shard = nil
	for _, c := range []struct {
		name  string
		parts []*shard.Part
		want  string // "" where no shard is named
	}{
		{"odd shards", even, "; and 2 more (shards 1, 3, 5, 7, 9, 11, 13, 15, 17 and 19 of 20: run them again with --shard i/20 and the job's other flags, or give their parts)"},
		{"one", append(slices.Clone(twenty[:5]), twenty[6:]...), "lanes [250, 300) are missing (shard 5 of 20: run it again with --shard 5/20 and the job's other flags, or give its part)"},
		{"a run", twenty[:15], "lanes [750, 1000) are missing (shards 15 to 19 of 20: run them again with --shard i/20"},
		{"two", append(slices.Clone(twenty[:5]), twenty[7:]...), "(shards 5 and 6 of 20: "},
		{"empty shards", []*shard.Part{seven[0], seven[1], seven[4], seven[5]}, "lanes [0, 1) are missing; lanes [2, 3) are missing (shards 2 and 6 of 7: "},
		{"no shard", []*shard.Part{&unnamed, twenty[2]}, ""},
		{"two splits", []*shard.Part{twenty[0], three[1]}, ""},
	} {
		_, err := shard.Merge(c.parts)
		var ce *shard.CoverageError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v, want a CoverageError", c.name, err)
			continue
		}
		if c.want == "" {
			if strings.Contains(err.Error(), "shard") {
				t.Errorf("%s: %q names a shard", c.name, err)
			}
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %q\nwant %q in it", c.name, err, c.want)
		}
	}
}

// TestMergeManyBadParts: a merge of many damaged or refused parts lists
// the first eight and how many more, as a CoverageError lists its problems
// (thousands of damaged parts gave an error of thousands of lines), and
// still names every shard left without a part that can be merged, in runs,
// with how to run them again: the damaged ones' and any not given. One
// damaged part names its shard too.
func TestMergeManyBadParts(t *testing.T) {
	const shards, keep = 300, 7 // parts 0..6 and 299 intact
	dir := t.TempDir()
	files := writeShards(t, dir, smallJob(600), shards, false)
	var given []string
	for i, f := range files {
		switch {
		case i < keep || i == shards-1:
		case i == 150:
			continue // not given: missing too
		default:
			if err := os.Truncate(f, 100); err != nil {
				t.Fatal(err)
			}
		}
		given = append(given, f)
	}
	_, _, err := shard.MergeFiles(context.Background(), given, shard.Names{Engines: []string{"serial", "parallel"}, Requested: []string{"serial", "parallel"}})
	if err == nil {
		t.Fatal("damaged parts merged")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		fmt.Sprintf("%d of %d part files cannot be merged:", shards-keep-2, shards-1),
		"  and 283 more",
		"  no part can be merged for shards 7 to 298 of 300: run them again with --shard i/300 and the job's other flags, or give their parts",
	}
	if len(lines) != 11 || lines[0] != want[0] || lines[9] != want[1] || lines[10] != want[2] || !strings.HasPrefix(lines[1], `  "`+files[keep]+`": truncated`) {
		t.Errorf("got %d lines:\n%s\nwant 11: %q, eight parts from %s's, %q and %q", len(lines), err, want[0], files[keep], want[1], want[2])
	}
	// One damaged part: its error and its shard.
	if err := os.Truncate(files[3], 100); err != nil {
		t.Fatal(err)
	}
	_, _, err = shard.MergeFiles(context.Background(), files[:keep], shard.Names{Engines: []string{"serial", "parallel"}, Requested: []string{"serial", "parallel"}})
	if want := "\n  no part can be merged for shards 3 and 7 to 299 of 300: run them again"; err == nil || !strings.HasPrefix(err.Error(), `"`+files[3]+`": truncated`) || !strings.Contains(err.Error(), want) {
		t.Errorf("one damaged part: %v\nwant its error and %q", err, want)
	}
}
