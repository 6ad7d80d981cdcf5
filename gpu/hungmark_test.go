//go:build unix

package gpu

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestHungSetUpLeavesNoMark: a device's context or queue whose creation
// the driver does not answer within answerWait ends Open with the
// *NoAnswerError, and leaves no mark of the step in the cache folder or
// this user's folders of marks: the process exits on its own after it,
// and the next start took the probe's set-up mark, which the call still
// held, for a kill's ("process N ended without a crash while the OpenCL
// driver created a device's context or queue (killed by kill -9 ...)").
// The mark was made inside the call that the wait left running.
func TestHungSetUpLeavesNoMark(t *testing.T) {
	idx := testDevice(t)
	closeAll(t)
	for _, step := range []string{"context", "queue"} {
		t.Run(step, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			t.Setenv(EnvCacheDir, dir)
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
			was, ctxWas, qWas := answerWait, createContext, createQueue
			answerWait = 300 * time.Millisecond
			hang, returned := make(chan struct{}), make(chan struct{})
			if step == "context" {
				createContext = func(devs ...*cl.Device) (*cl.Context, error) {
					defer close(returned)
					<-hang
					return ctxWas(devs...)
				}
			} else {
				createQueue = func(ctx *cl.Context, dev *cl.Device) (*cl.Queue, error) {
					defer close(returned)
					<-hang
					return qWas(ctx, dev)
				}
			}
			defer func() {
				close(hang)
				<-returned
				answerWait, createContext, createQueue = was, ctxWas, qWas
				hungCall.Store(nil)
				if s := join(idx); s != nil { // the state Open left (notStarted)
					s.release()
					s.release()
				}
			}()
			e, err := Open(Options{Device: idx})
			if err == nil {
				e.Close()
				t.Fatal("Open answered under a driver that hangs")
			}
			if !errors.As(err, new(*NoAnswerError)) {
				t.Fatalf("Open: %v, want a *NoAnswerError", err)
			}
			for _, root := range []string{dir, tmp} {
				var marks []string
				filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() && (strings.Contains(d.Name(), setUpSuffix) || strings.Contains(d.Name(), bufferSuffix)) {
						marks = append(marks, path)
					}
					return nil
				})
				if len(marks) != 0 {
					t.Errorf("after the %s's wait ended: marks left %q", step, marks)
				}
			}
		})
	}
}
