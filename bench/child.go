package bench

import (
	"context"
	"errors"
	"os/exec"
	"time"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// childGrace is how long a child's process group has, once told to stop
// (SIGTERM), before it is killed (SIGKILL): short enough that a stopped
// benchmark ends within interrupt.StopGrace.
const childGrace = 250 * time.Millisecond

// command is exec.CommandContext for a child process of bench that may
// start processes of its own (the Python baseline's joblib/loky workers
// and resource tracker): on unix systems it runs in a process group of its
// own, and when ctx is done the whole group is told to stop (SIGTERM) and
// killed (SIGKILL) childGrace later; the default killed the child alone,
// and its workers outlived gpusim. Elsewhere the child alone is killed.
// Run it with runChildProcess.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	setGroup(cmd)
	// Output pipes that a leftover process holds open are closed rather
	// than waited for.
	cmd.WaitDelay = 2 * childGrace
	return cmd
}

// runChildProcess runs cmd (from command) and waits for it, then ends what
// is left of its process group: told to stop at once when ctx is done,
// else given childGrace to leave on its own. A forced exit of gpusim
// (interrupt.Exit) kills the group first. A child that exited with success
// but left a process holding its output open succeeds (its output was read
// up to its exit).
func runChildProcess(ctx context.Context, cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	g := groupOf(cmd)
	remove := interrupt.BeforeExit(g.kill)
	defer remove()
	err := cmd.Wait()
	g.end(ctx.Err() != nil)
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		err = nil
	}
	return err
}
