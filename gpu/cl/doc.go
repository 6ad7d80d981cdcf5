// Package cl is a thin OpenCL 1.2 binding that loads the OpenCL ICD loader at run time, without cgo.
//
// # Loading
//
// The first call that needs OpenCL ([Load], [Platforms]) opens libOpenCL.so.1,
// falling back to libOpenCL.so, or only the path in the environment variable
// GPUSIM_OPENCL_LIBRARY when it is set. The outcome is remembered for the life
// of the process. A missing or unusable library yields an error matching
// [ErrNoLibrary]; a loader without any platform yields [ErrNoPlatform].
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
