//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// TestOutputModes checks that outputs honour the umask when new and keep
// an existing file's mode when replaced (a 0600 file once became 0644).
func TestOutputModes(t *testing.T) {
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept.csv")
	if err := os.WriteFile(kept, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	fresh := filepath.Join(dir, "fresh.npy")
	code, _, stderr := run(context.Background(), "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "--out", kept, "--plot", filepath.Join(dir, "p.svg"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr = run(context.Background(), "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "--out", fresh)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for path, want := range map[string]os.FileMode{kept: 0o600, fresh: 0o640, filepath.Join(dir, "p.svg"): 0o640} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", filepath.Base(path), got, want)
		}
	}
}

// TestOutputIsStdio: an output file that stdout or stderr is redirected to
// (run --save r.json > r.json) is refused before the run. The rename
// replaced it after the run, and the report, written to the replaced file,
// was lost without a word (exit 0).
func TestOutputIsStdio(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ flag, name, stream string }{{"--save", "r.json", "stdout"}, {"--out", "o.csv", "stderr"}} {
		path := filepath.Join(dir, c.name)
		stdioRefused(t, path, os.O_TRUNC, c.flag, c.stream, "run", "--lanes", "10", "--steps", "1", "--engine", "serial", "-q", c.flag, path)
	}
}

// stdioRefused runs gpusim's args with c.stream (stdout or stderr) going
// to path, opened with O_WRONLY|O_CREATE|mode (O_TRUNC for >, O_APPEND for
// >>), and requires exit 2 with the error that flag's file is where the
// stream goes.
func stdioRefused(t *testing.T, path string, mode int, flag, stream string, args ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|mode, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	var other bytes.Buffer
	stdout, stderr := io.Writer(f), io.Writer(&other)
	if stream == "stderr" {
		stdout, stderr = &other, f
	}
	code := runContext(context.Background(), args, strings.NewReader(""), stdout, stderr)
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(b) + other.String()
	if want := fmt.Sprintf("gpusim: error: %s: %q is also the file %s goes to", flag, path, stream); code != exitUsage || !strings.Contains(msg, want) {
		t.Errorf("%s to %s: exit %d, output %q; want 2 and %q", flag, stream, code, msg, want)
	}
}

// TestBenchOutputIsStdio: bench refuses, as run does, an output where
// stdout or stderr goes: bench --html h.html > h.html exited 0 with the
// report written to the file the page then replaced, and so did --update-doc
// doc.md >> doc.md and --plot pd > pd/time-1kx1.png.
func TestBenchOutputIsStdio(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "doc.md")
	if err := os.WriteFile(doc, []byte("<!-- bench:begin -->\n<!-- bench:end -->\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "pd"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ flag, value, file, stream string }{
		{"--html", "h.html", "h.html", "stdout"},
		{"--update-doc", "doc.md", "doc.md", "stdout"},
		{"--plot", "pd", "pd/time-1kx1.svg", "stderr"},
	} {
		stdioRefused(t, filepath.Join(dir, c.file), os.O_APPEND, c.flag, c.stream, "bench", "--lanes", "1000", "--steps", "1", "--reps", "1", "--warmup", "0",
			"--no-scaling", "--no-sweep", "--baseline", "none", "--engines", "serial", "-q", c.flag, filepath.Join(dir, c.value))
	}
}

// appendTo opens path for appending, as a shell's >> or 2>> does, and
// returns its contents before, for a test to check that a refused command
// left the file as it was. The file is closed when the test ends.
func appendTo(t *testing.T, path string) (before []byte, f *os.File) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return before, f
}

// twoParts saves the two shards of a small job in dir and returns their
// paths.
func twoParts(t *testing.T, dir string) []string {
	t.Helper()
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
		if code, _, stderr := run(context.Background(), "run", "--lanes", "100", "--steps", "2", "--engine", "serial", "-q", "--shard", fmt.Sprintf("%d/2", i), "--save", p); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		parts = append(parts, p)
	}
	return parts
}

// TestMergeStdoutIsPart: merge refuses a part that stdout goes to before
// reading any: merge p0.json p1.json >> p1.json exited 0 with the report
// appended to p1.json, which the next merge refused as damaged.
func TestMergeStdoutIsPart(t *testing.T) {
	dir := t.TempDir()
	parts := twoParts(t, dir)
	before, f := appendTo(t, parts[1])
	var stderr bytes.Buffer
	code := runContext(context.Background(), append([]string{"merge"}, parts...), strings.NewReader(""), f, &stderr)
	f.Close()
	after, err := os.ReadFile(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := "gpusim: error: " + strconv.Quote(parts[1]) + " is a part to merge and also the file stdout goes to"; code != exitUsage || !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("merge >> part: exit %d, stderr %q; want 2 and %q", code, stderr.String(), want)
	}
	if !bytes.Equal(after, before) {
		t.Errorf("merge >> part changed the part: %d bytes, was %d", len(after), len(before))
	}
}

