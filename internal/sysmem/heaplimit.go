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
	have := held()
	slack := HeapSlack(room)
	if room <= slack {
		room = 0
	} else {
		room -= slack
	}
	limit = int64(min(have+room, math.MaxInt64))
	debug.SetMemoryLimit(limit)
	heapSet = limit
	return limit, true
}

// heapSet is the memory limit LimitHeap, or CapHeap after it, set last; 0
// where they set none.
var heapSet int64

// held is the memory Go's runtime holds: what it has mapped less what its
// heap gave back to the system.
func held() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// CapHeap lowers the memory limit LimitHeap set to the memory the runtime
// holds now and need more, where that is lower, for a command that knows
// the most it holds at once (a merge: one part read beside the sums), and
// returns the limit in force. A limit at the whole room left the heap
// room to grow to it, and the address space its heap maps beyond the live
// bytes (the pages it gave back, runs of free pages too short for a large
// block) is not counted in the limit, so that it was the address space
// that ran out: merges of eight parts of 20 MB under ulimit -v 1750000
// died of "cannot allocate 33554432-byte block (398000128 in use)", with
// some 160 MB live. Under a limit of what it holds the heap stays near
// that, and HeapSlack of the room is left for what it maps beyond. A
// need counted short costs the collector's time, not the command: the
// limit is soft. ok is false, and the limit left as it is, where the
// limit in force is not the one LimitHeap set (none, GOMEMLIMIT's, a
// caller's).
func CapHeap(need uint64) (limit int64, ok bool) {
	cur := debug.SetMemoryLimit(-1)
	if heapSet == 0 || cur != heapSet {
		return cur, false
	}
	if l := held() + need; l < uint64(cur) {
		cur = int64(l)
		debug.SetMemoryLimit(cur)
		heapSet = cur
	}
	return cur, true
}
