//go:build !linux

package atomicfile

import (
	"errors"
	"os"
)

// createAnon is Linux's unnamed temporary file (anon_linux.go); elsewhere
// the temporary file is named from the start.
func createAnon(dir, name string, mode os.FileMode) *os.File { return nil }

func linkAnon(f *os.File, path string) error { return errors.ErrUnsupported }
