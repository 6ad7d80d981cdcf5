package cl

import (
	"fmt"
	"slices"
	"strings"
	"unsafe"
)

// Platform is an OpenCL platform (one installed driver).
type Platform struct{ id uintptr }

// Device is an OpenCL device of a platform.
type Device struct {
	id       uintptr
	platform *Platform
}

// DeviceInfo is a snapshot of the device properties gpusim cares about, as
// clGetDeviceInfo and clGetPlatformInfo report them (OpenCL 1.2 spec,
// sections 4.2 and 4.1: the query is named beside each field).
type DeviceInfo struct {
	Name, Vendor, DriverVersion string // CL_DEVICE_NAME, CL_DEVICE_VENDOR, CL_DRIVER_VERSION
	Version                     string // CL_DEVICE_VERSION: "OpenCL <major.minor> <vendor-specific>"
	Type                        string // CL_DEVICE_TYPE: CPU, GPU, ACCELERATOR, CUSTOM joined by "|", else DEFAULT or UNKNOWN(0x...)
	ComputeUnits                int    // CL_DEVICE_MAX_COMPUTE_UNITS
	MaxClockMHz                 int    // CL_DEVICE_MAX_CLOCK_FREQUENCY, MHz
	GlobalMemBytes              uint64 // CL_DEVICE_GLOBAL_MEM_SIZE, bytes
	MaxAllocBytes               uint64 // CL_DEVICE_MAX_MEM_ALLOC_SIZE, bytes: the largest buffer
	LocalMemBytes               uint64 // CL_DEVICE_LOCAL_MEM_SIZE, bytes a work-group
	MaxWorkGroupSize            int    // CL_DEVICE_MAX_WORK_GROUP_SIZE, work-items
	PreferredVectorWidthFloat   int    // CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, lanes
	NativeVectorWidthFloat      int    // CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, lanes
	FP64                        bool   // CL_DEVICE_DOUBLE_FP_CONFIG is not 0, or cl_khr_fp64 is listed
	CorrectlyRoundedSqrt        bool   // CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT: single precision divide and sqrt are correctly rounded
	Denormals                   bool   // CL_FP_DENORM: single precision keeps subnormals
	Extensions                  string // CL_DEVICE_EXTENSIONS, separated by spaces
	PlatformName                string // CL_PLATFORM_NAME
	PlatformVendor              string // CL_PLATFORM_VENDOR
	PlatformVersion             string // CL_PLATFORM_VERSION
}

const (
	platformVersion = 0x0901
	platformName    = 0x0902
	platformVendor  = 0x0903

	deviceTypeAll             = 0xFFFFFFFF
	deviceType                = 0x1000
	deviceComputeUnits        = 0x1002
	deviceMaxWorkGroupSize    = 0x1004
	devicePrefVecWidthFloat   = 0x100A
	deviceMaxClock            = 0x100C
	deviceMaxAlloc            = 0x1010
	deviceSingleFPConfig      = 0x101B
	deviceGlobalMem           = 0x101F
	deviceLocalMem            = 0x1023
	deviceName                = 0x102B
	deviceVendor              = 0x102C
	driverVersion             = 0x102D
	deviceVersion             = 0x102F
	deviceExtensions          = 0x1030
	deviceDoubleFPConfig      = 0x1032
	deviceNativeVecWidthFloat = 0x103A
	fpCorrectlyRoundedDivSqrt = 1 << 7
	fpDenorm                  = 1 << 0
)

