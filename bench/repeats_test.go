package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// noisyReport is bench --quick's report under load, its timings injected:
// parallel on 2 goroutines at 500k x 10 took 306 ms in the Engines table and
// 56.4 ms at 2 workers in the Scaling table, which said nothing of it; simd
// repeated within 10% there and in the sweep, serial 40% apart in the sweep.
func noisyReport() *Report {
	ms := func(x float64) Stats {
		return Stats{N: 3, Median: time.Duration(x * 1e6), Min: time.Duration(x * 0.9e6), Max: time.Duration(x * 1.1e6)}
	}
	w := Workload{Lanes: 500_000, Steps: 10}
	return &Report{
		Workloads: []WorkloadResult{{Workload: w, Engines: []Measurement{
			{Engine: "serial", Device: "1 goroutine", Workload: w, Wall: ms(143)},
			{Engine: "parallel", Device: "2 goroutines", Workload: w, Wall: ms(306)},
			{Engine: "simd", Device: "avx512 x16, 2 goroutines", Workload: w, Wall: ms(22.1)},
		}}},
		Scaling: []Scaling{
			{Engine: "parallel", Workload: w, Points: []ScalingPoint{
				{Workers: 1, Ran: 1, Device: "1 goroutine", Wall: ms(99.7)},
				{Workers: 2, Ran: 2, Device: "2 goroutines", Wall: ms(56.4)},
			}},
			{Engine: "simd", Workload: w, Points: []ScalingPoint{
				{Workers: 1, Ran: 1, Device: "avx512 x16, 1 goroutine", Wall: ms(10.5)},
				{Workers: 2, Ran: 2, Device: "avx512 x16, 2 goroutines", Wall: ms(20.5)},
			}},
		},
		Sweep: &Sweep{Steps: 10, Lanes: []uint64{1000, 500_000}, Series: []SweepSeries{
			{Engine: "serial", Points: []SweepPoint{{Lanes: 1000, Wall: ms(0.3)}, {Lanes: 500_000, Wall: ms(200)}}},
			{Engine: "simd", Points: []SweepPoint{{Lanes: 1000, Wall: ms(0.1)}, {Lanes: 500_000, Wall: ms(23)}}},
		}},
	}
}

