// Package pathslot is a table of paths that a signal handler reads
// without Go (atomicfile's named temporary files, gpu/cl's crash marks):
// slots of a fixed layout, each a uint32 state at offset 0 (0 free, 1
// being written, Held) and a NUL-terminated path at PathOffset, claimed in
// turn round the table, so that a slot freed and claimed again while a
// handler reads it takes as many claims as there are slots.
package pathslot

import (
	"bytes"
	"sync/atomic"
	"unsafe"
)

const (
	// PathMax is the room for a path in a slot, its NUL included:
	// PATH_MAX.
	PathMax = 4096
	// Held is a slot's state where its path is one for the handler.
	Held = 2
)

// Slot is one slot of a table: state at offset 0, the path at PathOffset.
type Slot struct {
	state atomic.Uint32
	_     uint32
	path  [PathMax]byte
}

// PathOffset is the offset of a slot's path, and Size a slot's size, in
// bytes.
const (
	PathOffset = unsafe.Offsetof(Slot{}.path)
	Size       = unsafe.Sizeof(Slot{})
)

// Claim puts path in a free slot of slots, trying each slot once in turn
// from the one next counts to (next is the table's own counter), and
// returns the slot's index, or -1 where none is free or path is "" or of
// PathMax bytes or more.
func Claim(slots []Slot, next *atomic.Uint32, path string) int {
	if path == "" || len(path) >= PathMax {
		return -1
	}
	for range slots {
		i := int((next.Add(1) - 1) % uint32(len(slots)))
		s := &slots[i]
		if !s.state.CompareAndSwap(0, 1) {
			continue
		}
		n := copy(s.path[:], path)
		s.path[n] = 0
		s.state.Store(Held)
		return i
	}
	return -1
}

// Free frees slot i of slots (Claim's), where i is one (not -1).
func Free(slots []Slot, i int) {
	if i >= 0 {
		slots[i].state.Store(0)
	}
}

// Path is the path that s holds for the handler, and whether it holds
// one (its state is Held).
func (s *Slot) Path() (string, bool) {
	if s.state.Load() != Held {
		return "", false
	}
	n := bytes.IndexByte(s.path[:], 0)
	return string(s.path[:n]), true
}
