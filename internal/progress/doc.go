// Package progress draws a one-line progress bar for a run on a terminal: lanes done, percentage, rate and ETA.
package progress
