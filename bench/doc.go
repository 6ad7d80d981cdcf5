// Package bench is gpusim's benchmark harness: the same workloads on every engine, worker scaling with an Amdahl's law fit, a size sweep with crossovers, a Python baseline, and reports and plots of the results.
package bench
