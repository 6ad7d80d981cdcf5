// Package shard cuts a gpusim job into shards that run anywhere, saves each
// shard's result as a part file, and merges the parts into the job's result.
//
// # Shards
//
// Shard i of N of a job of L lanes runs lanes
//
//	[floor(i L / N), floor((i+1) L / N))
//
// (sim.Split), so the N shards cover every lane exactly once. Parse reads the
// --shard forms i/N, auto and auto/N; auto takes the index from a Slurm job
// array, a Kubernetes Indexed Job or GPUSIM_SHARD_INDEX (see Parse). Run runs
// one shard on an engine.
//
// # Part files
//
// A part file is a JSON envelope
//
//	{"format": "gpusim-part", "version": 1, "payload": {...}, "checksum": "sha256:<hex>"}
//
// whose checksum is the SHA-256 of the payload's compact JSON encoding, so a
// changed, truncated or re-encoded value is detected while reformatting the
// whitespace is not an error. The payload is
//
//	params        the job: lanes, steps, start, anchor, persistence, sigma, seed
//	lanes         {first, count}: the part holds lanes [first, first+count)
//	shard         {index, count}: the --shard that made it, if any (for people)
//	engine        the engine's name; device, the device or CPU configuration
//	wall_seconds  the run's wall time
//	summary       the part's sim.Summary: count, mean, m2, min, max (null
//	              without lanes), digest (16 hex digits) and hist {lo, scale,
//	              bins}: the underflow count, sim.HistBins bins, the overflow
//	daily         the per-step summaries (sim.DailyBins bins), when kept
//
// Floats are the shortest decimal that reads back as the same float64 (mean,
// m2) or float32 (min, max, lo, scale). docs/cluster.md has an example.
// ReadPart refuses anything but an intact part of a valid job; Merge refuses
// parts of different jobs and parts that do not cover the job's lanes exactly
// once, naming the files.
package shard
