package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3" (the Makefile uses git describe).
var version = "dev"

// versionString is the version plus, when the build recorded them, the VCS
// revision and whether the tree was modified.
func versionString() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if rev != "" {
			v += fmt.Sprintf(" (%.12s%s)", rev, modified)
		}
	}
	return v
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print gpusim's version and the Go toolchain that built it",
		UsageText: "gpusim version",
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			return printVersion(c)
		},
	}
}

// printVersion prints the version line of `gpusim version`, which
// `gpusim --version` prints too.
func printVersion(c *cli.Context) error {
	_, err := fmt.Fprintf(c.App.Writer, "gpusim %s %s %s/%s\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
