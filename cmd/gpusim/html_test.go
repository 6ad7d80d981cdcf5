package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestRunHTML writes run --html with --daily and loads it in Chromium: the
// summary, both charts inline, no console errors, charts not blank.
func TestRunHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.html")
	code, _, stderr := run(context.Background(), "run", "--lanes", "20000", "--steps", "12", "--daily", "--engine", "serial", "--html", path, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"<title>gpusim run</title>", "Final temperatures against the exact law", "Histogram of the final temperatures", "Fan chart", "digest "} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(s, "<svg"); n != 2 {
		t.Errorf("%d charts, want the histogram and the fan chart", n)
	}
	for _, bad := range []string{"<script", "<link", "src=", "href=", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("page has %q: it must not request anything", bad)
		}
	}
	if !testing.Short() {
		testenv.CheckPage(t, path, 0)
	}
}

// TestBenchHTML writes bench --html and loads it in Chromium.
func TestBenchHTML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.html")
	code, _, stderr := run(context.Background(), "bench", "--engines", "serial,parallel", "--lanes", "2000", "--steps", "5", "--reps", "1", "--workers", "2",
		"--sweep", "100,1000", "--baseline", "none", "--html", path, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "<svg"); n != 3 {
		t.Errorf("%d charts, want speedup, time and sweep", n)
	}
	if !testing.Short() {
		testenv.CheckPage(t, path, 0)
	}
}

// TestHTMLBadPath: a --html that cannot be written is refused before the run.
func TestHTMLBadPath(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "report.txt"), "is not an .html file"},
		{filepath.Join(dir, "missing", "r.html"), "does not exist"},
	} {
		for _, cmd := range [][]string{{"run", "--lanes", "10"}, {"bench", "--lanes", "10", "--steps", "1", "--no-sweep", "--no-scaling", "--baseline", "none"}} {
			code, _, stderr := run(context.Background(), append(cmd, "--html", tc.path)...)
			if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: --html: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s --html %s: exit %d, stderr %q; want exit 2 and %q", cmd[0], tc.path, code, stderr, tc.want)
			}
		}
	}
}
