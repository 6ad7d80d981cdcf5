package gpu

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// procState reads the process pid's start and whether it is a zombie (has
// ended, not yet reaped by its parent) from /proc/PID/stat (its state,
// field 3, its threads, field 20, and starttime, field 22: clock ticks
// since boot, proc(5)), its start placed on the wall clock by its age
// against /proc/uptime, both counted from boot (CLOCK_BOOTTIME), so that
// a wall clock set since boot moves neither. ok is false where the files
// cannot be read or parsed.
func procState(pid int) (started time.Time, zombie, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, false, false
	}
	// The command name, field 2, is in parentheses and may hold spaces
	// and parentheses of its own: the fields after it follow its last.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return time.Time{}, false, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return time.Time{}, false, false
	}
	ticks, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return time.Time{}, false, false
	}
	u, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return time.Time{}, false, false
	}
	up, _, _ := bytes.Cut(u, []byte(" "))
	upS, err := strconv.ParseFloat(string(up), 64)
	if err != nil {
		return time.Time{}, false, false
	}
	// /proc counts in USER_HZ, 100 a second on every Linux (the
	// sysconf(_SC_CLK_TCK) of glibc, which returns the kernel's
	// constant USER_HZ).
	age := time.Duration((upS - float64(ticks)/userHZ) * float64(time.Second))
	// A zombie leader whose other threads run (a thread group's first
	// thread ended alone) is a process that runs: num_threads, field 20,
	// counts them, and is 1 for a process that has ended.
	return time.Now().Add(-age), string(f[0]) == "Z" && string(f[17]) == "1", true
}

// userHZ is the clock ticks a second of /proc's times (USER_HZ).
const userHZ = 100
