package web

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// formOf reads the values of an edit page's form as a browser would submit them: inputs,
// selected options, checked boxes and textareas. Just enough HTML reading for our own
// templates.
func formOf(t *testing.T, page string) url.Values {
	t.Helper()
	form := between(page, `<form id="edit-form"`, `</form>`)
	if form == "" {
		t.Fatalf("no form#edit-form in %.500s", page)
	}
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		_, after, ok := strings.Cut(tag, " "+name+`="`)
		if !ok {
			return "", false
		}
		val, _, _ := strings.Cut(after, `"`)
		return htmlUnescape(val), true
	}
	for _, chunk := range strings.Split(form, "<input")[1:] {
		tag, _, _ := strings.Cut(chunk, ">")
		name, ok := attr(tag, "name")
		if !ok {
			continue
		}
		typ, _ := attr(tag, "type")
		if typ == "checkbox" && !strings.Contains(tag, " checked") {
			continue
		}
		val, _ := attr(tag, "value")
		v.Add(name, val)
	}
	for _, chunk := range strings.Split(form, "<select")[1:] {
		tag, _, _ := strings.Cut(chunk, ">")
		name, _ := attr(tag, "name")
		body, _, _ := strings.Cut(chunk, "</select>")
		sel := ""
		for _, o := range strings.Split(body, "<option")[1:] {
			otag, _, _ := strings.Cut(o, ">")
			if strings.Contains(otag, " selected") {
				sel, _ = attr(otag, "value")
			}
		}
		v.Set(name, sel)
	}
	for _, chunk := range strings.Split(form, "<textarea")[1:] {
		tag, rest, _ := strings.Cut(chunk, ">")
		name, _ := attr(tag, "name")
		text, _, _ := strings.Cut(rest, "</textarea>")
		v.Set(name, htmlUnescape(text))
	}
	v.Del("op")
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

func storedFunction(t *testing.T, e *env, name string) (*model.BusinessFunction, catalog.Object) {
	t.Helper()
	o, err := e.srv.deps.Catalog.Get(context.Background(), model.KindBusinessFunction, name)
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := model.Decode("stored", o.Document)
	if len(probs) > 0 || len(objs) != 1 {
		t.Fatalf("stored document does not decode: %v", probs)
	}
	return objs[0].(*model.BusinessFunction), o
}

