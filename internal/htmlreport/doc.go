// Package htmlreport writes a report as one self-contained HTML page: text, tables and inline SVG charts, with no script and nothing fetched from elsewhere.
package htmlreport
