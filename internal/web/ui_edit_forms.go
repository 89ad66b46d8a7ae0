package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/perdura/perdura/internal/model"
)

// The editing forms are described, not hand-written per kind: each kind lists its fields,
// each field names the JSON pointer it edits in the object's document. The same description
// reads a stored document into the form, turns a posted form back into a document, and
// places the catalog's validation problems (which carry JSON pointers) next to the field
// they are about. Parts of a document the form does not show (labels, say) are kept as
// stored.

// fieldType is how a field is shown and how its value becomes JSON.
type fieldType int

const (
	fText     fieldType = iota // a string
	fTextarea                  // a longer string
	fSelect                    // a string from options
	fMulti                     // a list of names, as checkboxes
	fLines                     // a list of strings, one a line, in order
	fDuration                  // a duration in the format's syntax
	fNumber                    // a decimal number
	fInt                       // a whole number
	fDate                      // a calendar day
	fYAML                      // any structure, written as YAML
)

// editOption is one choice of a select or checkbox list.
type editOption struct {
	Value, Label, Group string
}

// editField is one field of a kind's form.
type editField struct {
	Name  string // form name, and err-NAME for its message
	Label string
	Hint  string
	Ptr   string // JSON pointer in the document; relative ("after") in a table's columns
	Type  fieldType
	// Options lists the choices of a select or checkbox list from the current model.
	Options func(*model.Model) []editOption
	// Wide fields take a whole row of the form's grid.
	Wide bool
}

// editTable is a list of objects edited as rows: a function's impact table, a provider's
// contacts.
type editTable struct {
	Name  string // prefix of its inputs: impact-after-0
	Label string
	Hint  string
	Ptr   string
	Cols  []editField
	// Required columns: a row with something typed must have them.
	Required []string
}

// editKind is the form of one kind.
type editKind struct {
	route  kindRoute
	label  string // "business function"
	fields []editField
	table  *editTable
}

func names(kind model.Kind) func(*model.Model) []editOption {
	return func(m *model.Model) []editOption {
		var out []editOption
		if m == nil {
			return nil
		}
		for _, o := range m.Objects() {
			if o.Kind() != kind {
				continue
			}
			md := o.Meta()
			label := md.Name
			if md.Title != "" {
				label = md.Title + " (" + md.Name + ")"
			} else if p, ok := o.(*model.Person); ok && p.Spec.DisplayName != "" {
				label = p.Spec.DisplayName + " (" + md.Name + ")"
			}
			out = append(out, editOption{Value: md.Name, Label: label})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Value < out[j].Value })
		return out
	}
}

// owners are the teams and people an object may be owned by.
func owners(m *model.Model) []editOption {
	var out []editOption
	for _, o := range names(model.KindTeam)(m) {
		o.Group = "Teams"
		out = append(out, o)
	}
	for _, o := range names(model.KindPerson)(m) {
		o.Group = "People"
		out = append(out, o)
	}
	return out
}

func fixed(vals ...string) func(*model.Model) []editOption {
	return func(*model.Model) []editOption {
		out := make([]editOption, len(vals))
		for i, v := range vals {
			out[i] = editOption{Value: v, Label: v}
		}
		return out
	}
}

func levels() []string {
	out := make([]string, len(model.Levels))
	for i, l := range model.Levels {
		out[i] = string(l)
	}
	return out
}

const durationHint = "A duration such as 30m, 4h, 2d or 1h30m."

var (
	fTitle       = editField{Name: "title", Label: "Title", Ptr: "/metadata/title", Type: fText}
	fDescription = editField{Name: "description", Label: "Description", Ptr: "/metadata/description", Type: fTextarea, Wide: true}
	fOwner       = editField{Name: "owner", Label: "Owner", Hint: "The team or person who answers for it.", Ptr: "/metadata/owner", Type: fSelect, Options: owners}
	fRecStrategy = editField{Name: "recovery-strategy", Label: "Recovery strategy", Ptr: "/spec/recovery/strategy", Type: fSelect, Options: fixed(model.RecoveryStrategies...)}
	fRecTime     = editField{Name: "recovery-time", Label: "Recovery time", Hint: "How long recovery takes once started. " + durationHint, Ptr: "/spec/recovery/time", Type: fDuration}
)

