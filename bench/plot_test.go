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
