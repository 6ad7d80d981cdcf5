// Package archtest holds the tests of gpusim's architecture rules
// (docs/architecture.md): which package may import which, and no function
// over 100 lines outside tests and generated code, and no built program
// among the files git tracks.
package archtest
