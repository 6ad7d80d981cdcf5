// Package cpu holds gpusim's Go engines: serial (the reference), parallel (goroutines over lane blocks) and simd (batches of lanes).
package cpu
