package cl

import (
	"fmt"
	"strings"
	"time"
)

// Error is a non-success OpenCL status returned by the call named in Op.
type Error struct {
	Code int32  // the cl_int status, negative (StatusName gives its name)
	Op   string // the C function that returned it, e.g. "clBuildProgram"
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s (%d)", e.Op, StatusName(e.Code), e.Code)
}

// Is matches another *Error with the same code and, when the target's Op is
// set, the same Op: errors.Is(err, &cl.Error{Code: -5}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Op == "" || t.Op == e.Op)
}

// Hint returns advice for the status code, or "" if there is none. A
// driver out of host memory under an address-space limit (ulimit -v) is
// told of the limit: clGetDeviceIDs failed so under ulimit -v 1900000, where
// the advice was to lower the chunk size.
func (e *Error) Hint() string {
	if e.Code == codeOutOfHostMemory {
		if h := addressSpaceHint("the driver ran out of host memory; "); h != "" {
			return h
		}
	}
	if h, ok := commandHints[e.Code]; ok && isCommand(e.Op) {
		return h
	}
	return statusHints[e.Code]
}

// isCommand says whether op runs or waits for device commands (a launch, a
// transfer), whose failure the launch-specific hints are about.
func isCommand(op string) bool {
	return strings.HasPrefix(op, "clEnqueue") || strings.HasPrefix(op, "clWaitForEvents") || op == "clFinish" || op == "clFlush"
}

// BuildError is a failed clBuildProgram together with the compiler log.
type BuildError struct {
	Err *Error // clBuildProgram's status
	Log string // CL_PROGRAM_BUILD_LOG for the device, as the compiler wrote it
	// LogWait, where not 0, is how long the driver was waited for when
	// asked for the log, which it did not give (Log "").
	LogWait time.Duration
	// ReleaseWait, where not 0, is how long the driver was waited for
	// when asked for the release of the failed build's program, which it
	// did not answer (releaseFailed): the command had waited that long
	// without a word.
	ReleaseWait time.Duration
}

func (e *BuildError) Error() string {
	if e.LogWait > 0 {
		return fmt.Sprintf("%v; the OpenCL driver did not answer in %g s when asked for the build log", e.Err, e.LogWait.Seconds())
	}
	msg := e.Err.Error()
	if e.ReleaseWait > 0 {
		msg += fmt.Sprintf("; the OpenCL driver did not answer in %g s when asked for the release of the program that failed to build", e.ReleaseWait.Seconds())
	}
	if log := strings.TrimSpace(e.Log); log != "" {
		return msg + "\nbuild log:\n" + log
	}
	return msg
}

func (e *BuildError) Unwrap() error { return e.Err }

// Hint is the advice for the failed build: its status's ("the OpenCL C
// compiler rejected the kernel: see the build log"), or, where the driver
// did not give the log (LogWait), that of a driver that hangs there.
func (e *BuildError) Hint() string {
	if e.LogWait > 0 {
		return "a driver that fails the build and then hangs when asked for its log: " + EnvLibrary + "=PATH loads another libOpenCL.so; " + CPUEnginesRun
	}
	return e.Err.Hint()
}

func check(op string, st int32) error {
	if st == 0 {
		return nil
	}
	return &Error{Code: st, Op: op}
}

// StatusName returns the symbolic name of an OpenCL status code.
func StatusName(code int32) string {
	if n, ok := statusNames[code]; ok {
		return n
	}
	return "CL_UNKNOWN_ERROR"
}

const (
	codeOutOfResources   = -5
	codeOutOfHostMemory  = -6
	codeExecStatusError  = -14
	codeInvalidValue     = -30
	codePlatformNotFound = -1001
)

