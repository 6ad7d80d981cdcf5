package atomicfile

import (
	"sync/atomic"
	"unsafe"

	"github.com/gpusim/gpusim/internal/pathslot"
)

// The temporary files that have a name (a file system without unnamed
// files, or a file linked for its rename: File) are also kept in names, a
// table a signal handler can read without Go: one that ends the process
// where no Go code can run (gpu/cl's handler of a driver's crash, which
// calls nothing but raw system calls) removes them with unlink(2), where
// AbortAll, which takes locks, cannot run. A slot is claimed, written and
// then marked named; freed once its file is renamed or removed. The slots
// are claimed in turn, round the table, so that a slot freed and claimed
// again while a handler reads it takes as many claims as there are slots.
// A file whose slot cannot be had (every slot named, a path of
// NamePathMax bytes or more) is not in the table, and a crash leaves it.

const (
	// NameSlots is the number of slots in the table.
	NameSlots = 64
	// NamePathMax is the room for a path in a slot, its NUL included:
	// PATH_MAX.
	NamePathMax = pathslot.PathMax
	// NameSlotNamed is a slot's state where its path names a temporary
	// file.
	NameSlotNamed = pathslot.Held
)

var (
	names     [NameSlots]pathslot.Slot
	namesNext atomic.Uint32
)

// NameTable is the table of named temporary files for a signal handler:
// the address of NameSlots slots of slotSize bytes each, a slot's uint32
// at offset 0 NameSlotNamed where the NUL-terminated path at offset
// pathOffset is a temporary file to unlink(2). The table is static: its
// address and layout never change.
func NameTable() (table unsafe.Pointer, slotSize, pathOffset uintptr) {
	return unsafe.Pointer(&names), pathslot.Size, pathslot.PathOffset
}

// keepName puts path in a free slot of the table and returns the slot, or
// -1 where none is free or path does not fit.
func keepName(path string) int {
	return pathslot.Claim(names[:], &namesNext, path)
}

// dropName frees slot i (keepName's), where it is one.
func dropName(i int) {
	pathslot.Free(names[:], i)
}
