// Package plots draws a run's charts with gonum/plot: the histogram of final temperatures against the exact density, and a fan chart of the per-day quantiles.
package plots
