package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// The editing forms create, change and delete the objects no model folder manages. They
// write through catalog.Put and catalog.Delete as the API does, so a form is validated
// exactly as a file is by the loader and the linter, and every change is audited with the
// door "web" and the user. Objects a folder manages are shown with a notice instead: their
// truth is in git.

// editSamples are the demo objects the page role test edits, by plural.
var editSamples = map[string]string{
	"functions": "online-sales",
	"services":  "orders-db",
	"sites":     "dc-frankfurt",
	"providers": "nimbus-cloud",
	"people":    "olivia-brandt",
	"teams":     "team-backoffice",
	"plans":     "backoffice-recovery",
	"scenarios": "site-loss-frankfurt",
}

// editArea is the editing forms.
func (s *server) editArea() area {
	var pages []page
	for _, k := range editKinds() {
		base := "/" + k.route.plural
		one := base + "/" + editSamples[k.route.plural]
		pages = append(pages,
			page{method: "GET", path: base + "/new", perm: auth.PermEdit, handle: s.newForm(k)},
			page{method: "POST", path: base + "/new", perm: auth.PermEdit, handle: s.createFromForm(k)},
			page{method: "GET", path: base + "/{name}/edit", perm: auth.PermEdit, sample: one + "/edit", handle: s.editForm(k)},
			page{method: "POST", path: base + "/{name}/edit", perm: auth.PermEdit, sample: one + "/edit", handle: s.saveForm(k)},
			page{method: "POST", path: base + "/{name}/delete", perm: auth.PermEdit, sample: one + "/delete", handle: s.deleteFromForm(k)},
		)
	}
	return area{pages: pages, funcs: template.FuncMap{"editMsg": editMsg}}
}

// editMsg shows a validation message with its `quoted` names as code, as the loader writes
// them.
func editMsg(msg string) template.HTML {
	parts := strings.Split(template.HTMLEscapeString(msg), "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + p + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(p)
	}
	return template.HTML(b.String())
}

// editPage is the data of the edit-form template.
type editPage struct {
	Kind      string // "business function"
	Plural    string
	ListURL   string
	Name      string
	Title     string // the object's title, when it has one
	New       bool
	Revision  int64
	Action    string
	ObjectURL string
	CancelURL string
	NameField *fieldView
	Fields    []fieldView
	Table     *tableView
	// Errors are problems no field shows: about the whole object, or about other objects.
	Errors []string
	// Derived says what the values give, where the form can tell: a function's MTPD from
	// its impact table and tolerance.
	Derived string
	// Summary lists every field's problems at the top, each linking to its field.
	Summary   []summaryItem
	HasErrors bool
	Conflict  *editConflict
}

// summaryItem is one field's problem in the list at the top of the form.
type summaryItem struct {
	Label, Href, Message string
}

// editConflict says who changed the object since the form was opened.
type editConflict struct {
	By, Door  string
	At        time.Time
	Revision  int64
	Deleted   bool
	ReloadURL string
}

// fieldView is one field as the template shows it.
type fieldView struct {
	editField
	ID      string
	Control string // text, date, number, textarea, yaml, select, checks
	Value   string
	Groups  []optionGroup
	Checks  []optionView
	Errors  []string
	ErrID   string
	// InTable cells have no visible label: aria-label names them.
	InTable bool
}

type optionGroup struct {
	Label   string
	Options []optionView
}

type optionView struct {
	Value, Label string
	Selected     bool
}

// tableView is a table of rows, each a list of cells.
type tableView struct {
	editTable
	Rows   [][]fieldView
	Count  int
	Errors []string
	ErrID  string
}

// Invalid reports whether the field has a message.
func (f fieldView) Invalid() bool { return len(f.Errors) > 0 }

func (s *server) newForm(k editKind) func(*request) error {
	return func(q *request) error {
		v := newFormValues()
		if k.table != nil {
			v.rows = []map[string]string{{}}
		}
		return q.showForm(http.StatusOK, k, "", 0, v, nil, nil)
	}
}

