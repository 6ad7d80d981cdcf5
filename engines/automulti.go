package engines

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/gpu"
	"github.com/gpusim/gpusim/internal/count"
	"github.com/gpusim/gpusim/sim"
)

// multiPieces is how many pieces a run on several devices cuts the lanes
// into per device: gpu.Multi's default PiecesPerDevice (gpu/multi.go,
// pieces), which openOpenCL leaves as it is.
const multiPieces = 8

// multiMargin is how much faster, as a ratio, a run on several devices
// must be predicted than the fastest single engine for auto to choose it,
// its extra start-ups counted at their slowest kept sample (planMulti):
// about the spread of one engine's runs (confirmSlack), so that a choice
// the start-ups' spread or the runs' noise can overturn stays with the one
// engine, which starts fewer devices.
const multiMargin = 1 + confirmSlack

// member is one device a run on several devices would use: its index, as
// --device names it, and the timing it is predicted from (its own, or that
// of the identical device calibrate measured in its place).
type member struct {
	index int
	d     deviceTiming
}

// multiPlan is a run on several devices as planMulti predicts it: the
// devices, the predicted seconds (start-up included, as Observe judges
// it), the start-up counted in them, and the seconds the choice is made
// on, with every start-up at its slowest kept sample; measured says the
// start-up is one measured of runs on these devices (MultiStarts), not
// the sum of theirs.
type multiPlan struct {
	members  []member
	t        float64
	startup  float64
	slow     float64
	measured bool
}

// multiStart is the start-ups of runs on one set of devices at once
// (calibration.MultiStarts): the devices as --device lists them ("0,1,2"),
// and their latest start-ups in seconds, oldest first, at most
// startupSamples.
type multiStart struct {
	Devices string    `json:"devices"`
	Starts  []float64 `json:"startup_samples_s"`
}

// multiStartSets is how many sets of devices MultiStarts keeps start-ups
// of, the latest run's last: a set auto chose once is likely chosen again
// (the job sizes a node runs), and an edited file may list thousands.
const multiStartSets = 8

// multiMembers are the devices of c a run on several devices may use,
// fastest first (least time per lane-step, then index): each GPU measured
// (deviceTiming.GPU) and the identical devices it stands for (Identical),
// less those c records as failed and those usable rejects (a start that
// would compile its program). Devices on the machine's cores (pocl's) are
// left out: they share those cores, with each other and with simd, so
// their rates do not add. Each device appears once, however often c
// lists it, and a device c measured only at its own timing, whatever
// Identical (an edited file) says of it.
func (c calibration) multiMembers(usable func(index int) bool) []member {
	failed, measured := map[int]bool{}, map[int]bool{}
	for _, f := range c.Failed {
		failed[f.Index] = true
	}
	for _, d := range c.Devices {
		measured[d.Index] = true
	}
	var ms []member
	seen := map[int]bool{}
	for _, d := range c.Devices {
		if !d.GPU {
			continue
		}
		for k, i := range append([]int{d.Index}, d.Identical...) {
			if k > 0 && measured[i] {
				continue // its own entry decides
			}
			if !failed[i] && !seen[i] && usable(i) {
				seen[i] = true
				ms = append(ms, member{i, d})
			}
		}
	}
	slices.SortStableFunc(ms, func(a, b member) int {
		return cmp.Or(cmp.Compare(a.d.Ns, b.d.Ns), cmp.Compare(a.index, b.index))
	})
	// At most allDevices, the most MinTime's floor counts for --device
	// all: planMulti simulates the queue for each count, in time that
	// grows with the cube of the devices, and an edited file may list
	// thousands.
	return ms[:min(len(ms), allDevices)]
}