// Platforms lists the installed OpenCL platforms. It fails with ErrNoLibrary
// or ErrNoPlatform when OpenCL is not available.
func Platforms() ([]*Platform, error) {
	if err := Load(); err != nil {
		return nil, err
	}
	defer Crashing("for its platforms", CrashListing)()
	var n uint32
	st := clGetPlatformIDs(0, nil, &n)
	if st == codePlatformNotFound || (st == 0 && n == 0) {
		return nil, &UnavailableError{Kind: ErrNoPlatform, Cause: "no OpenCL platform (" + libPath + ")",
			Err: &Error{Code: codePlatformNotFound, Op: "clGetPlatformIDs"}}
	}
	if st != 0 {
		return nil, check("clGetPlatformIDs", st)
	}
	if n > maxIDs {
		return nil, fmt.Errorf("clGetPlatformIDs: %s reports %d platforms, more than %d: a broken driver", libPath, n, maxIDs)
	}
	ids := make([]uintptr, n)
	// The second call may report more than it was given room for (or
	// fewer): only the ids it wrote count.
	var got uint32
	if err := check("clGetPlatformIDs", clGetPlatformIDs(n, &ids[0], &got)); err != nil {
		return nil, err
	}
	ps := make([]*Platform, 0, n)
	for _, id := range distinct(ids[:min(got, n)]) {
		ps = append(ps, &Platform{id: id})
	}
	return ps, nil
}

