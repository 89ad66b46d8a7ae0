package analysis

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/model"
)

var numModels = flag.Int("analysis.models", 1000, "random models the property test compares with the reference")

// The reference implementation: MODEL.md's rules written the plainest way, over the model
// itself, with maps and strings and a fixed-point iteration of the whole model until nothing
// changes. It shares no code with the engine, so the two agreeing on random models is evidence
// both read the rules the same way.

const refNever = int64(math.MaxInt64)

type refState struct {
	down     map[string]bool
	up       map[string]int64
	impacted map[string]bool
}

type refVal struct {
	down bool
	up   int64
}

// refDep is a link from a node: to a node ref, or to a group.
type refDep struct {
	ref      string
	soft     bool
	group    bool
	need     int
	failover int64
	members  []refDep
}

func refSeconds(d *model.Duration) int64 {
	if d == nil {
		return refNever
	}
	return d.Seconds()
}

func refDepOf(d model.Dependency) refDep {
	if d.Service != "" {
		return refDep{ref: "service/" + d.Service, soft: d.Impact == model.ImpactDegraded}
	}
	r := refDep{group: true, soft: d.Impact == model.ImpactDegraded, failover: d.Failover.Seconds()}
	if d.AnyOf != nil {
		r.need = 1
		for _, m := range d.AnyOf {
			r.members = append(r.members, refDepOf(m))
		}
	} else {
		r.need = d.AtLeast
		for _, m := range d.Of {
			r.members = append(r.members, refDepOf(m))
		}
	}
	for i := range r.members {
		r.members[i].soft = false // a group member is a member, whatever its impact says
	}
	return r
}

// refLinks lists what each node needs, in the model's own terms.
func refLinks(m *model.Model) map[string][]refDep {
	links := map[string][]refDep{}
	for _, f := range m.Functions {
		var l []refDep
		for _, s := range f.Spec.Services {
			l = append(l, refDep{ref: "service/" + s})
		}
		links["function/"+f.Metadata.Name] = l
	}
	for _, s := range m.Services {
		var l []refDep
		if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 0 {
			mode := r.Mode
			if mode == "" {
				mode = "single"
				if len(r.Sites) > 1 {
					mode = "active-passive"
				}
			}
			if mode == "single" {
				for _, x := range r.Sites {
					l = append(l, refDep{ref: "site/" + x})
				}
			} else {
				g := refDep{group: true, need: 1}
				if mode == "active-passive" {
					g.failover = r.Failover.Seconds()
				}
				for _, x := range r.Sites {
					g.members = append(g.members, refDep{ref: "site/" + x})
				}
				l = append(l, g)
			}
		}
		for _, p := range s.Spec.Providers {
			l = append(l, refDep{ref: "provider/" + p})
		}
		for _, d := range s.Spec.DependsOn {
			l = append(l, refDepOf(d))
		}
		links["service/"+s.Metadata.Name] = l
	}
	for _, s := range m.Sites {
		var l []refDep
		for _, p := range s.Spec.Providers {
			l = append(l, refDep{ref: "provider/" + p})
		}
		links["site/"+s.Metadata.Name] = l
	}
	for _, p := range m.Providers {
		links["provider/"+p.Metadata.Name] = nil
	}
	return links
}

// refOwn is the recovery time of a failed node.
func refOwn(m *model.Model, ref string, f Failure) int64 {
	o, _ := m.Lookup(ref)
	switch x := o.(type) {
	case *model.Service:
		if x.Spec.Recovery == nil {
			return refNever
		}
		return refSeconds(x.Spec.Recovery.Time)
	case *model.Site:
		if f.Duration != nil {
			return f.Duration.Seconds()
		}
		if x.Spec.Recovery == nil {
			return refNever
		}
		return refSeconds(x.Spec.Recovery.Time)
	case *model.Provider:
		if f.Duration != nil {
			return f.Duration.Seconds()
		}
		if x.Spec.Recovery == nil {
			return refNever
		}
		return refSeconds(x.Spec.Recovery.Time)
	}
	return 0
}

func refFailed(f Failure) map[string]bool {
	in := map[string]bool{}
	for _, s := range f.Services {
		in["service/"+s] = true
	}
	for _, s := range f.Sites {
		in["site/"+s] = true
	}
	for _, s := range f.Providers {
		in["provider/"+s] = true
	}
	return in
}

