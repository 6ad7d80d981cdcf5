package bench

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// The markers around the generated section of a Markdown file.
const (
	BeginMarker = "<!-- bench:begin -->"
	EndMarker   = "<!-- bench:end -->"
)

// UpdateMarkdownSection replaces what lies between BeginMarker and EndMarker
// in the Markdown file at path with content, keeping the markers and
// everything outside them. The file must hold each marker exactly once, begin
// before end. It is replaced atomically (internal/atomicfile), keeping its mode.
func UpdateMarkdownSection(path, content string) error {
	f, err := PrepareMarkdownSection(path, content)
	if err != nil || f == nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("bench: update %s: %w", path, err)
	}
	return nil
}

// PrepareMarkdownSection is UpdateMarkdownSection up to the commit: it
// returns the new file written and closed, for the caller to commit with
// others (atomicfile.CommitAll), or nil when the section already holds
// content.
func PrepareMarkdownSection(path, content string) (*atomicfile.File, error) {
	old, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: update %s: %w", path, err)
	}
	s := string(old)
	nb, ne := strings.Count(s, BeginMarker), strings.Count(s, EndMarker)
	if nb != 1 || ne != 1 {
		return nil, fmt.Errorf("bench: update %s: want one %s and one %s, found %d and %d", path, BeginMarker, EndMarker, nb, ne)
	}
	b, e := strings.Index(s, BeginMarker), strings.Index(s, EndMarker)
	if e < b {
		return nil, fmt.Errorf("bench: update %s: %s comes before %s", path, EndMarker, BeginMarker)
	}
	content = strings.TrimRight(content, "\n")
	var out bytes.Buffer
	out.WriteString(s[:b+len(BeginMarker)])
	out.WriteString("\n")
	if content != "" {
		out.WriteString(content)
		out.WriteString("\n")
	}
	out.WriteString(s[e:])
	if bytes.Equal(out.Bytes(), old) {
		return nil, nil
	}
	f, err := atomicfile.Prepare(path, func(w io.Writer) error {
		_, err := w.Write(out.Bytes())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: update %s: %w", path, err)
	}
	return f, nil
}
