package outfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

var sample = []float32{75, -0.5, 1e-7, float32(math.Pi), math.MaxFloat32, float32(math.Inf(-1))}

func TestNPYHeader(t *testing.T) {
	for _, shape := range [][]int{{0}, {1}, {6}, {3, 2}, {math.MaxInt}} {
		h, err := NPYHeader(shape...)
		if err != nil {
			t.Fatal(err)
		}
		if len(h)%npyAlign != 0 {
			t.Errorf("shape %v: header is %d bytes, not a multiple of %d", shape, len(h), npyAlign)
		}
		if !bytes.HasPrefix(h, []byte("\x93NUMPY\x01\x00")) || h[len(h)-1] != '\n' {
			t.Errorf("shape %v: bad preamble or end: %q", shape, h)
		}
		if n := int(binary.LittleEndian.Uint16(h[8:])); n != len(h)-10 {
			t.Errorf("shape %v: header length field %d, want %d", shape, n, len(h)-10)
		}
	}
	h, _ := NPYHeader(6)
	if want := "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }"; !strings.Contains(string(h), want) {
		t.Errorf("header %q does not contain %q", h, want)
	}
	h, _ = NPYHeader(3, 2)
	if want := "'shape': (3, 2), }"; !strings.Contains(string(h), want) {
		t.Errorf("header %q does not contain %q", h, want)
	}
}

func TestWriteF32(t *testing.T) {
	var b bytes.Buffer
	if err := WriteF32(&b, sample); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 4*len(sample) {
		t.Fatalf("got %d bytes, want %d", b.Len(), 4*len(sample))
	}
	for i, x := range sample {
		if got := binary.LittleEndian.Uint32(b.Bytes()[4*i:]); got != math.Float32bits(x) {
			t.Errorf("#%d: got %#x, want %#x", i, got, math.Float32bits(x))
		}
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, Names{"lane", "temperature"}, sample); err != nil {
		t.Fatal(err)
	}
	want := "lane,temperature\n0,75\n1,-0.5\n2,1e-07\n3,3.1415927\n4,3.4028235e+38\n5,-Inf\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteCSV(&b, Names{"lane", "s1", "s2"}, sample, 3, 2); err != nil {
		t.Fatal(err)
	}
	want = "lane,s1,s2\n0,75,-0.5\n1,1e-07,3.1415927\n2,3.4028235e+38,-Inf\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if err := WriteCSV(io.Discard, Names{"lane"}, sample); err == nil {
		t.Error("a header with too few names was accepted")
	}
	if err := WriteCSV(io.Discard, Names{"lane", "t"}, sample, 4); err == nil {
		t.Error("a shape that does not match the data was accepted")
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.npy": NPY, "dir/b.CSV": CSV, "c.f32": F32} {
		if got, err := FormatOf(path); err != nil || got != want {
			t.Errorf("FormatOf(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, path := range []string{"a.txt", "noext", "a.npy.gz"} {
		_, err := FormatOf(path)
		if err == nil || !strings.Contains(err.Error(), "valid: .npy, .csv, .f32") {
			t.Errorf("FormatOf(%q): got error %v, want one listing the valid extensions", path, err)
		}
	}
}

// TestNumpyReads has numpy load what WriteFile wrote, when a Python with
// numpy is there (/usr/bin/python3 first: the python3 on PATH may lack it).
func TestNumpyReads(t *testing.T) {
	py := testenv.NeedNumpy(t)
	dir := t.TempDir()
	data := []float32{1, 2, 3, 4, 5, float32(math.Pi)}
	if err := WriteFile(filepath.Join(dir, "a.npy"), nil, data); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "b.npy"), nil, data, 2, 3); err != nil {
		t.Fatal(err)
	}
	script := `
import numpy as np, sys
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
assert a.dtype == np.float32 and a.shape == (6,), (a.dtype, a.shape)
assert b.dtype == np.float32 and b.shape == (2, 3), (b.dtype, b.shape)
assert (a == np.array([1, 2, 3, 4, 5, np.pi], dtype=np.float32)).all(), a
assert (b.ravel() == a).all() and b[1, 0] == 4
`
	out, err := exec.Command(py, "-c", script, filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy")).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy could not read the files: %v\n%s", err, out)
	}
}

// failAfter is a writer that takes n bytes and then fails.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		f.n = 0
		return 0, io.ErrShortWrite
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteRows: WriteRows writes what Write writes and reports its values
// as it goes, in chunks (a large file more than once, a file of one long
// row too, each report after the values' bytes went to the writer in the
// binary formats) that add up to Units, a row of no values counting one; a
// write that fails reports fewer. A run's file phase shows them
// (cmd/gpusim's startWriting): it counted whole rows, and a row of 2^28
// values (--paths-out's one lane) went from 0% to 100% at once.
func TestWriteRows(t *testing.T) {
	for _, f := range Formats {
		for _, shape := range [][]int{{100_000}, {3000, 37}, {5}, {0}, {4, 0}, {1, 100_000}, {2, 3, 20_000}} {
			n, cols := 1, 1
			for i, d := range shape {
				n *= d
				if i > 0 {
					cols *= d
				}
			}
			data := make([]float32, n)
			for i := range data {
				data[i] = 72 + float32(i%977)/7
			}
			header := Numbered{Index: "lane", Prefix: "step", Cols: cols}
			var want bytes.Buffer
			if err := f.Write(&want, header, data, shape...); err != nil {
				t.Fatalf("%s %v: %v", f, shape, err)
			}
			var got bytes.Buffer
			var reports []int
			sum, units := 0, Units(uint64(shape[0]), cols)
			err := f.WriteRows(&got, header, data, func(values int) {
				if values <= 0 {
					t.Errorf("%s %v: a report of %d values", f, shape, values)
				}
				sum += values
				reports = append(reports, values)
				if f != CSV && cols > 0 {
					if least := 4 * sum; got.Len() < least {
						t.Errorf("%s %v: %d values reported with %d bytes written, want at least %d", f, shape, sum, got.Len(), least)
					}
				}
			}, shape...)
			if err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s %v: WriteRows wrote %d bytes (%v), Write %d", f, shape, got.Len(), err, want.Len())
			}
			if uint64(sum) != units {
				t.Errorf("%s %v: reported %d values in all (%v), want %d", f, shape, sum, reports, units)
			}
			if n >= 100_000 && len(reports) < 4 {
				t.Errorf("%s %v: %d reports (%v), want several as it goes", f, shape, len(reports), reports)
			}
			sum = 0
			if err := f.WriteRows(&failAfter{want.Len() / 2}, header, data, func(values int) { sum += values }, shape...); n > 0 && (err == nil || uint64(sum) >= units) {
				t.Errorf("%s %v: a write that fails half-way: %v, %d values reported of %d", f, shape, err, sum, units)
			}
		}
	}
}
