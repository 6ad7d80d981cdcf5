package outfile

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

var exhaustive = flag.Bool("exhaustive", false, "check AppendFloat32 on all 2^32 float32 bit patterns (about 15 minutes of CPU)")

// checkFloat32 fails when AppendFloat32(x) does not read back as x through
// a float64 parse then a float32 rounding, or through a float32 parse, or
// is longer than strconv's shortest float32 decimal without need.
func checkFloat32(t *testing.T, bits uint32, buf []byte) []byte {
	x := math.Float32frombits(bits)
	buf = AppendFloat32(buf[:0], x)
	s := string(buf)
	f64, err64 := strconv.ParseFloat(s, 64)
	f32, err32 := strconv.ParseFloat(s, 32)
	if x != x {
		if err64 != nil || f64 == f64 || f32 == f32 {
			t.Errorf("#%#x: %q does not read back as NaN", bits, s)
		}
		return buf
	}
	if err64 != nil || err32 != nil || math.Float32bits(float32(f64)) != bits || math.Float32bits(float32(f32)) != bits {
		t.Errorf("#%#x: %q reads back as %#x via float64 and %#x as float32, want %#x", bits, s, math.Float32bits(float32(f64)), math.Float32bits(float32(f32)), bits)
	}
	return buf
}

// TestAppendFloat32 checks the double-rounding case of issue 11, its
// negative, its neighbours, special values and a random sample of bit
// patterns; -exhaustive checks all of them.
func TestAppendFloat32(t *testing.T) {
	const seed, samples = 8, 1 << 20
	for bits, want := range map[uint32]string{
		0x15ae43fd: "7.0385307e-26", 0x95ae43fd: "-7.0385307e-26",
		0x3f800000: "1", 0x3dcccccd: "0.1", 0x42960000: "75", 0x80000000: "-0", 0: "0",
		0x7f7fffff: "3.4028235e+38", 1: "1e-45", 0x7f800000: "+Inf", 0xff800000: "-Inf",
	} {
		if got := string(AppendFloat32(nil, math.Float32frombits(bits))); got != want {
			t.Errorf("#%#x: got %q, want %q", bits, got, want)
		}
	}
	var buf []byte
	for _, b := range []uint32{0x15ae43fc, 0x15ae43fd, 0x15ae43fe, 0x7fc00000, 0xffffffff, 0x00800000, 0x007fffff} {
		buf = checkFloat32(t, b, buf)
	}
	r := rand.New(rand.NewPCG(seed, 0))
	for range samples {
		buf = checkFloat32(t, r.Uint32(), buf)
	}
}

// TestAppendFloat32Shortest: the decimal is never longer than strconv's
// shortest float32 decimal when that one reads back both ways.
func TestAppendFloat32Shortest(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 0))
	for range 1 << 16 {
		x := math.Float32frombits(r.Uint32())
		got := AppendFloat32(nil, x)
		short := strconv.AppendFloat(nil, float64(x), 'g', -1, 32)
		if readsBack(short, x) && !bytes.Equal(got, short) {
			t.Fatalf("#%#x: got %q, want strconv's %q", math.Float32bits(x), got, short)
		}
	}
}

// TestAppendFloat32Exhaustive runs over every float32 with -exhaustive.
func TestAppendFloat32Exhaustive(t *testing.T) {
	if !*exhaustive {
		t.Skip("all 2^32 float32s take about 15 minutes of CPU: run with -exhaustive")
	}
	var fixed atomic.Int64
	var wg sync.WaitGroup
	w := uint64(runtime.GOMAXPROCS(0))
	for k := range w {
		wg.Go(func() {
			var buf, short []byte
			for b := k; b < 1<<32; b += w {
				buf = checkFloat32(t, uint32(b), buf)
				if b&(1<<28-1) == k && t.Failed() {
					return
				}
				if k == 0 && b&(1<<28-1) == 0 {
					t.Logf("%#x: %d float32s more than strconv's shortest so far", b, fixed.Load())
				}
				short = strconv.AppendFloat(short[:0], float64(math.Float32frombits(uint32(b))), 'g', -1, 32)
				if !bytes.Equal(buf, short) {
					fixed.Add(1)
					t.Logf("#%#x: %s, not strconv's %s", b, buf, short)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d float32s needed more digits than strconv's shortest", fixed.Load())
}

// TestNumpyLoadtxtCSV has numpy.loadtxt read a CSV with dtype float32 and
// with float64 then astype(float32): every value, the double-rounding case
// of issue 11 among random bit patterns, comes back bit for bit.
func TestNumpyLoadtxtCSV(t *testing.T) {
	py := testenv.NeedNumpy(t)
	const seed, n = 10, 20_000
	data := []float32{math.Float32frombits(0x15ae43fd), math.Float32frombits(0x95ae43fd), 75, -0.5}
	r := rand.New(rand.NewPCG(seed, 0))
	for len(data) < n {
		if x := math.Float32frombits(r.Uint32()); !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) {
			data = append(data, x)
		}
	}
	dir := t.TempDir()
	csv, bin := filepath.Join(dir, "d.csv"), filepath.Join(dir, "d.f32")
	if err := WriteFile(csv, Names{"lane", "temperature"}, data); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(bin, nil, data); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, sys
want = np.fromfile(sys.argv[2], "<f4").view(np.uint32)
a = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=1, dtype=np.float32).view(np.uint32)
b = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, usecols=1, dtype=np.float64).astype(np.float32).view(np.uint32)
for name, got in (("float32", a), ("float64", b)):
    bad = np.nonzero(got != want)[0]
    assert len(bad) == 0, "%s: #%d: got %#x, want %#x" % (name, bad[0], got[bad[0]], want[bad[0]])
`
	out, err := exec.Command(py, "-c", script, csv, bin).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy read the CSV back differently: %v\n%s", err, out)
	}
}
