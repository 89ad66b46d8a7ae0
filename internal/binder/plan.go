package binder

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

// Targets is the effective RTO of every service that has one, by service name: its own rto or
// the tighter one it inherits from what depends on it (analysis.Graph.Inherited).
type Targets map[string]analysis.InheritedTarget

// NewTargets works out every service's effective RTO. g may be nil (a model that does not
// compile): then only the services' own targets count.
func NewTargets(m *model.Model, g *analysis.Graph) Targets {
	t := Targets{}
	if g != nil {
		for _, it := range g.Inherited() {
			if it.Seconds >= 0 {
				t[strings.TrimPrefix(it.Service, "service/")] = it
			}
		}
	}
	for _, s := range m.Services {
		if _, ok := t[s.Metadata.Name]; ok || s.Spec.Targets.RTO == nil {
			continue
		}
		own := s.Spec.Targets.RTO.Seconds()
		ref := "service/" + s.Metadata.Name
		t[s.Metadata.Name] = analysis.InheritedTarget{Service: ref, Seconds: own, From: ref, Chain: []string{ref}, Stated: &own}
	}
	return t
}

// Plan is a plan worked out for reading: its steps placed on a timeline, its critical path
// against the tightest RTO of what it covers, its people with the ways to reach them.
type Plan struct {
	Name        string
	Title       string // the title, or the name when there is none
	Description string
	Owner       string
	Spec        *model.PlanSpec

	Covers []Cover
	// Tightest is the covered service with the least RTO; nil when none has one.
	Tightest *Cover
	Verdict  Verdict

	Steps []Step
	// Scale is the span of the timeline in seconds: the longer of the critical path and the
	// tightest RTO (at least 1).
	Scale int64
	Ticks []Tick
	// RTOPct is where the RTO mark stands on the timeline, in percent; -1 for none.
	RTOPct float64

	Criteria      []string
	Authority     []Contact
	Roles         []Role
	Communication []Comm
	Scenarios     []string
	Review        Review
}

// Cover is one service a plan covers, with its effective RTO.
type Cover struct {
	Service string
	// Known is false when the model has no such service (the linter reports it).
	Known bool
	// RTO is the effective RTO in seconds, -1 when the service has none.
	RTO int64
	// From is the ref whose target sets RTO; Chain runs from the service up to From.
	From  string
	Chain []string
	// Inherited reports whether RTO comes from something that depends on the service.
	Inherited bool
}

// Verdict compares a plan's critical path with the tightest RTO of what it covers.
type Verdict struct {
	Total  int64 // the critical path, in seconds; a lower bound when Missing > 0
	HasRTO bool
	RTO    int64
	// Steps is how many steps the plan has; Missing how many of them give no duration (the
	// critical path counts them as 0).
	Steps, Missing int
	// Fits: every step has a duration and the critical path is within the RTO. By is how far
	// it misses, or how much is to spare; 0 when unknown.
	Fits bool
	By   int64
	// Unknown: the plan has no steps, or steps without a duration and no miss even without
	// them, so whether it fits is not known.
	Unknown bool
}

// Misses reports whether the plan is known to take longer than the RTO it serves: its critical
// path is longer even with the steps that give no duration counted as 0.
func (v Verdict) Misses() bool { return v.HasRTO && !v.Fits && !v.Unknown }

// PathText is the critical path in words: "3h 45m", "at least 1h (2 of 5 steps give no
// duration)", "unknown: no steps".
func (v Verdict) PathText() string {
	switch {
	case v.Steps == 0:
		return "unknown: no steps"
	case v.Missing == v.Steps:
		return "unknown: no step gives a duration"
	case v.Missing > 0:
		return fmt.Sprintf("at least %s (%d of %d steps give no duration)", Dur(v.Total), v.Missing, v.Steps)
	}
	return Dur(v.Total)
}

