// Package daily turns a run's per-step summaries into the per-day table gpusim reports: moments, exact moments and quantiles.
package daily
