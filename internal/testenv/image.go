package testenv

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
)

// Every gpusim chart, the run's and bench's, is 16 cm wide and at least 11 cm
// high: 605 x 416 pixels or more in PNG.
const minChartW, minChartH = 400, 300

// CheckImage says why the file at path is not a chart, by its extension: a
// .png that decodes to at least 400 x 300 pixels, or an .svg whose root
// element is an <svg> with a width and that ends with </svg>.
func CheckImage(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if r := img.Bounds(); r.Dx() < minChartW || r.Dy() < minChartH {
			return fmt.Errorf("%s: %dx%d pixels is smaller than a chart", path, r.Dx(), r.Dy())
		}
	case ".svg":
		var doc struct {
			XMLName xml.Name
			Width   string `xml:"width,attr"`
		}
		if err := xml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if doc.XMLName.Local != "svg" || doc.Width == "" {
			return fmt.Errorf("%s: root <%s width=%q>, want an <svg> with a width", path, doc.XMLName.Local, doc.Width)
		}
		if !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</svg>")) {
			return fmt.Errorf("%s: does not end with </svg>: %.60q", path, b[max(0, len(b)-60):])
		}
	default:
		return fmt.Errorf("%s: neither .png nor .svg", path)
	}
	return nil
}
