package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
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
