// Package sysmem reads how much memory the machine can still give this process, for refusing up front what it cannot hold.
package sysmem