// VerdictText is the verdict in words: "The critical path takes 5h 30m; the tightest RTO of
// what it covers is 4h (erp, inherited from function/finance) — misses by 1h 30m."
func (p *Plan) VerdictText() string {
	v := p.Verdict
	s := "The critical path takes " + v.PathText()
	if !v.HasRTO {
		return s + "; nothing it covers has an RTO."
	}
	c := p.Tightest
	src := "its own"
	if c.Inherited {
		src = "inherited from " + c.From
	}
	s += fmt.Sprintf("; the tightest RTO of what it covers is %s (%s, %s)", Dur(v.RTO), c.Service, src)
	switch {
	case v.Unknown:
		return s + " — whether it fits is unknown."
	case v.Fits && v.By == 0:
		return s + " — fits exactly."
	case v.Fits:
		return s + " — fits with " + Dur(v.By) + " to spare."
	}
	return s + " — misses by " + Dur(v.By) + "."
}

// Step is one step of a plan placed on the timeline.
type Step struct {
	ID, Title, Role, Details string
	After                    []string
	// Start is the earliest start in seconds from activation: the longest chain of the steps
	// it waits for. Duration is its own length (0 when not given).
	Start, Duration int64
	HasDuration     bool
	Critical        bool
	// Left and Width place the bar on the timeline, in percent.
	Left, Width float64
}

// End is when the step is done at the earliest.
func (s Step) End() int64 { return s.Start + s.Duration }

// Tick is a labelled time on the timeline's axis.
type Tick struct {
	Pct   float64
	Label string
}

// Contact is a person and the ways to reach them.
type Contact struct {
	Name        string
	DisplayName string // the display name, or the name
	Description string
	Phone       string
	Email       string
	Chat        string
	// Known is false when the model has no such person.
	Known bool
	// Ways counts the ways to reach the person (phone, email, chat): fewer than two is fragile
	// in a crisis.
	Ways   int
	Deputy *Contact // nil when none; a deputy's own deputy is not followed
}

// TelURL is a tel: address of the contact's phone number (see Tel).
func (c Contact) TelURL() template.URL { return Tel(c.Phone) }

// Tel is a tel: address of a phone number, spaces and punctuation removed ("+49 69 555 1001"
// is tel:+49695551001), "" for a number with no digits; html/template would refuse a tel:
// URL given as a string. The binder and the web pages make every tel: link with it.
func Tel(phone string) template.URL {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return template.URL("tel:" + b.String())
}

// Team is a team with its members in call order.
type Team struct {
	Name, Title, Description string
	Known                    bool
	Members                  []Contact
	// AckWithin is how long each member has to acknowledge before the next is called; 0 for
	// no escalation.
	AckWithin int64
}

// Role is a role of a plan and who holds it: People (first primary, the rest deputies) or a
// Team.
type Role struct {
	Role   string
	People []Contact
	Team   *Team
}

// Comm is one audience a plan tells.
type Comm struct {
	Audience string
	People   []Contact
	Team     *Team
	Within   int64 // seconds; -1 when not given
	Channel  string
	Template string
}

// Review is where a plan's review cycle stands.
type Review struct {
	Defined    bool   // the plan has a review block
	Every      string // the cycle as written in the format ("180d", "365d"); "" for none
	Last       string // YYYY-MM-DD, "" when never reviewed
	Due        string // YYYY-MM-DD, "" when it cannot be worked out
	Overdue    bool
	DaysLeft   int // days until due; negative when overdue
	ApprovedBy *Contact
}

// people resolves people by name.
type people struct {
	m     *model.Model
	cache map[string]Contact
}

func (pp *people) contact(name string, deputy bool) Contact {
	p := pp.m.Person(name)
	if p == nil {
		return Contact{Name: name, DisplayName: name}
	}
	c := Contact{Name: name, DisplayName: p.Spec.DisplayName, Description: p.Metadata.Description,
		Phone: p.Spec.Phone, Email: p.Spec.Email, Chat: p.Spec.Chat, Known: true, Ways: p.Channels()}
	if c.DisplayName == "" {
		c.DisplayName = name
	}
	if deputy && p.Spec.Deputy != "" {
		d := pp.contact(p.Spec.Deputy, false)
		c.Deputy = &d
	}
	return c
}

// Person is a person with their deputy.
func (pp *people) Person(name string) Contact {
	if c, ok := pp.cache[name]; ok {
		return c
	}
	c := pp.contact(name, true)
	pp.cache[name] = c
	return c
}

func (pp *people) list(names []string) []Contact {
	out := make([]Contact, 0, len(names))
	for _, n := range names {
		out = append(out, pp.Person(n))
	}
	return out
}

