// Package cl is a thin OpenCL 1.2 binding that loads the OpenCL ICD loader at run time, without cgo.
//
// # Loading
//
// The first call that needs OpenCL ([Load], [Platforms]) opens a library and
// keeps it for the life of the process. With GPUSIM_OPENCL_LIBRARY set it
// opens only that path, an ICD loader or a driver itself. Otherwise it tries,
// in order, the drivers that OCL_ICD_FILENAMES lists (separated by colons;
// Debian's ocl-icd ignores it), the ICD loader (libOpenCL.so.1, then
// libOpenCL.so), the drivers that the .icd files name (in OCL_ICD_VENDORS,
// which may also be one .icd file or a driver library, else
// OPENCL_VENDOR_PATH, else /etc/OpenCL/vendors), and, when the environment
// names no drivers, well-known driver libraries (libnvidia-opencl.so.1,
// libamdocl64.so, libigdrcl.so, libpocl.so.2); the first that reports a
// platform wins. A driver without clGetPlatformIDs, which drivers made for a
// loader lack, is called through its ICD dispatch table, as a loader would;
// only that driver's platforms are then seen.
//
// A missing library yields an [*UnavailableError] matching [ErrNoLibrary]; a
// loader without any platform [ErrNoPlatform]; a system where this build
// cannot load libraries (purego without cgo: linux/s390x before Go 1.27,
// Windows, FreeBSD without the gpusim_fakecgo tag) [ErrUnsupported]; pocl
// without a writable kernel cache [ErrEnvironment]. An empty POCL_CACHE_DIR,
// on which pocl aborts the process, is refused before anything is loaded,
// and so is an address-space limit (ulimit -v) that leaves less room than
// [DriverAddressSpace], under which the process aborted creating threads
// ([ErrAddressSpace], an [ErrEnvironment]; a load that runs out of address
// space anyway matches it too), and a process limit (ulimit -u) that
// leaves the user fewer threads than the driver's ([DriverThreads]) and
// Go's, under which pocl aborted starting its workers ([ErrThreads], an
// [ErrEnvironment]). [HintFor] returns the fix for each. Oclgrind's runtime is called from one
// locked OS thread, which it needs.
//
// # Lifecycle
//
// [Platform] and [Device] values need no release. Every other object
// ([Context], [Queue], [Program], [Kernel], [Buffer], [Event]) owns one OpenCL
// reference and must be released with its Release method. Release is
// idempotent, safe on a nil receiver and safe from any goroutine; using an
// object after Release gives an OpenCL INVALID_* error, not a crash. OpenCL
// counts references itself, so objects may be released in any order: a queue
// keeps its context alive, a kernel its program, an enqueued command its
// buffers. Constructors that fail release whatever they had created.
//
// Events returned by the asynchronous buffer calls ([Buffer.ReadAsync],
// [Buffer.WriteAsync]) keep the Go slice pinned until [Event.Wait] or
// [Event.Release]; Release waits for such a command before it unpins. The
// blocking calls copy before they return, so their slices are free afterwards.
// Dropping such an event without Wait or Release is a bug that the Go runtime
// reports by panicking about a leaked pinned pointer.
//
// Errors from OpenCL calls are [*Error] values; use [errors.As] to get the
// status code and [Error.Hint] for advice. [BuildProgram] returns a
// [*BuildError] carrying the compiler log.
package cl