// editKinds lists the forms, in the order of kinds().
func editKinds() []editKind {
	ks := kinds()
	byPlural := map[string]kindRoute{}
	for _, k := range ks {
		byPlural[k.plural] = k
	}
	return []editKind{
		{route: byPlural["functions"], label: "business function",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "services", Label: "Services it needs", Hint: "Each is a hard dependency of the function.", Ptr: "/spec/services", Type: fMulti, Options: names(model.KindService), Wide: true},
				{Name: "tolerance", Label: "Tolerance", Hint: "The impact level the organisation cannot tolerate: it sets the MTPD from the impact table.", Ptr: "/spec/tolerance", Type: fSelect, Options: fixed(levels()...)},
				{Name: "mtpd", Label: "MTPD", Hint: "Maximum tolerable period of disruption, if stated explicitly. " + durationHint, Ptr: "/spec/mtpd", Type: fDuration},
				{Name: "loss-per-hour", Label: "Loss per hour", Hint: "Money lost per hour of outage.", Ptr: "/spec/lossPerHour", Type: fNumber},
				{Name: "mbco", Label: "MBCO", Hint: "Minimum business continuity objective, in words.", Ptr: "/spec/mbco", Type: fTextarea, Wide: true},
			},
			table: &editTable{Name: "impact", Label: "Impact over time", Ptr: "/spec/impact",
				Hint: "From each duration on, the outage is at least at that level; list them in increasing order.",
				Cols: []editField{
					{Name: "after", Label: "After", Ptr: "after", Type: fDuration},
					{Name: "level", Label: "Level", Ptr: "level", Type: fSelect, Options: fixed(levels()...)},
					{Name: "note", Label: "Note", Ptr: "note", Type: fText},
				}, Required: []string{"after", "level"}},
		},
		{route: byPlural["services"], label: "service",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "type", Label: "Type", Ptr: "/spec/type", Type: fSelect, Options: fixed(model.ServiceTypes...)},
				{Name: "tier", Label: "Tier", Hint: "0 is the most critical.", Ptr: "/spec/tier", Type: fSelect, Options: fixed("0", "1", "2", "3", "4")},
				{Name: "rto", Label: "RTO", Hint: "Recovery time objective. " + durationHint, Ptr: "/spec/targets/rto", Type: fDuration},
				{Name: "rpo", Label: "RPO", Hint: "Recovery point objective. " + durationHint, Ptr: "/spec/targets/rpo", Type: fDuration},
				{Name: "plan", Label: "Plan", Ptr: "/spec/plan", Type: fSelect, Options: names(model.KindPlan)},
				fRecStrategy, fRecTime,
				{Name: "providers", Label: "Providers", Ptr: "/spec/providers", Type: fMulti, Options: names(model.KindProvider), Wide: true},
				{Name: "runs-at", Label: "Runs at (YAML)", Hint: "sites: [...], mode: single | active-active | active-passive, failover: 15m", Ptr: "/spec/runsAt", Type: fYAML, Wide: true},
				{Name: "depends-on", Label: "Depends on (YAML)", Hint: "A list: a service name, {service: x, impact: degraded}, or a group {anyOf: [...]} / {atLeast: 2, of: [...]}.", Ptr: "/spec/dependsOn", Type: fYAML, Wide: true},
				{Name: "backups", Label: "Backups (YAML)", Hint: "A list of {name, interval, restoreTime, offsite, immutable, retention}.", Ptr: "/spec/backups", Type: fYAML, Wide: true},
				{Name: "replication", Label: "Replication (YAML)", Hint: "{lag: 5m, target: name}", Ptr: "/spec/replication", Type: fYAML, Wide: true},
			}},
		{route: byPlural["sites"], label: "site",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "type", Label: "Type", Ptr: "/spec/type", Type: fSelect, Options: fixed(model.SiteTypes...)},
				{Name: "location", Label: "Location", Ptr: "/spec/location", Type: fText},
				fRecStrategy, fRecTime,
				{Name: "providers", Label: "Providers", Hint: "Who operates the site; each is a hard dependency.", Ptr: "/spec/providers", Type: fMulti, Options: names(model.KindProvider), Wide: true},
			}},
		{route: byPlural["providers"], label: "provider",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "type", Label: "Type", Hint: "cloud, colocation, saas, network, payments…", Ptr: "/spec/type", Type: fText},
				{Name: "criticality", Label: "Criticality", Ptr: "/spec/criticality", Type: fSelect, Options: fixed(model.Criticalities...)},
				{Name: "contract-id", Label: "Contract id", Ptr: "/spec/contract/id", Type: fText},
				{Name: "contract-sla", Label: "SLA", Ptr: "/spec/contract/sla", Type: fText},
				{Name: "contract-expires", Label: "Contract expires", Hint: "A date such as 2027-03-31.", Ptr: "/spec/contract/expires", Type: fDate},
				fRecStrategy, fRecTime,
				{Name: "contract-exit-plan", Label: "Exit plan", Ptr: "/spec/contract/exitPlan", Type: fTextarea, Wide: true},
			},
			table: &editTable{Name: "contacts", Label: "Contacts", Ptr: "/spec/contacts",
				Cols: []editField{
					{Name: "name", Label: "Name", Ptr: "name", Type: fText},
					{Name: "role", Label: "Role", Ptr: "role", Type: fText},
					{Name: "email", Label: "Email", Ptr: "email", Type: fText},
					{Name: "phone", Label: "Phone", Ptr: "phone", Type: fText},
					{Name: "url", Label: "URL", Ptr: "url", Type: fText},
				}}},
		{route: byPlural["people"], label: "person",
			fields: []editField{
				{Name: "display-name", Label: "Display name", Ptr: "/spec/displayName", Type: fText},
				{Name: "email", Label: "Email", Ptr: "/spec/email", Type: fText},
				{Name: "phone", Label: "Phone", Hint: "With country code: +49 …", Ptr: "/spec/phone", Type: fText},
				{Name: "chat", Label: "Chat", Ptr: "/spec/chat", Type: fText},
				{Name: "deputy", Label: "Deputy", Hint: "Who stands in when they cannot be reached.", Ptr: "/spec/deputy", Type: fSelect, Options: names(model.KindPerson)},
				{Name: "description", Label: "Description", Ptr: "/metadata/description", Type: fTextarea, Wide: true},
			}},
		{route: byPlural["teams"], label: "team",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "members", Label: "Members", Hint: "Names of people, one a line, in the order they are called.", Ptr: "/spec/members", Type: fLines},
				{Name: "ack-within", Label: "Acknowledge within", Hint: "How long a member has before the next is called. " + durationHint, Ptr: "/spec/escalation/ackWithin", Type: fDuration},
			}},
		{route: byPlural["plans"], label: "plan",
			fields: []editField{fTitle, fOwner, fDescription,
				{Name: "covers", Label: "Covers", Hint: "The services the plan recovers.", Ptr: "/spec/covers", Type: fMulti, Options: names(model.KindService), Wide: true},
				{Name: "scenarios", Label: "Scenarios", Ptr: "/spec/scenarios", Type: fMulti, Options: names(model.KindScenario), Wide: true},
				{Name: "criteria", Label: "Activation criteria", Hint: "One a line.", Ptr: "/spec/activation/criteria", Type: fLines},
				{Name: "authority", Label: "Who may activate", Hint: "Names of people, one a line, in order.", Ptr: "/spec/activation/authority", Type: fLines},
				{Name: "review-every", Label: "Review every", Hint: durationHint, Ptr: "/spec/review/every", Type: fDuration},
				{Name: "review-last", Label: "Last reviewed", Hint: "A date such as 2026-05-01.", Ptr: "/spec/review/last", Type: fDate},
				{Name: "review-approved-by", Label: "Approved by", Ptr: "/spec/review/approvedBy", Type: fSelect, Options: names(model.KindPerson)},
				{Name: "roles", Label: "Roles (YAML)", Hint: "A list of {role, people: [...]} or {role, team}.", Ptr: "/spec/roles", Type: fYAML, Wide: true},
				{Name: "communication", Label: "Communication (YAML)", Hint: "A list of {audience, people or team, within, channel, template}.", Ptr: "/spec/communication", Type: fYAML, Wide: true},
				{Name: "steps", Label: "Steps (YAML)", Hint: "A list of {id, title, role, after: [...], duration, details}.", Ptr: "/spec/steps", Type: fYAML, Wide: true},
			}},
		{route: byPlural["scenarios"], label: "scenario",
			fields: []editField{fTitle, fOwner,
				{Name: "description", Label: "Description", Ptr: "/spec/description", Type: fTextarea, Wide: true},
				{Name: "fails-sites", Label: "Sites that fail", Ptr: "/spec/fails/sites", Type: fMulti, Options: names(model.KindSite), Wide: true},
				{Name: "fails-providers", Label: "Providers that fail", Ptr: "/spec/fails/providers", Type: fMulti, Options: names(model.KindProvider), Wide: true},
				{Name: "fails-services", Label: "Services that fail", Ptr: "/spec/fails/services", Type: fMulti, Options: names(model.KindService), Wide: true},
				{Name: "duration", Label: "Duration", Hint: "How long the disruption lasts. " + durationHint, Ptr: "/spec/duration", Type: fDuration},
				{Name: "frequency", Label: "Frequency", Hint: "Expected occurrences a year, such as 0.1.", Ptr: "/spec/frequency", Type: fNumber},
			}},
	}
}

