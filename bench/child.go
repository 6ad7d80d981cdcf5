package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/gpusim/gpusim/internal/diskfree"
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
//
// Of each of stdout and stderr, childOutputCap bytes at most are read:
// a child that prints more is killed with its group, and the error is an
// *outputFloodError (runChildProcessUpTo sets another cap).
func runChildProcess(ctx context.Context, cmd *exec.Cmd) error {
	return runChildProcessUpTo(ctx, cmd, childOutputCap)
}

// childOutputCap is the most bench reads of a child's stdout, and of its
// stderr: a Python on PATH that was `yes` had the probe's buffer grow by
// 1 GB/s, and bench died with "fatal error: out of memory" and a goroutine
// dump before any benchmark ran (under ulimit -v 3000000), its report
// lost. What a child legitimately prints is far less: the probe's answer
// is a line, a processes engine child's report under a kilobyte, and the
// baseline script's results and progress lines under a kilobyte each (374
// to 650 bytes measured, 14 kB for two workloads of seven versions),
// which runScript adds to this cap for each result it asks for.
const childOutputCap = 4 << 20

// runChildProcessUpTo is runChildProcess with a cap of limit bytes on
// each of the child's stdout and stderr.
func runChildProcessUpTo(ctx context.Context, cmd *exec.Cmd, limit int64) error {
	outs, err := captureOutputs(cmd, limit)
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		outs.finish(true)
		return err
	}
	g := groupOf(cmd)
	// A flood is stopped at once and whole (its workers too): what it
	// would print next is dropped anyway.
	outs.started(g.kill)
	remove := interrupt.BeforeExit(g.kill)
	defer remove()
	defer track(g)()
	err = cmd.Wait()
	stopped := ctx.Err() != nil || outs.flood() != nil
	g.end(stopped)
	outs.finish(stopped)
	// A child that printed past the cap and exited before it was read
	// is found over it only now, by finish's reading.
	if fe := outs.flood(); fe != nil {
		return fe
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		err = nil
	}
	return err
}

// outputFloodError is a child killed for printing more than the cap on
// what bench reads of its output (childOutputCap).
type outputFloodError struct {
	stream string // "stdout", "stderr", or "stdout and stderr" through one pipe
	limit  int64
}

func (e *outputFloodError) Error() string {
	return fmt.Sprintf("printed more than %s on %s, more than bench reads of a child's output: killed", byteCount(e.limit), e.stream)
}

// byteCount is n bytes as gpusim writes a size for people (SI units to
// three digits: diskfree.SizeText, docs/outputs.md): it read "4 MiB".
func byteCount(n int64) string { return diskfree.SizeText(uint64(max(n, 0))) }

// captured is a child's output read through pipes of bench's own (an
// *os.File given to exec is passed to the child as it is, with no copying
// of exec's to cut short), into buffers handed to the writers the caller
// set once the reading is over.
type captured struct {
	pipes []*capture
}

// capture is one output pipe: the child's end w, bench's end r, what was
// read so far, and the writer it goes to; limit is the most read from it,
// stop what kills the child past it.
type capture struct {
	dst    io.Writer
	r, w   *os.File
	done   chan struct{}
	stream string // the child's stdout, stderr, or both
	limit  int64
	stop   func()

	mu      sync.Mutex
	buf     bytes.Buffer
	n       int64 // bytes read and kept (in buf, or handed to a live dst)
	flooded bool  // more than limit came: the rest is dropped
	over    bool  // finish has handed buf to dst: later bytes are dropped
	reading bool  // started has started read, which closes done at its end
}

// captureOutputs replaces cmd's Stdout and Stderr writers (other than
// files, which exec passes on as they are) with pipes read by bench, each
// up to limit bytes.
func captureOutputs(cmd *exec.Cmd, limit int64) (*captured, error) {
	outs := &captured{}
	byDst := map[io.Writer]*capture{}
	for i, out := range []*io.Writer{&cmd.Stdout, &cmd.Stderr} {
		if *out == nil {
			continue
		}
		if _, ok := (*out).(*os.File); ok {
			continue
		}
		if c, ok := byDst[*out]; ok { // one writer for both: one pipe
			*out = c.w
			c.stream = "stdout and stderr"
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			outs.finish(true)
			return nil, err
		}
		c := &capture{dst: *out, r: r, w: w, done: make(chan struct{}), stream: []string{"stdout", "stderr"}[i], limit: limit}
		byDst[*out] = c
		outs.pipes = append(outs.pipes, c)
		*out = w
	}
	return outs, nil
}

// started closes the child's ends in this process and starts reading;
// stop kills the child once a pipe has brought more than its limit.
func (o *captured) started(stop func()) {
	for _, c := range o.pipes {
		c.w.Close()
		c.reading = true
		c.stop = stop
		go c.read()
	}
}

// flood is the error of the first pipe that brought more than its limit,
// or nil.
func (o *captured) flood() error {
	for _, c := range o.pipes {
		if c.isFlooded() {
			return &outputFloodError{stream: c.stream, limit: c.limit}
		}
	}
	return nil
}

// isFlooded says whether more than c's limit came through it.
func (c *capture) isFlooded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flooded
}

// read reads the pipe to its end: up to limit bytes are kept, and past
// them the child is stopped and the rest read and dropped, so that a
// process outside its group that still writes is not blocked.
func (c *capture) read() {
	defer close(c.done)
	p := make([]byte, 32<<10)
	for {
		n, err := c.r.Read(p)
		c.mu.Lock()
		b, flood := p[:n], false
		if c.flooded || c.over {
			b = nil
		} else if c.n+int64(n) > c.limit {
			b, flood = b[:c.limit-c.n], true
			c.flooded = true
		}
		c.n += int64(len(b))
		if _, ok := c.dst.(liveOutput); ok && len(b) > 0 {
			c.dst.Write(b)
		} else {
			c.buf.Write(b)
		}
		c.mu.Unlock()
		if flood {
			c.stop()
		}
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
				// Unread bytes past the cap are a flood from a
				// process that left the group, not a late reader:
				// they came on for good.
				if pipeUnread(c.r) > 0 && !c.isFlooded() {
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
