package synth

import (
	"bufio"
	"fmt"
	"io"
	"iter"

	"github.com/perdura/perdura/internal/model"
)

// Edge kinds, as WriteCSV writes them.
const (
	EdgeHard        = "hard"         // a hard dependency; also a business function's service
	EdgeSoft        = "soft"         // a soft dependency (impact: degraded)
	EdgeGroupMember = "group-member" // a member of an anyOf/atLeast group, nested groups flattened
	EdgeHosting     = "hosting"      // a service to a site of its runsAt
	EdgeProvider    = "provider"     // a service or site to a provider
)

// Edge is one link of the dependency graph: From needs To. From and To are `kind/name`
// references (service/orders-db, site/dc-1, provider/aws-1, function/online-sales), the same
// references the analysis looks nodes up by.
type Edge struct {
	From, To string
	Kind     string
}

// Edges yields every edge of the model's dependency graph: for each business function its
// services, for each service its hosting sites, providers and dependencies (a group as one
// group-member edge per member, nested groups flattened), for each site its providers. A
// failure of a node affects exactly the nodes that reach it along these edges, so a plain BFS
// over the reversed edges finds what a failure takes down or degrades.
func Edges(m *model.Model) iter.Seq[Edge] {
	return func(yield func(Edge) bool) {
		for _, f := range m.Functions {
			from := "function/" + f.Metadata.Name
			for _, s := range f.Spec.Services {
				if !yield(Edge{from, "service/" + s, EdgeHard}) {
					return
				}
			}
		}
		for _, s := range m.Services {
			if !serviceEdges(s, yield) {
				return
			}
		}
		for _, s := range m.Sites {
			from := "site/" + s.Metadata.Name
			for _, p := range s.Spec.Providers {
				if !yield(Edge{from, "provider/" + p, EdgeProvider}) {
					return
				}
			}
		}
	}
}

func serviceEdges(s *model.Service, yield func(Edge) bool) bool {
	from := "service/" + s.Metadata.Name
	if s.Spec.RunsAt != nil {
		for _, site := range s.Spec.RunsAt.Sites {
			if !yield(Edge{from, "site/" + site, EdgeHosting}) {
				return false
			}
		}
	}
	for _, p := range s.Spec.Providers {
		if !yield(Edge{from, "provider/" + p, EdgeProvider}) {
			return false
		}
	}
	var dep func(d *model.Dependency, inGroup bool) bool
	dep = func(d *model.Dependency, inGroup bool) bool {
		if d.IsGroup() {
			for i := range d.Members() {
				if !dep(&d.Members()[i], true) {
					return false
				}
			}
			return true
		}
		kind := EdgeHard
		switch {
		case inGroup:
			kind = EdgeGroupMember
		case d.Soft():
			kind = EdgeSoft
		}
		return yield(Edge{from, "service/" + d.Service, kind})
	}
	for i := range s.Spec.DependsOn {
		if !dep(&s.Spec.DependsOn[i], false) {
			return false
		}
	}
	return true
}

// Nodes yields the reference of every node of the dependency graph, in the order the model
// declares them: functions, services, sites, providers.
func Nodes(m *model.Model) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, o := range m.Objects() {
			switch o.Kind() {
			case model.KindBusinessFunction, model.KindService, model.KindSite, model.KindProvider:
				if !yield(model.Ref(o)) {
					return
				}
			}
		}
	}
}

// WriteCSV writes the model's dependency graph as an edge list with the header from,to,kind,
// one line per Edge (see Edges for what is written and how groups are flattened). Nodes that
// have no edge at all do not appear; in a generated estate every node has one.
func WriteCSV(w io.Writer, m *model.Model) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString("from,to,kind\n"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for e := range Edges(m) {
		bw.WriteString(e.From)
		bw.WriteByte(',')
		bw.WriteString(e.To)
		bw.WriteByte(',')
		bw.WriteString(e.Kind)
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}