// refEvalDep is the state of one link: a node's, or a group's by the group rule. With
// instant, every failover is 0: the single-point-of-failure sense.
func refEvalDep(d refDep, st map[string]refVal, instant bool) refVal {
	if !d.group {
		return st[d.ref]
	}
	need := min(d.need, len(d.members))
	var vals []refVal
	for _, m := range d.members {
		vals = append(vals, refEvalDep(m, st, instant))
	}
	lost := false
	for i := 0; i < need; i++ {
		if vals[i].down {
			lost = true
		}
	}
	if !lost {
		return refVal{}
	}
	upCount := 0
	var ups []int64
	for _, v := range vals {
		if v.down {
			ups = append(ups, v.up)
		} else {
			upCount++
			ups = append(ups, 0)
		}
	}
	fo := d.failover
	if instant {
		fo = 0
	}
	if fo == 0 && upCount >= need {
		return refVal{}
	}
	slices.Sort(ups)
	return refVal{down: true, up: max(fo, ups[need-1])}
}

func refImpacted(d refDep, imp map[string]bool) bool {
	if !d.group {
		return imp[d.ref]
	}
	for _, m := range d.members {
		if refImpacted(m, imp) {
			return true
		}
	}
	return false
}

// refRun computes every node's state under failure f by iterating to a fixed point.
func refRun(m *model.Model, links map[string][]refDep, f Failure, instant bool) refState {
	in := refFailed(f)
	st := map[string]refVal{}
	for ref := range links {
		st[ref] = refVal{}
	}
	for iter := 0; ; iter++ {
		if iter > len(links)+2 {
			panic("reference: no fixed point")
		}
		changed := false
		next := map[string]refVal{}
		for ref, l := range links {
			var v refVal
			if in[ref] {
				v = refVal{down: true, up: refOwn(m, ref, f)}
			}
			for _, d := range l {
				if d.soft {
					continue
				}
				if dv := refEvalDep(d, st, instant); dv.down {
					v.down = true
					v.up = max(v.up, dv.up)
				}
			}
			next[ref] = v
			if v != st[ref] {
				changed = true
			}
		}
		st = next
		if !changed {
			break
		}
	}
	imp := map[string]bool{}
	for ref := range in {
		imp[ref] = true
	}
	for changed := true; changed; {
		changed = false
		for ref, l := range links {
			if imp[ref] {
				continue
			}
			for _, d := range l {
				if refImpacted(d, imp) {
					imp[ref] = true
					changed = true
					break
				}
			}
		}
	}
	out := refState{down: map[string]bool{}, up: map[string]int64{}, impacted: imp}
	for ref, v := range st {
		out.down[ref] = v.down
		out.up[ref] = v.up
	}
	return out
}

func refSingle(ref string) Failure {
	kind, name, _ := strings.Cut(ref, "/")
	switch kind {
	case "service":
		return Failure{Services: []string{name}}
	case "site":
		return Failure{Sites: []string{name}}
	}
	return Failure{Providers: []string{name}}
}

func refCandidates(links map[string][]refDep) []string {
	var out []string
	for ref := range links {
		if !strings.HasPrefix(ref, "function/") {
			out = append(out, ref)
		}
	}
	slices.Sort(out)
	return out
}

// refSPOFs: X is a single point of failure of S when F={X}, failovers instant, leaves S down.
func refSPOFs(m *model.Model, links map[string][]refDep) map[string][]string {
	out := map[string][]string{}
	for ref := range links {
		out[ref] = []string{}
	}
	for _, x := range refCandidates(links) {
		st := refRun(m, links, refSingle(x), true)
		for ref, down := range st.down {
			if down && ref != x {
				out[ref] = append(out[ref], x)
			}
		}
	}
	return out
}

type refWorst struct {
	cause string
	up    int64
}

// refWorsts: for each node, the longest up time over every single failure, ties to the
// cause whose ref sorts first.
func refWorsts(m *model.Model, links map[string][]refDep) map[string]refWorst {
	out := map[string]refWorst{}
	for _, x := range refCandidates(links) { // sorted, so the first cause found wins ties
		st := refRun(m, links, refSingle(x), false)
		for ref, down := range st.down {
			if !down {
				continue
			}
			if w, ok := out[ref]; !ok || st.up[ref] > w.up {
				out[ref] = refWorst{cause: x, up: st.up[ref]}
			}
		}
	}
	return out
}

// Random models: small, dense with redundancy, ties and soft links (soft cycles included),
// declared in shuffled order so declaration order is not topological.

