package report

import (
	"encoding/json"
	"math"
	"testing"
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
