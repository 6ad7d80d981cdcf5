package sysmem

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
)

// LimitHeap sets Go's soft memory limit (runtime/debug.SetMemoryLimit) to
// the memory the runtime holds now and the room this process has left
// under a hard limit, less HeapSlack of that room for what is not Go's
// (thread stacks, a driver's own allocations): the address space under
// RLIMIT_AS (ulimit -v), the memory under a cgroup's limit, whichever is
// less. It returns the limit set, and false where there is no such limit
// (the machine's free memory is not one: the garbage collector runs as
// GOGC says), or where GOMEMLIMIT is set, which it leaves as it is.
//
// Without it the collector let the heap grow to twice what was live
// before collecting, and under a limit the growth was what failed: a
// merge of eight 20 MB parts of 10,000 --daily steps, one part live at a
// time, died out of memory under ulimit -v 1600000 where one of them
// merged under 1550000; arenas Go maps stay mapped, so the address space
// a heap once took stays taken.
func LimitHeap() (limit int64, ok bool) {
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return 0, false // GOMEMLIMIT, or a caller's limit
	}
	room, limited := addressRoom()
	if r, l := cgroupRoom(); l && (!limited || r < room) {
		room, limited = r, true
	}
	if !limited {
		return 0, false
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	held := s[0].Value.Uint64() - s[1].Value.Uint64()
	slack := HeapSlack(room)
	if room <= slack {
		room = 0
	} else {
		room -= slack
	}
	limit = int64(min(held+room, math.MaxInt64))
	debug.SetMemoryLimit(limit)
	return limit, true
}
