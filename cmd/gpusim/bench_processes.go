package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gpusim/gpusim/bench"
)

// processesEngine is bench's processes engine running this gpusim as its
// child processes. A Go test binary (name.test) is not gpusim: it is left
// out there, and the tests that need it build gpusim or run it from a
// script, where the test binary runs as gpusim under that name.
func processesEngine() (benchEngine, error) {
	bin, err := selfBinary()
	if err != nil {
		return benchEngine{}, err
	}
	return benchEngine{bench.ProcessesEngine, bench.ProcessesSpec(bin)}, nil
}

// selfBinary is the path this gpusim was started as: argv[0] looked up on
// PATH or made absolute, so a gpusim reached through a link runs as itself
// (os.Executable resolves links), else os.Executable.
func selfBinary() (string, error) {
	bin, err := exec.LookPath(os.Args[0])
	if err == nil {
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		if bin, err = os.Executable(); err != nil {
			return "", fmt.Errorf("cannot find the gpusim binary to run as child processes: %w", err)
		}
	}
	if strings.HasSuffix(strings.TrimSuffix(filepath.Base(bin), ".exe"), ".test") {
		return "", errors.New("the running program is a Go test binary, not gpusim")
	}
	return bin, nil
}
