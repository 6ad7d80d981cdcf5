package htmlreport

import (
	"bytes"
	"errors"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gpusim/gpusim/internal/testenv"
)

// chartSVG draws a line chart as an SVG document, as gonum/plot writes it.
func chartSVG(t *testing.T) []byte {
	t.Helper()
	p := plot.New()
	p.Title.Text = "a chart"
	xys := plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 3}, {X: 2, Y: 1}, {X: 3, Y: 4}}
	l, err := plotter.NewLine(xys)
	if err != nil {
		t.Fatal(err)
	}
	l.Width = vg.Points(4)
	p.Add(l, plotter.NewGrid())
	w, err := p.WriterTo(16*vg.Centimeter, 11*vg.Centimeter, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func samplePage(t *testing.T) Page {
	return Page{
		Title: "gpusim <report> & more",
		Facts: []string{"CPU: a <fast> one"},
		Sections: []Section{{
			Heading: "Charts",
			Charts:  []Chart{{Caption: "the chart", SVG: chartSVG(t)}},
		}, {
			Heading:    "Tables",
			Paragraphs: []string{"what was measured"},
			Tables:     []Table{{Caption: "engines", Header: []string{"engine", "time"}, Rows: [][]string{{"serial", "1 s"}, {"<script>", "2 s"}}, Left: 1, Notes: []string{"a note"}}},
			Pre:        "text report",
		}},
	}
}

// externalRef finds anything that would make the browser fetch or run
// something: scripts, stylesheets, frames, images, fonts, remote URLs.
var externalRef = regexp.MustCompile(`(?i)<script|<link|<iframe|<img|<object|<embed|@import|url\(|\b(src|href)=|https?://[^"\s]*\.(js|css|png|jpg|woff2?)`)

func TestWriteSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, samplePage(t)); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if m := externalRef.FindString(s); m != "" {
		t.Errorf("page refers outside itself: %q", m)
	}
	for _, want := range []string{"<!DOCTYPE html>", "<title>gpusim &lt;report&gt; &amp; more</title>", "<svg", "</svg>", "<td class=\"l\">&lt;script&gt;</td>", "<td class=\"r\">2 s</td>", "<figcaption>the chart</figcaption>", "<pre>text report</pre>"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(s, "<?xml") {
		t.Error("the SVG's XML prologue is inside the page")
	}
}

func TestWriteNotSVG(t *testing.T) {
	p := Page{Sections: []Section{{Charts: []Chart{{Caption: "png", SVG: []byte("\x89PNG")}}}}}
	if err := Write(&bytes.Buffer{}, p); !errors.Is(err, ErrNotSVG) {
		t.Errorf("got %v, want ErrNotSVG", err)
	}
}

// TestBrowser loads the page in headless Chromium: no console message or
// failed load, and the chart is not blank; a page whose chart is an empty
// SVG must fail the same check (testenv.CheckPage compares with that).
func TestBrowser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "page.html")
	var b bytes.Buffer
	if err := Write(&b, samplePage(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	testenv.CheckPage(t, path, 0)

	// The check's control: a fixed window region that holds the chart is
	// inked in the screenshot.
	_, shot := testenv.Browse(t, testenv.NeedChromium(t), path, 900, 1000)
	chart := image.Rect(20, 170, 600, 520)
	if ink, v := testenv.Ink(shot, chart); ink < 0.01 || v < 1e-3 {
		t.Errorf("chart area %v is blank: %.4f of pixels inked, gray variance %.5f", chart, ink, v)
	}
	if ink, _ := testenv.Ink(shot, image.Rect(860, 170, 880, 520)); ink > 0.01 {
		t.Errorf("right margin has %.3f of pixels inked: the ink check cannot tell blank from drawn", ink)
	}
}

// TestTextLen: TextLen is what a string adds to a page as a fact, a cell,
// a note or the preformatted text, however it is escaped (quotes, "&",
// "<", "+", a NUL byte, bytes that are not UTF-8, other scripts), so that
// the bounds of a page built on it (report.MaxHTMLSize) hold.
// TestWriteUTF8: a page is UTF-8, as its <meta charset> says, whatever
// bytes its text and charts hold: a bench report's interpreter path with
// bytes \xff\xfe went into the page as it was.
func TestWriteUTF8(t *testing.T) {
	const bad = "odd \xff\xfe bytes"
	p := samplePage(t)
	p.Title, p.Facts = bad, []string{bad}
	s := &p.Sections[1]
	s.Heading, s.Paragraphs, s.Pre = bad, []string{bad}, bad
	s.Tables[0].Caption, s.Tables[0].Header, s.Tables[0].Rows, s.Tables[0].Notes = bad, []string{bad}, [][]string{{bad, bad}}, []string{bad}
	c := &p.Sections[0].Charts[0]
	c.Caption, c.SVG = bad, bytes.Replace(c.SVG, []byte("a chart"), []byte(bad), 1)
	var b bytes.Buffer
	if err := Write(&b, p); err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(b.Bytes()) {
		t.Error("the page is not UTF-8")
	}
	if n := strings.Count(b.String(), "odd \uFFFD bytes"); n != 13 {
		t.Errorf("the text is in the page %d times with U+FFFD, want 13", n)
	}
	if p.Title != bad {
		t.Error("Write changed its page")
	}
}

func TestTextLen(t *testing.T) {
	for _, s := range []string{"", "plain", `"'&<>+`, "a\x00b", "\xff\xfe", "é ü 中", `\"` + strings.Repeat(`"`, 100)} {
		page := func(s string) int {
			var b bytes.Buffer
			p := Page{Title: "t", Facts: []string{"Engine: " + s}, Sections: []Section{{Heading: "h", Pre: "engine " + s + "\n",
				Tables: []Table{{Header: []string{"a"}, Rows: [][]string{{s}}, Notes: []string{s}}}}}}
			if err := Write(&b, p); err != nil {
				t.Fatal(err)
			}
			return b.Len()
		}
		if got, want := 4*TextLen(s), page(s)-page(""); got != want {
			t.Errorf("TextLen(%q) = %d: four of it %d, want %d, what it adds to a page in four places", s, TextLen(s), got, want)
		}
	}
}
