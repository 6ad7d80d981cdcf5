package bench

import "syscall"

// dieWithParent has the kernel kill the child when bench dies (SIGKILL,
// the OOM killer), where no handler of bench's runs to stop its group: in
// a process group of its own, the child was not reached by a kill of
// bench's group either, and ran on to the end of its work. The signal
// comes when the thread that started the child ends, which in a Go
// program is at the process's end: Go ends a thread only under a
// goroutine that exits locked to it, and gpusim's one such goroutine (gpu/cl's
// call thread) never exits. It reaches the child alone, not processes it
// started (joblib's workers).
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
