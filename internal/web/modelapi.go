package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// ModelFile is one file of a model folder, as perdura apply sends it.
type ModelFile struct {
	Path    string `json:"path" minLength:"1" maxLength:"1024" doc:"The file's path as the user knows it; problems name it with line and column."`
	Content string `json:"content" doc:"The file's YAML."`
}

type applyInput struct {
	Body struct {
		Source string      `json:"source" minLength:"1" maxLength:"200" doc:"The name the folder's objects are stored under (perdura apply: the folder's name)."`
		Prune  bool        `json:"prune,omitempty" doc:"Delete objects of this source that the files no longer hold."`
		Files  []ModelFile `json:"files" minItems:"1"`
	}
}

type applyOutput struct{ Body catalog.ApplyResult }

// apply stores a model folder all or nothing; problems come back as 422 with file:line.
func (s *server) apply(ctx context.Context, in *applyInput) (*applyOutput, error) {
	files := make([]catalog.File, len(in.Body.Files))
	for i, f := range in.Body.Files {
		files[i] = catalog.File{Path: f.Path, Content: []byte(f.Content)}
	}
	res, err := s.deps.Catalog.Apply(ctx, catalogActor(ctx), in.Body.Source, files, in.Body.Prune)
	if err != nil {
		return nil, err
	}
	return &applyOutput{Body: res}, nil
}

type analyzeInput struct {
	Body struct {
		Failed   []string `json:"failed,omitempty" doc:"What fails at t=0: service/NAME, site/NAME or provider/NAME." example:"[\"site/dc-east\"]"`
		Scenario string   `json:"scenario,omitempty" doc:"A scenario's name: its failures, added to failed."`
		Duration string   `json:"duration,omitempty" doc:"How long failed sites and providers stay down (4h, 2d); default: each until its own recovery." example:"4h"`
	}
}

// Impact is CONTRACT.md's JSON of perdura analyze --fail.
type Impact struct {
	Failed    []string                  `json:"failed"`
	Services  []analysis.ServiceImpact  `json:"services"`
	Functions []analysis.FunctionImpact `json:"functions"`
}

// impactOf restates the analysis' answer with the analysis' own entry types, which the
// OpenAPI document can describe (ObjectImpact marshals through the same types).
func impactOf(im *analysis.Impact) Impact {
	out := Impact{Failed: im.Failed, Services: []analysis.ServiceImpact{}, Functions: []analysis.FunctionImpact{}}
	for _, o := range im.Services {
		out.Services = append(out.Services, o.AsService())
	}
	for _, o := range im.Functions {
		out.Functions = append(out.Functions, o.AsFunction())
	}
	if out.Failed == nil {
		out.Failed = []string{}
	}
	return out
}

type analyzeOutput struct {
	Body Impact
}

// analyze answers what a failure does to the stored model. Names that are not in the model
// are 422 with a pointer to the entry and a suggestion, as the CLI gives.
func (s *server) analyze(ctx context.Context, in *analyzeInput) (*analyzeOutput, error) {
	snap, err := s.deps.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if snap.Model == nil || snap.Graph == nil {
		return nil, problem(http.StatusConflict, "the stored model does not load; see GET /api/v1/findings")
	}
	f, prob := failureOf(snap.Model, in.Body.Failed, in.Body.Scenario, in.Body.Duration)
	if prob != nil {
		return nil, prob
	}
	imp, err := snap.Graph.Impact(f)
	if err != nil {
		return nil, err
	}
	return &analyzeOutput{Body: impactOf(imp)}, nil
}

// failureOf builds the failure set of a request, checking every name against the model.
func failureOf(m *model.Model, failed []string, scenario, duration string) (analysis.Failure, *Problem) {
	var f analysis.Failure
	var errs []ProblemDetail
	if scenario == "" && len(failed) == 0 {
		return f, badField("/failed", "name what fails: failed, scenario, or both")
	}
	if scenario != "" {
		if sc := m.Scenario(scenario); sc != nil {
			f = analysis.ScenarioFailure(sc)
		} else {
			errs = append(errs, ProblemDetail{Pointer: "/scenario", Message: fmt.Sprintf("no scenario named %q%s", scenario, suggest(m, model.KindScenario, scenario))})
		}
	}
	for i, ref := range failed {
		ptr := "/failed/" + strconv.Itoa(i)
		if err := f.Add(ref); err != nil {
			errs = append(errs, ProblemDetail{Pointer: ptr, Message: err.Error()})
			continue
		}
		prefix, name, _ := strings.Cut(ref, "/")
		k, _ := model.KindForPrefix(prefix)
		if _, ok := m.Get(k, name); !ok {
			errs = append(errs, ProblemDetail{Pointer: ptr, Message: fmt.Sprintf("no %s named %q%s", prefix, name, suggest(m, k, name))})
		}
	}
	if duration != "" {
		d, err := model.ParseDuration(duration)
		if err != nil {
			errs = append(errs, ProblemDetail{Pointer: "/duration", Message: fmt.Sprintf("%q: %v", duration, err)})
		} else {
			f.Duration = &d
		}
	}
	if len(errs) > 0 {
		p := problem(http.StatusUnprocessableEntity, "the failure names things the stored model does not have", errs...)
		if len(errs) == 1 {
			p.Detail = errs[0].Message
		}
		return f, p
	}
	return f, nil
}

// suggest says "; did you mean X?" when a name is close to one the model has.
func suggest(m *model.Model, k model.Kind, name string) string {
	var names []string
	for _, o := range m.Objects() {
		if o.Kind() == k {
			names = append(names, o.Meta().Name)
		}
	}
	if s, ok := model.Nearest(name, names); ok {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// Findings is CONTRACT.md's JSON of perdura lint --format json.
type Findings struct {
	Findings []lint.Finding `json:"findings"`
}

type findingsOutput struct{ Body Findings }

func (s *server) findings(ctx context.Context, _ *struct{}) (*findingsOutput, error) {
	snap, err := s.deps.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	fs := snap.Findings
	if fs == nil {
		fs = []lint.Finding{}
	}
	return &findingsOutput{Body: Findings{Findings: fs}}, nil
}

// Estate is CONTRACT.md's JSON of perdura analyze without a failure.
type Estate struct {
	*analysis.Estate
	Findings []lint.Finding `json:"findings"`
}

type estateOutput struct{ Body Estate }

func (s *server) estate(ctx context.Context, _ *struct{}) (*estateOutput, error) {
	snap, err := s.deps.Catalog.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if snap.Graph == nil {
		return nil, problem(http.StatusConflict, "the stored model does not load; see GET /api/v1/findings")
	}
	est := snap.Estate // computed once per stored generation, with the findings
	fs := []lint.Finding{}
	for _, f := range snap.Findings {
		if lint.FromAnalysis(f.Rule) {
			fs = append(fs, f)
		}
	}
	return &estateOutput{Body: Estate{Estate: est, Findings: fs}}, nil
}