// TestMergeStdoutIsList: merge refuses a --files-from list that stdout goes
// to, saying what happened to it: appended to (>>), the list is intact and
// the report would be written into it, where the error said the shell had
// emptied it; truncated (>), it is empty.
func TestMergeStdoutIsList(t *testing.T) {
	dir := t.TempDir()
	parts := twoParts(t, dir)
	list := filepath.Join(dir, "list.txt")
	text := strings.Join(parts, "\n") + "\n"
	for _, c := range []struct {
		flag int
		want string
		kept string
	}{
		{os.O_APPEND, " is also the file stdout goes to: the report would be written into it (redirect stdout to another file)", text},
		{os.O_TRUNC, " is also the file stdout goes to: the shell emptied it before merge could read it (redirect stdout to another file)", ""},
	} {
		if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(list, os.O_WRONLY|c.flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := runContext(context.Background(), []string{"merge", "--files-from", list}, strings.NewReader(""), f, &stderr)
		f.Close()
		if want := "gpusim: error: --files-from: " + strconv.Quote(list) + c.want + "\n"; code != exitUsage || stderr.String() != want {
			t.Errorf("merge --files-from list, stdout opened with flag %#x: exit %d, stderr %q; want 2 and %q", c.flag, code, stderr.String(), want)
		}
		if b, _ := os.ReadFile(list); string(b) != c.kept {
			t.Errorf("flag %#x: the list holds %q, want %q", c.flag, b, c.kept)
		}
	}
}

// TestFailedCommitUndone: a file the commit cannot rename into place (a
// folder made where --out goes during the run) leaves every output as it
// was, the report naming none, each flag's error saying why. Before, the
// --html page and the file it replaced were committed beside the
// unwritten --out, and the page written again without it.
func TestFailedCommitUndone(t *testing.T) {
	// The test watches for --out's temporary file by its name, which an
	// unnamed one has only from its Close.
	saved := atomicfile.Anonymous
	atomicfile.Anonymous = false
	t.Cleanup(func() { atomicfile.Anonymous = saved })
	dir := t.TempDir()
	out, html := filepath.Join(dir, "f.csv"), filepath.Join(dir, "h.html")
	if err := os.WriteFile(html, []byte("old page\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	made := make(chan error, 1)
	go func() {
		// Once the run has created its temporary files (before the job),
		// a folder takes the place of --out's target.
		for range 10000 {
			if m, _ := filepath.Glob(filepath.Join(dir, ".f.csv.tmp-*")); len(m) > 0 {
				made <- os.Mkdir(out, 0o755)
				return
			}
			time.Sleep(time.Millisecond)
		}
		made <- fmt.Errorf("no temporary file")
	}()
	code, stdout, stderr := run(context.Background(), "run", "--lanes", "100000", "--steps", "100", "--engine", "serial", "-q", "--out", out, "--html", html)
	if err := <-made; err != nil {
		t.Skipf("the folder was not made before the commit: %v", err)
	}
	undone := `write --html: ` + html + `: left as it was, as "` + out + `" could not be put in place with it (a run's outputs are committed all or none)`
	if code != exitFailure || !strings.Contains(stderr, "write --out: ") || !strings.Contains(stderr, undone) || strings.Contains(stderr, ".tmp-") || strings.Contains(stdout, "f.csv") || strings.Contains(stdout, "h.html") || !strings.Contains(stdout, "digest") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 1, --out's error naming f.csv (not its temporary file), %q and a report naming neither file", code, stdout, stderr, undone)
	}
	// The cause comes first: the flags' errors were printed in the
	// flags' order, so that --html's said it was left as it was for a
	// reason not given yet.
	if i, j := strings.Index(stderr, "write --out: "), strings.Index(stderr, undone); i > j {
		t.Errorf("stderr %q: --html's undone commit is said before --out's error, its cause", stderr)
	}
	if page, err := os.ReadFile(html); err != nil || string(page) != "old page\n" {
		t.Errorf("h.html holds %q, %v; want it as it was", page, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) > 0 {
		t.Errorf("temporary files or backups left: %v", m)
	}
}
