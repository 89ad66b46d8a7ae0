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
	required bool     // no omitempty: the format requires it
	enum     []string // the values a string field may take (enumValues), or nil
}

// structFields lists the fields of t by their yaml names, flattening `,inline` embeddings.
// The result is cached per load (not per process: no package-level state).
func (l *loader) structFields(t reflect.Type) []fieldInfo {
	if fs, ok := l.fields[t]; ok {
		return fs
	}
	var out []fieldInfo
	outer := t
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
			out = append(out, fieldInfo{name: name, index: index, required: !strings.Contains(","+opts+",", ",omitempty,"),
				enum: enumValues(outer, name)})
		}
	}
	walk(t, nil)
	l.fields[t] = out
	return out
}

// isText reports whether a *t decodes itself from a scalar (Duration, Date): cached, since
// the answer takes reflection and every value asks.
func (l *loader) isText(t reflect.Type) bool {
	is, ok := l.text[t]
	if !ok {
		is = t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(textUnmarshalerType)
		l.text[t] = is
	}
	return is
}

// docDecoder decodes one document into one object, reporting every problem it meets and
// recording positions in the loader's entries: of each field's key, and of the values
// validation reports at, so a dangling reference is pointed at itself rather than at its key.
// Paths are ids in the loader's path table; rootPath is the document itself.
type docDecoder struct {
	l    *loader
	file string
	kind Kind
	obj  string // `kind/name` for problems, once the name is known
}

// rootPath is the path id of the document's root mapping, whose path is "".
const rootPath = -1

// pathName is the path with id p, as Source.At takes it.
func (d *docDecoder) pathName(p int32) string {
	if p == rootPath {
		return ""
	}
	return d.l.paths.names[p]
}

// child is the path of field name of the path parent: "spec" and "rto" make "spec.rto".
func (d *docDecoder) child(parent int32, name string) int32 {
	b := d.l.pathBuf[:0]
	if parent != rootPath {
		b = append(append(b, d.l.paths.names[parent]...), '.')
	}
	b = append(b, name...)
	d.l.pathBuf = b
	return d.l.paths.id(b)
}

// item is the path of item i of the list at path parent: "spec.dependsOn[2]".
func (d *docDecoder) item(parent int32, i int) int32 {
	b := append(d.l.pathBuf[:0], d.pathName(parent)...)
	b = append(strconv.AppendInt(append(b, '['), int64(i), 10), ']')
	d.l.pathBuf = b
	return d.l.paths.id(b)
}

// recordKey records n as the position of the field (or list item) at path.
func (d *docDecoder) recordKey(path int32, n *yaml.Node) {
	d.l.entries = append(d.l.entries, srcEntry{path: path, kline: int32(n.Line) + 1, col: int32(n.Column)})
}

// recordValue records n as the position of the value at path, when it is not where the key
// is. The key was recorded just before the value is decoded, so it is the last entry.
func (d *docDecoder) recordValue(path int32, n *yaml.Node) {
	es := d.l.entries
	line, col := int32(n.Line)+1, int32(n.Column)
	if k := len(es) - 1; k >= 0 && es[k].path == path {
		if es[k].kline != line || es[k].col != col {
			es[k].vline, es[k].vcol = line, col
		}
		return
	}
	d.l.entries = append(es, srcEntry{path: path, vline: line, vcol: col})
}

func (d *docDecoder) pos(n *yaml.Node) Pos {
	return Pos{File: d.file, Line: n.Line, Column: n.Column}
}

