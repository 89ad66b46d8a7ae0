package model

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits that keep a hostile document from costing more than a large honest one.
const (
	// maxDepth bounds nesting: the deepest honest document (nested dependency groups) is
	// around a dozen levels; the walk below recurses, so depth is also stack.
	maxDepth = 100
	// maxAliasNodes bounds the nodes reached through aliases in one document: an alias bomb
	// (`a: &a [*b, *b, ...]` layered) expands exponentially, while the tree without aliases is
	// already bounded by the file size limit.
	maxAliasNodes = 100_000
)

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	dependencyType      = reflect.TypeFor[Dependency]()
	durationType        = reflect.TypeFor[Duration]()
	dateType            = reflect.TypeFor[Date]()
)

// fieldInfo is one field a struct accepts, by its `yaml` tag.
type fieldInfo struct {
	name     string
	index    []int
	required bool // no omitempty: the format requires it
}

// structFields lists the fields of t by their yaml names, flattening `,inline` embeddings.
// The result is cached per load (not per process: no package-level state).
func (l *loader) structFields(t reflect.Type) []fieldInfo {
	if fs, ok := l.fields[t]; ok {
		return fs
	}
	var out []fieldInfo
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			index := append(append([]int(nil), prefix...), i)
			if strings.Contains(","+opts+",", ",inline,") {
				walk(f.Type, index)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			out = append(out, fieldInfo{name: name, index: index, required: !strings.Contains(","+opts+",", ",omitempty,")})
		}
	}
	walk(t, nil)
	l.fields[t] = out
	return out
}

// docDecoder decodes one document into one object, reporting every problem it meets and
// recording positions: of each field's key in the object's Source, and of each value in vals,
// which validation uses to point at a dangling reference itself rather than at its key.
type docDecoder struct {
	l    *loader
	file string
	kind Kind
	obj  string // `kind/name` for problems, once the name is known
	src  *Source
	vals map[string]Pos
}

