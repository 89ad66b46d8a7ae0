package synth

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/perdura/perdura/internal/model"
)

// servicesPerFile is how many Service documents WriteYAML puts in one file, so a large estate
// is a folder of many moderate files, as a real one would be.
const servicesPerFile = 500

// WriteYAML writes the model as a model folder in dir (created if needed), in the format
// model.Load reads: one file per kind, and services in numbered files of 500 documents, named
// so that lexical order is declaration order. Plain hard dependencies are written as bare
// names, the way people write them.
func WriteYAML(dir string, m *model.Model) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	write := func(name string, objs []model.Object) error {
		if len(objs) == 0 {
			return nil
		}
		return writeDocs(filepath.Join(dir, name), objs)
	}
	if err := write("functions.yaml", objects(m.Functions)); err != nil {
		return err
	}
	for i := 0; i < len(m.Services); i += servicesPerFile {
		name := fmt.Sprintf("services-%05d.yaml", i/servicesPerFile+1)
		if err := write(name, objects(m.Services[i:min(i+servicesPerFile, len(m.Services))])); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		objs []model.Object
	}{
		{"sites.yaml", objects(m.Sites)},
		{"providers.yaml", objects(m.Providers)},
		{"people.yaml", objects(m.People)},
		{"teams.yaml", objects(m.Teams)},
		{"plans.yaml", objects(m.Plans)},
		{"scenarios.yaml", objects(m.Scenarios)},
	} {
		if err := write(f.name, f.objs); err != nil {
			return err
		}
	}
	return nil
}

func objects[T model.Object](xs []T) []model.Object {
	out := make([]model.Object, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// document is the envelope every YAML document has.
type document struct {
	APIVersion string          `yaml:"apiVersion"`
	Kind       model.Kind      `yaml:"kind"`
	Metadata   *model.Metadata `yaml:"metadata"`
	Spec       any             `yaml:"spec"`
}

func writeDocs(path string, objs []model.Object) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write model: %w", cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	enc := yaml.NewEncoder(bw)
	enc.SetIndent(2)
	for _, o := range objs {
		if err := enc.Encode(document{model.APIVersion, o.Kind(), o.Meta(), spec(o)}); err != nil {
			return fmt.Errorf("write %s: %s: %w", path, model.Ref(o), err)
		}
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// spec is the value written under `spec:`: the kind's own spec, but for a Service, whose
// dependencies are written in their short forms.
func spec(o model.Object) any {
	switch x := o.(type) {
	case *model.BusinessFunction:
		return &x.Spec
	case *model.Service:
		return serviceSpec(&x.Spec)
	case *model.Site:
		return &x.Spec
	case *model.Provider:
		return &x.Spec
	case *model.Person:
		return &x.Spec
	case *model.Team:
		return &x.Spec
	case *model.Plan:
		return &x.Spec
	case *model.Scenario:
		return &x.Spec
	}
	panic(fmt.Sprintf("synth: no spec for %T", o))
}

// yamlServiceSpec mirrors model.ServiceSpec field for field, with dependsOn in short form.
type yamlServiceSpec struct {
	Type        string             `yaml:"type,omitempty"`
	Tier        *int               `yaml:"tier,omitempty"`
	Targets     *model.Targets     `yaml:"targets,omitempty"`
	RunsAt      *model.RunsAt      `yaml:"runsAt,omitempty"`
	Providers   []string           `yaml:"providers,omitempty"`
	DependsOn   []any              `yaml:"dependsOn,omitempty"`
	Recovery    *model.Recovery    `yaml:"recovery,omitempty"`
	Backups     []model.Backup     `yaml:"backups,omitempty"`
	Replication *model.Replication `yaml:"replication,omitempty"`
	Plan        string             `yaml:"plan,omitempty"`
}

// yamlDependency mirrors model.Dependency with members in short form.
type yamlDependency struct {
	Service  string         `yaml:"service,omitempty"`
	Impact   string         `yaml:"impact,omitempty"`
	AnyOf    []any          `yaml:"anyOf,omitempty"`
	AtLeast  int            `yaml:"atLeast,omitempty"`
	Of       []any          `yaml:"of,omitempty"`
	Failover model.Duration `yaml:"failover,omitempty"`
}

func serviceSpec(s *model.ServiceSpec) *yamlServiceSpec {
	out := &yamlServiceSpec{
		Type: s.Type, Tier: s.Tier, RunsAt: s.RunsAt, Providers: s.Providers, Recovery: s.Recovery,
		Backups: s.Backups, Replication: s.Replication, Plan: s.Plan, DependsOn: dependencies(s.DependsOn),
	}
	if s.Targets.RTO != nil || s.Targets.RPO != nil {
		out.Targets = &s.Targets
	}
	return out
}

func dependencies(ds []model.Dependency) []any {
	if ds == nil {
		return nil
	}
	out := make([]any, len(ds))
	for i := range ds {
		d := &ds[i]
		if !d.IsGroup() && d.Impact == "" {
			out[i] = d.Service
			continue
		}
		out[i] = &yamlDependency{
			Service: d.Service, Impact: d.Impact, AnyOf: dependencies(d.AnyOf),
			AtLeast: d.AtLeast, Of: dependencies(d.Of), Failover: d.Failover,
		}
	}
	return out
}
