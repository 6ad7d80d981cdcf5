package daily

import (
	"bytes"
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/sim"
)

// Statistical check of every day against the exact Normal law. Sample:
// 400,000 lanes, so a mean off by 1% of an sd is a z of 6.3 and an sd off by
// 1% is a z of 8.9; tolerance |z| < 4.5 on each of the 12 days. A quantile
// at level q has standard error sqrt(q(1-q)/n)/phi(z_q) sds (3.4e-3 sd at
// p05); allowed 5 of them plus half a histogram bin (16/512 sd wide).
const (
	statSeed  = 20260322
	statLanes = 400_000
	statSteps = 12
	zTol      = 4.5
)

func TestTableAgainstExact(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps, p.Seed = statLanes, statSteps, statSeed
	res, err := cpu.Parallel{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	days := Table(p, res.Daily)
	if len(days) != statSteps {
		t.Fatalf("%d days, want %d", len(days), statSteps)
	}
	binSDs := 2 * sim.HistSpan / float64(sim.DailyBins)
	for i, d := range days {
		mean, sd := p.Exact(i + 1)
		if d.Step != i+1 || d.Count != statLanes || d.ExactMean != mean || d.ExactStd != sd {
			t.Fatalf("day %d: %+v", i+1, d)
		}
		if z := d.ZMean(); !(math.Abs(z) < zTol) {
			t.Errorf("day %d: mean %.4f, exact %.4f (z %.2f)", d.Step, d.Mean, mean, z)
		}
		if z := d.ZStd(); !(math.Abs(z) < zTol) {
			t.Errorf("day %d: sd %.4f, exact %.4f (z %.2f)", d.Step, d.Std, sd, z)
		}
		norm := distuv.Normal{Mu: mean, Sigma: sd}
		for j, q := range Levels {
			zq := distuv.UnitNormal.Quantile(q)
			se := math.Sqrt(q*(1-q)/statLanes) / distuv.UnitNormal.Prob(zq)
			if diff := math.Abs(d.Quantiles[j]-norm.Quantile(q)) / sd; diff > 5*se+binSDs/2 {
				t.Errorf("day %d %s: %.4f, exact %.4f (%.4f sd off)", d.Step, LevelName(q), d.Quantiles[j], norm.Quantile(q), diff)
			}
		}
		if !slices.IsSorted(d.Quantiles) {
			t.Errorf("day %d: quantiles out of order: %v", d.Step, d.Quantiles)
		}
	}
}

// TestTableClamps: a single lane's quantiles are its value, not the edges of
// the histogram bin it falls in.
func TestTableClamps(t *testing.T) {
	p := sim.Default()
	p.Lanes, p.Steps = 1, 3
	res, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	path := make([]float32, 3)
	m := p.Model()
	m.Path(0, path)
	for i, d := range Table(p, res.Daily) {
		for j, x := range d.Quantiles {
			if x != float64(path[i]) {
				t.Errorf("day %d %s: %v, want the lane's %v", i+1, LevelName(Levels[j]), x, path[i])
			}
		}
		// One lane has no spread: no z-score of it (it read -sqrt(2)
		// whatever the lane did).
		if !math.IsNaN(d.ZStd()) {
			t.Errorf("day %d: z of sd %v from one lane", i+1, d.ZStd())
		}
	}
}

func TestWriteCSV(t *testing.T) {
	days := []Day{
		{Step: 1, Count: 10, Mean: 73.5, Std: 5, ExactMean: 73.5, ExactStd: 5, Quantiles: []float64{65.25, 70, 73.5, 77, 81.75}},
		{Step: 2, Count: 10, Mean: 0.1, Std: math.NaN(), ExactMean: 1e-20, ExactStd: 0, Quantiles: []float64{1, 2, 3, 4, 5}},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, days); err != nil {
		t.Fatal(err)
	}
	want := "step,count,mean,std,exact_mean,exact_std,p05,p25,p50,p75,p95\n" +
		"1,10,73.5,5,73.5,5,65.25,70,73.5,77,81.75\n" +
		"2,10,0.1,NaN,1e-20,0,1,2,3,4,5\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	WriteCSV(&b, nil)
	if b.String() != strings.Join(Header(), ",")+"\n" {
		t.Errorf("no days: %q", b.String())
	}
}

func TestSample(t *testing.T) {
	for _, c := range []struct {
		days, rows, k int
		first         []int
	}{
		{0, 25, 1, nil},
		{10, 25, 1, []int{0, 1, 2}},
		{25, 25, 1, []int{0, 1, 2}},
		{26, 25, 2, []int{0, 1, 3}},
		{100, 25, 5, []int{0, 4, 9}},
		{101, 25, 5, []int{0, 4, 9}},
		{10000, 25, 435, []int{0, 434, 869}},
	} {
		idx, k := Sample(c.days, c.rows)
		if k != c.k || !slices.Equal(idx[:min(3, len(idx))], c.first) {
			t.Errorf("Sample(%d, %d) = %v, %d; want stride %d starting %v, at most %d rows", c.days, c.rows, idx, k, c.k, c.first, c.rows)
		}
		if c.days > 0 && idx[len(idx)-1] != c.days-1 {
			t.Errorf("Sample(%d, %d) leaves out the last day: %v", c.days, c.rows, idx)
		}
		if len(idx) > c.rows {
			t.Errorf("Sample(%d, %d): %d rows", c.days, c.rows, len(idx))
		}
	}
}