// nameField is the name of a new object; an existing object keeps its name.
var nameField = editField{Name: "name", Label: "Name", Hint: "Lower case letters, digits and '-': it is how other objects refer to this one, and cannot be changed later.", Ptr: "/metadata/name", Type: fText}

// formValues is what a form holds: the text of every field as typed (or as stored), so
// nothing the user typed is lost when the form comes back with problems.
type formValues struct {
	one  map[string]string   // single-valued fields by name
	many map[string][]string // checkbox lists
	rows []map[string]string // table rows, by column name
}

func newFormValues() formValues {
	return formValues{one: map[string]string{}, many: map[string][]string{}}
}

// valuesFromDocument reads a stored document into the form.
func (k editKind) valuesFromDocument(doc map[string]any) formValues {
	v := newFormValues()
	for _, f := range k.fields {
		val, ok := getPointer(doc, f.Ptr)
		if !ok {
			continue
		}
		switch f.Type {
		case fMulti:
			v.many[f.Name] = stringsOf(val)
		case fLines:
			v.one[f.Name] = strings.Join(stringsOf(val), "\n")
		case fYAML:
			v.one[f.Name] = toYAML(val)
		default:
			v.one[f.Name] = scalarString(val)
		}
	}
	if k.table != nil {
		rows, _ := getPointer(doc, k.table.Ptr)
		list, _ := rows.([]any)
		for _, r := range list {
			m, _ := r.(map[string]any)
			row := map[string]string{}
			for _, c := range k.table.Cols {
				if x, ok := m[c.Ptr]; ok {
					row[c.Name] = scalarString(x)
				}
			}
			v.rows = append(v.rows, row)
		}
	}
	return v
}

