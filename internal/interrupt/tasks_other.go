//go:build unix && !linux

package interrupt

// systemTasks is unknown where sysinfo(2) is not.
func systemTasks() (uint64, bool) { return 0, false }