func (d *docDecoder) report(n *yaml.Node, rule, format string, args ...any) {
	d.l.add(Problem{Pos: d.pos(n), Object: d.obj, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// context names where a field sits, for messages: "Service spec", "Service metadata".
func (d *docDecoder) context(path int32) string {
	if path == rootPath {
		return string(d.kind)
	}
	return string(d.kind) + " " + d.pathName(path)
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

// decode decodes n into v, which is addressable. field is the yaml name of the field being
// decoded, which lets messages name what a list holds ("a list of service names").
func (d *docDecoder) decode(n *yaml.Node, v reflect.Value, path int32, field string, depth int) {
	n = resolve(n)
	if valueField(field) {
		d.recordValue(path, n)
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
	case d.l.isText(t):
		if n.Kind != yaml.ScalarNode {
			d.report(n, RuleType, "expected %s for `%s`, got %s", describe(t, field), field, nodeNoun(n))
			return
		}
		var err error
		if t == durationType { // the commonest, parsed without copying the text twice
			var dur Duration
			if dur, err = ParseDuration(n.Value); err == nil {
				v.SetInt(int64(dur))
			}
		} else {
			err = v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value))
		}
		if err != nil {
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
		d.decodeStruct(n, v, path, field, depth, nil, nil)
	default:
		// A type the format does not use: a programmer error in types.go, reported rather
		// than panicking so a user still gets every other problem.
		d.report(n, RuleType, "field `%s` has a type the loader cannot read (%s)", field, t)
	}
}

func (d *docDecoder) decodeSlice(n *yaml.Node, v reflect.Value, path int32, field string, depth int) {
	if n.Kind != yaml.SequenceNode {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(v.Type(), field), field, nodeNoun(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := d.item(path, i)
		d.recordKey(p, item)
		if isNull(resolve(item)) {
			d.report(item, RuleValue, "empty item in `%s`", field)
			continue
		}
		d.decode(item, s.Index(i), p, field, depth+1)
	}
	v.Set(s)
}

func (d *docDecoder) decodeMap(n *yaml.Node, v reflect.Value, path int32, field string, depth int) {
	t := v.Type()
	if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(t, field), field, nodeNoun(n))
		return
	}
	m := reflect.MakeMap(t)
	start, end := d.pairs(n, path)
	defer d.popPairs(start)
	for i := start; i < end; i++ {
		kv := d.l.pairs[i]
		p := d.child(path, kv.key.Value)
		d.recordKey(p, kv.key)
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
//
// The entries are pushed on the loader's pair stack, as l.pairs[start:end], so that most
// mappings cost no allocation; the caller reads them by index (decoding what they hold pushes
// more above them and may move the stack) and pops them with popPairs(start).
func (d *docDecoder) pairs(n *yaml.Node, path int32) (start, end int) {
	start = len(d.l.pairs)
	var merged []pair
	var seen pairSet
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
		if first := seen.find(d.l.pairs[start:], k.Value); first != nil {
			d.report(k, RuleSyntax, "field `%s` is written twice in %s (first at line %d)", k.Value, d.context(path), first.Line)
			continue
		}
		d.l.pairs = append(d.l.pairs, pair{k, val})
		seen.add(d.l.pairs[start:])
	}
	for _, p := range merged {
		if seen.find(d.l.pairs[start:], p.key.Value) == nil {
			d.l.pairs = append(d.l.pairs, p)
			seen.add(d.l.pairs[start:])
		}
	}
	return start, len(d.l.pairs)
}

// popPairs removes the pairs pushed from start on.
func (d *docDecoder) popPairs(start int) {
	clear(d.l.pairs[start:]) // let the document's nodes go
	d.l.pairs = d.l.pairs[:start]
}

// pairsCopy returns the pairs of n as a slice of its own, for merging.
func (d *docDecoder) pairsCopy(n *yaml.Node, path int32) []pair {
	start, end := d.pairs(n, path)
	out := append([]pair(nil), d.l.pairs[start:end]...)
	d.popPairs(start)
	return out
}

// pairSet finds the keys a mapping has listed so far: by scanning them while they are few,
// by a map once there are many, so a mapping of a hundred thousand keys stays linear.
type pairSet struct {
	byKey map[string]*yaml.Node
}

const pairScan = 16 // keys scanned before pairSet builds its map

func (s *pairSet) find(own []pair, key string) *yaml.Node {
	if s.byKey != nil {
		return s.byKey[key]
	}
	for _, p := range own {
		if p.key.Value == key {
			return p.key
		}
	}
	return nil
}

// add notes the last pair of own, just appended.
func (s *pairSet) add(own []pair) {
	switch {
	case s.byKey != nil:
		last := own[len(own)-1].key
		s.byKey[last.Value] = last
	case len(own) > pairScan:
		s.byKey = make(map[string]*yaml.Node, 2*len(own))
		for _, p := range own {
			s.byKey[p.key.Value] = p.key
		}
	}
}

// mergeSources reads the value of a `<<` key: a mapping or a list of mappings.
func (d *docDecoder) mergeSources(val *yaml.Node, path int32) []pair {
	val = resolve(val)
	switch val.Kind {
	case yaml.MappingNode:
		return d.pairsCopy(val, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range val.Content {
			if item = resolve(item); item.Kind == yaml.MappingNode {
				out = append(out, d.pairsCopy(item, path)...)
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
// lists keys a caller has handled (the envelope's apiVersion and kind). It returns how many
// of the struct's fields are present and, when keys is not nil, sets keys[i] to the key of
// field i (in structFields order), so a caller can check which of several forms was written.
func (d *docDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path int32, field string, depth int, ignore []string, keys []*yaml.Node) int {
	if n.Kind != yaml.MappingNode {
		d.report(n, RuleType, "expected %s for `%s`, got %s", describe(v.Type(), field), field, nodeNoun(n))
		return 0
	}
	fields := d.l.structFields(v.Type())
	// Which fields are present: a bit each, or a slice for a struct too wide for the bits.
	var bits uint64
	var wide []bool
	if len(fields) > 64 {
		wide = make([]bool, len(fields))
	}
	present := 0
	start, end := d.pairs(n, path)
	defer d.popPairs(start)
	for j := start; j < end; j++ {
		kv := d.l.pairs[j]
		name := kv.key.Value
		if contains(ignore, name) {
			continue
		}
		i := findField(fields, name)
		if i < 0 {
			d.report(kv.key, RuleUnknown, "unknown field `%s` in %s%s", name, d.context(path), didYouMean(name, fieldNames(fields)))
			continue
		}
		fi := &fields[i]
		present++
		if wide != nil {
			wide[i] = true
		} else {
			bits |= 1 << i
		}
		if keys != nil {
			keys[i] = kv.key
		}
		p := d.child(path, name)
		d.recordKey(p, kv.key)
		fv := v.FieldByIndex(fi.index)
		d.decode(kv.val, fv, p, name, depth+1)
		if fi.enum != nil && fv.Kind() == reflect.String {
			if s := fv.String(); s != "" && !contains(fi.enum, s) {
				d.report(resolve(kv.val), RuleValue, "invalid %s `%s`: expected %s%s", name, s, quoteList(fi.enum), didYouMean(s, fi.enum))
			}
		}
		if fi.required && isNull(resolve(kv.val)) {
			d.report(kv.key, RuleRequired, "`%s` in %s has no value", name, d.context(path))
		}
	}
	for i, fi := range fields {
		has := bits&(1<<i) != 0
		if wide != nil {
			has = wide[i]
		}
		if fi.required && !has && !contains(ignore, fi.name) {
			d.report(n, RuleRequired, "missing required field `%s` in %s", fi.name, d.context(path))
		}
	}
	return present
}

// decodeDependency reads one `dependsOn` entry or group member: a plain service name, or a
// mapping in exactly one of the forms {service, impact}, {anyOf, failover}, {atLeast, of,
// failover}.
func (d *docDecoder) decodeDependency(n *yaml.Node, v reflect.Value, path int32, depth int) {
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
	fields := d.l.structFields(dependencyType)
	var keyBuf [8]*yaml.Node
	keys := keyBuf[:0]
	if len(fields) <= len(keyBuf) {
		keys = keyBuf[:len(fields)]
	} else {
		keys = make([]*yaml.Node, len(fields))
	}
	present := func(name string) *yaml.Node {
		if i := findField(fields, name); i >= 0 {
			return keys[i]
		}
		return nil
	}
	start := len(d.l.entries) // the entries of this dependency's fields and members follow
	count := d.decodeStruct(n, v, path, "dependsOn", depth, nil, keys)
	unknown := len(n.Content)/2 - count
	var forms []string
	for _, f := range []string{"service", "anyOf", "of"} {
		if present(f) != nil {
			forms = append(forms, f)
		}
	}
	switch {
	case len(forms) == 0 && present("atLeast") != nil:
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
		d.report(present(forms[1]), RuleValue, "a dependency is one of {service, impact}, {anyOf, failover} or {atLeast, of, failover}: `%s` and `%s` cannot go together", forms[0], forms[1])
		return
	}
	if forms[0] == "service" {
		if dep.Service == "" {
			d.report(present("service"), RuleRequired, "`service` has no value: name the service depended on")
		}
		for _, f := range []string{"failover", "atLeast"} {
			if k := present(f); k != nil {
				d.report(k, RuleValue, "`%s` applies to a group ({anyOf} or {atLeast, of}), not to a single service", f)
			}
		}
		return
	}
	if k := present("impact"); k != nil {
		d.report(k, RuleValue, "`impact` applies to a single service, not to a group: a group is always a hard dependency")
	}
	if forms[0] == "anyOf" {
		if k := present("atLeast"); k != nil {
			d.report(k, RuleValue, "`atLeast` goes with `of`, not `anyOf`: write {atLeast: %d, of: [...]}", dep.AtLeast)
		}
		if dep.AnyOf == nil {
			dep.AnyOf = []Dependency{} // keep it a group even when empty, for the analysis' IsGroup
		}
		if len(dep.AnyOf) == 0 {
			d.report(present("anyOf"), RuleValue, "an `anyOf` group needs at least one member")
		}
	} else {
		if dep.Of == nil {
			dep.Of = []Dependency{}
		}
		switch {
		case present("atLeast") == nil:
			d.report(present("of"), RuleRequired, "`of` needs `atLeast`, how many members the group needs")
		case dep.AtLeast < 1 || dep.AtLeast > len(dep.Of):
			d.report(resolve(d.nodeAt(n, "atLeast")), RuleValue, "`atLeast` is %d but must be between 1 and the number of members (%d)", dep.AtLeast, len(dep.Of))
		}
	}
	// A member's own impact would make a group half soft; groups are hard by construction.
	var keyAt map[int32]Pos // the keys recorded for this group, by path, built on first need
	for i, m := range dep.Members() {
		if m.Impact != "" {
			if keyAt == nil {
				keyAt = d.keysSince(start)
			}
			var pos Pos
			if id, ok := d.l.paths.ids[fmt.Sprintf("%s.%s[%d].impact", d.pathName(path), forms[0], i)]; ok {
				pos = keyAt[id]
			}
			d.l.add(Problem{Pos: pos, Object: d.obj, Rule: RuleValue,
				Msg: "`impact` is not allowed on a group member: the group decides whether its dependent is down"})
		}
	}
}

// keysSince returns the key positions recorded from entry start on, by path; a path recorded
// twice keeps its last position, as Source does.
func (d *docDecoder) keysSince(start int) map[int32]Pos {
	out := make(map[int32]Pos)
	for _, e := range d.l.entries[start:] {
		if e.kline != 0 {
			out[e.path] = Pos{File: d.file, Line: int(e.kline - 1), Column: int(e.col)}
		}
	}
	return out
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

// findField returns the index of the field called name, or -1.
func findField(fields []fieldInfo, name string) int {
	for i := range fields {
		if fields[i].name == name {
			return i
		}
	}
	return -1
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