// TestEditFunctionImpact edits a demo function's impact table through the form: adds a row
// without JavaScript, changes a level, saves, and finds the change stored and audited.
func TestEditFunctionImpact(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	before, obj := storedFunction(t, e, "online-sales")
	r := b.get("/functions/online-sales/edit")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET edit: status %d; %.500s", r.StatusCode, r.body)
	}
	page := string(r.body)
	for _, want := range []string{`id="edit-form"`, `name="impact-after-0"`, `name="impact-level-3"`, `name="impact-note-0"`,
		`name="op" value="add-row"`, `id="save" name="op" value="save"`, `value="olivia-brandt" selected`, `value="checkout" checked`} {
		if !strings.Contains(page, want) {
			t.Errorf("edit page lacks %s", want)
		}
	}
	if got := between(page, `id="edit-derived">`, `</p>`); got != "With this table and tolerance major, the MTPD is 4h." {
		t.Errorf("derived MTPD = %q", got)
	}
	form := formOf(t, page)
	if got := form.Get("impact-after-1"); got != "2h" {
		t.Fatalf("impact-after-1 = %q, want 2h (form %v)", got, form)
	}
	if got := form.Get("revision"); got != "1" && got == "" {
		t.Fatalf("revision = %q", got)
	}
	form.Set("op", "add-row")
	r = b.post("/functions/online-sales/edit", form)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `name="impact-after-4"`) {
		t.Fatalf("add-row: status %d, no fifth row; %.300s", r.StatusCode, r.body)
	}
	form = formOf(t, string(r.body))
	form.Set("impact-after-4", "3d")
	form.Set("impact-level-4", "severe")
	form.Set("impact-note-4", "suppliers stop deliveries")
	form.Set("impact-level-0", "moderate")
	form.Set("op", "save")
	r = b.post("/functions/online-sales/edit", form)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/functions/online-sales" {
		t.Fatalf("save: status %d Location %q; %.2000s", r.StatusCode, r.Header.Get("Location"), between(string(r.body), "<main", "</form>"))
	}
	after, o := storedFunction(t, e, "online-sales")
	if o.Revision != obj.Revision+1 || o.Door != catalog.DoorWeb || o.UpdatedBy != "editor" {
		t.Errorf("stored revision %d door %q by %q, want %d web editor", o.Revision, o.Door, o.UpdatedBy, obj.Revision+1)
	}
	if len(after.Spec.Impact) != 5 || after.Spec.Impact[0].Level != model.LevelModerate || after.Spec.Impact[4].After != model.MustDuration("3d") ||
		after.Spec.Impact[4].Note != "suppliers stop deliveries" {
		t.Errorf("stored impact %+v", after.Spec.Impact)
	}
	if after.Spec.LossPerHour != before.Spec.LossPerHour || after.Spec.MBCO != before.Spec.MBCO || after.Meta().Description != before.Meta().Description ||
		len(after.Spec.Services) != len(before.Spec.Services) {
		t.Errorf("fields the user did not touch changed:\nbefore %+v\nafter  %+v", before, after)
	}
	revs, err := e.srv.deps.Catalog.Revisions(context.Background(), model.KindBusinessFunction, "online-sales")
	if err != nil {
		t.Fatal(err)
	}
	last := revs[len(revs)-1]
	if last.Door != catalog.DoorWeb || last.Actor != "editor" {
		t.Errorf("last revision door %q actor %q, want web editor", last.Door, last.Actor)
	}

	// Saving without a change adds no revision.
	form = formOf(t, string(b.get("/functions/online-sales/edit").body))
	form.Set("op", "save")
	if r := b.post("/functions/online-sales/edit", form); r.StatusCode != http.StatusSeeOther {
		t.Errorf("save unchanged: status %d", r.StatusCode)
	}
	if _, o2 := storedFunction(t, e, "online-sales"); o2.Revision != o.Revision {
		t.Errorf("saving an unchanged form wrote revision %d", o2.Revision)
	}

	// Removing a row re-renders without it, the other values kept.
	form = formOf(t, string(b.get("/functions/online-sales/edit").body))
	form.Set("op", "remove-row-0")
	form.Set("mbco", "typed but not saved")
	r = b.post("/functions/online-sales/edit", form)
	body := string(r.body)
	if r.StatusCode != http.StatusOK || strings.Contains(body, `name="impact-after-4"`) || !strings.Contains(body, "typed but not saved") ||
		!strings.Contains(body, `name="impact-after-0" type="text" value="2h"`) {
		t.Errorf("remove-row-0: status %d; %.1500s", r.StatusCode, between(body, `<table>`, `</table>`))
	}
}

