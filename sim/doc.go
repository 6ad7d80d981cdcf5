// Package sim defines gpusim's model, its validated parameters, exact moments, mergeable summaries and the engine interface.
package sim
