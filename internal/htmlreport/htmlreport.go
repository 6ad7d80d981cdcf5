package htmlreport

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
)

// Page is a report: a title, a few lines saying what ran where, and
// sections in order.
type Page struct {
	Title string // the page's <title> and first heading
	// Facts are short lines under the title: the machine, the job, the run.
	Facts    []string
	Sections []Section
}

// Section is a heading with, in order, its paragraphs, tables and charts.
type Section struct {
	Heading    string
	Paragraphs []string // text, one <p> each
	Tables     []Table
	Charts     []Chart
	// Pre is preformatted text (a terminal report), shown last when not empty.
	Pre string
}

// Table is a table of text cells; the first Left columns are text, aligned
// left, the others numbers, aligned right. Notes follow it.
type Table struct {
	Caption string
	Header  []string   // column names
	Rows    [][]string // one slice of cells a row, in Header's order
	Left    int        // how many leading columns are text
	Notes   []string   // lines under the table
}

// Chart is an SVG image and its caption. SVG is a whole SVG document (an
// XML prologue and comments before <svg are dropped); it must come from a
// trusted renderer, such as gonum/plot, since it goes into the page as is.
type Chart struct {
	Caption string
	SVG     []byte // the SVG document's bytes
}

// ErrNotSVG is returned by Write for a chart whose SVG has no <svg element.
var ErrNotSVG = errors.New("htmlreport: chart is not SVG")

// Write writes p as a self-contained HTML page. Its text is made UTF-8, as
// the page says it is, each byte that is not UTF-8 written U+FFFD (valid):
// a bench report's interpreter path with bytes \xff\xfe went into the page
// as it was. A caller that needs such bytes told quotes its text first.
func Write(w io.Writer, p Page) error {
	p = valid(p)
	type chart struct {
		Caption string
		SVG     template.HTML
	}
	type section struct {
		Section
		Charts []chart
	}
	data := struct {
		Page
		Sections []section
	}{Page: p}
	for _, s := range p.Sections {
		sec := section{Section: s}
		for _, c := range s.Charts {
			svg, err := inlineSVG(c.SVG)
			if err != nil {
				return fmt.Errorf("%w: %s", err, c.Caption)
			}
			sec.Charts = append(sec.Charts, chart{c.Caption, svg})
		}
		data.Sections = append(data.Sections, sec)
	}
	var b bytes.Buffer
	if err := page().Execute(&b, data); err != nil {
		return fmt.Errorf("htmlreport: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// valid is p with its text and charts made UTF-8 (Write).
func valid(p Page) Page {
	p.Title, p.Facts = validText(p.Title), validTexts(p.Facts)
	p.Sections = slices.Clone(p.Sections)
	for i := range p.Sections {
		s := &p.Sections[i]
		s.Heading, s.Paragraphs, s.Pre = validText(s.Heading), validTexts(s.Paragraphs), validText(s.Pre)
		s.Tables = slices.Clone(s.Tables)
		for j := range s.Tables {
			t := &s.Tables[j]
			t.Caption, t.Header, t.Notes = validText(t.Caption), validTexts(t.Header), validTexts(t.Notes)
			t.Rows = slices.Clone(t.Rows)
			for k := range t.Rows {
				t.Rows[k] = validTexts(t.Rows[k])
			}
		}
		s.Charts = slices.Clone(s.Charts)
		for j := range s.Charts {
			c := &s.Charts[j]
			c.Caption, c.SVG = validText(c.Caption), bytes.ToValidUTF8(c.SVG, []byte("\uFFFD"))
		}
	}
	return p
}

// validText is s with each byte that is not UTF-8 written U+FFFD.
func validText(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// validTexts is ss, each made UTF-8 (validText), in a new slice.
func validTexts(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = validText(s)
	}
	return out
}

// inlineSVG is the <svg> element of an SVG document, for a page.
func inlineSVG(doc []byte) (template.HTML, error) {
	s := string(doc)
	i := strings.Index(s, "<svg")
	if i < 0 || !strings.Contains(s[i:], "</svg>") {
		return "", ErrNotSVG
	}
	return template.HTML(s[i:]), nil // #nosec: the SVG comes from our own renderer
}

// page and text are parsed on first use (sync.OnceValue), not at every
// gpusim command's start, where parsing took 0.3 ms of 25.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"align": func(left, i int) string {
			if i < left {
				return "l"
			}
			return "r"
		},
	}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 70em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
ul.facts { list-style: none; padding: 0; color: #444; }
div.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
th { background: #f3f3f3; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; } td.l, th.l { text-align: left; }
ul.notes { font-size: 0.85em; color: #555; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Facts}}<ul class="facts">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{range .Sections}}<section>
<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{range .Tables}}{{$left := .Left}}<div class="scroll"><table>
{{with .Caption}}<caption>{{.}}</caption>{{end}}
<thead><tr>{{range $i, $h := .Header}}<th class="{{align $left $i}}">{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td class="{{align $left $i}}">{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{with .Notes}}<ul class="notes">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{end}}{{range .Charts}}<figure class="chart">
{{.SVG}}
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{with .Pre}}<pre>{{.}}</pre>{{end}}
</section>
{{end}}</body>
</html>
`))
})

// text writes a string as a page's text: as Write writes a fact, a cell, a
// note or the preformatted text, each an element's content.
var text = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("text").Parse(`<p>{{.}}</p>`))
})

// TextLen is the bytes s takes in a page as an element's text (a fact, a
// cell, a note, the preformatted text), made UTF-8 and escaped as Write
// does: "&" takes 5 (&amp;), a quote 5 (&#34;), and so on. The escape is the same
// whatever text surrounds s, so a page's length is the sum of its parts'.
func TextLen(s string) int {
	var b strings.Builder
	if err := text().Execute(&b, validText(s)); err != nil {
		return 6 * len(s) // not reached: a string always executes; the most a byte takes
	}
	return b.Len() - len("<p></p>")
}
