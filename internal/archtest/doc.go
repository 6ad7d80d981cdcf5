// Package archtest holds the tests of gpusim's architecture rules
// (docs/architecture.md): which package may import which, and no function
// over 100 lines outside tests and generated code.
package archtest
