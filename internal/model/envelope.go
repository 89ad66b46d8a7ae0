package model

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// newObject returns an empty object of kind k, or nil for an unknown kind.
func newObject(k Kind) Object {
	switch k {
	case KindBusinessFunction:
		return &BusinessFunction{}
	case KindService:
		return &Service{}
	case KindSite:
		return &Site{}
	case KindProvider:
		return &Provider{}
	case KindPerson:
		return &Person{}
	case KindTeam:
		return &Team{}
	case KindPlan:
		return &Plan{}
	case KindScenario:
		return &Scenario{}
	}
	return nil
}

// envelopeKeys are the keys document reads itself, which the struct decoding skips.
var envelopeKeys = []string{"apiVersion", "kind"}

// ownedKinds must name their owner: someone answers for them.
func ownedKind(k Kind) bool {
	return k == KindService || k == KindBusinessFunction || k == KindPlan
}

// document checks one document's envelope and decodes it into an object of its kind.
func (l *loader) document(file string, doc *yaml.Node) {
	root := doc
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return
		}
		root = doc.Content[0]
	}
	root = resolve(root)
	if isNull(root) {
		return // an empty document, as `---` at the end of a file makes
	}
	at := func(n *yaml.Node) Pos { return Pos{File: file, Line: n.Line, Column: n.Column} }
	if err := measure(root); err != nil {
		l.add(Problem{Pos: at(root), Rule: RuleSyntax, Msg: err.Error()})
		return
	}
	if root.Kind != yaml.MappingNode {
		l.add(Problem{Pos: at(root), Rule: RuleEnvelope,
			Msg: "expected a mapping with `apiVersion`, `kind`, `metadata` and `spec`, got " + nodeNoun(root)})
		return
	}
	d := &docDecoder{l: l, file: file}
	kinds := func() []string { // for messages
		out := make([]string, len(Kinds))
		for i, k := range Kinds {
			out[i] = string(k)
		}
		return out
	}
	// A first look at the envelope, to name the object in every problem that follows.
	var apiVal, kindKey, kindVal, nameVal *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		switch k.Value {
		case "apiVersion":
			apiVal = v
		case "kind":
			kindKey, kindVal = k, v
		case "metadata":
			if v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if resolve(v.Content[j]).Value == "name" {
						nameVal = resolve(v.Content[j+1])
					}
				}
			}
		}
	}
	if kindVal == nil {
		l.add(Problem{Pos: at(root), Rule: RuleEnvelope, Msg: "missing `kind`: expected one of " + quoteList(kinds())})
		return
	}
	kind := Kind(kindVal.Value)
	obj := newObject(kind)
	if kindVal.Kind != yaml.ScalarNode || obj == nil {
		l.add(Problem{Pos: at(kindVal), Rule: RuleEnvelope,
			Msg: fmt.Sprintf("unknown kind %s: expected %s%s", quoted(kindVal), quoteList(kinds()), didYouMean(kindVal.Value, kinds()))})
		return
	}
	d.kind = kind
	if nameVal != nil && nameVal.Kind == yaml.ScalarNode && nameVal.Value != "" && !isNull(nameVal) {
		d.obj = kind.RefPrefix() + "/" + nameVal.Value
	}
	switch {
	case apiVal == nil:
		l.add(Problem{Pos: at(root), Object: d.obj, Rule: RuleEnvelope, Msg: "missing `apiVersion`: expected `apiVersion: " + APIVersion + "`"})
	case apiVal.Value != APIVersion || apiVal.Kind != yaml.ScalarNode:
		l.add(Problem{Pos: at(apiVal), Object: d.obj, Rule: RuleEnvelope,
			Msg: fmt.Sprintf("unknown apiVersion %s: expected `%s`", quoted(apiVal), APIVersion)})
	}
	src := obj.Src()
	src.Pos = at(kindKey)
	d.l.entries, d.l.pairs = d.l.entries[:0], d.l.pairs[:0] // left over if a document panicked
	d.decodeStruct(root, reflect.ValueOf(obj).Elem(), rootPath, string(kind), 0, envelopeKeys, nil)
	src.setEntries(d.l.paths, d.l.entries)

	meta := obj.Meta()
	name := meta.Name
	if name != "" && !validName(name) {
		l.add(Problem{Pos: src.valueAt("metadata.name"), Object: d.obj, Rule: RuleNameInvalid,
			Msg: fmt.Sprintf("invalid name `%s`: a name is 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit", truncate(name))})
	}
	if metaPos, hasMeta := src.Lookup("metadata"); hasMeta && ownedKind(kind) && meta.Owner == "" {
		l.add(Problem{Pos: metaPos, Object: d.obj, Rule: RuleRequired,
			Msg: fmt.Sprintf("missing required field `owner` in %s metadata: a %s needs an owning Team or Person", kind, kind)})
	}
	if name == "" {
		return // reported as missing; an object without a name cannot be referred to
	}
	l.addObject(obj)
}

// addObject adds a decoded object to the model; a second object of a kind and name is left
// out and reported at both places, so the user sees both whichever file they open.
func (l *loader) addObject(obj Object) {
	if l.m.Add(obj) {
		return
	}
	kind, name := obj.Kind(), obj.Meta().Name
	first, _ := l.m.Get(kind, name)
	firstPos := first.Src().At("metadata.name")
	here := obj.Src().At("metadata.name")
	ref := Ref(obj)
	l.add(Problem{Pos: here, Object: ref, Rule: RuleDuplicate,
		Msg: fmt.Sprintf("duplicate %s `%s`: already defined at %s", kind, name, posString(firstPos))})
	l.add(Problem{Pos: firstPos, Object: ref, Rule: RuleDuplicate,
		Msg: fmt.Sprintf("duplicate %s `%s`: defined again at %s", kind, name, posString(here))})
}

// quoted shows a scalar as written, or says what was written instead.
func quoted(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		return "`" + truncate(n.Value) + "`"
	}
	return nodeNoun(n)
}

func posString(p Pos) string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// validName reports whether s matches ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$, the DNS label
// rule Kubernetes users know, so names are safe in URLs, file names and `kind/name`.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

var (
	errTooDeep  = fmt.Errorf("document nested deeper than %d levels: refused", maxDepth)
	errTooAlias = fmt.Errorf("document expands to more than %d nodes through aliases (an alias bomb?): refused", maxAliasNodes)
)

// measure refuses a document that nests too deep or whose aliases expand too far, before
// anything walks it with aliases followed. It visits each node once per path that reaches it,
// which is exactly the cost of decoding, and stops as soon as a bound is crossed.
func measure(root *yaml.Node) error { return measureTo(root, maxDepth) }

// measureTo is measure with a depth limit of its own.
func measureTo(root *yaml.Node, limit int) error {
	aliased := 0
	var walk func(n *yaml.Node, depth int, viaAlias bool) error
	walk = func(n *yaml.Node, depth int, viaAlias bool) error {
		if depth > limit {
			return errTooDeep
		}
		if viaAlias {
			if aliased++; aliased > maxAliasNodes {
				return errTooAlias
			}
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return nil
			}
			return walk(n.Alias, depth+1, true)
		}
		for _, c := range n.Content {
			if err := walk(c, depth+1, viaAlias); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root, 0, false)
}
