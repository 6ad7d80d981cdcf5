package cl

import (
	"runtime"
	"unsafe"
)

const (
	programBinarySizes = 0x1165
	programBinaries    = 0x1166
)

// Binary returns the program's compiled binary for its device
// (CL_PROGRAM_BINARIES), which BuildProgramFromBinary accepts on the same
// device and driver. Its format is the driver's.
func (p *Program) Binary() ([]byte, error) {
	const op = "clGetProgramInfo"
	h := p.h.Load()
	var size uintptr
	if err := check(op, clGetProgramInfo(h, programBinarySizes, unsafe.Sizeof(size), unsafe.Pointer(&size), nil)); err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, &Error{Code: codeInvalidValue, Op: op + "(CL_PROGRAM_BINARY_SIZES)"}
	}
	bin := make([]byte, size)
	// The driver writes through a pointer held in memory: pin the target.
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&bin[0])
	ptrs := []uintptr{uintptr(unsafe.Pointer(&bin[0]))}
	st := clGetProgramInfo(h, programBinaries, unsafe.Sizeof(ptrs[0]), unsafe.Pointer(&ptrs[0]), nil)
	runtime.KeepAlive(ptrs)
	if err := check(op, st); err != nil {
		return nil, err
	}
	return bin, nil
}

// BuildProgramFromBinary creates a program from a binary of Program.Binary
// and builds it for dev with options. A binary the driver rejects is an
// error (CL_INVALID_BINARY or a *BuildError); the caller builds from source.
// On pocl without a writable kernel cache (poclCacheShort), or under a
// file-size limit that the files it unpacks into its kernel cache do not
// fit in (poclBinaryLimitShort), it loads nothing and returns an error
// matching ErrEnvironment, which a build from source meets too: the binary
// is good, and the caller keeps it.
func BuildProgramFromBinary(ctx *Context, dev *Device, bin []byte, options string) (*Program, error) {
	if len(bin) == 0 {
		return nil, &Error{Code: codeInvalidValue, Op: "clCreateProgramWithBinary"}
	}
	if err := poclCacheShort(dev); err != nil {
		return nil, err
	}
	if err := poclBinaryLimitShort(isPocl(dev), bin); err != nil {
		return nil, err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&bin[0])
	ptrs := []uintptr{uintptr(unsafe.Pointer(&bin[0]))}
	lens := []uintptr{uintptr(len(bin))}
	devID := dev.id
	var binSt, st int32
	h := clCreateProgramWithBinary(ctx.h.Load(), 1, &devID, &lens[0], &ptrs[0], &binSt, &st)
	runtime.KeepAlive(ptrs)
	runtime.KeepAlive(lens)
	if err := check("clCreateProgramWithBinary", st); err != nil {
		return nil, err
	}
	if err := check("clCreateProgramWithBinary", binSt); err != nil {
		clReleaseProgram(h)
		return nil, err
	}
	return buildProgram(h, dev, options, nil)
}