func (s *server) editForm(k editKind) func(*request) error {
	return func(q *request) error {
		name := q.r.PathValue("name")
		o, err := s.deps.Catalog.Get(q.ctx(), k.route.kind, name)
		if errors.Is(err, catalog.ErrNotFound) {
			return pageNotFound("%s %q", k.label, name)
		}
		if err != nil {
			return err
		}
		if o.Source != "" {
			return q.showManaged(http.StatusOK, k, o)
		}
		doc, err := decodeDocument(o.Document)
		if err != nil {
			return fmt.Errorf("stored document of %s/%s: %w", k.route.singular, name, err)
		}
		v := k.valuesFromDocument(doc)
		if k.table != nil && len(v.rows) == 0 {
			v.rows = []map[string]string{{}}
		}
		return q.showForm(http.StatusOK, k, name, o.Revision, v, nil, nil)
	}
}

// rowOp applies an add-row or remove-row-N button; ok is false for any other button.
func (k editKind) rowOp(op string, v *formValues) bool {
	if k.table == nil {
		return false
	}
	if op == "add-row" {
		v.rows = append(v.rows, map[string]string{})
		return true
	}
	if n, ok := strings.CutPrefix(op, "remove-row-"); ok {
		i, err := strconv.Atoi(n)
		if err == nil && i >= 0 && i < len(v.rows) {
			v.rows = slices.Delete(v.rows, i, i+1)
		}
		return true
	}
	return false
}

func (s *server) saveForm(k editKind) func(*request) error {
	return func(q *request) error {
		name := q.r.PathValue("name")
		o, err := s.deps.Catalog.Get(q.ctx(), k.route.kind, name)
		if errors.Is(err, catalog.ErrNotFound) {
			return pageNotFound("%s %q", k.label, name)
		}
		if err != nil {
			return err
		}
		if o.Source != "" {
			return q.showManaged(http.StatusConflict, k, o)
		}
		if err := q.r.ParseForm(); err != nil {
			return badRequest{"The form could not be read: " + err.Error()}
		}
		form := q.r.PostForm
		rev, err := strconv.ParseInt(form.Get("revision"), 10, 64)
		if err != nil || rev < 1 {
			return badRequest{"The form has no revision: open the edit page again from the object's page."}
		}
		v := k.valuesFromForm(form, false)
		if k.rowOp(form.Get("op"), &v) {
			return q.showForm(http.StatusOK, k, name, rev, v, nil, nil)
		}
		base, err := decodeDocument(o.Document)
		if err != nil {
			return fmt.Errorf("stored document of %s/%s: %w", k.route.singular, name, err)
		}
		doc, errs, rowOf := k.document(base, v, false)
		if len(errs) > 0 {
			return q.showForm(http.StatusUnprocessableEntity, k, name, rev, v, errs, nil)
		}
		if rev == o.Revision && unchanged(doc, o.Document) {
			// Saving a form without changing anything adds no revision to the history.
			http.Redirect(q.w, q.r, "/"+k.route.plural+"/"+url.PathEscape(name), http.StatusSeeOther)
			return nil
		}
		_, err = s.deps.Catalog.Put(q.ctx(), catalogActor(q.ctx()), doc, &rev)
		switch {
		case err == nil:
			http.Redirect(q.w, q.r, "/"+k.route.plural+"/"+url.PathEscape(name), http.StatusSeeOther)
			return nil
		case errors.Is(err, catalog.ErrConflict):
			c := &editConflict{ReloadURL: "/" + k.route.plural + "/" + url.PathEscape(name) + "/edit"}
			cur, gerr := s.deps.Catalog.Get(q.ctx(), k.route.kind, name)
			switch {
			case errors.Is(gerr, catalog.ErrNotFound):
				c.Deleted = true
			case gerr != nil:
				return gerr
			default:
				c.By, c.Door, c.At, c.Revision = cur.UpdatedBy, cur.Door, cur.UpdatedAt, cur.Revision
			}
			return q.showForm(http.StatusConflict, k, name, rev, v, nil, c)
		case errors.Is(err, catalog.ErrManaged):
			cur, gerr := s.deps.Catalog.Get(q.ctx(), k.route.kind, name)
			if gerr != nil {
				return gerr
			}
			return q.showManaged(http.StatusConflict, k, cur)
		}
		if ve, ok := catalog.IsValidation(err); ok {
			return q.showForm(http.StatusUnprocessableEntity, k, name, rev, v, k.placeProblems(ve, name, false, rowOf), nil)
		}
		return err
	}
}