func randomModel(seed int64) *model.Model {
	r := rand.New(rand.NewSource(seed))
	m := &model.Model{}
	d := func() *model.Duration {
		x := model.Duration(time.Duration(r.Intn(5)) * 10 * time.Minute)
		return &x
	}
	maybe := func() *model.Duration {
		if r.Intn(5) == 0 {
			return nil
		}
		return d()
	}
	nProv, nSite, nSvc, nFn := r.Intn(3), 1+r.Intn(4), 2+r.Intn(10), r.Intn(4)
	var provNames, siteNames, svcNames []string
	for i := 0; i < nProv; i++ {
		p := prov(fmt.Sprintf("p%d", i), "")
		if t := maybe(); t != nil {
			p.Spec.Recovery = &model.Recovery{Time: t}
		}
		m.Add(p)
		provNames = append(provNames, p.Metadata.Name)
	}
	pick := func(names []string, max int) []string {
		var out []string
		for _, i := range r.Perm(len(names))[:r.Intn(min(max, len(names))+1)] {
			out = append(out, names[i])
		}
		return out
	}
	for i := 0; i < nSite; i++ {
		s := site(fmt.Sprintf("s%d", i), "", pick(provNames, 2)...)
		if t := maybe(); t != nil {
			s.Spec.Recovery = &model.Recovery{Time: t}
		}
		m.Add(s)
		siteNames = append(siteNames, s.Metadata.Name)
	}
	for i := 0; i < nSvc; i++ {
		svcNames = append(svcNames, fmt.Sprintf("v%d", i))
	}
	var member func(i, depth int) model.Dependency
	group := func(i, depth int) model.Dependency {
		n := 1 + r.Intn(3)
		var ms []model.Dependency
		for j := 0; j < n; j++ {
			ms = append(ms, member(i, depth+1))
		}
		g := model.Dependency{}
		if r.Intn(2) == 0 {
			g.AnyOf = ms
		} else {
			g.AtLeast, g.Of = 1+r.Intn(n), ms
		}
		if r.Intn(2) == 0 {
			g.Failover = *d()
		}
		if r.Intn(6) == 0 {
			g.Impact = model.ImpactDegraded
		}
		return g
	}
	member = func(i, depth int) model.Dependency {
		if depth < 2 && r.Intn(4) == 0 {
			return group(i, depth)
		}
		return hard(svcNames[r.Intn(i)])
	}
	var svcs []*model.Service
	for i := 0; i < nSvc; i++ {
		s := svc(svcNames[i])
		if t := maybe(); t != nil || r.Intn(2) == 0 {
			s.Spec.Recovery = &model.Recovery{Time: t}
		}
		if r.Intn(2) == 0 {
			s.Spec.Targets.RTO = d()
		}
		if r.Intn(2) == 0 {
			t := r.Intn(5)
			s.Spec.Tier = &t
		}
		if sites := pick(siteNames, 3); len(sites) > 0 {
			ra := &model.RunsAt{Sites: sites}
			switch r.Intn(4) {
			case 0:
				ra.Mode = model.ModeActiveActive
			case 1:
				ra.Mode = model.ModeActivePassive
			case 2:
				if len(sites) == 1 {
					ra.Mode = model.ModeSingle
				}
			}
			ra.Failover = *d()
			s.Spec.RunsAt = ra
		}
		s.Spec.Providers = pick(provNames, 1)
		for n := r.Intn(4); n > 0 && i > 0; n-- {
			switch r.Intn(4) {
			case 0:
				s.Spec.DependsOn = append(s.Spec.DependsOn, group(i, 0))
			case 1:
				// soft links may point anywhere, even up: soft cycles are allowed
				if j := r.Intn(nSvc); j != i {
					s.Spec.DependsOn = append(s.Spec.DependsOn, soft(svcNames[j]))
				}
			default:
				s.Spec.DependsOn = append(s.Spec.DependsOn, hard(svcNames[r.Intn(i)]))
			}
		}
		svcs = append(svcs, s)
	}
	for _, i := range r.Perm(len(svcs)) {
		m.Add(svcs[i])
	}
	for i := 0; i < nFn; i++ {
		f := fn(fmt.Sprintf("f%d", i), "", pick(svcNames, 3)...)
		if r.Intn(2) == 0 {
			f.Spec.MTPD = d()
		}
		m.Add(f)
	}
	return m
}

