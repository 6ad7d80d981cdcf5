package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestHelpDefaultsInREADME: the default each flag's --help gives is the one
// README's table of the command's flags gives: for run, its Default column
// (false there is off, a flag with none is none); for bench, whose table
// has no such column, the row names it. TestHelpRangesInREADME keeps the
// rows and ranges in step; nothing kept the defaults.
func TestHelpDefaultsInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	runTable := flagTable(string(readme), "## `gpusim run` flags")
	benchTable := flagTable(string(readme), "## Benchmarks: `gpusim bench`")
	if runTable == "" || benchTable == "" {
		t.Fatal("README has no table of run's or bench's flags")
	}
	n := 0
	for _, c := range []struct {
		cmd, table string
		column     bool // the table has a Default column
	}{{"run", runTable, true}, {"bench", benchTable, false}} {
		_, help, _ := run(context.Background(), c.cmd, "--help")
		_, help, _ = strings.Cut(help, "\nOPTIONS:")
		for _, line := range strings.Split(help, "\n") {
			m := regexp.MustCompile(`^\s+--([\w-]+)`).FindStringSubmatch(line)
			if m == nil || m[1] == "help" {
				continue
			}
			def := "none"
			if d := regexp.MustCompile(`(?:\(|; )default: (.*?)\)?$`).FindStringSubmatch(line); d != nil {
				def = d[1]
			}
			def = firstWord(def)
			// The row with the flag in its first cell, as another row may
			// name it (--steps's names --daily); else, in bench's table, a
			// row that gives it with another (--sweep's, --sweep-reps).
			flag := regexp.QuoteMeta(m[1])
			row := regexp.MustCompile(`(?m)^\|[^|]*--` + flag + `([^-\w][^|]*)?\|.*$`).FindString(c.table)
			if row == "" {
				row = regexp.MustCompile(`(?m)^\|.*--` + flag + `([^-\w].*)?$`).FindString(c.table)
			}
			if row == "" {
				t.Errorf("README's table of %s's flags has no row for --%s", c.cmd, m[1])
				continue
			}
			n++
			if !c.column {
				if def != "false" && def != "none" && !strings.Contains(row, def) {
					t.Errorf("%s --%s: --help gives the default %q, README's row does not: %s", c.cmd, m[1], def, row)
				}
				continue
			}
			cells := strings.Split(row, " | ")
			if len(cells) < 3 {
				t.Errorf("README's row for %s --%s has no Default cell: %s", c.cmd, m[1], row)
				continue
			}
			want := map[string]string{"false": "off"}[def]
			if want == "" {
				want = def
			}
			if got := firstWord(strings.ReplaceAll(cells[1], "`", "")); got != want {
				t.Errorf("%s --%s: --help gives the default %q, README's Default column %q", c.cmd, m[1], want, got)
			}
		}
	}
	if n < 35 {
		t.Errorf("%d flags' defaults checked, want every one of run's and bench's (35 or more)", n)
	}
}

// firstWord is s's first word, quotes, commas and parentheses aside:
// `"auto"` and `0, all cores` are auto and 0.
func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " ,("); i >= 0 {
		s = s[:i]
	}
	return strings.Trim(s, `"`)
}
