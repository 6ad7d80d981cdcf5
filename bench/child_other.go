//go:build !unix

package bench

import "os/exec"

// setGroup leaves cmd as it is: without process groups, exec's Cancel
// kills the child alone.
func setGroup(*exec.Cmd) {}

// group is the child alone.
type group struct{ cmd *exec.Cmd }

func groupOf(cmd *exec.Cmd) group { return group{cmd} }

func (g group) kill() { g.cmd.Process.Kill() }

func (g group) end(bool) {}

// track does nothing here: without process groups, a stop of bench's
// process reaches its children as the system sends it.
func track(group) (untrack func()) { return func() {} }
