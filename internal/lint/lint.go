package lint

import (
	"fmt"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

// Options tune a lint run.
type Options struct {
	// Today is the date reviews and contracts are checked against; the zero value means now.
	Today time.Time
	// ExpiryWindow is how far ahead an expiring contract is reported; zero means 90 days.
	ExpiryWindow time.Duration
	// Estate is the graph's estate report when the caller already has it; nil: computed here.
	Estate *analysis.Estate
	// ErrorsOnly applies only the rules that can give errors, skipping the estate sweep: what
	// a server needs to decide whether a write may go in.
	ErrorsOnly bool
}

// Run applies every rule to a model that loaded without problems, asking g (compiled from the
// same model) whatever needs the dependency graph. Findings come back sorted.
func Run(m *model.Model, g *analysis.Graph, opt Options) []Finding {
	if opt.Today.IsZero() {
		opt.Today = time.Now()
	}
	if opt.ExpiryWindow == 0 {
		opt.ExpiryWindow = 90 * 24 * time.Hour
	}
	c := &checker{m: m, g: g, opt: opt}
	c.targets()
	c.functions()
	if opt.ErrorsOnly {
		errs := c.out[:0]
		for _, f := range c.out {
			if f.Severity == Error {
				errs = append(errs, f)
			}
		}
		Sort(errs)
		return errs
	}
	c.graph()
	c.plans()
	c.providers()
	c.unused()
	Sort(c.out)
	return c.out
}

// checker carries one run's inputs and collects its findings.
type checker struct {
	m   *model.Model
	g   *analysis.Graph
	opt Options
	out []Finding
	inh map[string]analysis.InheritedTarget // by service ref, filled on first use
}

// add records a finding on an object at the field path (empty: the object's name).
func (c *checker) add(sev Severity, rule string, o model.Object, path, format string, args ...any) {
	if path == "" {
		path = "metadata.name" // an object-level finding points at the object's name
	}
	p := o.Src().At(path)
	c.out = append(c.out, Finding{
		Severity: sev, Rule: rule, Object: model.Ref(o),
		File: p.File, Line: p.Line, Column: p.Column,
		Message: fmt.Sprintf(format, args...),
	})
}

// targets checks each service's own targets against what it can achieve and what it inherits.
func (c *checker) targets() {
	for _, s := range c.m.Services {
		if rpo := s.Spec.Targets.RPO; rpo != nil {
			d, src, ok := analysis.AchievableRPO(s)
			switch {
			case !ok:
				c.add(Error, "rpo-unachievable", s, "spec.targets.rpo",
					"RPO %s is stated but %s has no backups or replication to meet it", rpo, model.Ref(s))
			case d > *rpo:
				c.add(Error, "rpo-unachievable", s, "spec.targets.rpo",
					"RPO %s cannot be met: the best copy (%s) can lose up to %s of data", rpo, src, d)
			}
		}
		if s.Spec.Targets.RTO != nil && (s.Spec.Recovery == nil || s.Spec.Recovery.Time == nil) {
			c.add(Warning, "recovery-time-missing", s, "spec.targets.rto",
				"RTO %s cannot be checked: %s has no recovery.time, so losing it counts as unrecoverable",
				s.Spec.Targets.RTO, model.Ref(s))
		}
	}
	for _, in := range c.g.Inherited() {
		if in.Stated == nil || *in.Stated <= in.Seconds {
			continue
		}
		s := c.m.Service(strings.TrimPrefix(in.Service, "service/"))
		if s == nil {
			continue
		}
		c.add(Error, "rto-inherited", s, "spec.targets.rto",
			"stated RTO %s is looser than the %s that %s needs through %s; set rto to %s or less",
			s.Spec.Targets.RTO, seconds(in.Seconds), in.From, strings.Join(in.Chain, " -> "), seconds(in.Seconds))
	}
}

// functions checks each business impact analysis for a usable MTPD.
func (c *checker) functions() {
	for _, f := range c.m.Functions {
		im, ok := f.ImpactMTPD()
		switch {
		case f.Spec.MTPD != nil && ok && im != *f.Spec.MTPD:
			c.add(Error, "mtpd-mismatch", f, "spec.mtpd",
				"mtpd %s disagrees with the impact table, which reaches %s (the tolerance) after %s",
				f.Spec.MTPD, f.Spec.Tolerance, im)
		case f.Spec.MTPD == nil && !ok:
			c.add(Warning, "mtpd-missing", f, "spec",
				"%s has no MTPD: give a tolerance that a row of the impact table reaches, or an explicit mtpd", model.Ref(f))
		}
	}
}

// plans checks coverage of critical services and the quality of each plan.
func (c *checker) plans() {
	covered := map[string]bool{}
	for _, p := range c.m.Plans {
		for _, s := range p.Spec.Covers {
			covered[s] = true
		}
	}
	needed := map[string]string{} // service -> the function that needs it, for the message
	for _, f := range c.m.Functions {
		for _, s := range f.Spec.Services {
			if _, ok := needed[s]; !ok {
				needed[s] = model.Ref(f)
			}
		}
	}
	for _, s := range c.m.Services {
		if covered[s.Metadata.Name] || s.Spec.Plan != "" {
			continue
		}
		if by, ok := needed[s.Metadata.Name]; ok {
			c.add(Warning, "no-plan", s, "", "%s is needed by %s but no plan covers it", model.Ref(s), by)
		} else if s.Spec.Tier != nil && *s.Spec.Tier <= 1 {
			c.add(Warning, "no-plan", s, "", "%s is tier %d but no plan covers it", model.Ref(s), *s.Spec.Tier)
		}
	}
	reach := map[string][]string{} // person -> plans that rely on them
	for _, p := range c.m.Plans {
		c.plan(p, reach)
	}
	for _, per := range c.m.People {
		plans := reach[per.Metadata.Name]
		if len(plans) == 0 || per.Channels() >= 2 {
			continue
		}
		c.add(Warning, "contact-unreachable", per, "spec",
			"%s has %d way(s) to be reached (email, phone, chat) but %s rely on them; give at least two",
			model.Ref(per), per.Channels(), strings.Join(plans, ", "))
	}
}

// plan checks one plan and notes in reach the people it relies on.
func (c *checker) plan(p *model.Plan, reach map[string][]string) {
	ref := model.Ref(p)
	rely := func(person string) {
		if l := reach[person]; len(l) == 0 || l[len(l)-1] != ref {
			reach[person] = append(l, ref)
		}
	}
	if a := p.Spec.Activation; a == nil || len(a.Authority) == 0 {
		c.add(Warning, "plan-no-authority", p, "spec.activation",
			"nobody may activate %s: name people in activation.authority", ref)
	} else {
		for _, who := range a.Authority {
			rely(who)
		}
	}
	for i, r := range p.Spec.Roles {
		holders := len(r.People)
		for _, who := range r.People {
			rely(who)
		}
		if t := c.m.Team(r.Team); t != nil {
			holders += len(t.Spec.Members)
			for _, who := range t.Spec.Members {
				rely(who)
			}
		}
		if holders == 1 {
			c.add(Warning, "plan-single-holder", p, fmt.Sprintf("spec.roles[%d]", i),
				"role %s has a single holder and no deputy", r.Role)
		}
	}
	for _, cm := range p.Spec.Communication {
		for _, who := range cm.People {
			rely(who)
		}
	}
	if len(p.Spec.Steps) == 0 {
		c.add(Warning, "plan-no-steps", p, "spec", "%s has no steps: say what responders do, in order", ref)
	} else {
		for i, st := range p.Spec.Steps {
			if st.Duration == nil {
				c.add(Warning, "step-duration-missing", p, fmt.Sprintf("spec.steps[%d]", i),
					"step %s of %s gives no duration, so whether the plan fits the RTO of what it covers cannot be checked", st.ID, ref)
			}
		}
		c.planTiming(p)
	}
	c.review(p)
}

// planTiming compares the plan's critical path with the tightest RTO of what it covers.
func (c *checker) planTiming(p *model.Plan) {
	total, path := analysis.PlanPath(p)
	var tight model.Duration
	var tightRef string
	for _, name := range p.Spec.Covers {
		s := c.m.Service(name)
		if s == nil {
			continue
		}
		if rto, ok := c.effectiveRTO(s); ok && (tightRef == "" || rto < tight) {
			tight, tightRef = rto, model.Ref(s)
		}
	}
	if tightRef != "" && total > tight {
		c.add(Warning, "plan-too-slow", p, "spec.steps",
			"the steps take %s along %s, longer than the %s RTO of %s", total, strings.Join(path, " -> "), tight, tightRef)
	}
}

// effectiveRTO is the least of a service's stated RTO and the one it inherits.
func (c *checker) effectiveRTO(s *model.Service) (model.Duration, bool) {
	var d model.Duration
	ok := false
	if s.Spec.Targets.RTO != nil {
		d, ok = *s.Spec.Targets.RTO, true
	}
	if in, found := c.inherited()[model.Ref(s)]; found {
		if id := model.Duration(time.Duration(in.Seconds) * time.Second); !ok || id < d {
			d, ok = id, true
		}
	}
	return d, ok
}

// inherited indexes the analysis's inherited targets by service, computed once per run.
func (c *checker) inherited() map[string]analysis.InheritedTarget {
	if c.inh == nil {
		c.inh = map[string]analysis.InheritedTarget{}
		for _, in := range c.g.Inherited() {
			c.inh[in.Service] = in
		}
	}
	return c.inh
}

// review checks a plan's review cycle against today.
func (c *checker) review(p *model.Plan) {
	r := p.Spec.Review
	if r == nil || r.Every == nil || r.Last == nil {
		c.add(Warning, "review-missing", p, "spec.review",
			"%s has no review cycle: set review.every and review.last so it cannot silently go stale", model.Ref(p))
		return
	}
	due := r.Last.Add(time.Duration(*r.Every))
	if due.Before(day(c.opt.Today)) {
		c.add(Warning, "review-overdue", p, "spec.review.last",
			"review was due on %s (last %s + every %s)", due.Format(time.DateOnly), r.Last, r.Every)
	}
}

// providers checks contracts and exit plans.
func (c *checker) providers() {
	today := day(c.opt.Today)
	for _, pr := range c.m.Providers {
		ct := pr.Spec.Contract
		if ct != nil && ct.Expires != nil {
			switch exp := ct.Expires.Time; {
			case exp.Before(today):
				c.add(Warning, "contract-expired", pr, "spec.contract.expires",
					"the contract with %s expired on %s", model.Ref(pr), ct.Expires)
			case !exp.After(today.Add(c.opt.ExpiryWindow)):
				c.add(Warning, "contract-expiring", pr, "spec.contract.expires",
					"the contract with %s expires on %s, in %d days", model.Ref(pr), ct.Expires, int(exp.Sub(today).Hours()/24))
			}
		}
		if pr.Spec.Criticality == "critical" && (ct == nil || ct.ExitPlan == "") {
			c.add(Warning, "exit-plan-missing", pr, "spec.contract",
				"%s is critical but its contract names no exit plan", model.Ref(pr))
		}
	}
}

// unused reports sites, providers, people and teams that nothing refers to.
func (c *checker) unused() {
	used := map[string]bool{}
	use := func(k model.Kind, names ...string) {
		for _, n := range names {
			used[k.RefPrefix()+"/"+n] = true
		}
	}
	owner := func(o model.Object) {
		use(model.KindTeam, o.Meta().Owner)
		use(model.KindPerson, o.Meta().Owner)
	}
	for _, o := range c.m.Objects() {
		owner(o)
	}
	for _, s := range c.m.Services {
		if s.Spec.RunsAt != nil {
			use(model.KindSite, s.Spec.RunsAt.Sites...)
		}
		use(model.KindProvider, s.Spec.Providers...)
	}
	for _, s := range c.m.Sites {
		use(model.KindProvider, s.Spec.Providers...)
	}
	for _, sc := range c.m.Scenarios {
		use(model.KindSite, sc.Spec.Fails.Sites...)
		use(model.KindProvider, sc.Spec.Fails.Providers...)
	}
	for _, p := range c.m.People {
		use(model.KindPerson, p.Spec.Deputy)
	}
	for _, t := range c.m.Teams {
		use(model.KindPerson, t.Spec.Members...)
	}
	for _, p := range c.m.Plans {
		if a := p.Spec.Activation; a != nil {
			use(model.KindPerson, a.Authority...)
		}
		for _, r := range p.Spec.Roles {
			use(model.KindPerson, r.People...)
			use(model.KindTeam, r.Team)
		}
		for _, cm := range p.Spec.Communication {
			use(model.KindPerson, cm.People...)
			use(model.KindTeam, cm.Team)
		}
		if p.Spec.Review != nil {
			use(model.KindPerson, p.Spec.Review.ApprovedBy)
		}
	}
	var objs []model.Object
	for _, s := range c.m.Sites {
		objs = append(objs, s)
	}
	for _, p := range c.m.Providers {
		objs = append(objs, p)
	}
	for _, p := range c.m.People {
		objs = append(objs, p)
	}
	for _, t := range c.m.Teams {
		objs = append(objs, t)
	}
	for _, o := range objs {
		if !used[model.Ref(o)] {
			c.add(Info, "unused", o, "", "nothing refers to %s", model.Ref(o))
		}
	}
}

// day truncates a time to its calendar day in UTC, as dates in the model are.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// seconds formats a number of seconds in the model's duration syntax.
func seconds(s int64) string { return model.Duration(time.Duration(s) * time.Second).String() }
