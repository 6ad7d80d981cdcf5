package plots

import (
	"io"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// Save writes p to path atomically, as PNG or SVG by its extension.
func Save(p *plot.Plot, path string) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error { return Encode(p, w, path) })
}

// Render draws p height high as Write does on a canvas that records what is
// drawn, and returns it with the plot's data area.
func Render(p *plot.Plot, height vg.Length) (*recorder.Canvas, vg.Rectangle) {
	rec := new(recorder.Canvas)
	area := render(p, draw.NewCanvas(rec, Width, height))
	return rec, area.Rectangle
}
