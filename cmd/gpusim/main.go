// Command gpusim runs the weather Monte Carlo on gpusim's engines; see README.md.
package main

import "os"

func main() { os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
