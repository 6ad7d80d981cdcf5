package descriptors

import "time"

// StartPoller makes Go's runtime open its poller's descriptors (epoll and
// an eventfd on Linux, kqueue elsewhere) now, which it opens at the
// process's first timer: where they cannot be opened the runtime ends
// the process with "fatal error: runtime: netpollinit failed" and a page
// of trace, which a command's output files, each open until its commit,
// made happen mid-command under a low ulimit -n. Call it once Free has
// found descriptors free for the poller.
func StartPoller() {
	time.AfterFunc(time.Hour, func() {}).Stop()
}
