// Package testenv finds the outside tools gpusim's tests use and decides when their absence skips a test or fails it.
package testenv
