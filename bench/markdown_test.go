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

// TestMarkdownSectionEdges: a CRLF document gets its new lines in CRLF (it
// got bare LF lines among CRLF ones), and markers quoted in a fenced code
// block or inside a sentence do not count (a document that showed them was
// refused for having two of each).
func TestMarkdownSectionEdges(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ doc, want string }{
		"crlf": {
			"# B\r\n\r\n" + BeginMarker + "\r\nold\r\n" + EndMarker + "\r\nend\r\n",
			"# B\r\n\r\n" + BeginMarker + "\r\n| a |\r\n| - |\r\n" + EndMarker + "\r\nend\r\n",
		},
		// A UTF-8 byte order mark (Windows editors write one) is no part of
		// the first line: cmark skips it, and a begin marker there read
		// "found 0 and 1". It stays in the document.
		"bom": {
			"\ufeff" + BeginMarker + "\r\nold\r\n" + EndMarker + "\r\n",
			"\ufeff" + BeginMarker + "\r\n| a |\r\n| - |\r\n" + EndMarker + "\r\n",
		},
		"quoted": {
			"Put `" + BeginMarker + "` and `" + EndMarker + "` lines:\n\n```\n" + BeginMarker + "\n" + EndMarker + "\n```\n\n~~~md\n" + BeginMarker + "\n~~~\n" + BeginMarker + "\nold\n" + EndMarker + "\n",
			"Put `" + BeginMarker + "` and `" + EndMarker + "` lines:\n\n```\n" + BeginMarker + "\n" + EndMarker + "\n```\n\n~~~md\n" + BeginMarker + "\n~~~\n" + BeginMarker + "\n| a |\n| - |\n" + EndMarker + "\n",
		},
	} {
		path := filepath.Join(dir, name+".md")
		if err := os.WriteFile(path, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := CheckDoc(path); err != nil {
			t.Errorf("%s: CheckDoc: %v", name, err)
		}
		if err := UpdateMarkdownSection(path, "| a |\n| - |\n"); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got, _ := os.ReadFile(path); string(got) != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q", name, got, c.want)
		}
	}
}

