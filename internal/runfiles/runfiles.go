// Package runfiles holds a run's output files from before the run starts
// until they are written: each is created (its temporary file, through
// internal/atomicfile) before any work, so a path that cannot be written
// fails in milliseconds, and committed after the run.
package runfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gpusim/gpusim/internal/atomicfile"
)

// Path is an output file and the flag that names it.
type Path struct{ Flag, Path string }

// Files are a run's output files by flag.
type Files map[string]*atomicfile.File

// CreateError says why the file of a flag cannot be written.
type CreateError struct {
	Path
	Err error
}

func (e *CreateError) Error() string {
	dir := filepath.Dir(e.Path.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Sprintf("directory %q does not exist", dir)
	}
	err := e.Err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("cannot write %q: %v", e.Path.Path, err)
}

func (e *CreateError) Unwrap() error { return e.Err }

// Create creates the temporary file of each path; on an error it removes
// those it made and returns a *CreateError.
func Create(paths []Path) (Files, error) {
	files := Files{}
	for _, p := range paths {
		a, err := atomicfile.Create(p.Path)
		if err != nil {
			files.Abort()
			return nil, &CreateError{p, err}
		}
		files[p.Flag] = a
	}
	return files, nil
}

// Abort removes every temporary file not yet committed.
func (files Files) Abort() {
	for _, a := range files {
		a.Abort()
	}
}

// Write writes the file of flag with write and commits it, or removes its
// temporary file; the write stops with the context's cause once ctx is
// done. A flag without a file is a no-op.
func (files Files) Write(ctx context.Context, flag string, write func(io.Writer) error) error {
	a := files[flag]
	if a == nil {
		return nil
	}
	err := context.Cause(ctx)
	if ctx.Err() == nil {
		err = write(ctxWriter{ctx, a})
	}
	if err == nil {
		err = a.Commit()
	}
	if err != nil {
		a.Abort()
		return fmt.Errorf("write --%s: %w", flag, err)
	}
	return nil
}

// ctxWriter fails its writes with the context's cause once ctx is done, so
// writing a large output file stops promptly on Ctrl-C or --timeout (and
// the temporary file is then removed).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(p)
}
