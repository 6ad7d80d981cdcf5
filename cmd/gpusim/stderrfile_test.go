package main

import (
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestFileArgs: the words of a command line that may name a file are the
// values of the flags that take one and the words that are no flag's
// value; the value of any other flag is not (run --seed 42).
func TestFileArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--seed", "42", "--save", "p.json"}, []string{"p.json"}},
		{[]string{"run", "--seed=42", "--save=p.json", "-q", "--out", "-x.npy"}, []string{"p.json", "-x.npy"}},
		{[]string{"run", "-q", "--html", "r.html", "--daily-out", "d.csv"}, []string{"r.html", "d.csv"}},
		{[]string{"merge", "--format", "json", "p0.json", "--files-from", "l.txt", "p1.json"}, []string{"p0.json", "l.txt", "p1.json"}},
		{[]string{"merge", "--", "--format", "p0.json"}, []string{"--format", "p0.json"}},
		{[]string{"bench", "--lanes", "1e3", "--update-doc", "README.md"}, []string{"README.md"}},
		{[]string{"p1.json", "--seed", "42"}, []string{"p1.json", "42"}},
		{nil, nil},
	} {
		if got := fileArgs(c.args); !slices.Equal(got, c.want) {
			t.Errorf("fileArgs(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

// TestFileFlagsTakeFile: every flag whose value is a file, a folder or a
// path (FILE, DIR, PATH in its usage), and --files-from's list, is marked
// TakesFile, which fileArgs reads.
func TestFileFlagsTakeFile(t *testing.T) {
	names := regexp.MustCompile("`[A-Z]*(FILE|DIR|PATH)[A-Z]*`")
	for _, cmd := range newApp(strings.NewReader(""), io.Discard, io.Discard).Commands {
		for _, f := range cmd.Flags {
			d, ok := f.(cli.DocGenerationFlag)
			if !ok {
				continue
			}
			wants := names.MatchString(d.GetUsage()) || f.Names()[0] == "files-from"
			if wants != takesFile(f) {
				t.Errorf("%s --%s: TakesFile %v, want %v (usage %q)", cmd.Name, f.Names()[0], takesFile(f), wants, d.GetUsage())
			}
		}
	}
}
