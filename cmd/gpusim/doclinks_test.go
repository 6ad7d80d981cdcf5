package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// headingAnchor is the anchor GitHub gives a Markdown heading's text:
// lower case, spaces as hyphens, every character but letters, digits,
// hyphens and underscores left out ("auto.json" is #autojson).
func headingAnchor(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// docAnchors are the anchors of doc's headings, outside fenced blocks.
func docAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	fenced := false
	for line := range strings.SplitSeq(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
		}
		if !fenced && strings.HasPrefix(line, "#") {
			out[headingAnchor(strings.TrimLeft(line, "#"))] = true
		}
	}
	return out
}

// TestDocLinks: every relative link of README.md and docs/*.md names a file
// of the repository, and its #anchor, where it has one, a heading of that
// file. README's engine table sends its readers to docs/auto.md's sections
// for what it no longer says itself.
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, "../../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	checked := 0
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(doc, "../../")
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			file := doc
			if path != "" {
				file = filepath.Join(filepath.Dir(doc), path)
			}
			text, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("%s: link %s: %v", name, target, err)
				continue
			}
			if anchor != "" && strings.HasSuffix(file, ".md") && !docAnchors(string(text))[anchor] {
				t.Errorf("%s: link %s: %s has no heading #%s", name, target, path, anchor)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found in README.md or docs/*.md")
	}
}