func (s *server) createFromForm(k editKind) func(*request) error {
	return func(q *request) error {
		if err := q.r.ParseForm(); err != nil {
			return badRequest{"The form could not be read: " + err.Error()}
		}
		form := q.r.PostForm
		v := k.valuesFromForm(form, true)
		if k.rowOp(form.Get("op"), &v) {
			return q.showForm(http.StatusOK, k, "", 0, v, nil, nil)
		}
		base := map[string]any{"apiVersion": model.APIVersion, "kind": string(k.route.kind),
			"metadata": map[string]any{}, "spec": map[string]any{}}
		doc, errs, rowOf := k.document(base, v, true)
		if len(errs) > 0 {
			return q.showForm(http.StatusUnprocessableEntity, k, "", 0, v, errs, nil)
		}
		name := v.one[nameField.Name]
		zero := int64(0)
		_, err := s.deps.Catalog.Put(q.ctx(), catalogActor(q.ctx()), doc, &zero)
		switch {
		case err == nil:
			http.Redirect(q.w, q.r, "/"+k.route.plural+"/"+url.PathEscape(name), http.StatusSeeOther)
			return nil
		case errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrManaged):
			errs := fieldErrors{}
			errs.add(nameField.Name, fmt.Sprintf("A %s named %q exists already: choose another name, or edit that one.", k.label, name))
			return q.showForm(http.StatusConflict, k, "", 0, v, errs, nil)
		}
		if ve, ok := catalog.IsValidation(err); ok {
			return q.showForm(http.StatusUnprocessableEntity, k, "", 0, v, k.placeProblems(ve, name, true, rowOf), nil)
		}
		return err
	}
}

// unchanged reports whether a form's document is the stored one, compared as the catalog
// stores documents.
func unchanged(doc, stored []byte) bool {
	objs, probs := model.Decode("form", doc)
	if len(probs) > 0 || len(objs) != 1 {
		return false
	}
	c, err := catalog.Canonical(objs[0])
	return err == nil && bytes.Equal(c, stored)
}

// missingField is the field a "missing required field `x`" message names.
func missingField(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "missing required field `")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "`")
	return name, ok
}

// missingFieldFor places a missing field's problem. The loader reports it at the mapping
// that lacks it, which the catalog turns into the pointer of the mapping (/metadata) or of
// its first key (/spec/impact): the field is one of their children, if the form has it.
func (k editKind) missingFieldFor(ptr, missing string, isNew bool, rowOf []int) string {
	parent := ptr[:max(strings.LastIndex(ptr, "/"), 0)]
	for _, cand := range []string{ptr + "/" + missing, parent + "/" + missing} {
		f := k.fieldFor(cand, isNew, rowOf)
		if f == "" {
			continue
		}
		if f == nameField.Name || slices.ContainsFunc(k.fields, func(e editField) bool { return e.Name == f && e.Ptr == cand }) {
			return f
		}
		if t := k.table; t != nil && strings.HasPrefix(f, t.Name+"-"+missing+"-") {
			return f
		}
	}
	return ""
}

