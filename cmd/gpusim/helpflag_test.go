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