func (pp *people) team(name string) *Team {
	t := pp.m.Team(name)
	if t == nil {
		return &Team{Name: name, Title: name}
	}
	v := &Team{Name: name, Title: t.Metadata.Title, Description: t.Metadata.Description, Known: true,
		Members: pp.list(t.Spec.Members)}
	if v.Title == "" {
		v.Title = name
	}
	if t.Spec.Escalation != nil {
		v.AckWithin = t.Spec.Escalation.AckWithin.Seconds()
	}
	return v
}

// NewPlan works a plan out for reading at time now (for the review status).
func NewPlan(m *model.Model, targets Targets, p *model.Plan, now time.Time) *Plan {
	pp := &people{m: m, cache: map[string]Contact{}}
	return newPlan(m, pp, targets, p, now)
}

func newPlan(m *model.Model, pp *people, targets Targets, p *model.Plan, now time.Time) *Plan {
	v := &Plan{Name: p.Metadata.Name, Title: p.Metadata.Title, Description: p.Metadata.Description,
		Owner: p.Metadata.Owner, Spec: &p.Spec, Scenarios: p.Spec.Scenarios, RTOPct: -1}
	if v.Title == "" {
		v.Title = v.Name
	}
	for _, name := range p.Spec.Covers {
		c := Cover{Service: name, Known: m.Service(name) != nil, RTO: -1}
		if t, ok := targets[name]; ok {
			c.RTO, c.From, c.Chain = t.Seconds, t.From, t.Chain
			c.Inherited = t.From != "service/"+name
		}
		v.Covers = append(v.Covers, c)
		if c.RTO >= 0 && (v.Tightest == nil || c.RTO < v.Tightest.RTO) {
			cc := c
			v.Tightest = &cc
		}
	}
	v.timeline(p)
	if a := p.Spec.Activation; a != nil {
		v.Criteria = a.Criteria
		v.Authority = pp.list(a.Authority)
	}
	for _, r := range p.Spec.Roles {
		role := Role{Role: r.Role, People: pp.list(r.People)}
		if r.Team != "" {
			role.Team = pp.team(r.Team)
		}
		v.Roles = append(v.Roles, role)
	}
	for _, c := range p.Spec.Communication {
		cm := Comm{Audience: c.Audience, People: pp.list(c.People), Within: -1, Channel: c.Channel, Template: c.Template}
		if c.Team != "" {
			cm.Team = pp.team(c.Team)
		}
		if c.Within != nil {
			cm.Within = c.Within.Seconds()
		}
		v.Communication = append(v.Communication, cm)
	}
	v.Review = review(pp, p.Spec.Review, now)
	return v
}

// timeline places the steps: each starts when the longest chain of the steps it waits for is
// done. An `after` naming no step or closing a cycle is ignored, as analysis.PlanPath does.
func (v *Plan) timeline(p *model.Plan) {
	d, path := analysis.PlanPath(p)
	total := d.Seconds()
	onPath := map[string]bool{}
	for _, id := range path {
		onPath[id] = true
	}
	index := map[string]int{}
	for i, s := range p.Spec.Steps {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(p.Spec.Steps))
	start := make([]int64, len(p.Spec.Steps))
	dur := func(i int) int64 {
		if d := p.Spec.Steps[i].Duration; d != nil {
			return d.Seconds()
		}
		return 0
	}
	var visit func(i int)
	visit = func(i int) {
		state[i] = visiting
		for _, a := range p.Spec.Steps[i].After {
			j, ok := index[a]
			if !ok || state[j] == visiting {
				continue
			}
			if state[j] == unseen {
				visit(j)
			}
			if e := start[j] + dur(j); e > start[i] {
				start[i] = e
			}
		}
		state[i] = done
	}
	var end int64
	for i := range p.Spec.Steps {
		if state[i] == unseen {
			visit(i)
		}
		end = max(end, start[i]+dur(i))
	}
	vd := &v.Verdict
	vd.Total, vd.Steps = total, len(p.Spec.Steps)
	for _, st := range p.Spec.Steps {
		if st.Duration == nil {
			vd.Missing++
		}
	}
	vd.Unknown = vd.Steps == 0 || vd.Missing > 0
	scale := max(total, end)
	if t := v.Tightest; t != nil {
		vd.HasRTO, vd.RTO = true, t.RTO
		switch {
		case total > t.RTO: // a miss even with the missing durations counted as 0
			vd.Unknown, vd.By = false, total-t.RTO
		case !vd.Unknown:
			vd.Fits, vd.By = true, t.RTO-total
		}
		scale = max(scale, t.RTO)
	}
	if scale <= 0 {
		scale = 1
	}
	v.Scale = scale
	pct := func(x int64) float64 { return float64(int64(float64(x)*10000/float64(scale))) / 100 }
	if v.Verdict.HasRTO {
		v.RTOPct = pct(v.Verdict.RTO)
	}
	for i, s := range p.Spec.Steps {
		st := Step{ID: s.ID, Title: s.Title, Role: s.Role, Details: s.Details, After: s.After,
			Start: start[i], Duration: dur(i), HasDuration: s.Duration != nil, Critical: onPath[s.ID]}
		st.Left, st.Width = pct(st.Start), pct(st.Duration)
		v.Steps = append(v.Steps, st)
	}
	v.Ticks = ticks(scale, pct)
}