// multiStartup is the start-up of a run on ms, in seconds, and whether it
// was measured: the lower median of the start-ups kept of runs on these
// devices (MultiStarts), or with slow their slowest, where there are any,
// whatever the sum below says (a driver that opens devices one after
// another, or slower beside each other, is predicted as it measured).
// Else the sum of the devices' start-ups (summedStartup), times the most
// a set run together at least minExcessRuns times took over its own sum
// (startupExcess, 1 where none did): OpenMulti opens them in parallel
// (gpu/multi.go), but a driver may serialise the openings, and the sum is
// what they take then, so that a set never run together is not predicted
// to start faster than it may, nor faster than the runs on others
// measured against their sum.
func (c calibration) multiStartup(ms []member, slow bool) (float64, bool) {
	if xs := c.multiStarts(multiPlan{members: ms}.list()); len(xs) > 0 {
		if slow {
			return slices.Max(xs), true
		}
		return startupEstimate(xs), true
	}
	return c.summedStartup(ms, slow) * c.startupExcess(), false
}

// minExcessRuns is how many runs a set of devices must have started
// together before their start-ups scale the prediction of other sets
// (startupExcess): one start of seconds (a node under load, a driver
// loading after boot), the set's only sample, had scaled the start-up of
// every set not run yet by its ratio to its sum until the next
// calibration, and so kept jobs off them that would have gained. A set
// with one sample is predicted by it alone, and the others at their sum
// until a second run shows the excess lasts.
const minExcessRuns = 2

// startupExcess is the most times its devices' summed start-up
// (summedStartup, at their lower medians) that a set of devices run
// together at least minExcessRuns times took to start (MultiStarts: the
// lower median of its samples, startupEstimate, which leaves out one slow
// sample of two and two of five), or 1 where none took longer than its
// sum. The ratio is of medians alone, with or without slow: a choice's
// slowest start-up is its devices' slowest samples summed, times it, and
// a set's slowest sample as the ratio's numerator let one slow start
// among five scale every other set's prediction.
func (c calibration) startupExcess() float64 {
	x := 1.0
	if len(c.MultiStarts) == 0 {
		return x
	}
	byIndex := map[int]member{}
	for _, m := range c.multiMembers(func(int) bool { return true }) {
		byIndex[m.index] = m
	}
	for _, set := range c.MultiStarts {
		var ms []member
		for f := range strings.SplitSeq(set.Devices, ",") {
			i, err := strconv.Atoi(f)
			m, ok := byIndex[i]
			if err != nil || !ok {
				ms = nil // a device no longer among them
				break
			}
			ms = append(ms, m)
		}
		if len(ms) < 2 || len(set.Starts) < minExcessRuns {
			continue
		}
		if sum := c.summedStartup(ms, false); sum > 0 {
			x = max(x, startupEstimate(set.Starts)/sum)
		}
	}
	return x
}

// summedStartup is the start-up of a run on ms that opened the devices
// one after another, in seconds. Each device's start-up
// (deviceTiming.Startup: listing the devices, which loads the driver,
// opening it, its first launch) counts the listing, which a process pays
// once: so c.List plus each device's start-up less it (a file without List
// counts the listing once a device, which overstates the start-up). With
// slow, each start-up is its slowest kept sample rather than their lower
// median (startupEstimate): an H200's varies from 0.15 to 0.4 s, and a
// choice of several devices that pays only at the median loses when
// their starts run slow.
func (c calibration) summedStartup(ms []member, slow bool) float64 {
	list := c.List
	for _, m := range ms {
		list = min(list, m.d.Startup)
	}
	s := list
	for _, m := range ms {
		st := m.d.Startup
		if slow {
			st = slices.Max(m.d.samples())
		}
		s += max(st, list) - list
	}
	return s
}

// multiStarts are the start-ups c keeps of runs on the devices list
// ("0,1,2"), or nil.
func (c calibration) multiStarts(list string) []float64 {
	for _, m := range c.MultiStarts {
		if m.Devices == list {
			return slices.Clone(m.Starts)
		}
	}
	return nil
}

// addMultiStart keeps s seconds as the latest start-up of a run on the
// devices list, the set's oldest of more than startupSamples dropped, and
// the set made the latest, the oldest set of more than multiStartSets
// dropped.
func (c *calibration) addMultiStart(list string, s float64) {
	starts := append(c.multiStarts(list), s)
	sets := slices.DeleteFunc(slices.Clone(c.MultiStarts), func(m multiStart) bool { return m.Devices == list })
	sets = append(sets, multiStart{Devices: list, Starts: starts[max(len(starts)-startupSamples, 0):]})
	c.MultiStarts = sets[max(len(sets)-multiStartSets, 0):]
}

