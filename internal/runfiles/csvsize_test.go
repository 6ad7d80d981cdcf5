package runfiles

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
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
		err = outfile.WriteCSV(&c, outfile.Names{"lane", "temperature"}, finals)
	} else {
		data := make([]float32, paths*p.Steps)
		header := outfile.Numbered{Index: "lane", Prefix: "step", Cols: p.Steps}
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
// when it has less free space than the file takes, by a single byte, over
// jobs of every kind of value (long, negative, with exponents, -0, a few
// float32s, one value) and both sides of csvExactWork: the check counted a
// CSV from a sample of its lanes, 2% under the file, so a disk short by less
// than that ran the whole job and failed at the write. Within csvExactWork
// a disk with room to the byte runs.
func TestCSVDiskTight(t *testing.T) {
	dir := t.TempDir()
	base := sim.Default()
	base.Lanes = 100_000
	for _, c := range []struct {
		name  string
		edit  func(*sim.Params)
		paths int
		over  float64 // the most the need may be above the file, where not exact
	}{
		{"default", func(*sim.Params) {}, 0, 0},
		{"one value (sigma 0)", func(p *sim.Params) { p.Sigma = 0 }, 0, 0},
		{"steps 0", func(p *sim.Params) { p.Steps = 0 }, 0, 0},
		{"-0", func(p *sim.Params) { p.Start, p.Steps = math.Copysign(0, -1), 0 }, 0, 0},
		{"negative, four digits", func(p *sim.Params) { p.Start, p.Anchor = -1000, -1000 }, 0, 0},
		{"narrow: a few float32s", func(p *sim.Params) { p.Sigma = 1e-5 }, 0, 0},
		{"exponents", func(p *sim.Params) { p.Start, p.Anchor, p.Sigma = 0, 0, 1e-20 }, 0, 0},
		{"about zero", func(p *sim.Params) { p.Start, p.Anchor = 0, 0 }, 0, 0},
		{"large: counted at the longest", func(p *sim.Params) { p.Lanes = 1_000_000 }, 0, 0.12}, // 40% with every value at 15 bytes
		{"large, exponents", func(p *sim.Params) { p.Lanes, p.Start, p.Anchor, p.Sigma = 1_000_000, 0, 0, 3e-30 }, 0, 0.1},
		{"paths", func(p *sim.Params) { p.Steps = 100 }, 1000, 0},
		{"paths, negative", func(p *sim.Params) { p.Steps, p.Start, p.Anchor, p.Sigma = 100, -0.001, -0.002, 1e-3 }, 1000, 0},
		{"large paths", func(p *sim.Params) { p.Steps = 1000 }, 2000, 0.31}, // 71% with every value at 15 bytes
		{"--math fast: counted at the longest", func(*sim.Params) {}, -1, 0},
	} {
		p := base
		c.edit(&p)
		o := Result{Out: filepath.Join(dir, "f.csv")}
		if c.paths > 0 {
			o = Result{PathsOut: filepath.Join(dir, "p.csv"), Paths: uint64(c.paths)}
		}
		if c.paths < 0 {
			// The device's values, which the reference does not
			// compute: the file is the reference's size here.
			o.Fast, c.paths = true, 0
		}
		size := csvSize(t, p, c.paths)
		if need := checkRoom(t, c.name, o, p, size); c.over > 0 && float64(need) > float64(size)*(1+c.over) {
			t.Errorf("%s: need %d, %.1f%% above the file's %d; want at most %.0f%%", c.name, need, 100*(float64(need)/float64(size)-1), size, 100*c.over)
		}
	}
}

// checkRoom checks that o's outputs for a run of p, size bytes on disk,
// are refused by checkDisk with a byte less free, and let through with
// their need free, which is at least size, and exactly size where it is
// exact.
func checkRoom(t *testing.T, name string, o Result, p sim.Params, size uint64) (need uint64) {
	t.Helper()
	old, oldBlock := freeSpace, blockOf
	defer func() { freeSpace, blockOf = old, oldBlock }()
	blockOf = func(string) uint64 { return 1 } // the file's bytes, not its blocks
	var free uint64
	freeSpace = func(string) (uint64, uint64, bool) { return free, 1, true }
	free = size - 1 // a byte short
	var pe *sim.ParamError
	if err := o.checkDisk(p); !errors.As(err, &pe) || !strings.Contains(pe.Msg, "of disk space") {
		t.Errorf("%s: %d bytes free for a file of %d: %v, want it refused", name, free, size, err)
	}
	need, exact := needOf(o, p)
	if o.Fast && exact {
		t.Errorf("%s: --math fast's CSV sized exactly from the reference's values", name)
	}
	if need < size || exact && need != size {
		t.Errorf("%s: need %d (exact %v) for a file of %d", name, need, exact, size)
	}
	free = need
	if err := o.checkDisk(p); err != nil {
		t.Errorf("%s: %d bytes free (the need) for a file of %d: %v", name, free, size, err)
	}
	t.Logf("%s: %d bytes, need %d (exact %v, %.1f%% over)", name, size, need, exact, 100*(float64(need)/float64(size)-1))
	return need
}

// needOf is what checkDisk counts for o's one output.
func needOf(o Result, p sim.Params) (uint64, bool) {
	switch {
	case o.Out != "":
		return sizeOf(p, outfile.CSV, p.Lanes, 1, false, o.Fast).need()
	case o.PathsOut != "":
		return sizeOf(p, outfile.CSV, o.Paths, uint64(p.Steps), true, o.Fast).need()
	}
	return dailySize(p, o.Fast).need()
}

// TestCSVMaxValue: no float32 is written longer than csvMaxValue, over the
// extremes (the largest, the least normal and subnormal, -0, NaN, ±Inf,
// fixed notation's longest) and random bits, and the longest comes up.
func TestCSVMaxValue(t *testing.T) {
	xs := []float32{-math.MaxFloat32, -math.SmallestNonzeroFloat32, -0x1p-126, float32(math.Copysign(0, -1)),
		float32(math.NaN()), float32(math.Inf(-1)), float32(math.Inf(1)), -0.000123456789, -1.23456789e-5, -123456.789, -12345678.9}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 18 {
		xs = append(xs, math.Float32frombits(r.Uint32()))
	}
	longest := 0
	for _, x := range xs {
		s := outfile.AppendFloat32(nil, x)
		if len(s) > csvMaxValue {
			t.Errorf("%#x is written %q, %d bytes, above csvMaxValue %d", math.Float32bits(x), s, len(s), csvMaxValue)
		}
		longest = max(longest, len(s))
	}
	if longest != csvMaxValue {
		t.Errorf("the longest value written is %d bytes, want csvMaxValue %d", longest, csvMaxValue)
	}
}

// TestTextMost: no number of an interval is written longer than textMost
// says (AppendFloat32 for float32s, strconv's shortest for float64s), over
// random intervals of every magnitude, about zero or not; for the default
// job the bound is reached, and a CSV of its values all at that longest
// text, the worst case, is csvMost to the byte. The default job's values take at most 10
// bytes, where each was counted at csvMaxValue, 15.
func TestTextMost(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		e := r.Float64()*70 - 35
		lo := math.Pow(10, e) * (r.Float64()*2 - 0.5)
		hi := lo + math.Pow(10, e+r.Float64()*6-3)
		if i%4 == 0 {
			lo, hi = -hi, -lo
		}
		for _, c := range []struct {
			digits int
			text   func(x float64) string
		}{
			{9, func(x float64) string { return string(outfile.AppendFloat32(nil, float32(x))) }},
			{17, func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }},
		} {
			most := textMost(lo, hi, c.digits)
			for k := range 3000 {
				x := lo + (hi-lo)*r.Float64()
				if k%2 == 1 {
					// Log-uniform toward zero, for an interval about it.
					x = []float64{lo, hi}[k/2%2] * math.Pow(10, -40*r.Float64())
				}
				if c.digits == 9 {
					x = float64(float32(x))
				}
				if x < lo || x > hi {
					continue
				}
				if uint64(len(c.text(x))) > most {
					t.Errorf("[%g, %g]: %s is %d bytes, above textMost %d", lo, hi, c.text(x), len(c.text(x)), most)
				}
			}
		}
	}
	p := sim.Default()
	p.Lanes = 1000
	most := float32Most(p, false)
	lo, hi := p.Range()
	var worst float32
	for x := float32(lo); float64(x) <= hi; x = math.Nextafter32(x, float32(math.Inf(1))) * 1.0001 {
		if uint64(len(outfile.AppendFloat32(nil, x))) == most {
			worst = x
			break
		}
	}
	if most != 10 || worst == 0 {
		t.Fatalf("the default job's values: at most %d bytes (%v), want 10 and a value of that length in [%g, %g]", most, worst, lo, hi)
	}
	finals := make([]float32, p.Lanes)
	for i := range finals {
		finals[i] = worst
	}
	var c counter
	if err := outfile.WriteCSV(&c, outfile.Names{"lane", "temperature"}, finals); err != nil {
		t.Fatal(err)
	}
	if want := csvMost(p.Lanes, 1, false, most); c.n != want {
		t.Errorf("a CSV of %d values of %d bytes: %d bytes, csvMost %d", p.Lanes, most, c.n, want)
	}
}
