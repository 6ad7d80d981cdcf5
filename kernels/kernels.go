// Package kernels holds gpusim's OpenCL C sources, embedded in the binary.
package kernels

import _ "embed"

// Weather is the OpenCL C program of the OpenCL engine: the stream of
// docs/reproducibility.md (Philox4x32-10, the exact normal transform, the
// recurrence) with on-device reduction; built with SELFTEST, the
// self-test's kernels for the generator and the transform instead. See the
// comment at its top for the build defines.
//
//go:embed weather.cl
var Weather string

// SelfTest holds the device self-test's probe kernel. It is not a program
// of its own: the self-test's program is Weather with it appended, whose
// macros it uses, built with SELFTEST.
//
//go:embed selftest.cl
var SelfTest string
