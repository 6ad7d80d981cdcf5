// Package rng is the one definition of gpusim's random stream: Philox4x32-10 and the exact float32 normal transform of docs/reproducibility.md.
package rng
