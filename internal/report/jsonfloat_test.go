package report

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// TestJSONFloat32ViaFloat64: a float32 in the JSON report reads back as the
// same bits through a float64 parser (Python's json, then numpy.float32),
// even where strconv's shortest float32 decimal rounds twice (issue 11).
func TestJSONFloat32ViaFloat64(t *testing.T) {
	for _, bits := range []uint32{0x15ae43fd, 0x95ae43fd, 0x42960000, 0x3dcccccd} {
		b, err := json.Marshal(jsonFloat32(math.Float32frombits(bits)))
		if err != nil {
			t.Fatal(err)
		}
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if got := math.Float32bits(float32(f)); got != bits {
			t.Errorf("#%#x: %s reads back as %#x", bits, b, got)
		}
	}
}

// TestJSONFloat32ComparesAsFloat64: min and max compare with the report's
// float64 fields as their float32 values do: a job whose lanes all hold
// 72.0234375 reported min 72.02344, above its mean of 72.0234375, to a
// float64 reader.
func TestJSONFloat32ComparesAsFloat64(t *testing.T) {
	x := float32(72.0234375)
	b, err := json.Marshal(jsonFloat32(x))
	if err != nil {
		t.Fatal(err)
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f != float64(x) {
		t.Errorf("%s reads back as %v, want %v", b, f, float64(x))
	}
}

// TestJSONNegativeZero: -0 is written -0.0, which Python's json reads as a
// float -0 (it read -0, the int 0, without the sign), and reads back as
// -0; +0 stays 0.
func TestJSONNegativeZero(t *testing.T) {
	for _, v := range []json.Marshaler{jsonFloat(math.Copysign(0, -1)), jsonFloat32(float32(math.Copysign(0, -1)))} {
		b, err := json.Marshal(v)
		if err != nil || string(b) != "-0.0" {
			t.Errorf("%T(-0): %s, %v; want -0.0", v, b, err)
		}
		var f float64
		if err := json.Unmarshal(b, &f); err != nil || f != 0 || !math.Signbit(f) {
			t.Errorf("%s reads back as %v, %v", b, f, err)
		}
	}
	if b, _ := json.Marshal(jsonFloat(0)); string(b) != "0" {
		t.Errorf("jsonFloat(0): %s, want 0", b)
	}
}

// TestJSONParamsKeys: the report's params have the keys and values of
// sim.Params as encoding/json writes them, a field added to sim.Params
// included.
func TestJSONParamsKeys(t *testing.T) {
	p := sim.Default()
	p.Start = math.Copysign(0, -1)
	var want, got map[string]any
	b, _ := json.Marshal(p)
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(jsonParams{p})
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("params: %v, want %v", got, want)
	}
	if !bytes.Contains(b, []byte(`"start":-0.0`)) {
		t.Errorf("params: %s, want start -0.0", b)
	}
}

// TestWriteJSONNegativeZero: a float64 field that is not a jsonFloat (the
// analytic moments and quantiles, the per-day exact moments, the timings)
// writes -0 as -0.0 too: WriteJSON wrote them as encoding/json does, -0.
func TestWriteJSONNegativeZero(t *testing.T) {
	neg := math.Copysign(0, -1)
	var r Report
	r.Analytic.Mean, r.Analytic.Std = neg, neg
	r.Analytic.Quantiles = map[string]float64{"p50": neg}
	r.Daily = []DailyJSON{{ExactMean: neg, ExactStd: neg}}
	r.Timing.Wall = neg
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"mean"`, `"std"`, `"p50"`, `"exact_mean"`, `"exact_std"`, `"wall_s"`} {
		if !bytes.Contains(b.Bytes(), []byte(key+": -0.0")) {
			t.Errorf("%s is not -0.0 in\n%s", key, b.Bytes())
		}
	}
	if bytes.Contains(b.Bytes(), []byte(": -0\n")) || bytes.Contains(b.Bytes(), []byte(": -0,")) {
		t.Errorf("a -0 in\n%s", b.Bytes())
	}
}
