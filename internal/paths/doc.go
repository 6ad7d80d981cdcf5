// Package paths computes whole trajectories of a job's first lanes on the host with sim.Model.Path, the same on every engine.
package paths
