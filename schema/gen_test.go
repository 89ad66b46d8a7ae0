package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"

	"github.com/perdura/perdura/internal/model"
)

var update = flag.Bool("update", false, "rewrite perdura-v1.json from the Go types")

// durationPattern accepts exactly what model.ParseDuration accepts: units largest first,
// each at most once.
const durationPattern = `^(0|[0-9]+w([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+d([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)$`

const namePattern = `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`

// kindSpecs pairs each kind with its spec type.
var kindSpecs = []struct {
	kind model.Kind
	spec any
}{
	{model.KindBusinessFunction, model.BusinessFunctionSpec{}},
	{model.KindService, model.ServiceSpec{}},
	{model.KindSite, model.SiteSpec{}},
	{model.KindProvider, model.ProviderSpec{}},
	{model.KindPerson, model.PersonSpec{}},
	{model.KindTeam, model.TeamSpec{}},
	{model.KindPlan, model.PlanSpec{}},
	{model.KindScenario, model.ScenarioSpec{}},
}

// generate builds the schema from the model's types and their doc comments.
func generate(t *testing.T) []byte {
	t.Helper()
	t.Chdir("..") // comments are keyed by package path: read them from the module root
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: false,
		Mapper:                     mapper,
	}
	if err := r.AddGoComments("github.com/perdura/perdura", "internal/model"); err != nil {
		t.Fatalf("reading doc comments: %v", err)
	}
	defs := jsonschema.Definitions{}
	var branches []*jsonschema.Schema
	kinds := make([]any, 0, len(kindSpecs))
	for _, ks := range kindSpecs {
		s := r.ReflectFromType(reflect.TypeOf(ks.spec))
		for name, d := range s.Definitions {
			defs[name] = d
		}
		name := reflect.TypeOf(ks.spec).Name()
		kinds = append(kinds, string(ks.kind))
		branches = append(branches, &jsonschema.Schema{
			If: &jsonschema.Schema{Properties: props("kind", &jsonschema.Schema{Const: string(ks.kind)})},
			Then: &jsonschema.Schema{Properties: props("spec",
				&jsonschema.Schema{Ref: "#/$defs/" + name})},
		})
	}
	meta := r.ReflectFromType(reflect.TypeOf(model.Metadata{}))
	for name, d := range meta.Definitions {
		defs[name] = d
	}
	defs["Metadata"].Properties.Set("name", &jsonschema.Schema{
		Type: "string", Pattern: namePattern,
		Description: "Unique within its kind: lower case letters, digits and dashes, at most 63."})
	enums(defs)
	defs["Dependency"] = dependency()

	root := &jsonschema.Schema{
		Version:     "https://json-schema.org/draft/2020-12/schema",
		ID:          "https://perdura.dev/schema/perdura-v1.json",
		Title:       "Perdura continuity model document",
		Description: "One document of a Perdura model folder (apiVersion perdura/v1). See docs/format.md.",
		Type:        "object",
		Required:    []string{"apiVersion", "kind", "metadata"},
		Properties: props(
			"apiVersion", &jsonschema.Schema{Const: model.APIVersion},
			"kind", &jsonschema.Schema{Enum: kinds},
			"metadata", &jsonschema.Schema{Ref: "#/$defs/Metadata"},
			"spec", &jsonschema.Schema{Type: "object"},
		),
		AdditionalProperties: jsonschema.FalseSchema,
		AllOf:                branches,
		Definitions:          defs,
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// props builds an ordered property map from name, schema pairs.
func props(kv ...any) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	p := jsonschema.NewProperties()
	for i := 0; i < len(kv); i += 2 {
		p.Set(kv[i].(string), kv[i+1].(*jsonschema.Schema))
	}
	return p
}

