package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gpusim/gpusim/internal/atomicfile"
	"github.com/gpusim/gpusim/sim"
)

// htmlFlag is --html for run and bench: a self-contained HTML report.
func htmlFlag(what string) cli.Flag {
	return &cli.StringFlag{Name: "html", Usage: "also write " + what + " as one self-contained HTML page `FILE` (.html; charts inline as SVG, no scripts, nothing fetched)"}
}

// checkHTML refuses an --html that cannot be written before the run, not
// after.
func checkHTML(path string) error {
	if path == "" {
		return nil
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".html" && ext != ".htm" {
		return &sim.ParamError{Flag: "html", Msg: fmt.Sprintf("%q is not an .html file", path)}
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return &sim.ParamError{Flag: "html", Msg: fmt.Sprintf("directory %q does not exist", dir)}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &sim.ParamError{Flag: "html", Msg: fmt.Sprintf("%q is a directory", path)}
	}
	return nil
}

// writeHTML writes the --html page atomically.
func writeHTML(path string, write func(io.Writer) error) error {
	if err := atomicfile.WriteFile(path, write); err != nil {
		return fmt.Errorf("write --html: %w", err)
	}
	return nil
}
