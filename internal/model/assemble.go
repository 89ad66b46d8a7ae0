package model

import "fmt"

// Decode reads the documents of one file's bytes without checking the references between
// objects. The server decodes each stored document once, keeps the objects (which nothing
// mutates after decoding), and assembles models from them on every write.
func Decode(file string, data []byte) ([]Object, Problems) {
	l := newLoader()
	l.parse(file, data)
	l.probs.Sort()
	return l.m.Objects(), l.probs
}

// Assemble builds a model from decoded objects and validates it as Load does: duplicate
// names, references, cross-field rules and cycles. Objects may be shared between models.
func Assemble(objs []Object) (*Model, Problems) {
	l := newLoader()
	for _, o := range objs {
		if !l.m.Add(o) {
			first, _ := l.m.Get(o.Kind(), o.Meta().Name)
			l.add(Problem{Pos: o.Src().At("metadata.name"), Object: Ref(o), Rule: RuleDuplicate,
				Msg: fmt.Sprintf("duplicate %s `%s`: already defined at %s", o.Kind(), o.Meta().Name, posString(first.Src().At("metadata.name")))})
		}
	}
	m, problems, _ := l.finish()
	return m, problems
}
