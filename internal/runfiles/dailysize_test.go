package runfiles

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/internal/daily"
	"github.com/gpusim/gpusim/sim"
)

// dailyCSVSize is the size of the --daily-out CSV a run of p writes.
func dailyCSVSize(t *testing.T, p sim.Params) uint64 {
	t.Helper()
	r, err := cpu.Serial{}.Run(context.Background(), &sim.Job{Params: p, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	var c counter
	if err := daily.WriteCSV(&c, daily.Table(p, r.Daily)); err != nil {
		t.Fatal(err)
	}
	return c.n
}

// TestDailyDiskTight: --daily-out's CSV is refused before the run when
// its file system is short of its size by a byte, and let through with
// its need free: the need was an estimate 2% under the file, so a disk
// short by less ran the whole job and failed at the write.
func TestDailyDiskTight(t *testing.T) {
	dir := t.TempDir()
	base := sim.Default()
	base.Lanes, base.Steps = 2000, 300
	for _, c := range []struct {
		name string
		edit func(*sim.Params)
		over float64 // the most the need may be above the file
	}{
		{"default", func(*sim.Params) {}, 0.12}, // 30% with every statistic at 24 bytes
		{"one value (sigma 0)", func(p *sim.Params) { p.Sigma = 0 }, 0},
		{"negative, four digits", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }, 0},
		{"exponents", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 0, 0, 1e-20 }, 0},
		{"about zero, negative", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = -1e-3, -2e-3, 1e-4 }, 0},
		{"a random walk", func(p *sim.Params) { p.Persistence = 1 }, 0},
		{"one step", func(p *sim.Params) { p.Steps = 1 }, 0},
		{"one lane", func(p *sim.Params) { p.Lanes = 1 }, 0},
	} {
		p := base
		c.edit(&p)
		size := dailyCSVSize(t, p)
		if need := checkRoom(t, c.name, Result{DailyOut: filepath.Join(dir, "d.csv")}, p, size); c.over > 0 && float64(need) > float64(size)*(1+c.over) {
			t.Errorf("%s: need %d, %.1f%% above the file's %d; want at most %.0f%%", c.name, need, 100*(float64(need)/float64(size)-1), size, 100*c.over)
		}
	}
}

// TestDailyMaxValue: no float64 is written longer than dailyMaxValue, over
// the extremes and random bits, and the longest comes up.
func TestDailyMaxValue(t *testing.T) {
	xs := []float64{-math.MaxFloat64, -math.SmallestNonzeroFloat64, -0x1p-1022, math.Copysign(0, -1),
		math.NaN(), math.Inf(-1), -0.00012345678901234567, -2.2250738585072014e-308}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 18 {
		xs = append(xs, math.Float64frombits(r.Uint64()))
	}
	longest := 0
	for _, x := range xs {
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if len(s) > dailyMaxValue {
			t.Errorf("%#x is written %q, %d bytes, above dailyMaxValue %d", math.Float64bits(x), s, len(s), dailyMaxValue)
		}
		longest = max(longest, len(s))
	}
	if longest != dailyMaxValue {
		t.Errorf("the longest value written is %d bytes, want dailyMaxValue %d", longest, dailyMaxValue)
	}
}