// valuesFromForm reads a posted form.
func (k editKind) valuesFromForm(form url.Values, isNew bool) formValues {
	v := newFormValues()
	if isNew {
		v.one[nameField.Name] = strings.TrimSpace(form.Get(nameField.Name))
	}
	for _, f := range k.fields {
		if f.Type == fMulti {
			// Checkboxes send a value each; the list of names a large model gets sends lines.
			for _, x := range form[f.Name] {
				for _, l := range strings.Split(x, "\n") {
					if l = strings.TrimSpace(l); l != "" {
						v.many[f.Name] = append(v.many[f.Name], l)
					}
				}
			}
			continue
		}
		v.one[f.Name] = form.Get(f.Name)
	}
	if k.table != nil {
		n, _ := strconv.Atoi(form.Get(k.table.Name + "-rows"))
		n = min(max(n, 0), 500)
		for i := range n {
			row := map[string]string{}
			for _, c := range k.table.Cols {
				row[c.Name] = form.Get(fmt.Sprintf("%s-%s-%d", k.table.Name, c.Name, i))
			}
			v.rows = append(v.rows, row)
		}
	}
	return v
}

// fieldErrors are messages by field name ("mtpd", "impact-after-2"); "" is the form as a
// whole.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// document builds the object's JSON document from the form over base (the stored document,
// or a new one), and lists the values the form cannot use. rowOf maps a row of the document's
// table back to its row in the form (empty rows are dropped).
func (k editKind) document(base map[string]any, v formValues, isNew bool) (doc []byte, errs fieldErrors, rowOf []int) {
	errs = fieldErrors{}
	d := deepCopy(base).(map[string]any)
	if isNew {
		setPointer(d, "/metadata/name", v.one[nameField.Name])
		if v.one[nameField.Name] == "" {
			errs.add(nameField.Name, "Required: the name other objects use to refer to this one.")
		}
	}
	for _, f := range k.fields {
		var val any
		var ok bool
		var msg string
		if f.Type == fMulti {
			if len(v.many[f.Name]) > 0 {
				val, ok = toAnyList(v.many[f.Name]), true
			}
		} else {
			val, ok, msg = convert(f, v.one[f.Name])
		}
		if msg != "" {
			errs.add(f.Name, msg)
			continue
		}
		if ok {
			setPointer(d, f.Ptr, val)
		} else {
			deletePointer(d, f.Ptr)
		}
	}
	if t := k.table; t != nil {
		var list []any
		for i, row := range v.rows {
			empty := true
			for _, c := range t.Cols {
				if strings.TrimSpace(row[c.Name]) != "" {
					empty = false
				}
			}
			if empty {
				continue
			}
			m := map[string]any{}
			for _, c := range t.Cols {
				name := fmt.Sprintf("%s-%s-%d", t.Name, c.Name, i)
				s := row[c.Name]
				if strings.TrimSpace(s) == "" {
					for _, r := range t.Required {
						if r == c.Name {
							errs.add(name, "Required.")
						}
					}
					continue
				}
				val, ok, msg := convert(c, s)
				if msg != "" {
					errs.add(name, msg)
					continue
				}
				if ok {
					m[c.Ptr] = val
				}
			}
			list = append(list, m)
			rowOf = append(rowOf, i)
		}
		if len(list) > 0 {
			setPointer(d, t.Ptr, list)
		} else {
			deletePointer(d, t.Ptr)
		}
	}
	// Indented, one field a line: the catalog places a problem by its line and column.
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		errs.add("", "The form could not be turned into a document: "+err.Error())
	}
	return out, errs, rowOf
}

