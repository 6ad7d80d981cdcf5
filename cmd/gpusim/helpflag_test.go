package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestIsHelpFlag checks isHelpFlag against the regexp it replaced, on
// help flags, their values and near misses.
func TestIsHelpFlag(t *testing.T) {
	old := regexp.MustCompile(`^--?(h|help)(=(1|t|T|true|TRUE|True))?$`)
	var args []string
	for _, dashes := range []string{"", "-", "--", "---"} {
		for _, name := range []string{"h", "help", "H", "he", "helpx", "xh", ""} {
			args = append(args, dashes+name)
			for _, v := range []string{"", "1", "t", "T", "true", "TRUE", "True", "0", "f", "false", "yes", "tru", "1=1"} {
				args = append(args, dashes+name+"="+v)
			}
		}
	}
	args = append(args, "-h ", " -h", "-h\n", "--help=true ", "-")
	for _, a := range args {
		if got, want := isHelpFlag(a), old.MatchString(a); got != want {
			t.Errorf("isHelpFlag(%q) = %v, want %v", a, got, want)
		}
	}
}

// TestFlagAsTypedInProcess: a one-letter flag is named as the command line
// Run was given typed it, not as the process's own (os.Args, the test
// binary's in tests): run --x read "unknown flag -x", and -q=2 "--q".
func TestFlagAsTypedInProcess(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--x"}, "gpusim: error: unknown flag --x\n"},
		{[]string{"run", "-x"}, "gpusim: error: unknown flag -x\n"},
		{[]string{"run", "-q=2"}, "gpusim: error: -q: invalid value \"2\""},
		{[]string{"run", "--q=2"}, "gpusim: error: --q: invalid value \"2\""},
	} {
		code, stdout, stderr := run(context.Background(), c.args...)
		if code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("gpusim %q: exit %d, stdout %q, stderr %q; want exit 2 and stderr from %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

// TestLongArgumentShortened: a value of 100,000 bytes is refused with exit
// 2 in an error of a few hundred bytes that says its length: it was
// written whole, in the error and again in its hint.
func TestLongArgumentShortened(t *testing.T) {
	long := strings.Repeat("7", 100000)
	for _, args := range [][]string{
		{"run", "--lanes", long},
		{"run", "--engine", long},
		{"run", "--" + long},
		{"run", "--lanes " + long},
		{long},
		{"merge", long + ".json"},
	} {
		code, stdout, stderr := run(context.Background(), args...)
		if code != exitUsage || stdout != "" || len(stderr) > 2000 || !strings.Contains(stderr, "bytes in all)") {
			t.Errorf("gpusim %.40q...: exit %d, stdout %q, stderr of %d bytes %.300q; want exit 2 and the value shortened", args, code, stdout, len(stderr), stderr)
		}
	}
	if got := shortenLong(`--x: "` + strings.Repeat(`\xff`, 300) + `" is bad`); !strings.Contains(got, `\xff...(300 bytes in all)" is bad`) {
		t.Errorf("shortenLong cut an escape, or counted its text, not its bytes: %q", got)
	}
}