// placeProblems puts each of the catalog's problems next to the field its pointer names;
// problems about other objects, or about no field, go at the top of the form.
func (k editKind) placeProblems(ve *catalog.ValidationError, name string, isNew bool, rowOf []int) fieldErrors {
	errs := fieldErrors{}
	self := k.route.singular + "/" + name
	for _, p := range ve.Problems {
		field := ""
		if p.Object == "" || p.Object == self {
			field = k.fieldFor(p.Pointer, isNew, rowOf)
			if missing, ok := missingField(p.Message); ok {
				field = k.missingFieldFor(p.Pointer, missing, isNew, rowOf)
			}
		}
		msg := p.Message
		if field == "" && p.Object != "" && p.Object != self {
			msg = p.Object + ": " + msg
		}
		errs.add(field, msg)
	}
	return errs
}

// showForm renders the form with the values as typed and the messages next to their fields.
func (q *request) showForm(status int, k editKind, name string, rev int64, v formValues, errs fieldErrors, conflict *editConflict) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	m := snap.Model
	isNew := name == ""
	pg := editPage{Kind: k.label, Plural: k.route.plural, ListURL: listURL(k), Name: name, New: isNew, Revision: rev, Conflict: conflict}
	if isNew {
		pg.Action = "/" + k.route.plural + "/new"
		pg.CancelURL = listURL(k)
		f := viewField(nameField, "", v.one[nameField.Name], nil, errs[nameField.Name], m)
		pg.NameField = &f
	} else {
		pg.ObjectURL = "/" + k.route.plural + "/" + url.PathEscape(name)
		pg.Action = pg.ObjectURL + "/edit"
		pg.CancelURL = pg.ObjectURL
		if m != nil {
			if o, ok := m.Get(k.route.kind, name); ok {
				pg.Title = o.Meta().Title
			}
		}
	}
	used := map[string]bool{nameField.Name: true}
	for _, f := range k.fields {
		used[f.Name] = true
		pg.Fields = append(pg.Fields, viewField(f, "", v.one[f.Name], v.many[f.Name], errs[f.Name], m))
	}
	if t := k.table; t != nil {
		tv := &tableView{editTable: *t, Count: len(v.rows), Errors: errs[t.Name], ErrID: "err-" + t.Name}
		used[t.Name] = true
		for i, row := range v.rows {
			var cells []fieldView
			for _, c := range t.Cols {
				cname := fmt.Sprintf("%s-%s-%d", t.Name, c.Name, i)
				used[cname] = true
				cell := c
				cell.Name = cname
				cells = append(cells, viewField(cell, c.Label+" (row "+strconv.Itoa(i+1)+")", row[c.Name], nil, errs[cname], m))
			}
			tv.Rows = append(tv.Rows, cells)
		}
		pg.Table = tv
	}
	summarize := func(f fieldView) {
		for _, msg := range f.Errors {
			pg.Summary = append(pg.Summary, summaryItem{Label: f.Label, Href: "#" + f.ID, Message: msg})
		}
	}
	if pg.NameField != nil {
		summarize(*pg.NameField)
	}
	for _, f := range pg.Fields {
		summarize(f)
	}
	if pg.Table != nil {
		for _, msg := range pg.Table.Errors {
			pg.Summary = append(pg.Summary, summaryItem{Label: pg.Table.Label, Href: "#f-" + pg.Table.Name, Message: msg})
		}
		for _, row := range pg.Table.Rows {
			for _, c := range row {
				summarize(c)
			}
		}
	}
	for _, field := range sortedKeys(errs) {
		if !used[field] {
			pg.Errors = append(pg.Errors, errs[field]...)
		}
	}
	pg.HasErrors = len(errs) > 0
	if k.route.kind == model.KindBusinessFunction {
		pg.Derived = impactMTPD(v)
	}
	title := "Edit " + k.label + " " + name
	if isNew {
		title = "New " + k.label
	}
	return q.render(status, "edit-form", title, editSection(k), pg)
}

