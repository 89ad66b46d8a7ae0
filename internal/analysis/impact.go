package analysis

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/perdura/perdura/internal/model"
)

// Failure is a failure set: what fails at t=0, by name within each kind.
type Failure struct {
	Services  []string
	Sites     []string
	Providers []string
	// Duration is how long failed sites and providers stay down (a scenario's duration);
	// nil means each comes back at its own recovery.time, or never.
	Duration *model.Duration
}

// ScenarioFailure is the failure a scenario describes.
func ScenarioFailure(s *model.Scenario) Failure {
	return Failure{
		Services:  s.Spec.Fails.Services,
		Sites:     s.Spec.Fails.Sites,
		Providers: s.Spec.Fails.Providers,
		Duration:  s.Spec.Duration,
	}
}

// Impact is the answer to "what does this failure do": CONTRACT.md's JSON of
// `perdura analyze --fail`.
type Impact struct {
	Failed    []string       `json:"failed"`
	Services  []ObjectImpact `json:"services"`
	Functions []ObjectImpact `json:"functions"`
}

// ObjectImpact is one service or function that a failure takes down or degrades.
type ObjectImpact struct {
	Name  string
	State string // "down" or "degraded"
	// Recoverable is false when the object does not come back within the horizon.
	Recoverable bool
	// UpSeconds is when the object is back, nil when unrecoverable; 0 for a degraded object.
	UpSeconds *int64
	// TargetSeconds is a service's stated RTO or a function's MTPD; nil when not set.
	TargetSeconds *int64
	// Meets says whether UpSeconds fits the target; nil when there is no target.
	Meets *bool
	// CriticalPath runs from the failed node to the object, as kind/name refs.
	CriticalPath []string
	// Function is true for a business function: its target is an MTPD, not an RTO.
	Function bool
}

// MarshalJSON writes CONTRACT.md's shape: rtoSeconds/meetsRto for a service,
// mtpdSeconds/meetsMtpd for a function, nulls where there is no value.
func (o ObjectImpact) MarshalJSON() ([]byte, error) {
	if o.Function {
		return json.Marshal(o.AsFunction())
	}
	return json.Marshal(o.AsService())
}

// ServiceImpact is a service's entry in CONTRACT.md's impact JSON. The `enum` and `nullable`
// tags describe it to the HTTP API's OpenAPI document, which uses this type itself, so the
// CLI's and the API's JSON cannot drift apart.
type ServiceImpact struct {
	Name         string   `json:"name"`
	State        string   `json:"state" enum:"down,degraded"`
	Recoverable  bool     `json:"recoverable"`
	UpSeconds    *int64   `json:"upSeconds" nullable:"true"`
	RTOSeconds   *int64   `json:"rtoSeconds" nullable:"true"`
	MeetsRTO     *bool    `json:"meetsRto" nullable:"true"`
	CriticalPath []string `json:"criticalPath"`
}

// FunctionImpact is a business function's entry in CONTRACT.md's impact JSON.
type FunctionImpact struct {
	Name         string   `json:"name"`
	State        string   `json:"state" enum:"down,degraded"`
	Recoverable  bool     `json:"recoverable"`
	UpSeconds    *int64   `json:"upSeconds" nullable:"true"`
	MTPDSeconds  *int64   `json:"mtpdSeconds" nullable:"true"`
	MeetsMTPD    *bool    `json:"meetsMtpd" nullable:"true"`
	CriticalPath []string `json:"criticalPath"`
}

// AsService is o as a service's JSON entry (an empty path, never null).
func (o ObjectImpact) AsService() ServiceImpact {
	return ServiceImpact{o.Name, o.State, o.Recoverable, o.UpSeconds, o.TargetSeconds, o.Meets, nonNil(o.CriticalPath)}
}

// AsFunction is o as a business function's JSON entry.
func (o ObjectImpact) AsFunction() FunctionImpact {
	return FunctionImpact{o.Name, o.State, o.Recoverable, o.UpSeconds, o.TargetSeconds, o.Meets, nonNil(o.CriticalPath)}
}

func nonNil(p []string) []string {
	if p == nil {
		return []string{}
	}
	return p
}

// FailureOf is the failure of the given nodes (services, sites, providers; other ids are
// skipped), for callers that hold ids: benchmarks, sweeps over Nodes.
func (g *Graph) FailureOf(ids ...NodeID) Failure {
	var f Failure
	for _, id := range ids {
		switch g.kind[id] {
		case kindService:
			f.Services = append(f.Services, g.name[id])
		case kindSite:
			f.Sites = append(f.Sites, g.name[id])
		case kindProvider:
			f.Providers = append(f.Providers, g.name[id])
		}
	}
	return f
}

