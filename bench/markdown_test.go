package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateMarkdownSection(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "benchmarks.md")
	doc := "# Benchmarks\n\nIntro.\n\n" + BeginMarker + "\nold table\nmore\n" + EndMarker + "\n\nOutro.\n"
	if err := os.WriteFile(path, []byte(doc), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := UpdateMarkdownSection(path, "| a | b |\n| --- | --- |\n"); err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\nIntro.\n\n" + BeginMarker + "\n| a | b |\n| --- | --- |\n" + EndMarker + "\n\nOutro.\n"
	got, _ := os.ReadFile(path)
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	// Updating again with the same content changes nothing.
	if err := UpdateMarkdownSection(path, "| a | b |\n| --- | --- |"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != want {
		t.Errorf("second update changed the file:\n%s", got)
	}
	// The whole report fits in the section.
	if err := UpdateMarkdown(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if !strings.HasPrefix(string(got), "# Benchmarks\n\nIntro.\n\n"+BeginMarker+"\n- CPU:") ||
		!strings.HasSuffix(string(got), "\n"+EndMarker+"\n\nOutro.\n") || !strings.Contains(string(got), "### Engines") {
		t.Errorf("report section:\n%s", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestUpdateMarkdownSectionErrors(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{
		"none":     "# no markers\n",
		"no-end":   BeginMarker + "\n",
		"reversed": EndMarker + "\n" + BeginMarker + "\n",
		"twice":    BeginMarker + EndMarker + BeginMarker + EndMarker,
	} {
		path := filepath.Join(dir, name+".md")
		os.WriteFile(path, []byte(doc), 0o644)
		if err := UpdateMarkdownSection(path, "x"); err == nil {
			t.Errorf("%s: no error", name)
		}
		if got, _ := os.ReadFile(path); string(got) != doc {
			t.Errorf("%s: file changed on error", name)
		}
	}
	if err := UpdateMarkdownSection(filepath.Join(dir, "missing.md"), "x"); err == nil {
		t.Error("missing file: no error")
	}
}
