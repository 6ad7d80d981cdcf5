//go:build unix

package bench

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// setGroup makes cmd the leader of a new process group, which its children
// join, and its Cancel stop the whole group: SIGTERM, then SIGKILL after
// childGrace; on Linux the child is killed when bench dies
// (dieWithParent).
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	dieWithParent(cmd.SysProcAttr)
	cmd.Cancel = func() error {
		g := groupOf(cmd)
		err := g.signal(syscall.SIGTERM)
		if err == nil {
			time.AfterFunc(childGrace, g.kill)
		}
		return err
	}
}

// group is a child's process group, by its leader's pid.
type group struct{ pgid int }

func groupOf(cmd *exec.Cmd) group { return group{cmd.Process.Pid} }

// signal sends sig to every process in the group; os.ErrProcessDone when
// none is left.
func (g group) signal(sig syscall.Signal) error {
	if g.pgid <= 0 {
		return os.ErrProcessDone
	}
	err := syscall.Kill(-g.pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func (g group) kill() { g.signal(syscall.SIGKILL) }

// alive says whether a process of the group is left (a zombie its new
// parent has not reaped yet counts).
func (g group) alive() bool { return g.signal(0) == nil }

// end ends what is left of the group once its leader has exited: a
// stopped group (its Cancel sent SIGTERM) is killed at once; otherwise it
// has childGrace to leave on its own, then is told to stop, and killed
// childGrace after that.
func (g group) end(stopped bool) {
	if stopped {
		g.kill()
		return
	}
	wait := func() bool {
		for deadline := time.Now().Add(childGrace); g.alive(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				return false
			}
		}
		return true
	}
	if wait() {
		return
	}
	g.signal(syscall.SIGTERM)
	if !wait() {
		g.kill()
	}
}
