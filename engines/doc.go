// Package engines is the registry of gpusim's engines: which exist, what
// each takes, how `auto` chooses one, the device lists of engines that run
// on devices, and the engines `gpusim bench` measures.
package engines
