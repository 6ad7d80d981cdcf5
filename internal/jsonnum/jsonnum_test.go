package jsonnum

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestFix: every number -0 becomes -0.0, wherever it stands; other numbers
// that begin -0 and strings are left as they are.
func TestFix(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`-0`, `-0.0`},
		{`0`, `0`},
		{`[-0,-0]`, `[-0.0,-0.0]`},
		{`{"a": -0,\n "b": -0}`, `{"a": -0.0,\n "b": -0.0}`},
		{"{\n  \"a\": -0\n}\n", "{\n  \"a\": -0.0\n}\n"},
		{`[-0.5,-0e1,-0E-3,-0.0,-05]`, `[-0.5,-0e1,-0E-3,-0.0,-05]`},
		{`["-0", "a\"-0", "\\", -0]`, `["-0", "a\"-0", "\\", -0.0]`},
		{`{"-0":-0}`, `{"-0":-0.0}`},
	} {
		if got := string(Fix([]byte(c.in))); got != c.want {
			t.Errorf("Fix(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestFixReadsBack: a document encoding/json wrote, through Fix, reads
// back as the same values, each zero with its sign.
func TestFixReadsBack(t *testing.T) {
	neg := math.Copysign(0, -1)
	in := map[string]any{"a": neg, "b": []float64{0, neg, -0.25, 75}, "c": float32(neg), "-0": "-0", "d": map[string]float64{"e": neg}}
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		A float64            `json:"a"`
		B []float64          `json:"b"`
		C float32            `json:"c"`
		S string             `json:"-0"`
		D map[string]float64 `json:"d"`
	}
	fixed := Fix(b)
	if err := json.Unmarshal(fixed, &got); err != nil {
		t.Fatalf("%s: %v", fixed, err)
	}
	negs := []float64{got.A, got.B[1], float64(got.C), got.D["e"]}
	for i, x := range negs {
		if x != 0 || !math.Signbit(x) {
			t.Errorf("#%d: %v, want -0 (%s)", i, x, fixed)
		}
	}
	if got.B[0] != 0 || math.Signbit(got.B[0]) || got.B[2] != -0.25 || got.B[3] != 75 || got.S != "-0" {
		t.Errorf("the other values changed: %+v (%s)", got, fixed)
	}
}

// TestFixUnchanged: a document without -0 comes back as itself.
func TestFixUnchanged(t *testing.T) {
	b := []byte(`{"a": -0.5, "b": "-0"}`)
	if got := Fix(b); &got[0] != &b[0] {
		t.Errorf("Fix copied %s", b)
	}
}

func TestNegZeroAt(t *testing.T) {
	for _, c := range []struct {
		s  string
		i  int
		ok bool
	}{{"-0", 0, true}, {"-0,", 0, true}, {"-0}", 0, true}, {"-0 ", 0, true}, {"-", 0, false}, {"-1", 0, false}, {"-0.", 0, false}, {"-0e", 0, false}, {"-00", 0, false}, {"[-0]", 1, true}, {"[-0]", 0, false}} {
		if got := NegZeroAt([]byte(c.s), c.i); got != c.ok {
			t.Errorf("NegZeroAt(%q, %d) = %v, want %v", c.s, c.i, got, c.ok)
		}
	}
}

// TestSeconds: a duration's seconds are the float64 nearest its exact
// decimal count of seconds, which encoding/json's shortest form writes as
// that decimal, for durations from 1 ns to past a day.
// time.Duration.Seconds gave 1.2649477199999999 for 1264947720 ns.
func TestSeconds(t *testing.T) {
	ds := []time.Duration{1, 999, 3 * time.Second, 86400*time.Second + 7}
	for n := time.Duration(1); n < 3*time.Second; n += 7919 * 1013 {
		ds = append(ds, n)
	}
	for _, d := range ds {
		exact := fmt.Sprintf("%d.%09d", d/time.Second, d%time.Second)
		if want, _ := strconv.ParseFloat(exact, 64); Seconds(d) != want {
			t.Errorf("Seconds(%d ns) = %v, want %v (%s)", int64(d), Seconds(d), want, exact)
		}
	}
	if b, _ := json.Marshal(Seconds(1264947720)); string(b) != "1.26494772" {
		t.Errorf("1264947720 ns reads %s in JSON, want 1.26494772", b)
	}
}

// TestText: Text writes every float64, and Text32 every float32, as
// encoding/json writes it (the file's own text), over random bit patterns
// and the forms' edges.
func TestText(t *testing.T) {
	const draws, seed = 100_000, 332
	r := rand.New(rand.NewPCG(seed, 0))
	xs := []float64{0, 1, -1, 1e-6, math.Nextafter(1e-6, 0), 1e21, math.Nextafter(1e21, 0), 1e-7, 5e-324, math.MaxFloat64, 1e8, 3.2e7, 0.00001}
	for range draws {
		xs = append(xs, math.Float64frombits(r.Uint64()))
	}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		if got := Text(x); got != string(Fix(b)) {
			t.Fatalf("Text(%v) = %q, json writes %s", x, got, Fix(b))
		}
	}
	for _, x := range xs[:len(xs)/2] {
		x32 := float32(x)
		if math.IsInf(float64(x32), 0) || math.IsNaN(x) {
			continue
		}
		b, err := json.Marshal(x32)
		if err != nil {
			t.Fatal(err)
		}
		if got := Text32(x32); got != string(Fix(b)) {
			t.Fatalf("Text32(%v) = %q, json writes %s", x32, got, Fix(b))
		}
	}
	for x, want := range map[float64]string{1e8: "100000000", 3.2e7: "32000000", 1e-5: "0.00001", 1e-7: "1e-7", 1e300: "1e+300", math.Copysign(0, -1): "-0.0", math.Inf(1): "+Inf"} {
		if got := Text(x); got != want {
			t.Errorf("Text(%v) = %q, want %q", x, got, want)
		}
	}
}