// impactMTPD says which MTPD a function form's impact table and tolerance give, as the
// model computes it.
func impactMTPD(v formValues) string {
	f := &model.BusinessFunction{}
	f.Spec.Tolerance = model.Level(v.one["tolerance"])
	if f.Spec.Tolerance.Rank() < 0 {
		return "Choose a tolerance: the MTPD is the first duration in the table at or above it."
	}
	for _, r := range v.rows {
		d, err := model.ParseDuration(strings.TrimSpace(r["after"]))
		if err != nil {
			continue
		}
		f.Spec.Impact = append(f.Spec.Impact, model.ImpactStep{After: d, Level: model.Level(r["level"])})
	}
	d, ok := f.ImpactMTPD()
	if !ok {
		return fmt.Sprintf("No row reaches the tolerance (%s): the table gives no MTPD.", f.Spec.Tolerance)
	}
	msg := fmt.Sprintf("With this table and tolerance %s, the MTPD is %s.", f.Spec.Tolerance, d)
	if s := strings.TrimSpace(v.one["mtpd"]); s != "" {
		msg += " The MTPD stated above (" + s + ") takes precedence."
	}
	return msg
}

// listURL is the page listing a kind's objects: business functions are listed by the
// impact analysis.
func listURL(k editKind) string {
	if k.route.plural == "functions" {
		return "/bia"
	}
	return "/" + k.route.plural
}

// editSection is the navigation entry a kind's pages belong to.
func editSection(k editKind) string {
	switch k.route.plural {
	case "functions":
		return "bia"
	case "plans":
		return "plans"
	case "scenarios":
		return "whatif"
	}
	return "catalog"
}

// viewField prepares one field for the template; aria names a table cell's label for
// screen readers.
func viewField(f editField, aria, value string, checked []string, errs []string, m *model.Model) fieldView {
	fv := fieldView{editField: f, ID: "f-" + f.Name, Value: value, Errors: errs, ErrID: "err-" + f.Name}
	if aria != "" {
		fv.Label, fv.InTable = aria, true
	}
	switch f.Type {
	case fTextarea, fLines:
		fv.Control = "textarea"
	case fYAML:
		fv.Control = "yaml"
	case fDate:
		fv.Control = "date"
	case fNumber, fInt:
		fv.Control = "number"
	case fSelect:
		fv.Control = "select"
		found := value == ""
		var groups []optionGroup
		for _, o := range f.Options(m) {
			if len(groups) == 0 || groups[len(groups)-1].Label != o.Group {
				groups = append(groups, optionGroup{Label: o.Group})
			}
			g := &groups[len(groups)-1]
			g.Options = append(g.Options, optionView{Value: o.Value, Label: o.Label, Selected: o.Value == value})
			found = found || o.Value == value
		}
		if !found { // keep a value the options do not know, so saving does not drop it
			groups = append(groups, optionGroup{Options: []optionView{{Value: value, Label: value + " (unknown)", Selected: true}}})
		}
		fv.Groups = groups
	case fMulti:
		fv.Control = "checks"
		opts := f.Options(m)
		if len(opts) > maxChecks {
			// Thousands of checkboxes help no one: names, one a line.
			fv.Control, fv.Value = "textarea", strings.Join(checked, "\n")
			fv.Hint = strings.TrimSpace(fv.Hint + " Names, one a line.")
			break
		}
		// The chosen come first, in their stored order (a browser sends checkboxes in page
		// order, so saving keeps it), then the rest.
		label := make(map[string]string, len(opts))
		for _, o := range opts {
			label[o.Value] = o.Label
		}
		chosen := map[string]bool{}
		for _, c := range checked {
			if chosen[c] {
				continue
			}
			chosen[c] = true
			l, known := label[c]
			if !known {
				l = c + " (unknown)"
			}
			fv.Checks = append(fv.Checks, optionView{Value: c, Label: l, Selected: true})
		}
		var rest []optionView
		for _, o := range opts {
			if !chosen[o.Value] {
				rest = append(rest, optionView{Value: o.Value, Label: o.Label})
			}
		}
		fv.Checks = append(fv.Checks, rest...)
	default:
		fv.Control = "text"
	}
	return fv
}