var statusNames = map[int32]string{
	0: "CL_SUCCESS", -1: "CL_DEVICE_NOT_FOUND", -2: "CL_DEVICE_NOT_AVAILABLE",
	-3: "CL_COMPILER_NOT_AVAILABLE", -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
	-5: "CL_OUT_OF_RESOURCES", -6: "CL_OUT_OF_HOST_MEMORY",
	-7: "CL_PROFILING_INFO_NOT_AVAILABLE", -8: "CL_MEM_COPY_OVERLAP",
	-9: "CL_IMAGE_FORMAT_MISMATCH", -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
	-11: "CL_BUILD_PROGRAM_FAILURE", -12: "CL_MAP_FAILURE",
	-13: "CL_MISALIGNED_SUB_BUFFER_OFFSET", -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
	-15: "CL_COMPILE_PROGRAM_FAILURE", -16: "CL_LINKER_NOT_AVAILABLE",
	-17: "CL_LINK_PROGRAM_FAILURE", -18: "CL_DEVICE_PARTITION_FAILED",
	-19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
	-30: "CL_INVALID_VALUE", -31: "CL_INVALID_DEVICE_TYPE", -32: "CL_INVALID_PLATFORM",
	-33: "CL_INVALID_DEVICE", -34: "CL_INVALID_CONTEXT", -35: "CL_INVALID_QUEUE_PROPERTIES",
	-36: "CL_INVALID_COMMAND_QUEUE", -37: "CL_INVALID_HOST_PTR", -38: "CL_INVALID_MEM_OBJECT",
	-39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR", -40: "CL_INVALID_IMAGE_SIZE",
	-41: "CL_INVALID_SAMPLER", -42: "CL_INVALID_BINARY", -43: "CL_INVALID_BUILD_OPTIONS",
	-44: "CL_INVALID_PROGRAM", -45: "CL_INVALID_PROGRAM_EXECUTABLE",
	-46: "CL_INVALID_KERNEL_NAME", -47: "CL_INVALID_KERNEL_DEFINITION", -48: "CL_INVALID_KERNEL",
	-49: "CL_INVALID_ARG_INDEX", -50: "CL_INVALID_ARG_VALUE", -51: "CL_INVALID_ARG_SIZE",
	-52: "CL_INVALID_KERNEL_ARGS", -53: "CL_INVALID_WORK_DIMENSION",
	-54: "CL_INVALID_WORK_GROUP_SIZE", -55: "CL_INVALID_WORK_ITEM_SIZE",
	-56: "CL_INVALID_GLOBAL_OFFSET", -57: "CL_INVALID_EVENT_WAIT_LIST", -58: "CL_INVALID_EVENT",
	-59: "CL_INVALID_OPERATION", -60: "CL_INVALID_GL_OBJECT", -61: "CL_INVALID_BUFFER_SIZE",
	-62: "CL_INVALID_MIP_LEVEL", -63: "CL_INVALID_GLOBAL_WORK_SIZE", -64: "CL_INVALID_PROPERTY",
	-65: "CL_INVALID_IMAGE_DESCRIPTOR", -66: "CL_INVALID_COMPILER_OPTIONS",
	-67: "CL_INVALID_LINKER_OPTIONS", -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
	-1001: "CL_PLATFORM_NOT_FOUND_KHR",
}

// statusHints is the advice for a status code, whatever call returned it.
// gpusim sizes its launches and buffers itself (there is no chunk size to
// lower): the advice names what a user can change, a remedy that names a
// flag set apart by remedySep (ForCommand words them for the command run).
var statusHints = map[int32]string{
	-1: "no OpenCL device of the requested type; check the driver with clinfo",
	-4: "the device could not allocate a buffer: free its memory (other processes may hold it)" +
		remedySep + remedyNoFinals + remedySep + remedyCPU,
	-5:  "the driver ran out of resources: check the device with clinfo" + remedySep + remedyCPU,
	-6:  "the host ran out of memory: free memory" + remedySep + remedyCPU,
	-11: "the OpenCL C compiler rejected the kernel: see the build log",
	-30: "an argument had an invalid value (a zero or too large size, an offset past the end, or an unsupported flag)",
	-54: "the local work-group size does not suit the kernel or device: use a smaller local size " +
		"that divides the global size, or let the driver choose",
	-61: "the buffer is larger than the device's maximum allocation: the driver allocates less than it reports " +
		"(CL_DEVICE_MAX_MEM_ALLOC_SIZE); " + remedyNoFinals + remedySep + remedyCPU,
	-63:   "the global work size is too large for the device: " + remedyWidth + remedySep + remedyCPU,
	-1001: "the OpenCL loader found no platform: install an OpenCL driver (ICD)",
}

// commandHints replace statusHints for a launch or transfer that failed.
var commandHints = map[int32]string{
	-5: "the device ran out of resources: the launch may be too large, hit a display watchdog, " +
		"or the kernel uses too many registers; " + remedyWidth + remedySep + remedyCPU,
}
