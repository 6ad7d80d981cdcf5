package cl

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gpusim/gpusim/internal/diskfree"
	"github.com/gpusim/gpusim/internal/interrupt"
)

const (
	contextPlatform        = 0x1084
	queueProfilingEnable   = 1 << 1
	programBuildLog        = 0x1183
	kernelWorkGroupSize    = 0x11B0
	kernelLocalMemSize     = 0x11B2
	kernelPrefWGSizeMult   = 0x11B3
	profilingCommandQueued = 0x1280
	eventExecutionStatus   = 0x11D3 // CL_EVENT_COMMAND_EXECUTION_STATUS
)

// MemFlags are the cl_mem_flags accepted by CreateBuffer.
type MemFlags uint64

// Buffer access flags; host-pointer flags other than MemAllocHostPtr are not
// offered because Go memory cannot be lent to OpenCL for a buffer's life.
const (
	MemReadWrite    MemFlags = 1 << 0
	MemWriteOnly    MemFlags = 1 << 1
	MemReadOnly     MemFlags = 1 << 2
	MemAllocHostPtr MemFlags = 1 << 4
)

// release drops the reference in h once; later calls are no-ops.
func release(h *atomic.Uintptr, fn *func(uintptr) int32, op string) error {
	if x := h.Swap(0); x != 0 {
		return check(op, (*fn)(x))
	}
	return nil
}

// Context is an OpenCL context. live counts the bytes of its buffers not
// yet released, which CreateBuffer counts against an address-space limit.
type Context struct {
	h    atomic.Uintptr
	live atomic.Uint64
}

// CreateContext creates a context for devices of one platform.
func CreateContext(devices ...*Device) (*Context, error) {
	if len(devices) == 0 {
		return nil, &Error{Code: codeInvalidValue, Op: "clCreateContext"}
	}
	ids := make([]uintptr, len(devices))
	for i, d := range devices {
		ids[i] = d.id
	}
	props := []uintptr{contextPlatform, devices[0].platform.id, 0}
	var st int32
	var h uintptr
	driverCall(func() { h = clCreateContext(&props[0], uint32(len(ids)), &ids[0], 0, 0, &st) }) // signals.go
	runtime.KeepAlive(props)
	runtime.KeepAlive(ids)
	if err := check("clCreateContext", st); err != nil {
		return nil, err
	}
	c := &Context{}
	c.h.Store(h)
	return c, nil
}

// Release drops the context.
func (c *Context) Release() error {
	if c == nil {
		return nil
	}
	return release(&c.h, &clReleaseContext, "clReleaseContext")
}

// Queue is an in-order command queue with profiling enabled.
type Queue struct{ h atomic.Uintptr }

// CreateQueue creates a profiling command queue on dev.
func CreateQueue(ctx *Context, dev *Device) (*Queue, error) {
	var st int32
	h := clCreateCommandQueue(ctx.h.Load(), dev.id, queueProfilingEnable, &st)
	if err := check("clCreateCommandQueue", st); err != nil {
		return nil, err
	}
	q := &Queue{}
	q.h.Store(h)
	return q, nil
}

// Release drops the queue; it does not wait for queued commands.
func (q *Queue) Release() error {
	if q == nil {
		return nil
	}
	return release(&q.h, &clReleaseCommandQueue, "clReleaseCommandQueue")
}

// Finish blocks until every queued command has completed.
func (q *Queue) Finish() error { return check("clFinish", clFinish(q.h.Load())) }

// Flush submits queued commands to the device without waiting.
func (q *Queue) Flush() error { return check("clFlush", clFlush(q.h.Load())) }

// EnqueueNDRange launches k over global work items (1 to 3 dimensions), in
// work-groups of local items, or of a size the driver picks when local is nil.
// The caller must Release the returned event.
func (q *Queue) EnqueueNDRange(k *Kernel, global, local []int) (*Event, error) {
	const op = "clEnqueueNDRangeKernel"
	if len(global) < 1 || len(global) > 3 || (local != nil && len(local) != len(global)) {
		return nil, &Error{Code: -53, Op: op} // CL_INVALID_WORK_DIMENSION
	}
	g := make([]uintptr, len(global))
	var l []uintptr
	for i := range global {
		g[i] = uintptr(global[i])
		if local != nil {
			l = append(l, uintptr(local[i]))
		}
	}
	var lp *uintptr
	if l != nil {
		lp = &l[0]
	}
	var ev uintptr
	st := clEnqueueNDRangeKernel(q.h.Load(), k.h.Load(), uint32(len(g)), nil, &g[0], lp, 0, nil, &ev)
	runtime.KeepAlive(g)
	runtime.KeepAlive(l)
	if err := check(op, st); err != nil {
		return nil, err
	}
	return newEvent(ev), nil
}

