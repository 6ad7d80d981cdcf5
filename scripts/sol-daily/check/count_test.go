package check_test

import (
	"encoding/json"
	"os/exec"
	"testing"
)

// TestCountTotals: count.c, the yardstick of a histogram's counting cost,
// counts every bin once in each form (the scalar loop, and the private
// histograms a vector lane of the gather and scatter form, where the CPU
// has AVX-512): a timing of a loop that lost or doubled counts would
// measure something else.
func TestCountTotals(t *testing.T) {
	bin := build(t, "count.c", "-O2", "-march=native")
	out, err := exec.Command(bin, "3", "1").Output()
	if err != nil {
		t.Fatalf("count 3 1: %v", err)
	}
	var got struct {
		ScalarNs     float64  `json:"scalar_ns"`
		ScalarTotal  uint64   `json:"scalar_total"`
		ScatterNs    *float64 `json:"scatter_ns"`
		ScatterTotal *uint64  `json:"scatter_total"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("count 3 1: %v: %s", err, out)
	}
	const want = 3 << 16
	if got.ScalarTotal != want || got.ScalarNs <= 0 {
		t.Errorf("scalar: %d counts in %v ns an increment, want %d in more than 0: %s", got.ScalarTotal, got.ScalarNs, want, out)
	}
	if (got.ScatterTotal == nil) != (got.ScatterNs == nil) || got.ScatterTotal != nil && *got.ScatterTotal != want {
		t.Errorf("scatter: want %d counts or null for both: %s", want, out)
	}
	// A bad argument exits 2 before any counting: atoi took "3x" for 3
	// and wrapped 4294967299 to 3 batches (99999999999 to hours of them).
	for _, args := range [][]string{{"0"}, {"3x"}, {"3", "1x"}, {"4294967299", "1"}, {"65536", "1"}, {"3", "1001"}, {"3", "1", "1"}, {""}} {
		err := exec.Command(bin, args...).Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("count %q: %v, want exit 2", args, err)
		}
	}
}
