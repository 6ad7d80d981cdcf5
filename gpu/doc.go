// Package gpu is gpusim's OpenCL engine: the stream of docs/reproducibility.md computed on any OpenCL device, bit for bit.
//
// [Devices] lists the devices of every platform under one flat index, which
// [Options].Device (and the CLI's --device) takes; [PickDefault] names the
// first GPU (else a device of one type). [Open] builds the kernels of package kernels for a device and
// returns an [Engine], a sim.Engine whose runs give the same digest, finals
// and exact statistics as cpu.Serial in exact math ([MathExact]), whatever
// the vector width and chunking. [MathFast] trades that for native
// functions. OpenCL is loaded at run time (package gpu/cl): without a library
// the errors match cl.ErrNoLibrary, without a platform cl.ErrNoPlatform.
package gpu
