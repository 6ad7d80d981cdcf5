//go:build unix && !linux

package interrupt

// threadsRoomEarly is false where gpusim does not know the process
// limit's room without a file (the limits and sysinfo(2) of Linux): the
// user signals are taken by NotifyContext only.
func threadsRoomEarly() bool { return false }
