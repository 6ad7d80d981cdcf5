package plots

import (
	"io"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"gonum.org/v1/plot"
)

// Save writes p to path atomically, as PNG or SVG by its extension.
func Save(p *plot.Plot, path string) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error { return Encode(p, w, path) })
}