// tickSteps are the spacings the timeline's axis may use, in seconds.
var tickSteps = []int64{60, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 4 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400}

// ticks labels the axis with at most 5 intervals, so the labels fit a narrow column.
func ticks(scale int64, pct func(int64) float64) []Tick {
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if scale/s <= 5 {
			step = s
			break
		}
	}
	var out []Tick
	for t := int64(0); t <= scale; t += step {
		out = append(out, Tick{Pct: pct(t), Label: Dur(t)})
	}
	return out
}

func review(pp *people, r *model.Review, now time.Time) Review {
	if r == nil {
		return Review{}
	}
	v := Review{Defined: true}
	if r.Every != nil {
		v.Every = r.Every.String()
	}
	if r.ApprovedBy != "" {
		c := pp.Person(r.ApprovedBy)
		v.ApprovedBy = &c
	}
	if r.Last == nil {
		return v
	}
	v.Last = r.Last.String()
	if r.Every == nil {
		return v
	}
	due := r.Last.Time.Add(time.Duration(*r.Every))
	v.Due = due.Format(time.DateOnly)
	today := now.UTC().Truncate(24 * time.Hour)
	dueDay := time.Date(due.Year(), due.Month(), due.Day(), 0, 0, 0, 0, time.UTC)
	v.DaysLeft = int(dueDay.Sub(today).Hours() / 24)
	v.Overdue = v.DaysLeft < 0
	return v
}

// Plans works out every plan of the model, in declaration order.
func Plans(m *model.Model, targets Targets, now time.Time) []*Plan {
	pp := &people{m: m, cache: map[string]Contact{}}
	out := make([]*Plan, 0, len(m.Plans))
	for _, p := range m.Plans {
		out = append(out, newPlan(m, pp, targets, p, now))
	}
	return out
}

// Dur writes a span of seconds as people read it, exactly, largest unit first: "45s", "15m",
// "4h 30m", "1d 20m", "7d 23h"; weeks only for whole weeks, as the format writes them ("2w",
// but "10d"); "0" for nothing. Nothing is rounded away: a figure shown beside a verdict
// ("misses by", "fits") must not read as equal to the target it misses.
func Dur(secs int64) string {
	if secs == 0 {
		return "0"
	}
	neg := ""
	if secs < 0 {
		neg, secs = "-", -secs
	}
	units := []struct {
		n    int64
		name string
	}{{7 * 86400, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}
	if secs%units[0].n != 0 {
		units = units[1:]
	}
	var parts []string
	for _, u := range units {
		if secs >= u.n {
			parts = append(parts, fmt.Sprintf("%d%s", secs/u.n, u.name))
			secs %= u.n
		}
	}
	return neg + strings.Join(parts, " ")
}

// sortedPeople lists the model's people by display name.
func sortedPeople(m *model.Model) []*model.Person {
	ps := append([]*model.Person(nil), m.People...)
	sort.SliceStable(ps, func(i, j int) bool { return displayName(ps[i]) < displayName(ps[j]) })
	return ps
}

func displayName(p *model.Person) string {
	if p.Spec.DisplayName != "" {
		return p.Spec.DisplayName
	}
	return p.Metadata.Name
}
