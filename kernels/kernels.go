// Package kernels holds gpusim's OpenCL C sources, embedded in the binary.
package kernels

import _ "embed"

// Weather is the OpenCL C program of the OpenCL engine: the stream of
// docs/reproducibility.md (Philox4x32-10, the exact normal transform, the
// recurrence) with on-device reduction, plus test kernels for the generator
// and the transform. See the comment at its top for the build defines.
//
//go:embed weather.cl
var Weather string

// SelfTest holds the device self-test's probe kernels. It is not a program
// of its own: it is appended to Weather, whose macros it uses.
//
//go:embed selftest.cl
var SelfTest string
