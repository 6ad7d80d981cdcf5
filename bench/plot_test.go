package bench

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPlot(t *testing.T) {
	dir := t.TempDir()
	files, err := Plot(sampleReport(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"speedup.png", "speedup.svg", "time-5Mx10.png", "time-5Mx10.svg", "time-5Mx100.png", "time-5Mx100.svg", "sweep.png", "sweep.svg"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", f, err)
				continue
			}
			if r := img.Bounds(); r.Dx() < 100 || r.Dy() < 100 {
				t.Errorf("%s: %v is too small", f, r)
			}
		case ".svg":
			s := strings.TrimSpace(string(b))
			if !strings.HasPrefix(s, "<svg") && !strings.HasPrefix(s, "<?xml") || !strings.HasSuffix(s, "</svg>") {
				t.Errorf("%s does not look like SVG: %.60q", f, s)
			}
		}
	}
}

func TestPlotOptionalSections(t *testing.T) {
	// A report with no scaling or sweep draws only the time charts.
	r := sampleReport()
	r.Scaling, r.Sweep = nil, nil
	files, err := Plot(r, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Errorf("files %v, want the two time charts in two formats", files)
	}
}

// TestSITicksNarrowRange checks that a log axis spanning less than a decade
// still gets at least two labels inside its range.
func TestSITicksNarrowRange(t *testing.T) {
	for _, r := range [][2]float64{{20.4, 30.2}, {21, 29}, {9.5, 11}, {1e3, 1e6}, {0.8, 1.3}} {
		n := 0
		var labels []string
		for _, tk := range (siTicks{}).Ticks(r[0], r[1]) {
			if tk.Label != "" && tk.Value >= r[0] && tk.Value <= r[1] {
				n++
				labels = append(labels, tk.Label)
			}
		}
		if n < 2 {
			t.Errorf("Ticks(%g, %g) labels %q inside the range, want at least two", r[0], r[1], labels)
		}
	}
}
