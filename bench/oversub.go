package bench

import (
	"fmt"
	"slices"
	"strings"
)

// oversubscribed notes, for each group of scaling engines in rep.Scaling,
// the worker counts at which more workers ran than there were cores for
// them: goroutines (parallel, simd, any engine but processes) beyond the
// GOMAXPROCS they share, and the processes engine's children, processes of
// their own, beyond the CPUs (rep.Machine's counts, taken as Run began).
// Their speedups measure oversubscription, not more parallelism, and the
// Amdahl fit leaves them out (Scaling.setFit). It counts
// the workers that ran (ScalingPoint.RanWorkers), not those asked for, and
// only the engines that scaled: parallel on 1,000 lanes at --workers 4
// starts one goroutine, and the note said 4 workers shared 2 cores. Engines
// over the same counts share a note.
func oversubscribed(rep *Report) []string {
	type group struct {
		engines []string
		ran     []string // the counts that ran, each once
		asked   []string // the worker counts asked for of those points
		unit    string   // goroutines or worker processes
		cores   string   // the cores they share: "2 cores (GOMAXPROCS)"
	}
	var groups []*group
	keys := map[string]*group{}
	for _, s := range rep.Scaling {
		cores, from := rep.Machine.coresFor(s.Engine)
		unit, on := coresWords(s.Engine, cores, from)
		if cores <= 0 {
			continue // not known
		}
		g := &group{unit: unit, cores: on}
		for _, p := range s.Points {
			if n := p.RanWorkers(); n > cores {
				if r := fmt.Sprint(n); !slices.Contains(g.ran, r) {
					g.ran = append(g.ran, r)
				}
				g.asked = append(g.asked, fmt.Sprint(p.Workers))
			}
		}
		if len(g.ran) == 0 {
			continue
		}
		key := strings.Join([]string{unit, g.cores, strings.Join(g.ran, ","), strings.Join(g.asked, ",")}, "\x00")
		if k := keys[key]; k != nil {
			k.engines = append(k.engines, s.Engine)
			continue
		}
		g.engines = []string{s.Engine}
		keys[key] = g
		groups = append(groups, g)
	}
	notes := make([]string, len(groups))
	for i, g := range groups {
		asked := ""
		if !slices.Equal(g.asked, g.ran) {
			// Fewer ran than asked (one goroutine a block of lanes, one
			// process a lane): which rows of the table the note is on.
			asked = fmt.Sprintf(", at %s workers asked", andList(g.asked))
		}
		notes[i] = fmt.Sprintf("%s ran %s %s on %s%s: those speedups measure oversubscription, not more parallelism, and the Amdahl fit leaves them out",
			andList(g.engines), andList(g.ran), g.unit, g.cores, asked)
	}
	return notes
}

// andList is "a", "a and b", "a, b and c".
func andList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