// TestEditValidation shows the form's own checks and the catalog's next to their fields, with
// what the user typed kept.
func TestEditValidation(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	_, obj := storedFunction(t, e, "payments")
	form := formOf(t, string(b.get("/functions/payments/edit").body))

	bad := cloneValues(form)
	bad.Set("impact-after-1", "4 hours")
	bad.Set("mbco", "kept as typed")
	bad.Set("op", "save")
	r := b.post("/functions/payments/edit", bad)
	body := string(r.body)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad duration: status %d, want 422", r.StatusCode)
	}
	if !strings.Contains(body, `<p class="field-error" id="err-impact-after-1">`) || !strings.Contains(body, "a duration such as 30m, 4h, 2d") {
		t.Errorf("bad duration: no message next to the field; %.2000s", between(body, "<table>", "</table>"))
	}
	if !strings.Contains(body, `name="impact-after-1" type="text" value="4 hours" aria-invalid="true" aria-describedby="err-impact-after-1"`) {
		t.Errorf("bad duration: the field lacks the typed value, aria-invalid or aria-describedby; %.2000s", between(body, "<table>", "</table>"))
	}
	if !strings.Contains(body, "kept as typed") || !strings.Contains(body, `role="alert"`) {
		t.Error("bad duration: other typed values lost, or no alert")
	}

	// A lint error: a service that does not exist, placed next to the services field.
	bad = cloneValues(form)
	bad.Add("services", "no-such-service")
	bad.Set("op", "save")
	r = b.post("/functions/payments/edit", bad)
	body = string(r.body)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown service: status %d, want 422; %.1000s", r.StatusCode, body)
	}
	msg := between(body, `<p class="field-error" id="err-services">`, `</p>`)
	if !strings.Contains(msg, "no-such-service") {
		t.Errorf("unknown service: message next to services = %q; %.3000s", msg, between(body, "<main", "<table>"))
	}
	if !strings.Contains(body, `value="no-such-service" checked`) {
		t.Error("unknown service: the typed value is not kept")
	}
	if _, o := storedFunction(t, e, "payments"); o.Revision != obj.Revision {
		t.Errorf("a refused form was stored: revision %d, want %d", o.Revision, obj.Revision)
	}

	// Required fields left empty: each message next to its field, not at the top.
	bad = cloneValues(form)
	bad.Del("services")
	bad.Set("owner", "")
	bad.Set("op", "save")
	r = b.post("/functions/payments/edit", bad)
	body = string(r.body)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-services"`) || !strings.Contains(body, `id="err-owner"`) {
		t.Errorf("missing owner and services: status %d; %.1500s", r.StatusCode, between(body, "<main", "<div class=\"edit-grid\">"))
	}

	// A stale revision: someone saved in between.
	ok := cloneValues(form)
	ok.Set("op", "save")
	ok.Set("mbco", "first save")
	if r := b.post("/functions/payments/edit", ok); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first save: status %d; %.1000s", r.StatusCode, r.body)
	}
	ok.Set("mbco", "second save from the old form")
	r = b.post("/functions/payments/edit", ok)
	body = string(r.body)
	if r.StatusCode != http.StatusConflict || !strings.Contains(body, "changed by editor") || !strings.Contains(body, "second save from the old form") ||
		!strings.Contains(body, `href="/functions/payments/edit"`) {
		t.Errorf("stale revision: status %d, want 409 naming who changed it, keeping the input, with a reload link; %.1500s", r.StatusCode, between(body, "<main", "</form>"))
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestEditManaged: objects a folder manages show a notice, and the server refuses to change
// or delete them.
func TestEditManaged(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	r := b.get("/services/orders-db/edit")
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), "managed by folder demo") || strings.Contains(string(r.body), `id="edit-form"`) {
		t.Errorf("GET edit of a managed service: status %d, want 200 with the notice and no form; %.500s", r.StatusCode, r.body)
	}
	r = b.post("/services/orders-db/edit", url.Values{"revision": {"1"}, "title": {"x"}, "op": {"save"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "perdura apply") {
		t.Errorf("POST edit of a managed service: status %d, want 409", r.StatusCode)
	}
	r = b.post("/people/olivia-brandt/delete", url.Values{"revision": {"1"}, "confirm": {"yes"}})
	if r.StatusCode != http.StatusConflict {
		t.Errorf("delete of a managed person: status %d, want 409", r.StatusCode)
	}
	if _, err := e.srv.deps.Catalog.Get(context.Background(), model.KindPerson, "olivia-brandt"); err != nil {
		t.Errorf("managed person gone: %v", err)
	}
	if r := b.get("/functions/no-such-function/edit"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET edit of a missing function: status %d, want 404", r.StatusCode)
	}
	if r := b.post("/functions/online-sales/edit", url.Values{"revision": {"three"}, "op": {"save"}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("POST edit with a malformed revision: status %d, want 400", r.StatusCode)
	}
	// Viewers may not even open the form.
	v := e.browse("viewer")
	if r := v.get("/functions/online-sales/edit"); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer GET edit: status %d, want 403", r.StatusCode)
	}
	if r := v.post("/functions/online-sales/edit", url.Values{"revision": {"1"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer POST edit: status %d, want 403", r.StatusCode)
	}
}

// TestEditCreateDelete creates a person through the form, uses it as a function's owner,
// and deletes it: refused while the function needs it, done once it no longer does.
func TestEditCreateDelete(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	r := b.get("/people/new")
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `name="name"`) {
		t.Fatalf("GET /people/new: status %d", r.StatusCode)
	}
	r = b.post("/people/new", url.Values{"name": {"Kim Ito"}, "email": {"kim@example.com"}, "op": {"save"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `id="err-name"`) || !strings.Contains(string(r.body), "kim@example.com") {
		t.Errorf("bad name: status %d, want 422 with the message next to the name; %.1500s", r.StatusCode, between(string(r.body), "<main", "</form>"))
	}
	r = b.post("/people/new", url.Values{"name": {"kim-ito"}, "display-name": {"Kim Ito"}, "email": {"kim@example.com"}, "deputy": {"olivia-brandt"}, "op": {"save"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/people/kim-ito" {
		t.Fatalf("create: status %d Location %q; %.1500s", r.StatusCode, r.Header.Get("Location"), between(string(r.body), "<main", "</form>"))
	}
	o, err := e.srv.deps.Catalog.Get(context.Background(), model.KindPerson, "kim-ito")
	if err != nil || o.Door != catalog.DoorWeb || o.UpdatedBy != "editor" || o.Source != "" {
		t.Fatalf("created person: %+v, %v", o, err)
	}
	var doc struct {
		Spec model.PersonSpec `json:"spec"`
	}
	json.Unmarshal(o.Document, &doc)
	if doc.Spec.DisplayName != "Kim Ito" || doc.Spec.Deputy != "olivia-brandt" {
		t.Errorf("stored spec %+v", doc.Spec)
	}
	if r := b.post("/people/new", url.Values{"name": {"kim-ito"}, "op": {"save"}}); r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "exists already") {
		t.Errorf("create twice: status %d, want 409", r.StatusCode)
	}

	// Make a function depend on the new person, then try to delete it.
	form := formOf(t, string(b.get("/functions/payments/edit").body))
	form.Set("owner", "kim-ito")
	form.Set("op", "save")
	if r := b.post("/functions/payments/edit", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("set owner: status %d; %.1000s", r.StatusCode, between(string(r.body), "<main", "</form>"))
	}
	edit := string(b.get("/people/kim-ito/edit").body)
	if !strings.Contains(edit, `action="/people/kim-ito/delete"`) {
		t.Fatal("the edit page has no delete button")
	}
	r = b.post("/people/kim-ito/delete", nil)
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `name="confirm" value="yes"`) {
		t.Fatalf("delete without confirm: status %d, want the confirmation", r.StatusCode)
	}
	rev := between(string(r.body), `name="revision" value="`, `"`)
	r = b.post("/people/kim-ito/delete", url.Values{"revision": {rev}, "confirm": {"yes"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(string(r.body), "function/payments") {
		t.Errorf("delete of a person a function needs: status %d, want 409 naming function/payments; %.1500s", r.StatusCode, between(string(r.body), "<main", "</main>"))
	}
	form = formOf(t, string(b.get("/functions/payments/edit").body))
	form.Set("owner", "henrik-berg")
	form.Set("op", "save")
	if r := b.post("/functions/payments/edit", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("set owner back: status %d", r.StatusCode)
	}
	r = b.post("/people/kim-ito/delete", url.Values{"revision": {rev}, "confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/people" {
		t.Fatalf("delete: status %d Location %q; %.1000s", r.StatusCode, r.Header.Get("Location"), between(string(r.body), "<main", "</main>"))
	}
	if _, err := e.srv.deps.Catalog.Get(context.Background(), model.KindPerson, "kim-ito"); err == nil {
		t.Error("deleted person still stored")
	}

	// A new business function with its impact table; deleting it goes back to the BIA.
	fn := url.Values{"name": {"gift-cards"}, "title": {"Gift cards"}, "owner": {"henrik-berg"}, "services": {"payments-gateway"},
		"tolerance": {"major"}, "impact-rows": {"3"}, "impact-after-0": {"4h"}, "impact-level-0": {"minor"},
		"impact-after-2": {"1d"}, "impact-level-2": {"major"}, "op": {"save"}}
	if r := b.post("/functions/new", fn); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/functions/gift-cards" {
		t.Fatalf("create function: status %d; %.1500s", r.StatusCode, between(string(r.body), "<main", "</form>"))
	}
	f, _ := storedFunction(t, e, "gift-cards")
	if d, ok := f.EffectiveMTPD(); !ok || d != model.MustDuration("1d") || len(f.Spec.Impact) != 2 {
		t.Errorf("new function: impact %+v, MTPD %v", f.Spec.Impact, d)
	}
	r = b.post("/functions/gift-cards/delete", url.Values{"revision": {"1"}, "confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bia" {
		t.Errorf("delete function: status %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestEditFieldFor places the catalog's JSON pointers on the form's fields.
func TestEditFieldFor(t *testing.T) {
	var fn editKind
	for _, k := range editKinds() {
		if k.route.plural == "functions" {
			fn = k
		}
	}
	rowOf := []int{0, 2, 3} // form row 1 was empty and dropped
	for _, c := range []struct {
		ptr   string
		isNew bool
		want  string
	}{
		{"/spec/services/1", false, "services"},
		{"/spec/services", false, "services"},
		{"/spec/mtpd", false, "mtpd"},
		{"/spec/lossPerHour", false, "loss-per-hour"},
		{"/metadata/owner", false, "owner"},
		{"/spec/impact/1/after", false, "impact-after-2"},
		{"/spec/impact/2/level", false, "impact-level-3"},
		{"/spec/impact/0", false, "impact-after-0"},
		{"/spec/impact", false, "impact"},
		{"/spec/impact/9/after", false, "impact"},
		{"/metadata/name", true, "name"},
		{"/metadata/name", false, ""},
		{"/metadata/labels/x", false, ""},
		{"", false, ""},
	} {
		if got := fn.fieldFor(c.ptr, c.isNew, rowOf); got != c.want {
			t.Errorf("fieldFor(%q, new=%v) = %q, want %q", c.ptr, c.isNew, got, c.want)
		}
	}
	for _, c := range []struct{ ptr, missing, want string }{
		{"/metadata", "owner", "owner"},
		{"/spec/impact", "services", "services"},
		{"/spec/impact/1/level", "after", "impact-after-2"},
		{"/spec/impact", "nothing", ""},
	} {
		if got := fn.missingFieldFor(c.ptr, c.missing, false, rowOf); got != c.want {
			t.Errorf("missingFieldFor(%q, %q) = %q, want %q", c.ptr, c.missing, got, c.want)
		}
	}
	for in, want := range map[string]template.HTML{
		"unknown service `x<y`":  "unknown service <code>x&lt;y</code>",
		"odd ` backtick":         "odd ` backtick",
		"`a` and `b`":            "<code>a</code> and <code>b</code>",
		"no quotes & ampersands": "no quotes &amp; ampersands",
	} {
		if got := editMsg(in); got != want {
			t.Errorf("editMsg(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEditRoundTrip reads every demo object into its kind's form and writes the form back:
// the document must come out as it went in, YAML parts included, so saving a form without
// changing it changes nothing.
func TestEditRoundTrip(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	ctx := context.Background()
	for _, k := range editKinds() {
		if r := b.get("/" + k.route.plural + "/new"); r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `id="edit-form"`) {
			t.Errorf("GET /%s/new: status %d", k.route.plural, r.StatusCode)
		}
		objs, _, err := e.srv.deps.Catalog.List(ctx, catalog.ListQuery{Kind: k.route.kind, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) == 0 {
			t.Errorf("no demo %s", k.route.plural)
		}
		for _, o := range objs {
			base, err := decodeDocument(o.Document)
			if err != nil {
				t.Fatal(err)
			}
			v := k.valuesFromDocument(base)
			form := url.Values{}
			for n, s := range v.one {
				form.Set(n, s)
			}
			for n, ss := range v.many {
				form[n] = ss
			}
			if k.table != nil {
				form.Set(k.table.Name+"-rows", strconv.Itoa(len(v.rows)))
				for i, row := range v.rows {
					for c, s := range row {
						form.Set(k.table.Name+"-"+c+"-"+strconv.Itoa(i), s)
					}
				}
			}
			doc, errs, _ := k.document(base, k.valuesFromForm(form, false), false)
			if len(errs) > 0 {
				t.Errorf("%s/%s: the form refuses its own values: %v", k.route.singular, o.Name, errs)
				continue
			}
			if got, want := canonicalOf(t, doc), canonicalOf(t, o.Document); got != want {
				t.Errorf("%s/%s changes on a round trip through the form:\ngot  %s\nwant %s", k.route.singular, o.Name, got, want)
			}
		}
	}
}

func canonicalOf(t *testing.T, doc []byte) string {
	t.Helper()
	objs, probs := model.Decode("doc", doc)
	if len(probs) > 0 || len(objs) != 1 {
		t.Fatalf("document does not decode: %v\n%s", probs, doc)
	}
	c, err := catalog.Canonical(objs[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// TestEditServiceYAML creates a service whose dependencies are written as YAML: a YAML
// mistake and an unknown dependency are shown next to that field.
func TestEditServiceYAML(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("editor")
	form := url.Values{"name": {"label-printing"}, "title": {"Label printing"}, "owner": {"team-backoffice"}, "type": {"application"},
		"tier": {"2"}, "rto": {"4h"}, "op": {"save"}}
	form.Set("depends-on", "- orders-db\n- {service: [broken")
	r := b.post("/services/new", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(between(string(r.body), `id="err-depends-on">`, `</p>`), "Not valid YAML") {
		t.Errorf("broken YAML: status %d; %.1500s", r.StatusCode, between(string(r.body), "<main", "</form>"))
	}
	form.Set("depends-on", "- orders-db\n- service: no-such-db\n  impact: degraded\n")
	r = b.post("/services/new", form)
	if msg := between(string(r.body), `id="err-depends-on">`, `</p>`); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, "no-such-db") {
		t.Errorf("unknown dependency: status %d, message %q; %.1500s", r.StatusCode, msg, between(string(r.body), "<main", "</form>"))
	}
	if !strings.Contains(string(r.body), "impact: degraded") {
		t.Error("the typed YAML is not kept")
	}
	form.Set("depends-on", "- orders-db\n- service: warehouse-db\n  impact: degraded\n")
	r = b.post("/services/new", form)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/services/label-printing" {
		t.Fatalf("create: status %d; %.1500s", r.StatusCode, between(string(r.body), "<main", "</form>"))
	}
	o, err := e.srv.deps.Catalog.Get(context.Background(), model.KindService, "label-printing")
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := model.Decode("x", o.Document)
	svc := objs[0].(*model.Service)
	if len(svc.Spec.DependsOn) != 2 || svc.Spec.DependsOn[1].Service != "warehouse-db" || !svc.Spec.DependsOn[1].Soft() ||
		svc.Spec.Tier == nil || *svc.Spec.Tier != 2 || svc.Spec.Targets.RTO == nil || *svc.Spec.Targets.RTO != model.MustDuration("4h") {
		t.Errorf("stored spec %+v", svc.Spec)
	}
	// The new service is web-managed: its form opens, with the YAML as written.
	page := string(b.get("/services/label-printing/edit").body)
	if !strings.Contains(page, `id="edit-form"`) || !strings.Contains(page, "service: warehouse-db") {
		t.Errorf("edit page of the new service: %.1500s", between(page, "<main", "</form>"))
	}
}