// Program is an OpenCL program built for one device.
type Program struct {
	h   atomic.Uintptr
	dev *Device
}

// BuildLimitShort returns the error BuildProgram returns for dev without
// building, under a limit a build from source does not fit in (pocl under
// ulimit -f, poclFileLimitShort; any device under ulimit -s below
// buildStack, buildStackShort, or ulimit -v, buildAddressSpaceShort), or
// nil: a caller that would say a build is
// coming (a note that it takes seconds) asks first.
func BuildLimitShort(dev *Device) error { return BuildLimitShortIf(isPocl(dev)) }

// BuildLimitShortIf is BuildLimitShort for a device that is pocl's or not,
// which need not be listed (nor the driver loaded) to ask: for a note of
// auto's on a device its calibration names. Under ulimit -v the room is
// counted as this process has it, the driver loaded or not.
func BuildLimitShortIf(pocl bool) error {
	if err := poclCacheShortIf(pocl); err != nil {
		return err
	}
	if err := poclFileLimitShort(pocl); err != nil {
		return err
	}
	if err := poclDiskShort(pocl, cacheProbeBytes, "build the program", "the preprocessed source, the program's bitcode and shared objects (the preprocessed source the largest, 1.05 MB with pocl 3.1; gpusim asks for "+diskfree.SizeText(cacheProbeBytes)+" to leave room)"); err != nil {
		return err
	}
	if err := buildStackShort(); err != nil {
		return err
	}
	return buildAddressSpaceShort()
}

// BuildProgram compiles source for dev with the given compiler options. A
// failed clBuildProgram is a *BuildError carrying the build log. Under an
// address-space limit (ulimit -v) that leaves less than BuildAddressSpace
// it builds nothing and returns an *UnavailableError matching
// ErrAddressSpace; on pocl under a file-size limit (ulimit -f) below what
// its compiler writes, one matching ErrEnvironment (poclFileLimitShort).
func BuildProgram(ctx *Context, dev *Device, source, options string) (*Program, error) {
	return BuildProgramThen(ctx, dev, source, options, nil)
}

// BuildProgramThen is BuildProgram that calls built (where not nil) once
// the driver has answered clBuildProgram, and for a failed build given its
// log, before it releases the failed build's program; not where it built
// nothing. gpu lifts its mark of the build there (markStep): a driver's
// crash in that release, named as such (releaseFailed), left the mark, and
// the next start refused the device as one whose build had crashed.
func BuildProgramThen(ctx *Context, dev *Device, source, options string, built func()) (*Program, error) {
	if source == "" {
		return nil, &Error{Code: codeInvalidValue, Op: "clCreateProgramWithSource"}
	}
	if err := BuildLimitShort(dev); err != nil {
		return nil, err
	}
	// char** must point at pinned memory; the lengths make a NUL unnecessary.
	var pin runtime.Pinner
	defer pin.Unpin()
	data := unsafe.StringData(source)
	pin.Pin(data)
	strs := []uintptr{uintptr(unsafe.Pointer(data))}
	lens := []uintptr{uintptr(len(source))}
	var st int32
	h := clCreateProgramWithSource(ctx.h.Load(), 1, &strs[0], &lens[0], &st)
	runtime.KeepAlive(strs)
	runtime.KeepAlive(lens)
	if err := check("clCreateProgramWithSource", st); err != nil {
		return nil, err
	}
	p, err := buildProgram(h, dev, options, built)
	if err != nil {
		// pocl fails every build, with a log that says nothing, when it
		// cannot write its kernel cache.
		if name, _ := dev.platform.Name(); name == poclPlatform {
			if cause := PoclCacheProblem(); cause != nil {
				return nil, fmt.Errorf("%w; %w", cause, err)
			}
		}
		return nil, err
	}
	return p, nil
}

