package bench

import (
	"bytes"
	"testing"
)

// TestReportClone: a report's clone, which a Snapshot renders, writes
// byte for byte as the report in every format, and shares no slice with
// it: its JSON holds every field the formats write.
func TestReportClone(t *testing.T) {
	r := sampleReport()
	r.Interrupted = &Interruption{Signal: "interrupted", After: 1.5, NotRun: []string{"python baseline: 7 of 7 versions"}}
	r.Load = []Load{{Table: "engines", OtherCPUs: 1.2, CPUs: 2, Wall: 3, Busy: true, Peak: &Peak{Engine: "parallel/2", Workload: Workload{1000, 10}, OtherCPUs: 1.5, Wall: 1, Overhead: true}}}
	c, err := r.clone()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		var a, b bytes.Buffer
		if err := r.Write(&a, f); err != nil {
			t.Fatal(err)
		}
		if err := c.Write(&b, f); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: the clone writes\n%s\nwant\n%s", f, b.String(), a.String())
		}
	}
	c.Workloads[0].Engines[0].Engine, c.Notes[0] = "changed", "changed"
	if r.Workloads[0].Engines[0].Engine == "changed" || r.Notes[0] == "changed" {
		t.Error("the clone shares its slices with the report")
	}
}
