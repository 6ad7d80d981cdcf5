package suggest

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"lanes", "steps", "seed", "q"}
	for typed, want := range map[string][]string{
		"lanse": {"lanes"}, "LANES": {"lanes"}, "sed": {"seed"}, "x": nil, "Q": {"q"}, "stepz": {"steps"}, "zzzzzz": nil,
	} {
		if got := Closest(typed, names); !slices.Equal(got, want) {
			t.Errorf("Closest(%q) = %v, want %v", typed, got, want)
		}
	}
}

// TestValue: a value in the wrong case, or a typo of one, gets a "did you
// mean" (--engine SIMD, --format JSON and --engine OpenCL got the valid
// list alone); a value near none gets none.
func TestValue(t *testing.T) {
	engines := []string{"serial", "parallel", "simd", "opencl", "auto"}
	for typed, want := range map[string]string{
		"SIMD": "; did you mean simd?", "OpenCL": "; did you mean opencl?", " Simd ": "; did you mean simd?",
		"simdd": "; did you mean simd?", "cuda": "", "": "",
	} {
		if got := Value(typed, engines...); got != want {
			t.Errorf("Value(%q) = %q, want %q", typed, got, want)
		}
	}
	if got := Value("JSON", "text", "json"); got != "; did you mean json?" {
		t.Errorf("Value(JSON) = %q", got)
	}
}

func TestOrList(t *testing.T) {
	for want, names := range map[string][]string{"": nil, "a": {"a"}, "a or b": {"a", "b"}, "a, b or c": {"a", "b", "c"}} {
		if got := OrList(names); got != want {
			t.Errorf("OrList(%v) = %q, want %q", names, got, want)
		}
	}
}