// seeds resolves a failure's names to node ids; an unknown name is an error naming it.
func (g *Graph) seeds(f Failure) ([]int32, error) {
	var out []int32
	for _, l := range []struct {
		k     uint8
		names []string
	}{{kindService, f.Services}, {kindSite, f.Sites}, {kindProvider, f.Providers}} {
		for _, name := range l.names {
			id, ok := g.byName[l.k][name]
			if !ok {
				return nil, fmt.Errorf("no %s named %q in the model", kindPrefix[l.k], name)
			}
			out = append(out, int32(id))
		}
	}
	return out, nil
}

// fail propagates a failure set into pooled scratch space, which the caller returns with
// putScratch; it also returns the failed nodes' ids.
func (g *Graph) fail(f Failure) (*scratch, []int32, error) {
	seeds, err := g.seeds(f)
	if err != nil {
		return nil, nil, err
	}
	sc := g.getScratch()
	if f.Duration != nil {
		sc.durSet, sc.dur = true, f.Duration.Seconds()
	}
	g.propagate(sc, seeds)
	return sc, seeds, nil
}

// Impact propagates a failure set and reports every service and function it takes down or
// degrades, with when each is back and the path that sets it.
func (g *Graph) Impact(f Failure) (*Impact, error) {
	sc, seeds, err := g.fail(f)
	if err != nil {
		return nil, err
	}
	defer g.putScratch(sc)
	g.spread(sc, seeds)

	imp := &Impact{Failed: []string{}, Services: []ObjectImpact{}, Functions: []ObjectImpact{}}
	for _, s := range seeds {
		imp.Failed = append(imp.Failed, g.Ref(NodeID(s)))
	}
	slices.Sort(imp.Failed)
	imp.Failed = slices.Compact(imp.Failed)

	// Objects in ref order (refRank sorts by kind, then name), so the lists need no string sort.
	ids := make([]int32, 0, len(sc.touched))
	for _, v := range sc.touched {
		if k := g.kind[v]; (k == kindService || k == kindFunction) && sc.flag[v]&fImpacted != 0 {
			ids = append(ids, v)
		}
	}
	slices.SortFunc(ids, func(a, b int32) int { return int(g.refRank[a] - g.refRank[b]) })
	// One allocation each for the numbers the objects point to and for their paths.
	ups := make([]int64, len(ids))
	targets := make([]int64, len(ids))
	meets := make([]bool, len(ids))
	var arena []string
	for i, v := range ids {
		o := ObjectImpact{Name: g.name[v], State: "degraded", Recoverable: true, Function: g.kind[v] == kindFunction}
		if sc.flag[v]&fDown != 0 {
			o.State = "down"
			ups[i] = sc.up[v]
		}
		if ups[i] != never {
			o.UpSeconds = &ups[i]
		} else {
			o.Recoverable = false
		}
		if t := g.target[v]; t >= 0 {
			targets[i] = t
			meets[i] = ups[i] != never && ups[i] <= t
			o.TargetSeconds, o.Meets = &targets[i], &meets[i]
		}
		arena, o.CriticalPath = g.path(sc, v, arena)
		if o.Function {
			imp.Functions = append(imp.Functions, o)
		} else {
			imp.Services = append(imp.Services, o)
		}
	}
	return imp, nil
}

// meets compares an up time with the node's target; both nil when there is no target.
func (g *Graph) meets(v int32, up int64) (*int64, *bool) {
	t := g.target[v]
	if t < 0 {
		return nil, nil
	}
	ok := up != never && up <= t
	return &t, &ok
}

// Add puts the object a `kind/name` reference names in the failure set: service/NAME,
// site/NAME or provider/NAME (business functions do not fail by themselves). Whether the
// object exists is for Impact to say, or for a caller that can suggest names.
func (f *Failure) Add(ref string) error {
	kind, name, ok := strings.Cut(ref, "/")
	if ok && name != "" {
		switch kind {
		case "service":
			f.Services = append(f.Services, name)
			return nil
		case "site":
			f.Sites = append(f.Sites, name)
			return nil
		case "provider":
			f.Providers = append(f.Providers, name)
			return nil
		}
	}
	return fmt.Errorf("%q: expected service/NAME, site/NAME or provider/NAME", ref)
}
