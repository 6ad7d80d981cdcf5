package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// childGrace is how long a child's process group has, once told to stop
// (SIGTERM), before it is killed (SIGKILL): short enough that a stopped
// benchmark ends within interrupt.StopGrace.
const childGrace = 250 * time.Millisecond

// drainGrace is how long a child's output is read on once its process group
// has ended: only a process that left the group can still hold the pipe
// open then, so this bounds the wait for one, not the reading of what the
// child wrote.
var drainGrace = 2 * time.Second // a variable for tests

// command is exec.CommandContext for a child process of bench that may
// start processes of its own (the Python baseline's joblib/loky workers
// and resource tracker): on unix systems it runs in a process group of its
// own, and when ctx is done the whole group is told to stop (SIGTERM) and
// killed (SIGKILL) childGrace later; the default killed the child alone,
// and its workers outlived gpusim. Elsewhere the child alone is killed. On
// Linux the child is killed too when bench dies where no handler runs
// (SIGKILL: dieWithParent).
// Run it with runChildProcess.
//
// A bench whose working folder was removed starts its children in the
// temporary folder: joblib's set-up failed in the removed one
// (FileNotFoundError), and the baseline's joblib versions were skipped
// with that alone for a reason.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	if _, err := os.Getwd(); err != nil {
		cmd.Dir = os.TempDir()
	}
	setGroup(cmd)
	// A child that does not exit once stopped is killed, and an input
	// pipe that a leftover process holds open is closed rather than
	// waited for.
	cmd.WaitDelay = 2 * childGrace
	return cmd
}

// runChildProcess runs cmd (from command) and waits for it, then ends what
// is left of its process group: told to stop at once when ctx is done,
// else given childGrace to leave on its own. A forced exit of gpusim
// (interrupt.Exit) kills the group first. The child's output (cmd.Stdout
// and cmd.Stderr) is read whole, up to the end of the group, however long
// after the child's exit that takes: exec's own pipes were closed
// WaitDelay after the exit, cutting off what a reader starved of CPU had
// not read yet. A child that exited with success but left a process
// holding its input open succeeds.
func runChildProcess(ctx context.Context, cmd *exec.Cmd) error {
	outs, err := captureOutputs(cmd)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		outs.finish(true)
		return err
	}
	outs.started()
	g := groupOf(cmd)
	remove := interrupt.BeforeExit(g.kill)
	defer remove()
	defer track(g)()
	err = cmd.Wait()
	stopped := ctx.Err() != nil
	g.end(stopped)
	outs.finish(stopped)
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		err = nil
	}
	return err
}

// captured is a child's output read through pipes of bench's own (an
// *os.File given to exec is passed to the child as it is, with no copying
// of exec's to cut short), into buffers handed to the writers the caller
// set once the reading is over.
type captured struct {
	pipes []*capture
}

// capture is one output pipe: the child's end w, bench's end r, what was
// read so far, and the writer it goes to.
type capture struct {
	dst  io.Writer
	r, w *os.File
	done chan struct{}

	mu      sync.Mutex
	buf     bytes.Buffer
	over    bool // finish has handed buf to dst: later bytes are dropped
	reading bool // started has started read, which closes done at its end
}

// captureOutputs replaces cmd's Stdout and Stderr writers (other than
// files, which exec passes on as they are) with pipes read by bench.
func captureOutputs(cmd *exec.Cmd) (*captured, error) {
	outs := &captured{}
	byDst := map[io.Writer]*capture{}
	for _, out := range []*io.Writer{&cmd.Stdout, &cmd.Stderr} {
		if *out == nil {
			continue
		}
		if _, ok := (*out).(*os.File); ok {
			continue
		}
		if c, ok := byDst[*out]; ok { // one writer for both: one pipe
			*out = c.w
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			outs.finish(true)
			return nil, err
		}
		c := &capture{dst: *out, r: r, w: w, done: make(chan struct{})}
		byDst[*out] = c
		outs.pipes = append(outs.pipes, c)
		*out = w
	}
	return outs, nil
}

// started closes the child's ends in this process and starts reading.
func (o *captured) started() {
	for _, c := range o.pipes {
		c.w.Close()
		c.reading = true
		go c.read()
	}
}

func (c *capture) read() {
	defer close(c.done)
	p := make([]byte, 32<<10)
	for {
		n, err := c.r.Read(p)
		c.mu.Lock()
		if _, ok := c.dst.(liveOutput); ok && !c.over {
			c.dst.Write(p[:n])
		} else if !c.over {
			c.buf.Write(p[:n])
		}
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// liveOutput is a writer that gets a child's output as it is read, not
// once the child has ended: the Python baseline's stderr, whose progress
// lines say which version runs (scriptStderr). Its Write is called from the
// reading goroutine, never after finish.
type liveOutput interface {
	io.Writer
	live()
}

// finish waits for each pipe's end of file, drainGrace at most (not at all
// when the child was stopped, or never started), then closes the pipes and
// writes what was read to the caller's writers. drainGrace bounds the wait
// for a process that holds a pipe open, not the reading: while bytes the
// child wrote are still in a pipe (pipeUnread), the reader is starved of
// CPU, and the wait goes on (1024 children of the processes engine on 2
// CPUs: a child's whole report was dropped, "reading its report: unexpected
// end of JSON input" of a child that exited 0). Once a pipe is closed, its
// reader appends what it read last before the bytes are handed on.
func (o *captured) finish(stopped bool) {
	deadline := time.NewTimer(drainGrace)
	defer deadline.Stop()
	for _, c := range o.pipes {
		for c.reading && !stopped {
			select {
			case <-c.done:
			case <-deadline.C:
				if pipeUnread(c.r) > 0 {
					deadline.Reset(drainGrace)
					continue
				}
				stopped = true // the others get no more time either
			}
			break
		}
		c.w.Close()
		c.r.Close()
		if c.reading {
			// The reader's last Read returns at the close; what it
			// read before goes into buf (a short wait, bounded where a
			// close does not end a pending read).
			select {
			case <-c.done:
			case <-time.After(drainGrace):
			}
		}
		c.mu.Lock()
		c.over = true
		c.dst.Write(c.buf.Bytes())
		c.mu.Unlock()
	}
}
