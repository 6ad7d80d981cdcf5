// Package enginetest is the conformance suite every sim.Engine's tests run, and the one comparator of summaries and results.
package enginetest
