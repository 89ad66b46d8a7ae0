package lint

import (
	"context"
	"fmt"
	"slices"
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
	for _, s := range c.m.Services {
		if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 1 {
			members := make([]string, len(r.Sites))
			for i, site := range r.Sites {
				members[i] = "site/" + site
			}
			c.redundancy(spofs, s, "spec.runsAt.sites", "sites "+strings.Join(r.Sites, ", "), 1, members)
		}
		for i := range s.Spec.DependsOn {
			c.groups(spofs, s, fmt.Sprintf("spec.dependsOn[%d]", i), &s.Spec.DependsOn[i])
		}
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

// groups checks a dependency entry and the groups nested in it.
func (c *checker) groups(memo map[string][]string, s *model.Service, path string, d *model.Dependency) {
	if !d.IsGroup() {
		return
	}
	key := "anyOf"
	if d.AnyOf == nil {
		key = "of"
	}
	var members []string
	var names []string
	for i := range d.Members() {
		m := &d.Members()[i]
		c.groups(memo, s, fmt.Sprintf("%s.%s[%d]", path, key, i), m)
		if m.IsGroup() {
			members = nil // a nested group is no single object: judge only flat groups
			break
		}
		members = append(members, "service/"+m.Service)
		names = append(names, m.Service)
	}
	if members != nil {
		c.redundancy(memo, s, path, "group "+strings.Join(names, ", "), d.Need(), members)
	}
}

// redundancy reports the objects whose failure alone leaves fewer than need of members up,
// when the group would otherwise survive the loss of any one member.
func (c *checker) redundancy(memo map[string][]string, s *model.Service, path, what string, need int, members []string) {
	spare := len(members) - need
	if spare < 1 {
		return // a group that needs all its members promises no redundancy
	}
	downs := map[string]int{}
	for _, m := range members {
		for _, x := range c.spofs(memo, m) {
			downs[x]++
		}
	}
	var causes []string
	for x, n := range downs {
		if n > spare {
			causes = append(causes, x)
		}
	}
	if len(causes) == 0 {
		return
	}
	slices.Sort(causes)
	c.add(Warning, "false-redundancy", s, path,
		"the redundancy of %s (%s) is not: %s alone takes down more than %d of them", model.Ref(s), what,
		strings.Join(causes, " or "), spare)
}

// worst reports services and functions whose worst single failure breaks their target.
func (c *checker) worst(est *analysis.Estate) {
	impacts := map[string]*analysis.Impact{} // by cause: many misses share a few causes (hubs, sites)
	for _, w := range est.Worst {
		if w.Meets == nil || *w.Meets || w.Cause == nil || w.TargetSeconds == nil {
			continue
		}
		cause := *w.Cause
		o, ok := c.m.Lookup(w.Object)
		if !ok {
			continue
		}
		how := "for good (nothing on the critical path has a recovery time)"
		if w.Recoverable && w.UpSeconds != nil {
			how = "for " + seconds(*w.UpSeconds)
		}
		path := c.criticalPath(impacts, cause, w.Object)
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

// criticalPath asks the analysis how a single failure (a `kind/name` ref) reaches an object,
// computing each cause's impact once.
func (c *checker) criticalPath(impacts map[string]*analysis.Impact, cause, object string) string {
	im, ok := impacts[cause]
	if !ok {
		im = c.impactOf(cause)
		impacts[cause] = im
	}
	if im == nil {
		return "unknown"
	}
	kind, name, _ := strings.Cut(object, "/")
	list := im.Services
	if kind == "function" {
		list = im.Functions
	}
	for _, o := range list {
		if o.Name == name {
			return strings.Join(o.CriticalPath, " -> ")
		}
	}
	return "unknown"
}

// impactOf is the impact of one object's failure, nil if the analysis cannot say.
func (c *checker) impactOf(cause string) *analysis.Impact {
	var f analysis.Failure
	kind, name, _ := strings.Cut(cause, "/")
	switch kind {
	case "service":
		f.Services = []string{name}
	case "site":
		f.Sites = []string{name}
	case "provider":
		f.Providers = []string{name}
	}
	im, err := c.g.Impact(f)
	if err != nil {
		return nil
	}
	return im
}
