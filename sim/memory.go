package sim

import "github.com/gpusim/gpusim/internal/count"

// quantileBytes bounds what ExactQuantiles allocates for n levels besides
// its result: counts of the keys' high halves (512 KiB), the slot table
// (256 KiB) and one count of low halves (512 KiB) per wanted rank.
func quantileBytes(n int) uint64 { return 768<<10 + uint64(2*n)*(512<<10) }

// HostBytes is the host memory a run's per-lane outputs take: 4 bytes a
// lane of the finals kept for --out (finals lanes, 0 without --out) and a
// bounded amount for their exact quantiles (Result.Quantiles), plus 4 bytes
// a value of paths trajectories of steps steps for --paths. What else a run
// holds does not grow with the lane count. It saturates at 2^64-1.
func HostBytes(finals, paths uint64, steps int) uint64 {
	var total uint64
	if finals > 0 {
		total = count.SatAdd(count.SatMul(finals, 4), quantileBytes(len(QuantileLevels)))
	}
	if paths > 0 && steps > 0 {
		total = count.SatAdd(total, count.SatMul(count.SatMul(paths, uint64(steps)), 4))
	}
	return total
}

// DailyBytes is the memory, in bytes, of per-step statistics over steps
// steps (Job.Daily): per step a Summary (80 bytes) and its pointer, its
// Histogram (32 bytes) and pointer, the histogram's DailyBins+2 uint64
// counts (cut from one array: DailyHistograms), and a float32 of the lane's
// path. The CPU engines keep one such set per worker besides the Result's
// (and their blocks' scratch: cpu.DailyWorkerBytes), so a job with --daily
// needs (workers+1) times this: 1024 workers at 10,000 steps, 43 GB
// (42.4 MB a copy).
func DailyBytes(steps int) uint64 {
	const perStep = 80 + 8 + 32 + 8 + (DailyBins+2)*8 + 4
	return uint64(max(steps, 0)) * perStep
}
