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
	if err := exec.Command(bin, "0").Run(); err == nil {
		t.Errorf("count 0: no error, want exit 2")
	}
}