// TestNoisyRepeats: where one configuration is measured twice and the
// medians lie more than 25% apart, the report says the machine was busy or
// noisy, in its notes (text, JSON) and in the JSON's noisy list; repeats
// within 25%, and configurations that differ (1 goroutine in the scaling
// table against 2 in the engines table), say nothing.
func TestNoisyRepeats(t *testing.T) {
	rep := noisyReport()
	noteNoisy(rep)
	if len(rep.Noisy) != 2 || len(rep.Notes) != 2 {
		t.Fatalf("noisy %+v, notes %q; want serial's sweep repeat and parallel's scaling repeat", rep.Noisy, rep.Notes)
	}
	want := []string{
		"the machine was busy or noisy: serial (1 goroutine) on 500k x 10 took 143 ms in the engines table and 200 ms in the sweep table, 1.40x apart and beyond their timed runs' spread, where one configuration should repeat within 25%; compare this report's timings with care",
		"the machine was busy or noisy: parallel (2 goroutines) on 500k x 10 took 306 ms in the engines table and 56.4 ms in the scaling table, 5.43x apart and beyond their timed runs' spread, where one configuration should repeat within 25%; compare this report's timings with care",
	}
	for i, w := range want {
		if rep.Notes[i] != w {
			t.Errorf("note %d:\n got %s\nwant %s", i, rep.Notes[i], w)
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "note: "+want[1]) {
		t.Errorf("text report without the note:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Noisy []Repeat `json:"noisy"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Noisy) != 2 || back.Noisy[1].Tables != [2]string{"engines", "scaling"} || back.Noisy[1].Medians[1] != 56_400_000 || len(back.Notes) != 2 {
		t.Errorf("JSON noisy %+v, notes %q", back.Noisy, back.Notes)
	}

	quiet := noisyReport()
	quiet.Workloads[0].Engines[1].Wall.Median = 60 * time.Millisecond
	quiet.Sweep.Series[0].Points[1].Wall.Median = 170 * time.Millisecond
	if got := noisyRepeats(quiet); len(got) != 0 {
		t.Errorf("repeats within 25%%: %+v", got)
	}
	// 1.4x apart, but one measurement's runs spread over the other's.
	wide := noisyReport()
	wide.Workloads[0].Engines[0].Wall.Max = 250 * time.Millisecond
	wide.Workloads[0].Engines[1].Wall.Min = 50 * time.Millisecond
	if got := noisyRepeats(wide); len(got) != 0 {
		t.Errorf("repeats within their spread: %+v", got)
	}
	// Below a millisecond: start-up, not load.
	tiny := noisyReport()
	for _, st := range []*Stats{&tiny.Workloads[0].Engines[1].Wall, &tiny.Scaling[0].Points[1].Wall} {
		st.Median, st.Min, st.Max = st.Median/1000, st.Min/1000, st.Max/1000
	}
	if got := noisyRepeats(tiny); len(got) != 1 || got[0].Engine != "serial" {
		t.Errorf("repeats under a millisecond: %+v, want serial's sweep repeat alone", got)
	}
}

// TestNoisyCSV: the CSV has a noisy section, as JSON's noisy: a row for
// each of a repeat's two measurements, its engine, device, lanes and steps,
// its median in median_s to the nanosecond (parsed back here exactly, 90
// days and 1 ns too, which a float64 of seconds loses) and its table and
// the ratio in the note. The CSV wrote the medians only inside the note
// row, rounded: "took 306 ms in the engines table".
func TestNoisyCSV(t *testing.T) {
	rep := noisyReport()
	noteNoisy(rep)
	long := 90*24*time.Hour + time.Nanosecond
	rep.Noisy = append(rep.Noisy, Repeat{Engine: "simd", Device: "avx512 x16, 2 goroutines", Workload: Workload{Lanes: 1 << 40, Steps: 1 << 20},
		Tables: [2]string{"engines", "sweep"}, Medians: [2]time.Duration{long, 306_123_457}})
	rep.Noisy[0].Medians[1] = 200_000_001 // serial in the sweep: 200 ms and 1 ns
	col, got := csvSection(t, rep, "noisy")
	if len(got) != 2*len(rep.Noisy) {
		t.Fatalf("CSV noisy rows %q, want 2 for each of %d repeats", got, len(rep.Noisy))
	}
	for i, p := range rep.Noisy {
		for j := range 2 {
			r := got[2*i+j]
			note := fmt.Sprintf("%s table, %.2fx apart from the %s table's median", p.Tables[j], p.Ratio(), p.Tables[1-j])
			if r[col["engine"]] != p.Engine || r[col["device"]] != p.Device || r[col["lanes"]] != strconv.FormatUint(p.Workload.Lanes, 10) ||
				r[col["steps"]] != strconv.Itoa(p.Workload.Steps) || r[col["workers"]] != "" || r[col["note"]] != note {
				t.Errorf("CSV noisy row %d: %q, want %s (%s) on %s, note %q", 2*i+j, r, p.Engine, p.Device, p.Workload, note)
			}
			if d, ok := parseExactSec(r[col["median_s"]]); !ok || d != p.Medians[j] {
				t.Errorf("CSV noisy row %d: median_s %q, want %d ns exactly", 2*i+j, r[col["median_s"]], p.Medians[j])
			}
		}
	}
}

// parseExactSec parses a decimal number of seconds to the nanosecond, as
// a reader that wants every digit would, with no float64 between.
func parseExactSec(s string) (time.Duration, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || len(frac) > 9 {
		return 0, false
	}
	f, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(w)*time.Second + time.Duration(f), true
}
