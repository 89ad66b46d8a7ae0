package analysis

import (
	"testing"

	"github.com/perdura/perdura/internal/model"
)

// Small builders so each test draws its model in a few lines.

func dur(s string) *model.Duration {
	d := model.MustDuration(s)
	return &d
}

type svcOpt func(*model.Service)

func svc(name string, opts ...svcOpt) *model.Service {
	s := &model.Service{}
	s.Metadata.Name = name
	for _, o := range opts {
		o(s)
	}
	return s
}

func rec(d string) svcOpt {
	return func(s *model.Service) { s.Spec.Recovery = &model.Recovery{Time: dur(d)} }
}

func rto(d string) svcOpt { return func(s *model.Service) { s.Spec.Targets.RTO = dur(d) } }

func tier(t int) svcOpt { return func(s *model.Service) { s.Spec.Tier = &t } }

func runs(mode, failover string, sites ...string) svcOpt {
	return func(s *model.Service) {
		r := &model.RunsAt{Sites: sites, Mode: mode}
		if failover != "" {
			r.Failover = model.MustDuration(failover)
		}
		s.Spec.RunsAt = r
	}
}

func provs(p ...string) svcOpt { return func(s *model.Service) { s.Spec.Providers = p } }

func deps(d ...model.Dependency) svcOpt {
	return func(s *model.Service) { s.Spec.DependsOn = d }
}

func hard(name string) model.Dependency { return model.Dependency{Service: name} }

func soft(name string) model.Dependency {
	return model.Dependency{Service: name, Impact: model.ImpactDegraded}
}

func anyOf(failover string, m ...model.Dependency) model.Dependency {
	d := model.Dependency{AnyOf: m}
	if failover != "" {
		d.Failover = model.MustDuration(failover)
	}
	return d
}

func atLeast(k int, failover string, m ...model.Dependency) model.Dependency {
	d := model.Dependency{AtLeast: k, Of: m}
	if failover != "" {
		d.Failover = model.MustDuration(failover)
	}
	return d
}

func site(name, recovery string, providers ...string) *model.Site {
	s := &model.Site{}
	s.Metadata.Name = name
	s.Spec.Providers = providers
	if recovery != "" {
		s.Spec.Recovery = &model.Recovery{Time: dur(recovery)}
	}
	return s
}

func prov(name, recovery string) *model.Provider {
	p := &model.Provider{}
	p.Metadata.Name = name
	if recovery != "" {
		p.Spec.Recovery = &model.Recovery{Time: dur(recovery)}
	}
	return p
}

func fn(name, mtpd string, services ...string) *model.BusinessFunction {
	f := &model.BusinessFunction{}
	f.Metadata.Name = name
	f.Spec.Services = services
	if mtpd != "" {
		f.Spec.MTPD = dur(mtpd)
	}
	return f
}

func build(t testing.TB, objs ...model.Object) *model.Model {
	t.Helper()
	m := &model.Model{}
	for _, o := range objs {
		if !m.Add(o) {
			t.Fatalf("duplicate %s", model.Ref(o))
		}
	}
	return m
}

func compile(t testing.TB, objs ...model.Object) *Graph {
	t.Helper()
	g, err := Compile(build(t, objs...))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return g
}