// buildProgram builds h, a program just created from source or a binary,
// for dev. A failed clBuildProgram is a *BuildError carrying the build
// log, and the program is released before it is returned (releaseFailed);
// built, where not nil, is called once the driver has answered the build
// (and given its log), before that release.
func buildProgram(h uintptr, dev *Device, options string, built func()) (*Program, error) {
	p := &Program{dev: dev}
	p.h.Store(h)
	devID := dev.id
	var st int32
	driverCall(func() { st = clBuildProgram(h, 1, &devID, options, 0, 0) }) // signals.go
	if st == 0 {
		if built != nil {
			built()
		}
		return p, nil
	}
	log, ok := failedBuildLog(p, dev)
	err := &BuildError{Err: &Error{Code: st, Op: "clBuildProgram"}, Log: log}
	if !ok {
		err = &BuildError{Err: err.Err, LogWait: buildLogWait}
	}
	if built != nil {
		built()
	}
	if ok && !releaseFailed(p, dev, err) {
		err.ReleaseWait = buildLogWait
	}
	return nil, err
}

// buildLogWait is the longest failedBuildLog waits for the driver's log
// of a failed build, and releaseFailed for the release of its program: the
// bound of gpu's other cheap calls (its answerWait, which SetBuildLogWait
// keeps it at): the log is there once the build returned.
var buildLogWait = 10 * time.Second

// SetBuildLogWait sets how long a failed build waits for the driver's
// log and for the release of its program (buildLogWait), 10 s where it is
// not called: gpu sets it with the waits on the driver's other calls
// (GPUSIM_DRIVER_WAIT), which it did not follow. It writes only a changed
// value: a call left to go on past an earlier wait may still read it.
func SetBuildLogWait(d time.Duration) {
	if buildLogWait != d {
		buildLogWait = d
	}
}

// failedBuildLog is the log of p's failed build for dev
// (clGetProgramBuildInfo), within buildLogWait: ok false past it, and the
// call is left to go on; p is then released once the log came, in the
// background, a crash there named as that release. While it
// waits, a stop's note names it (interrupt.Waiting), where the call was
// unbounded and a stop named the build, and a driver's crash in it is
// named so (Crashing).
func failedBuildLog(p *Program, dev *Device) (log string, ok bool) {
	what := "answer when asked for the log of the failed build for " + deviceLabel(dev)
	defer interrupt.Waiting("the OpenCL driver to " + what)()
	got := make(chan string) // unbuffered: a late log's program is released by the goroutine
	late := make(chan struct{})
	go func() {
		crashed := Crashing(Asked(what), CrashWork)
		l, _ := p.BuildLog()
		crashed()
		select {
		case got <- l:
		case <-late:
			defer Crashing("for "+failedRelease(dev)+", after its log came past gpusim's wait of "+seconds(buildLogWait), CrashRelease)()
			p.Release()
		}
	}()
	t := time.NewTimer(buildLogWait)
	defer t.Stop()
	select {
	case log = <-got:
		return log, true
	case <-t.C:
	}
	close(late)
	select {
	case log = <-got: // it came as the wait ended
		return log, true
	default:
		return "", false
	}
}

// failedRelease is what releaseFailed asks the driver for: "the release
// of the program that failed to build for device 0 (NAME, PLATFORM,
// TYPE)".
func failedRelease(dev *Device) string {
	return "the release of the program that failed to build for " + deviceLabel(dev)
}

// seconds is d as the errors of a wait say it: "10 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%g s", d.Seconds()) }

// releaseFailed releases p, the program of a failed build for dev whose
// error is build, within buildLogWait (past it the release is left to go
// on and answered is false: the build's error says so), before that error
// is returned: a driver's crash in it is named as that release, with the
// hint of a crash in a release and the build's failure (its log) in its
// error (Crashing), where it was released in the background and a crash
// there was named as the build, which a process that exited first never
// showed. While it waits, a stop's note names it (interrupt.Waiting).
func releaseFailed(p *Program, dev *Device, build *BuildError) (answered bool) {
	what := failedRelease(dev)
	defer interrupt.Waiting("the OpenCL driver to answer when asked for " + what)()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer Crashing("for "+what+"; the build had failed: "+build.Error(), CrashRelease)()
		p.Release()
	}()
	t := time.NewTimer(buildLogWait)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// deviceLabels holds the label gpu gives each device (LabelDevice).
var deviceLabels sync.Map // *Device -> string

// LabelDevice names dev in the notes and errors of the driver calls this
// package bounds itself (the log of a failed build): "device 0 (NAME,
// PLATFORM, TYPE)", gpu's label.
func LabelDevice(dev *Device, label string) { deviceLabels.Store(dev, label) }