// mapper gives the format's own types their textual schemas.
func mapper(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(model.Duration(0)):
		return &jsonschema.Schema{Type: "string", Pattern: durationPattern,
			Description: "A duration: 90s, 15m, 4h, 2d, 1w, or combined largest unit first, 1h30m."}
	case reflect.TypeOf(model.Date{}):
		return &jsonschema.Schema{Type: "string", Format: "date", Description: "A date, YYYY-MM-DD."}
	case reflect.TypeOf(model.Level("")):
		return &jsonschema.Schema{Type: "string", Enum: anys(levels())}
	case reflect.TypeOf(model.Dependency{}):
		return &jsonschema.Schema{Ref: "#/$defs/Dependency"}
	}
	return nil
}

// dependency is a service name, a {service, impact} mapping, or a redundancy group whose
// members are dependencies again.
func dependency() *jsonschema.Schema {
	self := &jsonschema.Schema{Ref: "#/$defs/Dependency"}
	members := &jsonschema.Schema{Type: "array", Items: self, MinItems: ptr(uint64(1))}
	failover := &jsonschema.Schema{Type: "string", Pattern: durationPattern,
		Description: "Delay before the group runs on its standbys once a member in use is lost."}
	return &jsonschema.Schema{
		Description: "A service this one needs (a name, or {service, impact}), or a redundancy group: {anyOf: [...]} or {atLeast: k, of: [...]}.",
		OneOf: []*jsonschema.Schema{
			{Type: "string", Pattern: namePattern},
			{Type: "object", Required: []string{"service"}, AdditionalProperties: jsonschema.FalseSchema,
				Properties: props(
					"service", &jsonschema.Schema{Type: "string", Pattern: namePattern},
					"impact", &jsonschema.Schema{Type: "string", Enum: anys([]string{model.ImpactDown, model.ImpactDegraded}),
						Description: "down (hard, the default): this service is down while that one is; degraded (soft): only degraded."})},
			{Type: "object", Required: []string{"anyOf"}, AdditionalProperties: jsonschema.FalseSchema,
				Properties: props("anyOf", members, "failover", failover)},
			{Type: "object", Required: []string{"atLeast", "of"}, AdditionalProperties: jsonschema.FalseSchema,
				Properties: props("atLeast", &jsonschema.Schema{Type: "integer", Minimum: json.Number("1")},
					"of", members, "failover", failover)},
		},
	}
}

// enums constrains the string fields whose values the loader checks against a list.
func enums(defs jsonschema.Definitions) {
	set := func(def, prop string, values []string) {
		d, ok := defs[def]
		if !ok {
			panic("schema: no definition " + def)
		}
		p, ok := d.Properties.Get(prop)
		if !ok {
			panic("schema: no property " + def + "." + prop)
		}
		p.Enum = anys(values)
	}
	set("RunsAt", "mode", []string{model.ModeSingle, model.ModeActiveActive, model.ModeActivePassive})
	set("ProviderSpec", "criticality", model.Criticalities)
	set("Communication", "channel", model.Channels)
	defs["ServiceSpec"].Properties.Set("tier", &jsonschema.Schema{Type: "integer", Minimum: json.Number("0"), Maximum: json.Number("4"),
		Description: "0 (most critical) to 4."})
}

func levels() []string {
	out := make([]string, len(model.Levels))
	for i, l := range model.Levels {
		out[i] = string(l)
	}
	return out
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// TestSchemaUpToDate fails when the committed schema differs from what the Go types give.
func TestSchemaUpToDate(t *testing.T) {
	got := generate(t)
	if *update {
		if err := os.WriteFile("schema/perdura-v1.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, JSON) {
		t.Errorf("schema/perdura-v1.json is out of date with internal/model: run go test ./schema -update")
	}
}

// TestDurationPattern checks the schema's duration pattern against the loader's parser.
func TestDurationPattern(t *testing.T) {
	re := regexp.MustCompile(durationPattern)
	for _, s := range []string{"0", "90s", "15m", "4h", "2d", "1w", "1h30m", "1w2d3h4m5s", "", "1h1h", "30m1h", "1x", "h", "1.5h", "-1h", " 1h"} {
		_, err := model.ParseDuration(s)
		if got, want := re.MatchString(s), err == nil; got != want {
			t.Errorf("%q: pattern matches %v, ParseDuration accepts %v", s, got, want)
		}
	}
}