func (d *docDecoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *docDecoder) report(n *yaml.Node, rule, format string, args ...any) {
	d.l.add(Problem{Pos: d.pos(n), Object: d.obj, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// context names where a field sits, for messages: "Service spec", "Service metadata".
func (d *docDecoder) context(path string) string {
	if path == "" {
		return string(d.kind)
	}
	return string(d.kind) + " " + path
}

// resolve follows aliases. The document was measured before decoding (measure), so chains
// are short; the bound only guards against a cyclic anchor the parser let through.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// valueFields are the fields whose value's own position validation reports at (a dangling
// `plan: x`, a bad `tier`). Only they are recorded: positions are most of a loaded model's
// memory, and a list item's position is already its Fields entry.
func valueField(name string) bool {
	switch name {
	case "name", "owner", "deputy", "plan", "team", "approvedBy", "tier", "sites", "mode", "failover",
		"lossPerHour", "after", "level", "fails", "frequency", "id", "role":
		return true
	}
	return false
}

// intern returns one shared copy of a field path: the same paths recur in every object,
// and a large estate keeps millions of them.
func (l *loader) intern(s string) string {
	if c, ok := l.paths[s]; ok {
		return c
	}
	l.paths[s] = s
	return s
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// decode decodes n into v, which is addressable. field is the yaml name of the field being
// decoded, which lets messages name what a list holds ("a list of service names").
func (d *docDecoder) decode(n *yaml.Node, v reflect.Value, path, field string, depth int) {
	n = resolve(n)
	if valueField(field) {
		if p := d.pos(n); d.src.Fields[path] != p {
			d.vals[path] = p
		}
	}
	if depth > maxDepth {
		d.report(n, RuleSyntax, "nesting deeper than %d levels", maxDepth)
		return
	}
	if isNull(n) {
		return // absent: the zero value; required fields are checked by their parent
	}
	t := v.Type()
	switch {
	case t == dependencyType:
		d.decodeDependency(n, v, path, depth)
		return
	case t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType):
		if n.Kind != yaml.ScalarNode {
			d.report(n, RuleType, "expected %s for `%s`, got %s", describe(t, field), field, nodeNoun(n))
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.report(n, RuleValue, "invalid %s `%s` for `%s`: %v%s", typeNoun(t), truncate(n.Value), field, err, durationHint(t, n.Value))
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		d.decode(n, p.Elem(), path, field, depth)
		v.Set(p)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.report(n, RuleType, "expected %s for `%s`, got %s", describe(t, field), field, nodeNoun(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v.OverflowInt(i) {
			d.report(n, RuleType, "expected an integer for `%s`, got %s%s", field, nodeNoun(n), quotedNumberHint(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.report(n, RuleType, "expected a number for `%s`, got %s%s", field, nodeNoun(n), quotedNumberHint(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.report(n, RuleType, "expected true or false for `%s`, got %s", field, nodeNoun(n))
			return
		}
		v.SetBool(b)
	case reflect.Slice:
		d.decodeSlice(n, v, path, field, depth)
	case reflect.Map:
		d.decodeMap(n, v, path, field, depth)
	case reflect.Struct:
		d.decodeStruct(n, v, path, field, depth, nil)
	default:
		// A type the format does not use: a programmer error in types.go, reported rather
		// than panicking so a user still gets every other problem.
		d.report(n, RuleType, "field `%s` has a type the loader cannot read (%s)", field, t)
	}
}

func (d *docDecoder) decodeSlice(n *yaml.Node, v reflect.Value, path, field string, depth int) {
	if n.Kind != yaml.SequenceNode {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(v.Type(), field), field, nodeNoun(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := d.l.intern(path + "[" + strconv.Itoa(i) + "]")
		d.src.Fields[p] = d.pos(item)
		if isNull(resolve(item)) {
			d.report(item, RuleValue, "empty item in `%s`", field)
			continue
		}
		d.decode(item, s.Index(i), p, field, depth+1)
	}
	v.Set(s)
}

func (d *docDecoder) decodeMap(n *yaml.Node, v reflect.Value, path, field string, depth int) {
	t := v.Type()
	if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(t, field), field, nodeNoun(n))
		return
	}
	m := reflect.MakeMap(t)
	for _, kv := range d.pairs(n, path) {
		p := d.l.intern(joinPath(path, kv.key.Value))
		d.src.Fields[p] = d.pos(kv.key)
		e := reflect.New(t.Elem()).Elem()
		d.decode(kv.val, e, p, kv.key.Value, depth+1)
		m.SetMapIndex(reflect.ValueOf(kv.key.Value).Convert(t.Key()), e)
	}
	v.Set(m)
}

// pair is one key and value of a mapping, after merge keys (`<<: *base`) are applied.
type pair struct{ key, val *yaml.Node }

// pairs lists a mapping's entries: its own keys in order, then keys merged in with `<<` that
// it does not set itself (YAML's merge rule: the mapping's own keys win, then earlier merges).
// A key that is not a scalar or that is written twice is reported and left out.
func (d *docDecoder) pairs(n *yaml.Node, path string) []pair {
	var own, merged []pair
	seen := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			d.report(k, RuleType, "expected a field name, got %s", nodeNoun(k))
			continue
		}
		if k.Tag == "!!merge" {
			merged = append(merged, d.mergeSources(val, path)...)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.report(k, RuleSyntax, "field `%s` is written twice in %s (first at line %d)", k.Value, d.context(path), first.Line)
			continue
		}
		seen[k.Value] = k
		own = append(own, pair{k, val})
	}
	for _, p := range merged {
		if _, dup := seen[p.key.Value]; !dup {
			seen[p.key.Value] = p.key
			own = append(own, p)
		}
	}
	return own
}

// mergeSources reads the value of a `<<` key: a mapping or a list of mappings.
func (d *docDecoder) mergeSources(val *yaml.Node, path string) []pair {
	val = resolve(val)
	switch val.Kind {
	case yaml.MappingNode:
		return d.pairs(val, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range val.Content {
			if item = resolve(item); item.Kind == yaml.MappingNode {
				out = append(out, d.pairs(item, path)...)
			} else {
				d.report(item, RuleType, "expected a mapping to merge with `<<`, got %s", nodeNoun(item))
			}
		}
		return out
	}
	d.report(val, RuleType, "expected a mapping to merge with `<<`, got %s", nodeNoun(val))
	return nil
}

// decodeStruct decodes a mapping into the struct v, reporting unknown fields (with the
// nearest valid name), missing required fields and values outside an enumeration. ignore
// lists keys a caller has handled (the envelope's apiVersion and kind). It returns the keys
// present, so a caller can check which of several forms was written.
func (d *docDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path, field string, depth int, ignore []string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(v.Type(), field), field, nodeNoun(n))
		return nil
	}
	fields := d.l.structFields(v.Type())
	present := make(map[string]*yaml.Node)
	for _, kv := range d.pairs(n, path) {
		name := kv.key.Value
		if contains(ignore, name) {
			continue
		}
		fi, ok := findField(fields, name)
		if !ok {
			d.report(kv.key, RuleUnknown, "unknown field `%s` in %s%s", name, d.context(path), didYouMean(name, fieldNames(fields)))
			continue
		}
		present[name] = kv.key
		p := d.l.intern(joinPath(path, name))
		d.src.Fields[p] = d.pos(kv.key)
		fv := v.FieldByIndex(fi.index)
		d.decode(kv.val, fv, p, name, depth+1)
		if allowed := enumValues(v.Type(), name); allowed != nil && fv.Kind() == reflect.String {
			if s := fv.String(); s != "" && !contains(allowed, s) {
				d.report(resolve(kv.val), RuleValue, "invalid %s `%s`: expected %s%s", name, s, quoteList(allowed), didYouMean(s, allowed))
			}
		}
		if fi.required && isNull(resolve(kv.val)) {
			d.report(kv.key, RuleRequired, "`%s` in %s has no value", name, d.context(path))
		}
	}
	for _, fi := range fields {
		if fi.required && present[fi.name] == nil && !contains(ignore, fi.name) {
			d.report(n, RuleRequired, "missing required field `%s` in %s", fi.name, d.context(path))
		}
	}
	return present
}

// decodeDependency reads one `dependsOn` entry or group member: a plain service name, or a
// mapping in exactly one of the forms {service, impact}, {anyOf, failover}, {atLeast, of,
// failover}.
func (d *docDecoder) decodeDependency(n *yaml.Node, v reflect.Value, path string, depth int) {
	dep := v.Addr().Interface().(*Dependency)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" {
			d.report(n, RuleValue, "empty service name in `dependsOn`")
		}
		dep.Service = n.Value
		return
	case yaml.MappingNode:
	default:
		d.report(n, RuleType, "expected a service name or a mapping ({service, impact}, {anyOf, failover} or {atLeast, of, failover}), got %s", nodeNoun(n))
		return
	}
	present := d.decodeStruct(n, v, path, "dependsOn", depth, nil)
	unknown := len(n.Content)/2 - len(present)
	var forms []string
	for _, f := range []string{"service", "anyOf", "of"} {
		if present[f] != nil {
			forms = append(forms, f)
		}
	}
	switch {
	case len(forms) == 0 && present["atLeast"] != nil:
		d.report(n, RuleRequired, "`atLeast` needs `of`, the list of members")
		return
	case len(forms) == 0 && unknown > 0:
		// The unknown fields are reported; the commonest slip, {dns: degraded}, gets its fix.
		if len(n.Content) == 2 {
			if k, val := resolve(n.Content[0]), resolve(n.Content[1]); val.Value == ImpactDegraded || val.Value == ImpactDown {
				d.report(n, RuleValue, "write a dependency with an impact as {service: %s, impact: %s}", truncate(k.Value), val.Value)
			}
		}
		return
	case len(forms) == 0:
		d.report(n, RuleRequired, "a dependency needs `service`, `anyOf` or `atLeast` with `of`")
		return
	case len(forms) > 1:
		d.report(present[forms[1]], RuleValue, "a dependency is one of {service, impact}, {anyOf, failover} or {atLeast, of, failover}: `%s` and `%s` cannot go together", forms[0], forms[1])
		return
	}
	if forms[0] == "service" {
		if dep.Service == "" {
			d.report(present["service"], RuleRequired, "`service` has no value: name the service depended on")
		}
		for _, f := range []string{"failover", "atLeast"} {
			if k := present[f]; k != nil {
				d.report(k, RuleValue, "`%s` applies to a group ({anyOf} or {atLeast, of}), not to a single service", f)
			}
		}
		return
	}
	if k := present["impact"]; k != nil {
		d.report(k, RuleValue, "`impact` applies to a single service, not to a group: a group is always a hard dependency")
	}
	if forms[0] == "anyOf" {
		if k := present["atLeast"]; k != nil {
			d.report(k, RuleValue, "`atLeast` goes with `of`, not `anyOf`: write {atLeast: %d, of: [...]}", dep.AtLeast)
		}
		if dep.AnyOf == nil {
			dep.AnyOf = []Dependency{} // keep it a group even when empty, for the analysis' IsGroup
		}
		if len(dep.AnyOf) == 0 {
			d.report(present["anyOf"], RuleValue, "an `anyOf` group needs at least one member")
		}
	} else {
		if dep.Of == nil {
			dep.Of = []Dependency{}
		}
		switch {
		case present["atLeast"] == nil:
			d.report(present["of"], RuleRequired, "`of` needs `atLeast`, how many members the group needs")
		case dep.AtLeast < 1 || dep.AtLeast > len(dep.Of):
			d.report(resolve(d.nodeAt(n, "atLeast")), RuleValue, "`atLeast` is %d but must be between 1 and the number of members (%d)", dep.AtLeast, len(dep.Of))
		}
	}
	// A member's own impact would make a group half soft; groups are hard by construction.
	for i, m := range dep.Members() {
		if m.Impact != "" {
			p := fmt.Sprintf("%s.%s[%d].impact", path, forms[0], i)
			d.l.add(Problem{Pos: d.src.Fields[p], Object: d.obj, Rule: RuleValue,
				Msg: "`impact` is not allowed on a group member: the group decides whether its dependent is down"})
		}
	}
}

// nodeAt finds the value of key in mapping n (own keys only), or n itself.
func (d *docDecoder) nodeAt(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if resolve(n.Content[i]).Value == key {
			return n.Content[i+1]
		}
	}
	return n
}

func findField(fields []fieldInfo, name string) (fieldInfo, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return fieldInfo{}, false
}

func fieldNames(fields []fieldInfo) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// enumValues lists the values a string field may take, or nil when it is free text.
// Service types and recovery strategies are free text on purpose: they describe.
func enumValues(t reflect.Type, field string) []string {
	switch {
	case t == reflect.TypeFor[RunsAt]() && field == "mode":
		return []string{ModeSingle, ModeActiveActive, ModeActivePassive}
	case t == reflect.TypeFor[ImpactStep]() && field == "level",
		t == reflect.TypeFor[BusinessFunctionSpec]() && field == "tolerance":
		out := make([]string, len(Levels))
		for i, l := range Levels {
			out[i] = string(l)
		}
		return out
	case t == dependencyType && field == "impact":
		return []string{ImpactDown, ImpactDegraded}
	case t == reflect.TypeFor[ProviderSpec]() && field == "criticality":
		return Criticalities
	case t == reflect.TypeFor[Communication]() && field == "channel":
		return Channels
	}
	return nil
}

// refNouns say what a list of names holds, by field name, for type messages.
func refNoun(field string) string {
	switch field {
	case "services", "covers":
		return "service names"
	case "sites":
		return "site names"
	case "providers":
		return "provider names"
	case "members", "people", "authority":
		return "person names"
	case "scenarios":
		return "scenario names"
	case "after":
		return "step ids"
	case "dependsOn", "anyOf", "of":
		return "dependencies"
	}
	return ""
}

// describe says what a value of type t is written as, for "expected ..." messages.
func describe(t reflect.Type, field string) string {
	switch t {
	case durationType:
		return "a duration such as 4h"
	case dateType:
		return "a date such as 2026-05-01"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describe(t.Elem(), field)
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		if noun := refNoun(field); noun != "" {
			return "a list of " + noun
		}
		if t.Elem().Kind() == reflect.String {
			return "a list of strings"
		}
		return "a list of mappings"
	case reflect.Map:
		return "a mapping of names to strings"
	}
	return "a mapping"
}

// durationHint says how to fix the two commonest malformed durations: a fraction and a
// number without a unit.
func durationHint(t reflect.Type, v string) string {
	if t != durationType || v == "" {
		return ""
	}
	if strings.Contains(v, ".") {
		return " (whole numbers only: 1h30m, not 1.5h)"
	}
	if c := v[len(v)-1]; c >= '0' && c <= '9' {
		return " (every number needs a unit: s, m, h, d or w)"
	}
	return ""
}

// quotedNumberHint explains why "1" is not a number: YAML reads quoted scalars as strings.
func quotedNumberHint(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return ""
	}
	if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
		return " (remove the quotes)"
	}
	return ""
}

func typeNoun(t reflect.Type) string {
	switch t {
	case durationType:
		return "duration"
	case dateType:
		return "date"
	}
	return "value"
}

// nodeNoun says what was written instead, for "got ..." messages.
func nodeNoun(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.Tag {
		case "!!null":
			return "nothing"
		case "!!int":
			return "the integer " + v
		case "!!float":
			return "the number " + v
		case "!!bool":
			return "the boolean " + v
		}
		return strconv.Quote(v)
	}
	return "something else"
}
