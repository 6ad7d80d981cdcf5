package main

import (
	"regexp"
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