// convert turns one field's text into its JSON value; ok is false for an empty field (the
// key is left out), msg says what was expected when the text does not fit.
func convert(f editField, s string) (val any, ok bool, msg string) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" && f.Type != fTextarea {
		return nil, false, ""
	}
	switch f.Type {
	case fTextarea:
		if trimmed == "" {
			return nil, false, ""
		}
		return strings.ReplaceAll(s, "\r\n", "\n"), true, ""
	case fDuration:
		if _, err := model.ParseDuration(trimmed); err != nil {
			if strings.Contains(err.Error(), "100 years") {
				return nil, false, "Too long: at most 100 years."
			}
			return nil, false, fmt.Sprintf("%q is not a duration: expected a duration such as 30m, 4h, 2d or 1h30m.", trimmed)
		}
		return trimmed, true, ""
	case fNumber:
		n, err := strconv.ParseFloat(strings.ReplaceAll(trimmed, ",", ""), 64)
		if err != nil {
			return nil, false, fmt.Sprintf("%q is not a number: expected digits such as 32000 or 0.5.", trimmed)
		}
		return n, true, ""
	case fInt:
		n, err := strconv.Atoi(trimmed)
		if err != nil {
			return nil, false, fmt.Sprintf("%q is not a whole number.", trimmed)
		}
		return n, true, ""
	case fSelect:
		// A tier is a number in the document.
		if n, err := strconv.Atoi(trimmed); err == nil && strings.HasSuffix(f.Ptr, "/tier") {
			return n, true, ""
		}
		return trimmed, true, ""
	case fDate:
		if _, err := time.Parse(time.DateOnly, trimmed); err != nil {
			return nil, false, fmt.Sprintf("%q is not a date: expected a date such as 2026-05-01.", trimmed)
		}
		return trimmed, true, ""
	case fLines:
		var list []any
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				list = append(list, l)
			}
		}
		if len(list) == 0 {
			return nil, false, ""
		}
		return list, true, ""
	case fYAML:
		// ParseFragment refuses deep nesting and oversized text before any costly work: the
		// document built from the form is marshalled indented and parsed again, which would
		// cost the square of a hostile depth.
		x, err := model.ParseFragment(s)
		if errors.Is(err, model.ErrTooDeep) {
			return nil, false, fmt.Sprintf("Nested too deep: at most %d levels.", model.MaxDepth)
		}
		if err != nil {
			return nil, false, "Not valid YAML: " + err.Error()
		}
		if x == nil {
			return nil, false, ""
		}
		return x, true, ""
	}
	return trimmed, true, ""
}

