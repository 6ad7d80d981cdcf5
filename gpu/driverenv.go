package gpu

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gpusim/gpusim/gpu/cl"
)

// driverEnvPrefixes begin the names of the environment variables through
// which OpenCL drivers take settings that may change the machine code they
// generate for a program, from its source or from its binary: pocl's
// (POCL_EXTRA_BUILD_FLAGS, its vectorizer's and work-group method's), AMD's
// (AMD_OCL_BUILD_OPTIONS_APPEND, GPU_*), Intel's CPU runtime's (CL_CONFIG_*)
// and graphics compiler's (IGC_*), Mesa's (RUSTICL_*, CLOVER_*) and
// NVIDIA's (CUDA_FORCE_PTX_JIT and the like).
var driverEnvPrefixes = []string{"POCL_", "AMD_OCL_", "GPU_", "CL_CONFIG_", "IGC_", "RUSTICL_", "CLOVER_", "CUDA_"}

// driverEnvIgnored are variables of those prefixes that change where a
// driver keeps its files, what it prints, or which devices it lists (a
// device's identity is in the key already), never the code: in the key
// they would compile the program again for each Slurm task's GPU
// (CUDA_VISIBLE_DEVICES) or each folder gpusim gives pocl's cache
// (POCL_CACHE_DIR, which gpu/cl sets where pocl's own cannot be written).
var driverEnvIgnored = []string{
	"POCL_CACHE_DIR", "POCL_KERNEL_CACHE", "POCL_DEBUG", "POCL_DEVICES", "POCL_MAX_PTHREAD_COUNT",
	"POCL_CPU_MAX_CU_COUNT", "POCL_AFFINITY", "POCL_MEMORY_LIMIT", "POCL_LEAVE_KERNEL_COMPILER_TEMP_FILES",
	"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "CUDA_CACHE_PATH", "CUDA_CACHE_DISABLE", "CUDA_CACHE_MAXSIZE",
	"CUDA_LAUNCH_BLOCKING", "GPU_DEVICE_ORDINAL",
}

// deviceSelectionEnv are the variables that choose which physical devices
// the device indexes name: a driver's list of visible devices and order,
// and the loaders' (which drivers load, in which order). Part of a self-test
// pass's key (selfTestKey) with the device's index, not of a program's.
var deviceSelectionEnv = []string{
	"CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER", "GPU_DEVICE_ORDINAL", "ROCR_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES",
	"ZE_AFFINITY_MASK", "POCL_DEVICES", "OCL_ICD_VENDORS", "OCL_ICD_FILENAMES", "OPENCL_VENDOR_PATH", "GPUSIM_OPENCL_LIBRARY",
}

// deviceSelection is deviceSelectionEnv's values, one NAME=value line each.
func deviceSelection() string {
	var b strings.Builder
	for _, name := range deviceSelectionEnv {
		b.WriteString(name + "=" + os.Getenv(name) + "\n")
	}
	return b.String()
}

// DriverEnv is the drivers' settings in the environment (driverEnvPrefixes,
// less driverEnvIgnored, an empty one as unset), as sorted NAME=value
// lines, "" where none is set:
// part of every program's cache key (programKey), and so of its self-test
// pass's, as a program and a pass kept under one setting do not hold under
// another. pocl generates a cached binary's machine code as it loads it,
// under the POCL_EXTRA_BUILD_FLAGS of that process: with
// -cl-denorms-are-zero there, the pass a run without it had stored let a
// job whose values become subnormal run on code that flushes them, and
// print a wrong digest with exit 0 (selftest, which runs afresh, found
// the flushing).
//
// auto's calibration key holds it too: a device measured, or failed, under
// one setting says nothing of it under another.
func DriverEnv() string {
	var set []string
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if value != "" && slices.ContainsFunc(driverEnvPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) &&
			!slices.Contains(driverEnvIgnored, name) {
			set = append(set, kv)
		}
	}
	slices.Sort(set)
	return strings.Join(set, "\n")
}

