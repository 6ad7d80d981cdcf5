package runfiles

import (
	"context"
	"path/filepath"
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

// TestDailyDiskTight: --daily-out's CSV is checked against its file
// system's free space before the run, as --out's and --paths-out's are:
// it was not, and a run of 1e5 lanes x 7000 steps onto a disk with 946 kB
// free ran for 4.6 s and failed at the write. Room for the file to the byte
// runs; 5% short is refused.
func TestDailyDiskTight(t *testing.T) {
	dir := t.TempDir()
	base := sim.Default()
	base.Lanes, base.Steps = 2000, 300
	for _, c := range []struct {
		name string
		edit func(*sim.Params)
	}{
		{"default", func(*sim.Params) {}},
		{"one value (sigma 0)", func(p *sim.Params) { p.Sigma = 0 }},
		{"negative, four digits", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }},
		{"exponents", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 0, 0, 1e-20 }},
		{"a random walk", func(p *sim.Params) { p.Persistence = 1 }},
		{"one step", func(p *sim.Params) { p.Steps = 1 }},
	} {
		p := base
		c.edit(&p)
		checkRoom(t, c.name, Result{DailyOut: filepath.Join(dir, "d.csv")}, p, dailyCSVSize(t, p))
	}
}
