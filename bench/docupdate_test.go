package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAverage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loadavg")
	if err := os.WriteFile(path, []byte("0.92 1.95 1.83 2/345 6789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := LoadAverage(path), "0.92, 1.95, 1.83"; got != want {
		t.Errorf("LoadAverage = %q, want %q", got, want)
	}
	if got := LoadAverage(filepath.Join(t.TempDir(), "none")); got != "" {
		t.Errorf("LoadAverage of a missing file = %q, want \"\"", got)
	}
}

// TestChartLinksEscaped: a --plot folder whose name holds a space, a
// parenthesis or a newline still gives Markdown image links: the path is
// percent-encoded. It was written as it is, ![...](my charts/speedup.png),
// which is no link at all.
func TestChartLinksEscaped(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "b.md")
	for _, c := range []struct{ folder, want string }{
		{"img", "](img/speedup.png)\n"},
		{"my charts", "](my%20charts/speedup.png)\n"},
		{"a (b)\nc", "](a%20%28b%29%0Ac/speedup.png)\n"},
		{"x:y", "](./x:y/speedup.png)\n"},
	} {
		var b strings.Builder
		if err := chartLinks(&b, doc, []string{filepath.Join(dir, c.folder, "speedup.png")}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("--plot %q: links %q, want one ending %q", c.folder, b.String(), c.want)
		}
	}
}

// TestChartLinksLinkedDoc: a document given as a symbolic link (b.md ->
// docs/b.md) links the charts from where it is: img/speedup.png was
// written into docs/b.md, which reads it as docs/img/speedup.png.
func TestChartLinksLinkedDoc(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"docs", "img"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	doc := filepath.Join(dir, "b.md")
	if err := os.Symlink(filepath.Join("docs", "b.md"), doc); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := chartLinks(&b, doc, []string{filepath.Join(dir, "img", "speedup.png")}); err != nil {
		t.Fatal(err)
	}
	if want := "](../img/speedup.png)\n"; !strings.Contains(b.String(), want) {
		t.Errorf("links %q, want one ending %q", b.String(), want)
	}
}
