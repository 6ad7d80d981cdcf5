package outfile

import (
	"io"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// WriteFile writes data to path atomically in the format its extension names.
func WriteFile(path string, header Header, data []float32, shape ...int) error {
	f, err := FormatOf(path)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error { return f.Write(w, header, data, shape...) })
}
