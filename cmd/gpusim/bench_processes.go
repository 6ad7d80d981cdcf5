package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gpusim/gpusim/bench"
	"github.com/gpusim/gpusim/engines"
)

// withProcesses adds bench's processes engine, running this gpusim as its
// child processes, to the engines b lists. A Go test binary (name.test) is
// not gpusim: there it is left out with the reason, and the tests that need
// it build gpusim or run it from a script, where the test binary runs as
// gpusim under that name.
func withProcesses(b engines.Benchable) engines.Benchable {
	b.Entries = append(b.Entries, bench.ProcessesEngine)
	bin, err := selfBinary()
	if err != nil {
		b.Missing[bench.ProcessesEngine] = err
		return b
	}
	b.Specs = append(b.Specs, bench.ProcessesSpec(bin))
	return b
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
