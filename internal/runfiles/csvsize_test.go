package runfiles

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/outfile"
	"github.com/gpusim/gpusim/sim"
)

// counter counts the bytes written to it.
type counter struct{ n uint64 }

func (c *counter) Write(p []byte) (int, error) { c.n += uint64(len(p)); return len(p), nil }

// csvSize is the size of the CSV a run of p writes: its finals (--out),
// or with paths > 0 the trajectories of its first paths lanes
// (--paths-out), written as the run writes them.
func csvSize(t *testing.T, p sim.Params, paths int) uint64 {
	t.Helper()
	m := p.Model()
	var c counter
	var err error
	if paths == 0 {
		finals := make([]float32, p.Lanes)
		for i := range finals {
			finals[i] = m.Final(uint64(i))
		}
		err = outfile.WriteCSV(&c, []string{"lane", "temperature"}, finals)
	} else {
		data := make([]float32, paths*p.Steps)
		header := []string{"lane"}
		for s := 1; s <= p.Steps; s++ {
			header = append(header, fmt.Sprintf("step%d", s))
		}
		for i := range paths {
			m.Path(uint64(i), data[i*p.Steps:(i+1)*p.Steps])
		}
		err = outfile.WriteCSV(io.Writer(&c), header, data, paths, p.Steps)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.n
}

// TestCSVDiskTight: a CSV output's file system is refused before the run
// when it has less free space than the file takes, by more than the
// estimate's few per cent, and never when it has room. The check counted a
// CSV at two bytes a value, a third of what a temperature such as 72.00734
// takes, so a disk with half the room the finals needed ran the whole job
// and failed at the write.
func TestCSVDiskTight(t *testing.T) {
	dir := t.TempDir()
	base := sim.Default()
	base.Lanes = 100_000
	for _, c := range []struct {
		name  string
		edit  func(*sim.Params)
		paths int
	}{
		{"default", func(*sim.Params) {}, 0},
		{"one value (sigma 0)", func(p *sim.Params) { p.Sigma = 0 }, 0},
		{"steps 0", func(p *sim.Params) { p.Steps = 0 }, 0},
		{"negative, four digits", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }, 0},
		{"narrow: a few float32s", func(p *sim.Params) { p.Sigma = 1e-5 }, 0},
		{"exponents", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 0, 0, 1e-20 }, 0},
		{"about zero", func(p *sim.Params) { p.Start, p.Anchor = 0, 0 }, 0},
		{"paths", func(p *sim.Params) { p.Steps = 100 }, 1000},
	} {
		p := base
		c.edit(&p)
		o := Result{Out: filepath.Join(dir, "f.csv")}
		if c.paths > 0 {
			o = Result{PathsOut: filepath.Join(dir, "p.csv"), Paths: uint64(c.paths)}
		}
		checkRoom(t, c.name, o, p, csvSize(t, p, c.paths))
	}
}

// checkRoom checks that o's outputs for a run of p, size bytes on disk,
// are let through checkDisk with size bytes free and refused with 5% less.
func checkRoom(t *testing.T, name string, o Result, p sim.Params, size uint64) {
	t.Helper()
	old := freeSpace
	defer func() { freeSpace = old }()
	var free uint64
	freeSpace = func(string) (uint64, uint64, bool) { return free, 1, true }
	free = size // room, to the byte
	if err := o.checkDisk(p); err != nil {
		t.Errorf("%s: %d bytes free for a file of %d: %v", name, free, size, err)
	}
	free = size - size/20 // 5% short
	var pe *sim.ParamError
	if err := o.checkDisk(p); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "of disk space") {
		t.Errorf("%s: %d bytes free for a file of %d: %v, want it refused", name, free, size, err)
	}
}