// TestMarkdownSectionNestedFences: a ```` block that quotes a ``` one
// closes on a line of four backticks or more (CommonMark's rule), not on
// the first ``` line or on an opening one with an info string, and a line
// indented by 4 (or a tab) is code: the markers they quote were counted, so
// a document with one real pair was refused ("found 2 and 2") and the
// quoted example of one with none was rewritten.
func TestMarkdownSectionNestedFences(t *testing.T) {
	quote := "Write:\n\n````markdown\n```markdown\n" + BeginMarker + "\n" + EndMarker + "\n```\n````\n\n" +
		"~~~~\n~~~\n" + BeginMarker + "\n~~~~~\n\n```go\n" + EndMarker + "\n``` not a closing fence\n" + BeginMarker + "\n```\n\n" +
		"Or, as an indented code block:\n\n    " + BeginMarker + "\n\t" + EndMarker + "\n\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "d.md")
	if err := os.WriteFile(path, []byte(quote+BeginMarker+"\nold\n"+EndMarker+"\nend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckDoc(path); err != nil {
		t.Errorf("CheckDoc: %v", err)
	}
	if err := UpdateMarkdownSection(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	if got, want := readString(t, path), quote+BeginMarker+"\nnew\n"+EndMarker+"\nend\n"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Only the quoted markers: no section to write, the example untouched.
	none := filepath.Join(dir, "none.md")
	if err := os.WriteFile(none, []byte(quote), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckDoc(none); err == nil || !strings.Contains(err.Error(), "found 0 and 0") {
		t.Errorf("CheckDoc of quoted markers only: %v, want found 0 and 0", err)
	}
	if err := UpdateMarkdownSection(none, "new\n"); err == nil {
		t.Error("UpdateMarkdownSection of quoted markers only: no error")
	}
	if got := readString(t, none); got != quote {
		t.Errorf("quoted example rewritten:\n%s", got)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMarkdownSectionFenceIndent: CommonMark's fenced code block examples
// (spec 0.31.2, section 4.5, examples 119 to 147 that need no container),
// each followed by a pair of markers, which count only where the example
// leaves no fence open (as goldmark v1.8.7 renders each). A fence is
// indented by at most 3 spaces, a tab taking it to 4: a 4-space "~~~"
// closed a ~~~ block, so its quoted markers were rewritten, and a 4-space
// or tab-indented "```python" example opened one that hid the real markers
// after it ("found 0 and 0").
func TestMarkdownSectionFenceIndent(t *testing.T) {
	for _, tc := range []struct {
		name, md string
		open     bool // the example leaves a fenced block open
	}{
		{"119", "```\n<\n >\n```\n", false},
		{"122", "```\naaa\n~~~\n```\n", false},
		{"122 unclosed", "```\naaa\n~~~\n", true},
		{"123", "~~~\naaa\n```\n~~~\n", false},
		{"124", "````\naaa\n```\n``````\n", false},
		{"124 unclosed", "````\naaa\n```\n", true},
		{"125", "~~~~\naaa\n~~~\n~~~~\n", false},
		{"126", "```\n", true},
		{"127", "`````\n\n```\naaa\n", true},
		{"131", " ```\n aaa\naaa\n```\n", false},
		{"132", "  ```\naaa\n  aaa\naaa\n  ```\n", false},
		{"133", "   ```\n   aaa\n    aaa\n  aaa\n   ```\n", false},
		{"134", "    ```\n    aaa\n    ```\n", false},
		{"134 one line", "    ```python\n    x = 1\n\nText.\n\n", false},
		{"134 tab", "\t```python\n\tx = 1\n\nText.\n\n", false},
		{"134 space and tab", " \t~~~\n\n", false},
		{"135", "```\naaa\n  ```\n", false},
		{"136", "   ```\naaa\n  ```\n", false},
		{"137", "```\naaa\n    ```\n", true},
		{"137 tilde", "~~~\n    ~~~\n", true},
		{"137 tab", "```\naaa\n\t```\n", true},
		{"138", "``` ```\naaa\n", false},
		{"139", "~~~~~~\naaa\n~~~ ~~\n", true},
		{"140", "foo\n```\nbar\n```\nbaz\n", false},
		{"142", "```ruby\ndef foo(x)\n  return 3\nend\n```\n", false},
		{"143", "~~~~    ruby startline=3 $%@#$\ndef foo(x)\n  return 3\nend\n~~~~~~~\n", false},
		{"145", "``` aa ```\nfoo\n", false},
		{"146", "~~~ aa ``` ~~~\nfoo\n~~~\n", false},
		{"147", "```\n``` aaa\n```\n", false},
		{"closing fence and blanks", "```\naaa\n```  \t\n", false},
		{"CRLF", "```\r\naaa\r\n```\r\n", false},
	} {
		sec := findSection(tc.md + BeginMarker + "\n" + EndMarker + "\n")
		want := 1
		if tc.open {
			want = 0
		}
		if sec.begins != want || sec.ends != want {
			t.Errorf("%s: %q: found %d and %d markers after it, want %d", tc.name, tc.md, sec.begins, sec.ends, want)
		}
	}
}

// TestDocLimits: the document is read only when it is a regular file of at
// most MaxDocBytes (a device was read until memory ran out), by CheckDoc
// before the benchmark and by the update after it.
func TestDocLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.md")
	if err := os.WriteFile(big, []byte(BeginMarker+"\n"+EndMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckDoc(big); err != nil {
		t.Fatalf("CheckDoc of a small document: %v", err)
	}
	// One byte over the limit, sparse: it takes no disk.
	if err := os.Truncate(big, MaxDocBytes+1); err != nil {
		t.Fatal(err)
	}
	want := "larger than 67.1 MB, more than any Markdown document holds"
	if err := CheckDoc(big); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CheckDoc of a %d-byte file: %v, want %q", MaxDocBytes+1, err, want)
	}
	if err := UpdateMarkdownSection(big, "x"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("UpdateMarkdownSection of a %d-byte file: %v, want %q", MaxDocBytes+1, err, want)
	}
	if _, err := os.Stat(os.DevNull); err == nil {
		want := "not a regular file"
		if err := CheckDoc(os.DevNull); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckDoc(%s): %v, want %q", os.DevNull, err, want)
		}
		if err := UpdateMarkdownSection(os.DevNull, "x"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("UpdateMarkdownSection(%s): %v, want %q", os.DevNull, err, want)
		}
	}
}
