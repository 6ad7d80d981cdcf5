// Package report formats a run's or a merge's result beside the exact law,
// as text for a person or as JSON for a program.
package report
