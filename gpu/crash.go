package gpu

import (
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/internal/interrupt"
)

// waiting marks that gpusim waits for the OpenCL driver to do what
// ("build the program for device 0 (NAME)") until done: a stop's note
// names it (interrupt.Waiting), and so does the error of a driver's crash
// in it, with the hint of a crash in a build or a launch (cl.Crashing).
func waiting(what string) (done func()) {
	return waitingAs(what, cl.CrashWork)
}

// waitingAs is waiting for a call of the kind step, which chooses a
// crash's hint.
func waitingAs(what string, step cl.CrashStep) (done func()) {
	stop := interrupt.Waiting("the OpenCL driver to " + what)
	crash := cl.Crashing(cl.Asked(what), step)
	return func() { crash(); stop() }
}

// waitingPast is waiting for a run's call, which a stop's note names only
// once it has waited past (interrupt.WaitingPast); a crash names it at
// once.
func waitingPast(what string, past time.Duration) (done func()) {
	return waitingPastAs(what, past, cl.CrashWork)
}

// waitingPastAs is waitingPast for a call of the kind step, which chooses
// a crash's hint.
func waitingPastAs(what string, past time.Duration, step cl.CrashStep) (done func()) {
	stop := interrupt.WaitingPast("the OpenCL driver to "+what, past)
	crash := cl.Crashing(cl.Asked(what), step)
	return func() { crash(); stop() }
}