// deviceLabel is dev's label (LabelDevice), "the device" where it has
// none.
func deviceLabel(dev *Device) string {
	if l, ok := deviceLabels.Load(dev); ok {
		return l.(string)
	}
	return "the device"
}

// BuildLog returns the compiler log for the program's device (warnings too).
func (p *Program) BuildLog() (string, error) {
	h := p.h.Load()
	return infoString("clGetProgramBuildInfo", func(param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return clGetProgramBuildInfo(h, p.dev.id, param, size, val, ret)
	}, programBuildLog)
}

// Release drops the program; kernels created from it stay usable.
func (p *Program) Release() error {
	if p == nil {
		return nil
	}
	return release(&p.h, &clReleaseProgram, "clReleaseProgram")
}

// Kernel is a kernel function of a built program.
type Kernel struct {
	h    atomic.Uintptr
	dev  *Device
	name string
}

// CreateKernel returns the kernel called name.
func (p *Program) CreateKernel(name string) (*Kernel, error) {
	var st int32
	h := clCreateKernel(p.h.Load(), name, &st)
	if err := check("clCreateKernel", st); err != nil {
		return nil, err
	}
	k := &Kernel{dev: p.dev, name: name}
	k.h.Store(h)
	return k, nil
}

// Name returns the kernel function name.
func (k *Kernel) Name() string { return k.name }

func (k *Kernel) setArg(i int, size uintptr, val unsafe.Pointer) error {
	st := clSetKernelArg(k.h.Load(), uint32(i), size, val)
	runtime.KeepAlive(val)
	return check("clSetKernelArg", st)
}

// SetArgBuffer sets argument i to a __global or __constant buffer.
func (k *Kernel) SetArgBuffer(i int, b *Buffer) error {
	m := b.h.Load()
	return k.setArg(i, unsafe.Sizeof(m), unsafe.Pointer(&m))
}

// SetArgUint32 sets argument i to a uint (or int) value.
func (k *Kernel) SetArgUint32(i int, v uint32) error { return k.setArg(i, 4, unsafe.Pointer(&v)) }

// SetArgUint64 sets argument i to a ulong (or long) value.
func (k *Kernel) SetArgUint64(i int, v uint64) error { return k.setArg(i, 8, unsafe.Pointer(&v)) }

// SetArgFloat32 sets argument i to a float value.
func (k *Kernel) SetArgFloat32(i int, v float32) error { return k.setArg(i, 4, unsafe.Pointer(&v)) }

// SetArgLocal sets argument i to a __local buffer of size bytes per work-group.
func (k *Kernel) SetArgLocal(i int, size int) error { return k.setArg(i, uintptr(size), nil) }

// WorkGroupSize is the largest work-group size the kernel can run with.
func (k *Kernel) WorkGroupSize() (int, error) { return k.wgInfo(kernelWorkGroupSize) }

// PreferredWorkGroupSizeMultiple is the work-group size granularity (warp or
// wavefront width on GPUs) that the device runs best with.
func (k *Kernel) PreferredWorkGroupSizeMultiple() (int, error) {
	return k.wgInfo(kernelPrefWGSizeMult)
}

// LocalMemSize is CL_KERNEL_LOCAL_MEM_SIZE, in bytes per work-group: the
// local memory the kernel uses, which the OpenCL 1.2 specification
// (clGetKernelWorkGroupInfo) says includes what the implementation needs to
// run it, the __local variables declared inside it, and its __local pointer
// arguments' sizes as set by clSetKernelArg, an argument not yet set
// counting 0. Queried before any __local argument is set, it is the
// kernel's own use, which the device's CL_DEVICE_LOCAL_MEM_SIZE must hold
// beside the arguments. Its error is the driver's *Error.
func (k *Kernel) LocalMemSize() (uint64, error) {
	h := k.h.Load()
	return infoScalar[uint64]("clGetKernelWorkGroupInfo", func(param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return clGetKernelWorkGroupInfo(h, k.dev.id, param, size, val, ret)
	}, kernelLocalMemSize)
}

func (k *Kernel) wgInfo(param uint32) (int, error) {
	h := k.h.Load()
	v, err := infoScalar[uintptr]("clGetKernelWorkGroupInfo", func(param uint32, size uintptr, val unsafe.Pointer, ret *uintptr) int32 {
		return clGetKernelWorkGroupInfo(h, k.dev.id, param, size, val, ret)
	}, param)
	return int(v), err
}

// Release drops the kernel.
func (k *Kernel) Release() error {
	if k == nil {
		return nil
	}
	return release(&k.h, &clReleaseKernel, "clReleaseKernel")
}