// driverSelection is the driver-level variables of deviceSelectionEnv that
// are set (an empty CUDA_VISIBLE_DEVICES or POCL_DEVICES too: it hides every
// device), as NAME=value
// joined by " and ", or "": those that choose which of a platform's devices
// its driver lists. The loaders' variables choose platforms, which a
// platform without devices has past.
func driverSelection() string {
	var set []string
	for _, name := range deviceSelectionEnv {
		switch name {
		case "OCL_ICD_VENDORS", "OCL_ICD_FILENAMES", "OPENCL_VENDOR_PATH", "GPUSIM_OPENCL_LIBRARY":
			continue
		}
		// Empty, a list of visible devices hides them all, and so
		// does pocl's POCL_DEVICES; other variables read as unset.
		if v, ok := os.LookupEnv(name); v != "" || ok && (strings.HasSuffix(name, "_VISIBLE_DEVICES") || name == "POCL_DEVICES") {
			set = append(set, fmt.Sprintf("%s=%q", name, v))
		}
	}
	return strings.Join(set, " and ")
}

// noDeviceHint is the hint for platforms that list no device: the
// variables that choose the devices first, where set (POCL_DEVICES=bogus
// hid pocl's CPU, and the hint said only to check the drivers).
func noDeviceHint() string {
	h := "check the drivers with clinfo; " + cl.CPUEnginesRun
	if fix := driverSelectionFix(); fix != "" {
		h = fix + "; " + h
	}
	return h
}

// driverSelectionFix is the fix of the driver-level variables that choose
// the devices (driverSelection) where one is set, "" otherwise.
func driverSelectionFix() string {
	sel := driverSelection()
	if sel == "" {
		return ""
	}
	return sel + " is set, which chooses the devices a driver lists: unset it, or name a device the machine has (pocl's POCL_DEVICES takes device types such as pthread or basic)"
}

// driverEnvError is a build that failed where the environment sets
// drivers' settings (DriverEnv), which a driver applies to gpusim's build
// (pocl adds POCL_EXTRA_BUILD_FLAGS to the build options): its hint names
// them first, where it said only that the compiler rejected the kernel.
type driverEnvError struct {
	err error
	env string // DriverEnv's lines
}

func (e *driverEnvError) Error() string { return e.err.Error() }
func (e *driverEnvError) Unwrap() error { return e.err }

// driverEnvAdvice is the advice on the drivers' settings env (DriverEnv's
// lines) for a program that failed to build or failed the self-test: they
// may be the cause.
func driverEnvAdvice(env string) string {
	return "the environment sets " + strings.ReplaceAll(env, "\n", ", ") + ", which a driver may apply to gpusim's program: unset it and run again"
}

// DriverEnvAdvice is driverEnvAdvice on the drivers' settings the
// environment sets (DriverEnv), "" where it sets none: for a self-test's
// failed or limited checks, which pocl's POCL_EXTRA_BUILD_FLAGS cause
// (-cl-fast-relaxed-math, -cl-denorms-are-zero).
func DriverEnvAdvice() string {
	if env := DriverEnv(); env != "" {
		return driverEnvAdvice(env)
	}
	return ""
}

// Hint names the settings, then the build error's own hint.
func (e *driverEnvError) Hint() string {
	h := driverEnvAdvice(e.env)
	var be *cl.BuildError
	if errors.As(e.err, &be) {
		if inner := cl.HintFor(be); inner != "" {
			h += "; otherwise " + inner
		}
	}
	return h
}

// withDriverEnv is err, a failed build, with the drivers' settings in its
// hint where the environment sets any (driverEnvError).
func withDriverEnv(err error) error {
	var be *cl.BuildError
	if env := DriverEnv(); env != "" && errors.As(err, &be) {
		return &driverEnvError{err: err, env: env}
	}
	return err
}
