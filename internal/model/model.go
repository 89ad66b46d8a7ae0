package model

// Model is a loaded continuity model: every object of every kind, in declaration order (files
// in lexical path order, documents in file order). Order matters: the analysis breaks ties by it.
type Model struct {
	Functions []*BusinessFunction
	Services  []*Service
	Sites     []*Site
	Providers []*Provider
	People    []*Person
	Teams     []*Team
	Plans     []*Plan
	Scenarios []*Scenario

	index map[Kind]map[string]Object
}

// Add appends an object to the model and indexes it; it reports false, adding nothing, when an
// object of that kind and name is already there.
func (m *Model) Add(o Object) bool {
	if m.index == nil {
		m.index = make(map[Kind]map[string]Object)
	}
	byName := m.index[o.Kind()]
	if byName == nil {
		byName = make(map[string]Object)
		m.index[o.Kind()] = byName
	}
	name := o.Meta().Name
	if _, dup := byName[name]; dup {
		return false
	}
	byName[name] = o
	switch x := o.(type) {
	case *BusinessFunction:
		m.Functions = append(m.Functions, x)
	case *Service:
		m.Services = append(m.Services, x)
	case *Site:
		m.Sites = append(m.Sites, x)
	case *Provider:
		m.Providers = append(m.Providers, x)
	case *Person:
		m.People = append(m.People, x)
	case *Team:
		m.Teams = append(m.Teams, x)
	case *Plan:
		m.Plans = append(m.Plans, x)
	case *Scenario:
		m.Scenarios = append(m.Scenarios, x)
	}
	return true
}

// Get finds an object by kind and name.
func (m *Model) Get(k Kind, name string) (Object, bool) {
	o, ok := m.index[k][name]
	return o, ok
}

// Service finds a service by name, or nil.
func (m *Model) Service(name string) *Service {
	o, _ := m.index[KindService][name].(*Service)
	return o
}

// Function finds a business function by name, or nil.
func (m *Model) Function(name string) *BusinessFunction {
	o, _ := m.index[KindBusinessFunction][name].(*BusinessFunction)
	return o
}

// Site finds a site by name, or nil.
func (m *Model) Site(name string) *Site {
	o, _ := m.index[KindSite][name].(*Site)
	return o
}

// Provider finds a provider by name, or nil.
func (m *Model) Provider(name string) *Provider {
	o, _ := m.index[KindProvider][name].(*Provider)
	return o
}

// Person finds a person by name, or nil.
func (m *Model) Person(name string) *Person {
	o, _ := m.index[KindPerson][name].(*Person)
	return o
}

// Team finds a team by name, or nil.
func (m *Model) Team(name string) *Team {
	o, _ := m.index[KindTeam][name].(*Team)
	return o
}

// Plan finds a plan by name, or nil.
func (m *Model) Plan(name string) *Plan {
	o, _ := m.index[KindPlan][name].(*Plan)
	return o
}

// Scenario finds a scenario by name, or nil.
func (m *Model) Scenario(name string) *Scenario {
	o, _ := m.index[KindScenario][name].(*Scenario)
	return o
}

// Objects lists every object, kinds in the order of Kinds, each kind in declaration order.
func (m *Model) Objects() []Object {
	var out []Object
	for _, f := range m.Functions {
		out = append(out, f)
	}
	for _, s := range m.Services {
		out = append(out, s)
	}
	for _, s := range m.Sites {
		out = append(out, s)
	}
	for _, p := range m.Providers {
		out = append(out, p)
	}
	for _, p := range m.People {
		out = append(out, p)
	}
	for _, t := range m.Teams {
		out = append(out, t)
	}
	for _, p := range m.Plans {
		out = append(out, p)
	}
	for _, s := range m.Scenarios {
		out = append(out, s)
	}
	return out
}

// Lookup resolves a `kind/name` reference as written on the command line.
func (m *Model) Lookup(ref string) (Object, bool) {
	for i := 0; i < len(ref); i++ {
		if ref[i] == '/' {
			k, ok := KindForPrefix(ref[:i])
			if !ok {
				return nil, false
			}
			return m.Get(k, ref[i+1:])
		}
	}
	return nil, false
}