// Buffer is a device memory object.
type Buffer struct {
	h    atomic.Uintptr
	size int
	ctx  *Context
}

// CreateBuffer allocates size bytes of device memory. Under an
// address-space limit (ulimit -v) that leaves less room than the bytes of
// the context's live buffers, this one's and 64 MiB for the driver's use
// of them (bufferSlack), it allocates
// nothing and returns an *UnavailableError matching ErrAddressSpace.
func CreateBuffer(ctx *Context, flags MemFlags, size int) (*Buffer, error) {
	live := uint64(0)
	if ctx != nil {
		live = ctx.live.Load()
	}
	if err := bufferAddressSpaceShort(uint64(max(size, 0)), live); err != nil {
		return nil, err
	}
	var st int32
	h := clCreateBuffer(ctx.h.Load(), uint64(flags), uintptr(size), nil, &st)
	if err := check("clCreateBuffer", st); err != nil {
		return nil, err
	}
	b := &Buffer{size: size, ctx: ctx}
	b.h.Store(h)
	ctx.live.Add(uint64(size))
	return b, nil
}

// Size returns the buffer size in bytes.
func (b *Buffer) Size() int { return b.size }

// Release drops the buffer; commands already enqueued on it still complete.
func (b *Buffer) Release() error {
	if b == nil {
		return nil
	}
	if x := b.h.Swap(0); x != 0 {
		b.ctx.live.Add(-uint64(b.size))
		return check("clReleaseMemObject", clReleaseMemObject(x))
	}
	return nil
}

// Read copies len(dst) bytes from the buffer's byte offset into dst and
// returns when done.
func (b *Buffer) Read(q *Queue, offset int, dst []byte) error {
	_, err := b.transfer(q, "clEnqueueReadBuffer", clEnqueueReadBuffer, true, offset, dst)
	return err
}

// ReadAsync enqueues a read into dst, which stays pinned, and must not be
// touched, until the returned event is waited for or released.
func (b *Buffer) ReadAsync(q *Queue, offset int, dst []byte) (*Event, error) {
	return b.transfer(q, "clEnqueueReadBuffer", clEnqueueReadBuffer, false, offset, dst)
}

// Write copies src to the buffer's byte offset and returns when src may be
// reused.
func (b *Buffer) Write(q *Queue, offset int, src []byte) error {
	_, err := b.transfer(q, "clEnqueueWriteBuffer", clEnqueueWriteBuffer, true, offset, src)
	return err
}

// WriteAsync enqueues a write from src, which stays pinned, and must not be
// modified, until the returned event is waited for or released.
func (b *Buffer) WriteAsync(q *Queue, offset int, src []byte) (*Event, error) {
	return b.transfer(q, "clEnqueueWriteBuffer", clEnqueueWriteBuffer, false, offset, src)
}

type transferFunc = func(q, m uintptr, blocking uint32, off, size uintptr, ptr unsafe.Pointer, nWait uint32, wait, ev *uintptr) int32

func (b *Buffer) transfer(q *Queue, op string, fn transferFunc, blocking bool, offset int, p []byte) (*Event, error) {
	ptr := unsafe.Pointer(unsafe.SliceData(p))
	if blocking {
		st := fn(q.h.Load(), b.h.Load(), 1, uintptr(offset), uintptr(len(p)), ptr, 0, nil, nil)
		runtime.KeepAlive(p)
		return nil, check(op, st)
	}
	e := &Event{pinned: true}
	e.pin.Pin(ptr)
	var ev uintptr
	if err := check(op, fn(q.h.Load(), b.h.Load(), 0, uintptr(offset), uintptr(len(p)), ptr, 0, nil, &ev)); err != nil {
		e.pin.Unpin()
		return nil, err
	}
	e.h.Store(ev)
	return e, nil
}

// Fill enqueues filling size bytes at offset with repeats of pattern (1 to
// 128 bytes, a power of two; offset and size are multiples of its length).
func (b *Buffer) Fill(q *Queue, pattern []byte, offset, size int) (*Event, error) {
	if shadowQuirks {
		return b.fillByWrite(q, pattern, offset, size)
	}
	var ev uintptr
	st := clEnqueueFillBuffer(q.h.Load(), b.h.Load(), unsafe.Pointer(unsafe.SliceData(pattern)),
		uintptr(len(pattern)), uintptr(offset), uintptr(size), 0, nil, &ev)
	runtime.KeepAlive(pattern) // OpenCL copies the pattern before returning
	if err := check("clEnqueueFillBuffer", st); err != nil {
		return nil, err
	}
	return newEvent(ev), nil
}

