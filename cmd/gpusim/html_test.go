package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
		{filepath.Join(dir, "report.txt"), `unknown extension ".txt" (valid: .html, .htm)`},
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

// TestExtensionErrorsNameValid: a file flag refusing a name for its
// extension, or for having none, names every extension it takes, as
// --out's "unknown extension ".txt" (valid: .npy, .csv, .f32)" does:
// --html said only `"report.pdf" is not an .html file`, where .htm is
// taken too.
func TestExtensionErrorsNameValid(t *testing.T) {
	dir := t.TempDir()
	benchArgs := []string{"bench", "--lanes", "10", "--steps", "1", "--no-sweep", "--no-scaling", "--baseline", "none"}
	for _, tc := range []struct {
		args  []string
		flag  string
		valid []string
	}{
		{[]string{"run", "--lanes", "10"}, "out", []string{".npy", ".csv", ".f32"}},
		{[]string{"run", "--lanes", "10", "--paths", "1"}, "paths-out", []string{".npy", ".csv", ".f32"}},
		{[]string{"run", "--lanes", "10"}, "daily-out", []string{".csv"}},
		{[]string{"run", "--lanes", "10"}, "plot", []string{".png", ".svg"}},
		{[]string{"run", "--lanes", "10"}, "plot-daily", []string{".png", ".svg"}},
		{[]string{"run", "--lanes", "10"}, "save", []string{".json"}},
		{[]string{"run", "--lanes", "10"}, "html", []string{".html", ".htm"}},
		{benchArgs, "html", []string{".html", ".htm"}},
	} {
		for _, name := range []string{"report.bogus", "report"} {
			path := filepath.Join(dir, name)
			code, _, stderr := run(context.Background(), append(slices.Clone(tc.args), "--"+tc.flag, path)...)
			if code != exitUsage || !strings.HasPrefix(stderr, "gpusim: error: --"+tc.flag+": ") {
				t.Errorf("%s --%s %s: exit %d, %q; want exit 2 naming --%s", tc.args[0], tc.flag, name, code, stderr, tc.flag)
				continue
			}
			for _, ext := range tc.valid {
				if !regexp.MustCompile(regexp.QuoteMeta(ext) + `\b`).MatchString(stderr) {
					t.Errorf("%s --%s %s: %q does not name %s, which the flag takes", tc.args[0], tc.flag, name, stderr, ext)
				}
			}
		}
	}
}