// distinct returns ids without repeats, in their first order. An ICD
// loader given two .icd files that name one driver (a copy, or a file
// under two names, as a package and an admin may each install) loads the
// library once and lists its platform twice: gpusim listed each device
// twice, as devices 0 and 1 of one GPU, which --device all or a Slurm
// array per device then ran twice over.
func distinct(ids []uintptr) []uintptr {
	out := ids[:0:0]
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// maxIDs bounds the platforms, or a platform's devices, a driver may
// report: far beyond any machine, while a broken driver's count (say
// 0x7fffffff) would allocate gigabytes.
const maxIDs = 1 << 12

// Devices lists all devices of the platform; none is not an error.
func (p *Platform) Devices() ([]*Device, error) {
	defer Crashing("for its devices", CrashListing)()
	var n uint32
	var st int32
	// pocl starts LLVM here, which installs its signal handlers (signals.go).
	driverCall(func() { st = clGetDeviceIDs(p.id, deviceTypeAll, 0, nil, &n) })
	if st == -1 || (st == 0 && n == 0) { // CL_DEVICE_NOT_FOUND
		return nil, nil
	}
	if st != 0 {
		return nil, check("clGetDeviceIDs", st)
	}
	if n > maxIDs {
		return nil, fmt.Errorf("clGetDeviceIDs: %s reports %d devices on a platform, more than %d: a broken driver", libPath, n, maxIDs)
	}
	ids := make([]uintptr, n)
	var got uint32
	if err := check("clGetDeviceIDs", clGetDeviceIDs(p.id, deviceTypeAll, n, &ids[0], &got)); err != nil {
		return nil, err
	}
	ds := make([]*Device, 0, n)
	for _, id := range distinct(ids[:min(got, n)]) {
		ds = append(ds, &Device{id: id, platform: p})
	}
	return ds, nil
}

func (p *Platform) info(param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32 {
	return clGetPlatformInfo(p.id, param, size, val, sizeRet)
}

// Name returns CL_PLATFORM_NAME.
func (p *Platform) Name() (string, error) {
	return infoString("clGetPlatformInfo", p.info, platformName)
}

// Vendor returns CL_PLATFORM_VENDOR.
func (p *Platform) Vendor() (string, error) {
	return infoString("clGetPlatformInfo", p.info, platformVendor)
}

// Version returns CL_PLATFORM_VERSION.
func (p *Platform) Version() (string, error) {
	return infoString("clGetPlatformInfo", p.info, platformVersion)
}

// Platform returns the device's platform.
func (d *Device) Platform() *Platform { return d.platform }

// Name returns CL_DEVICE_NAME.
func (d *Device) Name() (string, error) { return infoString("clGetDeviceInfo", d.info, deviceName) }

func (d *Device) info(param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32 {
	return clGetDeviceInfo(d.id, param, size, val, sizeRet)
}

// Info queries the device and its platform. Every query is made; the error
// is the first failed one's *Error, beside what the others gave.
func (d *Device) Info() (DeviceInfo, error) {
	defer Crashing("for its devices", CrashListing)()
	var first error
	keep := func(err error) {
		if first == nil {
			first = err
		}
	}
	str := func(f infoFunc, op string, param uint32) string {
		s, err := infoString(op, f, param)
		keep(err)
		return s
	}
	u32 := func(param uint32) int {
		v, err := infoScalar[uint32]("clGetDeviceInfo", d.info, param)
		keep(err)
		return int(v)
	}
	u64 := func(param uint32) uint64 {
		v, err := infoScalar[uint64]("clGetDeviceInfo", d.info, param)
		keep(err)
		return v
	}
	const dev, plat = "clGetDeviceInfo", "clGetPlatformInfo"
	wg, err := infoScalar[uintptr](dev, d.info, deviceMaxWorkGroupSize)
	keep(err)
	in := DeviceInfo{
		Name:                      str(d.info, dev, deviceName),
		Vendor:                    str(d.info, dev, deviceVendor),
		DriverVersion:             str(d.info, dev, driverVersion),
		Version:                   str(d.info, dev, deviceVersion),
		Type:                      typeString(u64(deviceType)),
		ComputeUnits:              u32(deviceComputeUnits),
		MaxClockMHz:               u32(deviceMaxClock),
		GlobalMemBytes:            u64(deviceGlobalMem),
		MaxAllocBytes:             u64(deviceMaxAlloc),
		LocalMemBytes:             u64(deviceLocalMem),
		MaxWorkGroupSize:          int(wg),
		PreferredVectorWidthFloat: u32(devicePrefVecWidthFloat),
		NativeVectorWidthFloat:    u32(deviceNativeVecWidthFloat),
		CorrectlyRoundedSqrt:      u64(deviceSingleFPConfig)&fpCorrectlyRoundedDivSqrt != 0,
		Denormals:                 u64(deviceSingleFPConfig)&fpDenorm != 0,
		Extensions:                str(d.info, dev, deviceExtensions),
		PlatformName:              str(d.platform.info, plat, platformName),
		PlatformVendor:            str(d.platform.info, plat, platformVendor),
		PlatformVersion:           str(d.platform.info, plat, platformVersion),
	}
	// CL_DEVICE_DOUBLE_FP_CONFIG may be an invalid query before OpenCL 1.2.
	dbl, _ := infoScalar[uint64](dev, d.info, deviceDoubleFPConfig)
	in.FP64 = dbl != 0 || strings.Contains(" "+in.Extensions+" ", " cl_khr_fp64 ")
	return in, first
}

func typeString(t uint64) string {
	var names []string
	for _, b := range []struct {
		bit  uint64
		name string
	}{{2, "CPU"}, {4, "GPU"}, {8, "ACCELERATOR"}, {16, "CUSTOM"}} {
		if t&b.bit != 0 {
			names = append(names, b.name)
		}
	}
	if len(names) == 0 && t&1 != 0 {
		return "DEFAULT"
	}
	if len(names) == 0 {
		return fmt.Sprintf("UNKNOWN(%#x)", t)
	}
	return strings.Join(names, "|")
}

type infoFunc func(param uint32, size uintptr, val unsafe.Pointer, sizeRet *uintptr) int32

func infoString(op string, f infoFunc, param uint32) (string, error) {
	var n uintptr
	if err := check(op, f(param, 0, nil, &n)); err != nil || n == 0 {
		return "", err
	}
	b := make([]byte, n)
	if err := check(op, f(param, n, unsafe.Pointer(&b[0]), nil)); err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00")), nil
}

func infoScalar[T uint32 | uint64 | uintptr](op string, f infoFunc, param uint32) (T, error) {
	var v T
	err := check(op, f(param, unsafe.Sizeof(v), unsafe.Pointer(&v), nil))
	return v, err
}