// shadowQuirks is set when the library is Oclgrind's runtime, whose
// uninitialized-memory check keeps a shadow copy of every buffer that tells
// which bytes were written, with two faults (Oclgrind 21.10, and unchanged in
// its source up to 26.03):
//   - clEnqueueFillBuffer does not mark the bytes it sets, so that every
//     filled buffer would be reported: Fill writes a host copy instead.
//   - The shadow of a released buffer is never freed (its Uninitialized
//     plugin has no memoryDeallocated hook), and a new buffer that takes the
//     released one's number inherits it: a kernel's stores past the old size
//     are dropped from the shadow and a later kernel's loads of them
//     reported. A host write replaces the shadow: see NeedsHostInit.
var shadowQuirks bool

// NeedsHostInit reports whether a buffer that one kernel writes and a later
// kernel reads must first be written from the host for the loaded library:
// true for Oclgrind's runtime, whose uninitialized-memory check would
// otherwise report correct reads (see shadowQuirks). The values written do
// not matter; other drivers need no such write.
func NeedsHostInit() bool { return shadowQuirks }

func (b *Buffer) fillByWrite(q *Queue, pattern []byte, offset, size int) (*Event, error) {
	if len(pattern) == 0 || size%len(pattern) != 0 {
		return nil, &Error{Code: codeInvalidValue, Op: "clEnqueueFillBuffer"}
	}
	return b.WriteAsync(q, offset, bytes.Repeat(pattern, size/len(pattern)))
}

// Scalar lists the element types that Bytes accepts.
type Scalar interface {
	~int8 | ~uint8 | ~int16 | ~uint16 | ~int32 | ~uint32 | ~int64 | ~uint64 | ~float32 | ~float64
}

// Bytes views a slice of numbers as its bytes, without copying, for the
// buffer calls.
func Bytes[T Scalar](s []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}

// Event tracks an enqueued command.
type Event struct {
	h      atomic.Uintptr
	mu     sync.Mutex // guards pin and pinned
	pin    runtime.Pinner
	pinned bool
}

func newEvent(h uintptr) *Event {
	e := &Event{}
	e.h.Store(h)
	return e
}

// Wait blocks until the command has completed. A failed command gives the
// status it failed with (CL_OUT_OF_RESOURCES, say, with its hint), not the
// CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST that clWaitForEvents returns
// for it.
func (e *Event) Wait() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.h.Load()
	st := clWaitForEvents(1, &h)
	err := check("clWaitForEvents", st)
	if st == codeExecStatusError {
		var status int32
		if clGetEventInfo(h, eventExecutionStatus, 4, unsafe.Pointer(&status), nil) == 0 && status < 0 {
			err = &Error{Code: status, Op: "clWaitForEvents: the command failed"}
		}
	}
	if e.pinned && err == nil {
		e.pin.Unpin()
		e.pinned = false
	}
	return err
}

// Profile holds a command's device timestamps in nanoseconds of the
// device's clock: CL_PROFILING_COMMAND_QUEUED, _SUBMIT, _START and _END
// (OpenCL 1.2 spec, section 5.12), in that order in time.
type Profile struct{ Queued, Submit, Start, End uint64 }

// Duration is the command's execution time, End-Start.
func (p Profile) Duration() time.Duration { return time.Duration(p.End - p.Start) }

// Profile returns the timestamps of a completed command
// (CL_PROFILING_INFO_NOT_AVAILABLE before completion).
func (e *Event) Profile() (Profile, error) {
	var t [4]uint64
	h := e.h.Load()
	for i := range t {
		st := clGetEventProfilingInfo(h, uint32(profilingCommandQueued+i), 8, unsafe.Pointer(&t[i]), nil)
		if err := check("clGetEventProfilingInfo", st); err != nil {
			return Profile{}, err
		}
	}
	return Profile{Queued: t[0], Submit: t[1], Start: t[2], End: t[3]}, nil
}

// Release drops the event, first waiting for the command if it still holds a
// pinned Go slice.
func (e *Event) Release() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.h.Swap(0)
	if h == 0 {
		return nil
	}
	if e.pinned {
		clWaitForEvents(1, &h)
		e.pin.Unpin()
		e.pinned = false
	}
	return check("clReleaseEvent", clReleaseEvent(h))
}
