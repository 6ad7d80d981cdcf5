//go:build unix

package cputime

import (
	"os"
	"os/signal"
	"syscall"
)

// watchContinued counts, from now on, the SIGCONTs the process gets: one
// ends every stop (SIGSTOP, Ctrl-Z's SIGTSTP, Slurm's scontrol suspend
// and resume), whoever sent it. Notify changes nothing of what SIGCONT
// does.
func watchContinued() {
	c := make(chan os.Signal, 8)
	signal.Notify(c, syscall.SIGCONT)
	go func() {
		for range c {
			noteContinued()
		}
	}()
}
