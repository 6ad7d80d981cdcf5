package testenv

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckImage: a chart-sized PNG and a well-formed SVG pass; a small
// PNG, a damaged one, an SVG with no width or cut short, another root
// element and another extension each fail, naming why.
func TestCheckImage(t *testing.T) {
	pngOf := func(w, h int) string {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	const svg = `<?xml version="1.0"?>` + "\n" + `<svg xmlns="http://www.w3.org/2000/svg" width="16cm" height="11cm"><g/></svg>` + "\n"
	dir := t.TempDir()
	for _, c := range []struct {
		name, content, want string // want "": passes
	}{
		{"chart.png", pngOf(605, 416), ""},
		{"chart.PNG", pngOf(400, 300), ""},
		{"chart.svg", svg, ""},
		{"small.png", pngOf(399, 416), "smaller than a chart"},
		{"flat.png", pngOf(605, 299), "smaller than a chart"},
		{"damaged.png", pngOf(605, 416)[:100], "png: "},
		{"nowidth.svg", strings.Replace(svg, ` width="16cm"`, "", 1), "want an <svg> with a width"},
		{"html.svg", `<html width="1"></html>`, "root <html"},
		{"cut.svg", svg + "<g>", "does not end with </svg>"},
		{"chart.txt", svg, "neither .png nor .svg"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.content), 0o666); err != nil {
			t.Fatal(err)
		}
		err := CheckImage(path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	if err := CheckImage(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("a missing file passes")
	}
}