// maxChecks is the most choices shown as checkboxes; more become a list of names.
const maxChecks = 300

// managedPage is the data of the edit-managed template.
type managedPage struct {
	Kind, Name, Source, ObjectURL string
}

func (q *request) showManaged(status int, k editKind, o catalog.Object) error {
	if _, err := q.snapshot(); err != nil {
		return err
	}
	return q.render(status, "edit-managed", k.label+" "+o.Name+" is managed by folder "+o.Source, editSection(k),
		managedPage{Kind: k.label, Name: o.Name, Source: o.Source, ObjectURL: "/" + k.route.plural + "/" + url.PathEscape(o.Name)})
}

// deletePage is the data of the edit-delete template: the confirmation, or why the catalog
// refused.
type deletePage struct {
	Kind, Name, Title, ObjectURL, EditURL, Action string
	Revision                                      int64
	Problems                                      []string
	Conflict                                      *editConflict
}

// deleteFromForm asks for confirmation, then deletes. The delete button lives on the edit
// page; a post without confirm=yes shows what is about to happen.
func (s *server) deleteFromForm(k editKind) func(*request) error {
	return func(q *request) error {
		name := q.r.PathValue("name")
		o, err := s.deps.Catalog.Get(q.ctx(), k.route.kind, name)
		if errors.Is(err, catalog.ErrNotFound) {
			return pageNotFound("%s %q", k.label, name)
		}
		if err != nil {
			return err
		}
		if o.Source != "" {
			return q.showManaged(http.StatusConflict, k, o)
		}
		snap, err := q.snapshot()
		if err != nil {
			return err
		}
		objURL := "/" + k.route.plural + "/" + url.PathEscape(name)
		pg := deletePage{Kind: k.label, Name: name, ObjectURL: objURL, EditURL: objURL + "/edit", Action: objURL + "/delete", Revision: o.Revision}
		if snap.Model != nil {
			if mo, ok := snap.Model.Get(k.route.kind, name); ok {
				pg.Title = mo.Meta().Title
			}
		}
		title := "Delete " + k.label + " " + name
		if q.r.PostFormValue("confirm") != "yes" {
			return q.render(http.StatusOK, "edit-delete", title, editSection(k), pg)
		}
		rev, err := strconv.ParseInt(q.r.PostFormValue("revision"), 10, 64)
		if err != nil || rev < 1 {
			return badRequest{"The form has no revision: open the edit page again from the object's page."}
		}
		pg.Revision = rev
		err = s.deps.Catalog.Delete(q.ctx(), catalogActor(q.ctx()), k.route.kind, name, &rev)
		switch {
		case err == nil:
			http.Redirect(q.w, q.r, listURL(k), http.StatusSeeOther)
			return nil
		case errors.Is(err, catalog.ErrConflict):
			pg.Conflict = &editConflict{By: o.UpdatedBy, Door: o.Door, At: o.UpdatedAt, Revision: o.Revision, ReloadURL: pg.EditURL}
			pg.Revision = o.Revision
			return q.render(http.StatusConflict, "edit-delete", title, editSection(k), pg)
		case errors.Is(err, catalog.ErrManaged):
			return q.showManaged(http.StatusConflict, k, o)
		}
		if ve, ok := catalog.IsValidation(err); ok {
			for _, p := range ve.Problems {
				msg := p.Message
				if p.Object != "" {
					msg = p.Object + ": " + msg
				}
				pg.Problems = append(pg.Problems, msg)
			}
			return q.render(http.StatusConflict, "edit-delete", title, editSection(k), pg)
		}
		return err
	}
}
