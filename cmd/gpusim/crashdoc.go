package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/jsonnum"
)

// crashDocWait bounds the write of the JSON document of an OpenCL
// driver's crash that the probe's child met (cl.ErrCrashed: devices' and
// selftest's --format json), as the crash handler bounds its own writes
// (cl: 5 s): the document was one blocking write, and a stdout that no one
// reads (a full pipe, "| sleep 1000" once it filled) held gpusim there for
// as long as the pipe's reader lived, the error never said. A variable for
// tests.
var crashDocWait = 5 * time.Second

// stdoutCutError says that the document of a driver's crash was not taken
// whole by stdout within crashDocWait: printFailure says it as a note
// after the errors and their hints, in the crash handler's words.
type stdoutCutError struct{}

func (stdoutCutError) Error() string {
	return "the report on stdout is cut short: stdout did not take it whole within 5 s (a full pipe that no one reads), and a crashed gpusim waits no longer"
}

// writeDocJSON is writeJSON of doc, the document of err (a command's
// failure, nil for none), bounded to crashDocWait where err is a driver's
// crash (cl.ErrCrashed): a write not done by then is left to the process's
// exit, and the error is a stdoutCutError.
func writeDocJSON(w io.Writer, doc map[string]any, err error) error {
	if !errors.Is(err, cl.ErrCrashed) {
		return writeJSON(w, doc)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return writeBounded(w, jsonnum.Fix(b.Bytes()), crashDocWait)
}

// writeBounded writes p to w, waiting at most d for it: a write not done
// by then goes on in the background (a write to a pipe cannot be taken
// back; the process's exit ends it) and the error is a stdoutCutError.
// Otherwise it is the write's error.
func writeBounded(w io.Writer, p []byte, d time.Duration) error {
	done := make(chan error, 1)
	go func() {
		_, err := w.Write(p)
		done <- err
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return stdoutCutError{}
	}
}