// fieldFor is the form field a problem's JSON pointer is about, or "" for none: the field
// whose pointer is the longest prefix of it, or a cell of the table.
func (k editKind) fieldFor(ptr string, isNew bool, rowOf []int) string {
	if ptr == "" {
		return ""
	}
	under := func(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }
	if isNew && under(ptr, nameField.Ptr) {
		return nameField.Name
	}
	if t := k.table; t != nil && under(ptr, t.Ptr) {
		rest := strings.Split(strings.TrimPrefix(ptr, t.Ptr+"/"), "/")
		if ptr == t.Ptr || len(rest) == 0 {
			return t.Name
		}
		i, err := strconv.Atoi(rest[0])
		if err != nil || i < 0 || i >= len(rowOf) {
			return t.Name
		}
		col := t.Cols[0].Name
		if len(rest) > 1 {
			for _, c := range t.Cols {
				if c.Ptr == rest[1] {
					col = c.Name
				}
			}
		}
		return fmt.Sprintf("%s-%s-%d", t.Name, col, rowOf[i])
	}
	best, bestLen := "", -1
	for _, f := range k.fields {
		if under(ptr, f.Ptr) && len(f.Ptr) > bestLen {
			best, bestLen = f.Name, len(f.Ptr)
		}
	}
	return best
}

// getPointer reads the value at a JSON pointer of plain segments (no escapes: the form's
// pointers have none).
func getPointer(doc map[string]any, ptr string) (any, bool) {
	var cur any = doc
	for _, seg := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[seg]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func setPointer(doc map[string]any, ptr string, val any) {
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	m := doc
	for _, seg := range segs[:len(segs)-1] {
		next, ok := m[seg].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[seg] = next
		}
		m = next
	}
	m[segs[len(segs)-1]] = val
}

// deletePointer removes the value at ptr, and the objects left empty above it (but not
// metadata or spec).
func deletePointer(doc map[string]any, ptr string) {
	segs := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	path := []map[string]any{doc}
	m := doc
	for _, seg := range segs[:len(segs)-1] {
		next, ok := m[seg].(map[string]any)
		if !ok {
			return
		}
		path = append(path, next)
		m = next
	}
	delete(m, segs[len(segs)-1])
	for i := len(path) - 1; i >= 2; i-- {
		if len(path[i]) == 0 {
			delete(path[i-1], segs[i-1])
		}
	}
}

func deepCopy(x any) any {
	switch v := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return x
}

func stringsOf(x any) []string {
	list, _ := x.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, scalarString(e))
	}
	return out
}

func toAnyList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func scalarString(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// toYAML writes a stored structure as the YAML a user edits.
func toYAML(x any) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(numbersPlain(x)); err != nil {
		return ""
	}
	enc.Close()
	return buf.String()
}

// numbersPlain turns json.Numbers into numbers YAML writes without quotes.
func numbersPlain(x any) any {
	switch v := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = numbersPlain(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = numbersPlain(e)
		}
		return out
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return x
}

// decodeDocument reads a stored document with numbers kept as written.
func decodeDocument(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var d map[string]any
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	return d, nil
}
