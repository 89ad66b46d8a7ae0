package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/model"
)

// FuzzEditForm posts arbitrary form bodies to the editing forms of a business function, a
// person and a new service, as a signed-in editor: whatever arrives, the answer is a page
// (saved, refused with a message, or a bad request), never a 500, and the stored model still
// loads.
//
//	go test -run '^$' -fuzz FuzzEditForm -fuzztime 2m ./internal/web/
func FuzzEditForm(f *testing.F) {
	e := newDemoEnv(f)
	br := e.browse("editor")
	var cookie string
	for _, c := range br.hc.Jar.Cookies(mustURL(f, e.ts.URL)) {
		if c.Name == sessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	for _, seed := range []string{
		"op=save&revision=1&title=Online+sales&owner=marta-keller&services=checkout&mtpd=4h&tolerance=major&lossPerHour=32000&impact-after-0=1h&impact-level-0=minor",
		"op=add-row&revision=1&impact-after-0=2h&impact-level-0=severe&impact-note-0=x",
		"op=remove-row-0&revision=1&impact-after-0=2h",
		"op=save&revision=1&mtpd=4+hours&lossPerHour=-1&impact-after-0=%00&impact-level-0=catastrophic",
		"op=save&revision=999&services=nothing&services=checkout",
		"op=save&name=svc-x&tier=9&rto=1h&rpo=x&dependsOn=%5B%7BanyOf%3A+%5B%5D%7D%5D",
		"op=save&name=p1&displayName=A&email=a%40b&deputy=p1",
		"op=save&impact-after-99999999999=1h",
		"op=save&revision=-1&spec=%3A%3A%3A",
	} {
		f.Add(0, seed)
		f.Add(1, seed)
		f.Add(2, seed)
	}
	paths := []string{"/functions/online-sales/edit", "/people/new", "/services/new"}
	f.Fuzz(func(t *testing.T, which int, body string) {
		path := paths[(which%len(paths)+len(paths))%len(paths)]
		req := httptest.NewRequest("POST", path, strings.NewReader(body+"&csrf="+br.csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusSeeOther, http.StatusOK, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("POST %s %q: status %d: %.500s", path, body, w.Code, w.Body)
		}
		snap, err := e.srv.deps.Catalog.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if snap.Model == nil {
			t.Fatalf("after POST %s %q the stored model does not load", path, body)
		}
		if _, ok := snap.Model.Get(model.KindBusinessFunction, "online-sales"); !ok {
			t.Fatalf("after POST %s %q online-sales is gone", path, body)
		}
	})
}
