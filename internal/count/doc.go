// Package count is the one grammar of every whole-number flag of gpusim
// (--lanes, --steps, --seed, --workers, bench's lists, ...): decimal, never
// octal, with underscores, e-notation, powers and k/M/G/T suffixes.
package count
