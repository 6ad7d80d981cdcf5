//go:build unix

package bench

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"sync"
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

// running is the process groups of bench's children running now
// (runChildProcess), which a stop of bench by its terminal stops too
// (forwardStops).
var running struct {
	sync.Mutex
	groups map[int]int // pgid: how many runChildProcess calls hold it
}

var forwardOnce sync.Once

// track counts g as running until the func it returns is called, and
// starts forwardStops at the first child.
func track(g group) (untrack func()) {
	forwardOnce.Do(forwardStops)
	running.Lock()
	defer running.Unlock()
	if running.groups == nil {
		running.groups = map[int]int{}
	}
	running.groups[g.pgid]++
	return func() {
		running.Lock()
		defer running.Unlock()
		if running.groups[g.pgid]--; running.groups[g.pgid] <= 0 {
			delete(running.groups, g.pgid)
		}
	}
}

// signalRunning sends sig to every running child's process group.
func signalRunning(sig syscall.Signal) {
	running.Lock()
	defer running.Unlock()
	for pgid := range running.groups {
		group{pgid}.signal(sig)
	}
}

// forwardStops makes a stop of bench by its terminal (Ctrl-Z: SIGTSTP,
// which the terminal sends to bench's process group alone) stop its
// children's process groups too, and a SIGCONT of bench (fg, bg, kill
// -CONT) continue them: in groups of their own (setGroup), the children,
// the processes engine's gpusim runs and the Python baseline, ran on
// while bench was stopped, on the cores the user had meant to free. Go's
// handler, once installed, drops a SIGTSTP that nobody takes (os/signal's
// Reset does not restore the default action), so bench stops itself with
// SIGSTOP, which the shell's job control reports as it does a Ctrl-Z. A
// SIGTSTP the process was started with ignored stays ignored. Stops that
// reach the children already (Slurm's scontrol suspend, a kill of the
// whole session) are not changed: a stopped child is stopped again, a
// running one continued.
func forwardStops() {
	sigs := []os.Signal{syscall.SIGCONT}
	if !signal.Ignored(syscall.SIGTSTP) {
		sigs = append(sigs, syscall.SIGTSTP)
	}
	c := make(chan os.Signal, 4)
	signal.Notify(c, sigs...)
	go func() {
		for s := range c {
			if s == syscall.SIGTSTP {
				// The children first: the stop of bench takes
				// effect a moment after kill returns (another
				// thread takes it), and the SIGCONT that ends it
				// comes through c.
				signalRunning(syscall.SIGSTOP)
				syscall.Kill(os.Getpid(), syscall.SIGSTOP)
				continue
			}
			signalRunning(syscall.SIGCONT)
		}
	}()
}
