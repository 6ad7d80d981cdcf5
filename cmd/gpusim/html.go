package main

import (
	"github.com/urfave/cli/v2"
)

// htmlFlag is --html for run and bench: a self-contained HTML report.
func htmlFlag(what string) cli.Flag {
	return &cli.StringFlag{Name: "html", TakesFile: true, Usage: "also write " + what + " as one self-contained HTML page `FILE` (.html or .htm; charts inline as SVG, no scripts, nothing fetched)"}
}
