package lint

import (
	"context"
	"strings"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

// graph applies the rules that ask the dependency graph: single points of failure under
// critical services, redundancy groups that one failure defeats, and targets that a single
// failure breaks.
func (c *checker) graph() {
	est := c.opt.Estate
	if est == nil {
		est = c.g.Estate(context.Background())
	}
	// The estate report has the single points of failure of every function and tier 0-1
	// service already (objects it does not list have none): seed the memo with them.
	spofs := map[string][]string{}
	for _, s := range c.m.Services {
		if s.Spec.Tier != nil && *s.Spec.Tier <= 1 {
			spofs[model.Ref(s)] = nil
		}
	}
	for _, sp := range est.SPOFs {
		spofs[sp.Object] = sp.Causes
	}
	for _, s := range c.m.Services {
		if s.Spec.Tier == nil || *s.Spec.Tier > 1 {
			continue
		}
		causes := c.spofs(spofs, model.Ref(s))
		if len(causes) > 0 {
			c.add(Warning, "single-point-of-failure", s, "spec.tier",
				"tier %d %s goes down if any one of these fails: %s", *s.Spec.Tier, model.Ref(s), strings.Join(causes, ", "))
		}
	}
	for _, r := range est.FalseRedundancy {
		o, ok := c.m.Lookup(r.Service)
		if !ok {
			continue
		}
		c.add(Warning, "false-redundancy", o, r.Path,
			"the redundancy of %s (%s, needs %d) is not: %s alone leaves fewer than %d up",
			r.Service, strings.Join(r.Members, ", "), r.Need, strings.Join(r.Defeats, " or "), r.Need)
	}
	c.worst(est)
}

// spofs memoises the analysis's single points of failure of an object.
func (c *checker) spofs(memo map[string][]string, ref string) []string {
	if l, ok := memo[ref]; ok {
		return l
	}
	l := c.g.SPOFs(ref)
	memo[ref] = l
	return l
}

// worst reports services and functions whose worst single failure breaks their target,
// each with its critical path. Misses share few causes (sites, hubs): the paths are asked
// for cause by cause, each failure propagated once.
func (c *checker) worst(est *analysis.Estate) {
	var misses []analysis.Worst
	byCause := map[string][]string{}
	for _, w := range est.Worst {
		if w.Meets == nil || *w.Meets || w.Cause == nil || w.TargetSeconds == nil {
			continue
		}
		misses = append(misses, w)
		byCause[*w.Cause] = append(byCause[*w.Cause], w.Object)
	}
	paths := map[[2]string]string{}
	for cause, objects := range byCause {
		ps, err := c.g.CriticalPaths(failureOf(cause), objects)
		for i, obj := range objects {
			p := "unknown"
			if err == nil && len(ps[i]) > 0 {
				p = strings.Join(ps[i], " -> ")
			}
			paths[[2]string{cause, obj}] = p
		}
	}
	for _, w := range misses {
		cause := *w.Cause
		o, ok := c.m.Lookup(w.Object)
		if !ok {
			continue
		}
		how := "for good (nothing on the critical path has a recovery time)"
		if w.Recoverable && w.UpSeconds != nil {
			how = "for " + seconds(*w.UpSeconds)
		}
		path := paths[[2]string{cause, w.Object}]
		switch o.(type) {
		case *model.Service:
			c.add(Warning, "rto-unmet", o, "spec.targets.rto",
				"losing %s keeps %s down %s, against its RTO of %s: %s",
				cause, w.Object, how, seconds(*w.TargetSeconds), path)
		case *model.BusinessFunction:
			c.add(Warning, "mtpd-unmet", o, "spec",
				"losing %s keeps %s down %s, against its MTPD of %s: %s",
				cause, w.Object, how, seconds(*w.TargetSeconds), path)
		}
	}
}

// failureOf is the failure of one object named kind/name.
func failureOf(ref string) analysis.Failure {
	var f analysis.Failure
	_ = f.Add(ref) // refs here come from the analysis itself
	return f
}
