// Package outfile writes float32 arrays as .npy, .csv or raw little-endian .f32 files, atomically.
package outfile
