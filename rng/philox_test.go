package rng

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPhiloxKAT checks Random123's known-answer vectors (tests/kat_vectors),
// frozen in testdata from ../shared/reference/philox4x32-10-kat.txt, and
// that PhiloxKAT is the same list.
func TestPhiloxKAT(t *testing.T) {
	file := ReadKAT(t, "testdata/philox4x32-10-kat.txt")
	for i, v := range file {
		if got := Philox4x32(v.Ctr, v.Key); got != v.Out {
			t.Errorf("#%d: got %#x, want %#x", i, got, v.Out)
		}
	}
	if !slices.Equal(file, PhiloxKAT[:]) {
		t.Errorf("PhiloxKAT is not the file's list:\n got %#x\nwant %#x", PhiloxKAT, file)
	}
}

// ReadKAT parses Random123's kat_vectors lines for philox4x32 10.
func ReadKAT(t testing.TB, path string) []KAT {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []KAT
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 12 || fs[0] != "philox4x32" || fs[1] != "10" {
			continue
		}
		var w [10]uint32
		for i := range w {
			x, err := strconv.ParseUint(fs[i+2], 16, 32)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			w[i] = uint32(x)
		}
		out = append(out, KAT{[4]uint32{w[0], w[1], w[2], w[3]}, [2]uint32{w[4], w[5]}, [4]uint32{w[6], w[7], w[8], w[9]}})
	}
	if len(out) < 3 {
		t.Fatalf("%s: found %d vectors, want at least 3", path, len(out))
	}
	return out
}

func TestCounterAndKey(t *testing.T) {
	if got := Counter(0x0123456789abcdef, 7); got != [4]uint32{7, 0x89abcdef, 0x01234567, 0} {
		t.Errorf("Counter: got %#x", got)
	}
	if got := Key(0xfedcba9876543210); got != [2]uint32{0x76543210, 0xfedcba98} {
		t.Errorf("Key: got %#x", got)
	}
}

func BenchmarkPhilox(b *testing.B) {
	var s uint32
	for i := 0; i < b.N; i++ {
		a, _, _, d := Philox(uint32(i), 1, 2, 3, 4, 5)
		s += a ^ d
	}
	sinkU = s
}

var sinkU uint32
