package bench

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// noisyRatio is how far apart two medians of one configuration may lie
// before the report says the machine was busy or noisy, where the two
// measurements' spreads (min to max) do not meet either: a quiet machine
// repeats a median to a few percent. Below noisyFloor a run's time is
// start-up (goroutines, first touches of memory), which varies by more than
// that on a quiet machine too, and no note is made.
const (
	noisyRatio = 1.25
	noisyFloor = time.Millisecond
)

// repeat is a Repeat of the measurements a and b, kept where they lie apart
// (noisyRatio, noisyFloor).
func repeat(engine, device string, w Workload, tables [2]string, a, b Stats) (Repeat, bool) {
	p := Repeat{engine, device, w, tables, [2]time.Duration{a.Median, b.Median}}
	lo, hi := a, b
	if lo.Median > hi.Median {
		lo, hi = hi, lo
	}
	apart := a.N > 0 && b.N > 0 && lo.Median >= noisyFloor && p.Ratio() > noisyRatio && hi.Min > lo.Max
	return p, apart
}

// Repeat is one configuration (engine, device and its workers, workload)
// that two tables of one benchmark measured apart: the Engines table and a
// Scaling point at the same workers (Device alike), or the Engines table and
// a Sweep point of the same lanes and steps (both at the engine's default
// workers). Bench --quick under load read 306 ms for parallel on 2
// goroutines in one and 56.4 ms in the other, without a word.
type Repeat struct {
	Engine   string   `json:"engine"`
	Device   string   `json:"device"`
	Workload Workload `json:"workload"`
	// Tables name where each median comes from: "engines", "scaling" or
	// "sweep"; Medians are theirs, in that order.
	Tables  [2]string        `json:"tables"`
	Medians [2]time.Duration `json:"medians_ns"`
}

// Ratio is the slower median over the faster.
func (p Repeat) Ratio() float64 {
	lo, hi := min(p.Medians[0], p.Medians[1]), max(p.Medians[0], p.Medians[1])
	if lo <= 0 {
		return 0
	}
	return float64(hi) / float64(lo)
}

// note is the report's note of a noisy repeat.
func (p Repeat) note() string {
	return fmt.Sprintf("the machine was busy or noisy: %s (%s) on %s took %s in the %s table and %s in the %s table, %.2fx apart and beyond their timed runs' spread, where one configuration should repeat within %.0f%%; compare this report's timings with care",
		p.Engine, p.Device, p.Workload, fmtDur(p.Medians[0]), p.Tables[0], fmtDur(p.Medians[1]), p.Tables[1], p.Ratio(), 100*(noisyRatio-1))
}

// noisyRepeats are the configurations rep measured twice whose
// measurements lie apart (repeat).
func noisyRepeats(rep *Report) []Repeat {
	var out []Repeat
	keep := func(p Repeat, apart bool) {
		if apart {
			out = append(out, p)
		}
	}
	for _, wr := range rep.Workloads {
		for _, m := range wr.Engines {
			if m.Workers != 0 {
				continue
			}
			for _, s := range rep.Scaling {
				if s.Engine != m.Engine || s.Workload != wr.Workload {
					continue
				}
				for _, pt := range s.Points {
					if pt.Device != "" && pt.Device == m.Device {
						keep(repeat(m.Engine, m.Device, wr.Workload, [2]string{"engines", "scaling"}, m.Wall, pt.Wall))
					}
				}
			}
			if rep.Sweep == nil || rep.Sweep.Steps != wr.Workload.Steps {
				continue
			}
			for _, se := range rep.Sweep.Series {
				for _, pt := range se.Points {
					if se.Engine == m.Engine && pt.Lanes == wr.Workload.Lanes {
						keep(repeat(m.Engine, m.Device, wr.Workload, [2]string{"engines", "sweep"}, m.Wall, pt.Wall))
					}
				}
			}
		}
	}
	return out
}

// noteNoisy sets rep.Noisy and adds a note for each.
func noteNoisy(rep *Report) {
	rep.Noisy = noisyRepeats(rep)
	for _, p := range rep.Noisy {
		rep.Notes = append(rep.Notes, p.note())
	}
}

// csvRows are p's rows in the CSV (CSVHeader's noisy section), as
// WriteCSV's column-value maps: one for each of its two measurements, its
// median in median_s to the nanosecond (exactSec), its table and the
// ratio in the note. The CSV had none: a CSV reader saw the medians only
// in the note row, rounded to three digits.
func (p Repeat) csvRows() []map[string]string {
	rows := make([]map[string]string, 0, 2)
	for i, table := range p.Tables {
		rows = append(rows, map[string]string{"section": "noisy", "engine": p.Engine, "device": p.Device,
			"lanes": strconv.FormatUint(p.Workload.Lanes, 10), "steps": strconv.Itoa(p.Workload.Steps),
			"median_s": exactSec(p.Medians[i]),
			"note":     fmt.Sprintf("%s table, %.2fx apart from the %s table's median", table, p.Ratio(), p.Tables[1-i])})
	}
	return rows
}

// exactSec writes d in seconds with every nanosecond ("0.306123457",
// "-1.5", "9223372036.854775807"), where fmtF's float64 loses
// nanoseconds from about 52 days up.
func exactSec(d time.Duration) string {
	sign, n := "", uint64(d)
	if d < 0 {
		sign, n = "-", -uint64(d)
	}
	s := sign + strconv.FormatUint(n/1e9, 10)
	if frac := n % 1e9; frac != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%09d", frac), "0")
	}
	return s
}