// learnMultiStart keeps s seconds, the start-up of the run on several
// devices ch chose that Observe measured (from Auto's call to its return,
// which loaded the driver, listed the devices and opened them, as a later
// process does), in the calibration ch was predicted from.
func learnMultiStart(ch Choice, s float64) {
	if !(s >= 0) || math.IsInf(s, 0) || ch.multiList == "" {
		return
	}
	updateCalibration(func(f calibrationFile) {
		if c, ok := f[ch.key]; ok {
			c.addMultiStart(ch.multiList, s)
			f[ch.key] = c
		}
	})
}

// queueTime is the seconds a run of lanes lanes of steps steps on ms takes
// once they are started, as gpu.Multi runs it (runPieces): the lanes cut
// into multiPieces pieces a device (sim.Split), each device taking the
// next piece from the queue as it becomes free, and once the queue is
// empty a free device running a copy of the first piece still running
// that has none, the first of the two to finish winning. A piece of w
// lane-steps costs a device its calibrated Fixed + w x Ns (cost.time): the
// fixed time of a run (its launches and reduction) is paid once a piece.
// The run ends when every piece has finished.
func queueTime(ms []member, lanes uint64, steps float64) float64 {
	n := min(uint64(multiPieces*len(ms)), lanes)
	if n == 0 || len(ms) == 0 {
		return 0
	}
	piece := func(i int, p uint64) float64 {
		_, c := sim.Split(lanes, p, n)
		return ms[i].d.time(float64(c) * steps)
	}
	free := make([]float64, len(ms)) // when each device is free
	done := make([]bool, len(ms))    // nothing left for it
	ends := make([]float64, n)       // when each piece finishes
	owner := make([]int, n)          // the device whose attempt ends it
	copied := make([]bool, n)
	next := uint64(0)
	for {
		i := -1
		for j := range free {
			if !done[j] && (i < 0 || free[j] < free[i]) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		t := free[i]
		if next < n {
			ends[next], owner[next] = t+piece(i, next), i
			free[i] = ends[next]
			next++
			continue
		}
		p := -1 // the first piece still running without a copy
		for q := range ends {
			if ends[q] > t && !copied[q] {
				p = q
				break
			}
		}
		if p < 0 {
			done[i] = true
			continue
		}
		copied[p] = true
		if e := t + piece(i, uint64(p)); e < ends[p] {
			// The copy wins: the first attempt is cancelled.
			free[owner[p]], ends[p], owner[p] = e, e, i
		}
		free[i] = ends[p]
	}
	return slices.Max(ends)
}

// planMulti is the fastest run of lanes lanes of steps steps on two or
// more of the devices multiMembers gives (usable as there), or false
// where fewer than two are there. Of the devices, fastest first, it takes
// the count whose run is predicted to finish first with every start-up
// at its slowest (multiStartup): each device more adds its start-up (a
// set run before, the start-ups measured of it), and takes its share of
// the pieces, so past some count a device more costs more than it saves.
//
// The prediction comes from the devices' own calibrations: their
// start-ups and their costs per run (Fixed) and per lane-step (Ns), the
// rates adding up as the queue shares the pieces out (queueTime). An error
// in a device's Ns moves the prediction of a run on it alone and of one
// on several in proportion to the work each does: what a run on several
// adds is start-ups, which are counted at their slowest, and a run that
// takes over twice its prediction still drops the choice (observeMulti).
func (c calibration) planMulti(usable func(int) bool, lanes uint64, steps float64) (multiPlan, bool) {
	ms := c.multiMembers(usable)
	best := multiPlan{slow: math.Inf(1)}
	for k := 2; k <= len(ms); k++ {
		run := queueTime(ms[:k], lanes, steps)
		p := multiPlan{members: ms[:k]}
		p.startup, p.measured = c.multiStartup(ms[:k], false)
		slow, _ := c.multiStartup(ms[:k], true)
		p.t, p.slow = p.startup+run, slow+run
		if p.slow < best.slow {
			best = p
		}
	}
	return best, best.members != nil
}

// indexes are the plan's device indexes, in order.
func (p multiPlan) indexes() []int {
	idx := make([]int, len(p.members))
	for i, m := range p.members {
		idx[i] = m.index
	}
	slices.Sort(idx)
	return idx
}

// list is the plan's devices as --device takes them: "0,1,2".
func (p multiPlan) list() string {
	var b strings.Builder
	for i, x := range p.indexes() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// name is the plan's devices in prose: "devices 0-7 (8 NVIDIA H200)",
// the indexes in runs, then each model's count and name.
func (p multiPlan) name() string {
	idx := p.indexes()
	var runs []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		switch {
		case j == i:
			runs = append(runs, strconv.Itoa(idx[i]))
		case j == i+1:
			runs = append(runs, strconv.Itoa(idx[i]), strconv.Itoa(idx[j]))
		default:
			runs = append(runs, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		}
		i = j + 1
	}
	var models []string
	count := map[string]int{}
	for _, m := range p.members {
		n := labelName(m.d.Label)
		if count[n] == 0 {
			models = append(models, n)
		}
		count[n]++
	}
	for i, n := range models {
		models[i] = fmt.Sprintf("%d %s", count[n], n)
	}
	return fmt.Sprintf("devices %s (%s)", strings.Join(runs, ","), strings.Join(models, ", "))
}

// labelName is the device's name in a Label ("0: NAME (PLATFORM, TYPE)"),
// or the label where it has no such form.
func labelName(label string) string {
	_, rest, ok := strings.Cut(label, ": ")
	if !ok {
		return label
	}
	// The last " (" opens the platform's and type's: a name may hold one
	// ("Radeon (TM) RX"), which the first cut short.
	if i := strings.LastIndex(rest, " ("); i > 0 {
		return rest[:i]
	}
	return rest
}

// against is the single engine a run on several devices must beat: its
// predicted seconds, its name for the reason, and why it was predicted
// there (the reason's head).
type against struct {
	t           float64
	label, head string
}

// fastestSingle is what chooseCalibrated's run on several devices must
// beat: c's fastest single engine (pickLoadable), whose checks of a
// runner-up wait for a job one engine runs.
func (c calibration) fastestSingle(dev Entry, o Options, work float64) against {
	o.Observed = false // the fastest, not a check
	i, t, _, _ := c.pickLoadable(dev, o, work)
	a := against{t: t, label: c.simdLabel(), head: "predicted fastest from this machine's calibration"}
	if i >= 0 {
		a.label = deviceName(c.Devices[i].Label)
	}
	return a
}

// programOf is the program file c keeps for device index i (deviceTiming's
// Program): its own measurement's, or that of the identical device it was
// measured as, whose program is the same; "" where c keeps none.
func (c calibration) programOf(i int) string {
	for _, d := range c.Devices {
		if d.Index == i || slices.Contains(d.Identical, i) {
			return d.Program
		}
	}
	return ""
}

// chooseMulti starts the devices of c's fastest run on several at once
// (planMulti) where it is predicted faster than the single engine a (its
// time, a.t) by multiMargin, its start-ups at their slowest, and says so,
// with ok true. ok is false, and chooseCalibrated picks one engine, where no
// such run is predicted faster, where a run on several was dropped for
// this calibration (MultiDropped), where a device's start would compile
// its program, and where the devices do not start (which drops the choice
// for this calibration: a device busy, in another process's exclusive
// use) or refuse this job (gpu.Multi.Refuses: subnormals, the address
// space all of them need at once) or are not loaded in this process
// (Entry.NotLoaded: its ulimit -v), each with a note. fresh says no
// device was opened before in the process (chooseCalibrated), so that the
// run's start-up is one a later process pays (learnMultiStart). Errors are
// ctx's.
func (c *calibration) chooseMulti(ctx context.Context, dev Entry, o Options, simd cpu.SIMD, key string, work float64, a against, fresh bool) (sim.Engine, Choice, bool, error) {
	p := o.Params
	lanes := p.Lanes
	if o.Sharded {
		lanes = o.Lanes
	}
	if c.MultiDropped != "" || lanes == 0 {
		return nil, Choice{}, false, nil
	}
	warm := func(i int) bool {
		if f := c.programOf(i); f != "" {
			// The file calibrate found: programCold lists the devices,
			// loading the driver (0.18 s on an H200), in every run
			// that chose from the calibration, simd's too.
			return warmProgram(dev, f)
		}
		_, compiles := programCold(dev, o, i)
		return !compiles
	}
	plan, ok := c.planMulti(warm, lanes, float64(max(p.Steps, 1)))
	if !ok || !(plan.slow*multiMargin < a.t) {
		return nil, Choice{}, false, nil
	}
	do := o
	do.Devices = plan.list()
	c.multiOpened = true
	e, err := dev.Open(ctx, do)
	if err != nil {
		if ctx.Err() != nil {
			return nil, Choice{}, true, context.Cause(ctx)
		}
		if dev.NotLoaded != nil && dev.NotLoaded(err) {
			// Not in this process (under its ulimit -v, which all of
			// them at once may not fit): the choice stands for runs
			// with room, as a device's calibration does.
			o.note("%s on %s is not loaded (%s): running on one engine", dev.Name, plan.name(), firstLine(err))
			return nil, Choice{}, false, nil
		}
		if noAnswer(err) {
			// No device of the driver would answer: simd, the choice
			// of several kept.
			return simd, Choice{Engine: "simd", Reason: devicesFailed(dev, o, err)}, true, nil
		}
		why := fmt.Sprintf("%s on %s did not start (%s)", dev.Name, plan.name(), firstLine(err))
		c.MultiDropped = why // for the reason of the engine chosen instead
		if !dropMulti(key, c.Measured, why) {
			// Measured again meanwhile (another process): that
			// calibration's devices decide later jobs.
			o.note("%s: running on one engine", why)
			return nil, Choice{}, false, nil
		}
		o.note("%s: running on one engine, as later jobs will until this machine is measured again", why)
		return nil, Choice{}, false, nil
	}
	if moved := movedDevice(e, plan); moved != "" {
		// Another device at a measured place (a cache shared by
		// machines of one set-up, a GPU swapped), as chooseCalibrated
		// checks one device: every cost of the calibration may be
		// another machine's, never trusted.
		sim.CloseNoted(e, o.Note)
		dropCalibration(key, c.Measured)
		o.note("%s on %s, as measured: %s now; running on simd; auto measures again next time", dev.Name, plan.name(), moved)
		return simd, Choice{Engine: "simd", Reason: dev.Name + " devices changed since they were measured"}, true, nil
	}
	if rerr := refusal(e, o); rerr != nil {
		// This job only: the choice stands for the others.
		sim.CloseNoted(e, o.Note)
		o.note("%s on %s refuses this job (%s): running on one engine", dev.Name, plan.name(), firstLine(rerr))
		return nil, Choice{}, false, nil
	}
	how := fmt.Sprintf("%d devices' start-ups summed", len(plan.members))
	if plan.measured {
		how = "as runs on them measured it"
	}
	ch := Choice{Engine: e.Name(), Reason: fmt.Sprintf("%s: %s on %s, %s with their start-up of %s (%s), against %s on %s",
		a.head, dev.Name, plan.name(), count.Seconds(plan.t), count.Seconds(plan.startup), how, count.Seconds(a.t), a.label) + c.failedNote(dev),
		predicted: plan.t, key: key, measured: c.Measured, work: work, device: -1, startup: plan.startup, multi: plan.name(), multiList: plan.list(), fresh: fresh && !coldStarted(e)}
	ch.onCores(simd, true, true, jobParams(o))
	return e, ch, true, nil
}

// multiNote says, for a reason, that c's GPUs are not run together and
// why, where a run on several was dropped (MultiDropped); "" otherwise.
func (c calibration) multiNote() string {
	if c.MultiDropped == "" {
		return ""
	}
	return "; several devices at once are not considered until this machine is measured again, as " + c.MultiDropped
}

// dropMulti records why, under the calibration file's lock, in the
// calibration under key where it is still the one measured at measured
// (its Measured), and reports whether it did: auto no longer runs a job on
// several devices at once from it, and the devices' own costs stand. A
// calibration another process dropped and measured again since was not
// the run's: an old run's drop had marked it.
func dropMulti(key string, measured time.Time, why string) bool {
	dropped := false
	updateCalibration(func(f calibrationFile) {
		if c, ok := f[key]; ok && c.isMeasured(measured) {
			c.MultiDropped = why
			f[key] = c
			dropped = true
		}
	})
	return dropped
}

// observeMulti is Observe for a run on several devices (chooseMulti), run
// seconds after they started and took seconds in all. It is judged as a
// GPU's run is, from the end of its start-up (a start-up varies from run
// to run by more than a run takes), with the predicted start-up in place
// of its own, and confirms nothing: its time is the devices' together,
// not any one's cost, nor is its start-up one device's: a fresh run's
// (chooseCalibrated's) start-up is kept as one of the set's
// (learnMultiStart). A run that took
// over twice its prediction drops the choice of several devices for the
// calibration (dropMulti) and keeps the devices' costs; a faster one
// leaves the choice as it is.
func observeMulti(ch Choice, took, run float64) string {
	if ch.fresh && !ch.at.IsZero() {
		learnMultiStart(ch, took-run)
	}
	t := ch.startup + run
	if t <= 2*ch.predicted {
		if ch.spareShare() >= busyShare {
			clearBusyChecks(ch.key)
		}
		return ""
	}
	if !dropMulti(ch.key, ch.measured, fmt.Sprintf("a run on %s took %s where %s was predicted", ch.multi, count.Seconds(t), count.Seconds(ch.predicted))) {
		return "" // measured again since: the run was predicted by the calibration before
	}
	return fmt.Sprintf("auto: the run on %s took %s where this machine's calibration predicted %s: later jobs run on one engine until this machine is measured again",
		ch.multi, count.Seconds(took), count.Seconds(ch.predicted))
}

// multiAfterCalibrate is chooseMulti for the run that measured c, stored
// under key: against eng, the engine calibrate chose, predicted by ch, a
// device it started now started (its start-up spent). Where a run on
// several devices is chosen, eng is closed: a node's first large job ran
// on the one GPU it measured.
func (c *calibration) multiAfterCalibrate(ctx context.Context, dev Entry, o Options, simd cpu.SIMD, key string, eng sim.Engine, ch Choice) (sim.Engine, Choice, error) {
	a := against{t: ch.predicted, label: c.simdLabel(), head: "measured here"}
	if ch.device >= 0 && ch.device < len(c.Devices) {
		a.label = deviceName(c.Devices[ch.device].Label) + " now that it is started"
	}
	e, mch, ok, err := c.chooseMulti(ctx, dev, o, simd, key, ch.work, a, false)
	if err != nil {
		sim.CloseNoted(eng, o.Note)
		return nil, Choice{}, err
	}
	if !ok {
		return eng, ch, nil
	}
	sim.CloseNoted(eng, o.Note)
	return e, mch, nil
}

// movedDevice names the first device of e, opened for plan, that is not
// the model measured for its index: the label the calibration keeps for it
// less the index (identical devices share the label of the one measured,
// deviceTiming.Identical), as "device 1 (NVIDIA H200 (NVIDIA CUDA, GPU) as
// measured) is NVIDIA H100 (NVIDIA CUDA, GPU)"; "" where each is, or where
// e does not say which devices it opened.
func movedDevice(e sim.Engine, plan multiPlan) string {
	m, ok := e.(interface{ Devices() []gpu.DeviceDesc })
	if !ok {
		return ""
	}
	model := func(label string) string {
		_, rest, _ := strings.Cut(label, ": ")
		return rest
	}
	for _, got := range m.Devices() {
		for _, p := range plan.members {
			if p.index == got.Index && model(p.d.Label) != model(got.String()) {
				return fmt.Sprintf("device %d (%s as measured) is %s", got.Index, model(p.d.Label), model(got.String()))
			}
		}
	}
	return ""
}