func randomFailure(seed int64, m *model.Model) Failure {
	r := rand.New(rand.NewSource(seed * 7919))
	var f Failure
	for n := 1 + r.Intn(3); n > 0; n-- {
		switch r.Intn(3) {
		case 0:
			f.Services = append(f.Services, m.Services[r.Intn(len(m.Services))].Metadata.Name)
		case 1:
			f.Sites = append(f.Sites, m.Sites[r.Intn(len(m.Sites))].Metadata.Name)
		default:
			if len(m.Providers) > 0 {
				f.Providers = append(f.Providers, m.Providers[r.Intn(len(m.Providers))].Metadata.Name)
			}
		}
	}
	if r.Intn(3) == 0 {
		x := model.Duration(time.Duration(r.Intn(4)) * 10 * time.Minute)
		f.Duration = &x
	}
	return f
}

// engineStates reads an Impact back into the reference's terms, for services and functions.
func engineStates(imp *Impact) map[string]string {
	return summary(imp)
}

func refStates(m *model.Model, st refState) map[string]string {
	out := map[string]string{}
	for ref := range st.impacted {
		if strings.HasPrefix(ref, "site/") || strings.HasPrefix(ref, "provider/") {
			continue
		}
		if !st.down[ref] {
			out[ref] = "degraded"
			continue
		}
		if st.up[ref] == refNever {
			out[ref] = "down never"
		} else {
			out[ref] = fmt.Sprint("down ", st.up[ref])
		}
	}
	return out
}

// TestAgainstReference is the property test: on random models and failure sets the engine
// and the reference must agree on every state, up time, SPOF and worst single failure.
// -analysis.models=N sets how many models; every failure is reproducible from its seed.
func TestAgainstReference(t *testing.T) {
	n := *numModels
	if testing.Short() {
		n = min(n, 100)
	}
	start := time.Now()
	failures := 0
	for seed := int64(1); seed <= int64(n); seed++ {
		m := randomModel(seed)
		g, err := Compile(m)
		if err != nil {
			t.Fatalf("seed %d: Compile: %v", seed, err)
		}
		links := refLinks(m)
		for k := int64(0); k < 5; k++ {
			f := randomFailure(seed*10+k, m)
			imp, err := g.Impact(f)
			if err != nil {
				t.Fatalf("seed %d: Impact: %v", seed, err)
			}
			failures++
			got, want := engineStates(imp), refStates(m, refRun(m, links, f, false))
			if !mapsEqual(got, want) {
				t.Fatalf("seed %d failure %+v (duration %v):\n got %v\nwant %v", seed, f, f.Duration, got, want)
			}
		}
		spofs := refSPOFs(m, links)
		for ref, want := range spofs {
			if got := g.SPOFs(ref); !slices.Equal(got, want) {
				t.Fatalf("seed %d: SPOFs(%s): got %q, want %q", seed, ref, got, want)
			}
		}
		checkEstate(t, seed, g, m, links, spofs)
	}
	t.Logf("%d models, %d failure sets, agreed with the reference in %v", n, failures, time.Since(start))
}

func checkEstate(t *testing.T, seed int64, g *Graph, m *model.Model, links map[string][]refDep, spofs map[string][]string) {
	t.Helper()
	est := g.Estate(context.Background())
	worst := refWorsts(m, links)
	for _, w := range est.Worst {
		want, ok := worst[w.Object]
		if !ok {
			if w.Cause != nil || w.UpSeconds == nil || *w.UpSeconds != 0 {
				t.Fatalf("seed %d: worst of %s: got %+v, want no cause", seed, w.Object, w)
			}
			continue
		}
		gotUp := refNever
		if w.UpSeconds != nil {
			gotUp = *w.UpSeconds
		}
		if w.Cause == nil || *w.Cause != want.cause || gotUp != want.up {
			t.Fatalf("seed %d: worst of %s: got cause %v up %d, want %s %d", seed, w.Object, w.Cause, gotUp, want.cause, want.up)
		}
	}
	listed := map[string][]string{}
	for _, s := range est.SPOFs {
		listed[s.Object] = s.Causes
	}
	for _, f := range m.Functions {
		ref := "function/" + f.Metadata.Name
		if want := spofs[ref]; !slices.Equal(listed[ref], want) {
			t.Fatalf("seed %d: estate SPOFs of %s: got %q, want %q", seed, ref, listed[ref], want)
		}
	}
	for _, s := range m.Services {
		ref := "service/" + s.Metadata.Name
		want := spofs[ref]
		if s.Spec.Tier == nil || *s.Spec.Tier > 1 {
			want = nil
		}
		if !slices.Equal(listed[ref], want) {
			t.Fatalf("seed %d: estate SPOFs of %s: got %q, want %q", seed, ref, listed[ref], want)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
