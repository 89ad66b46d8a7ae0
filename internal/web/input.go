package web

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Text that reaches the server is UTF-8 without NUL bytes, or it is refused at the door with
// 400, whatever the route: PostgreSQL cannot store a NUL in text (it answered 500, "invalid
// byte sequence for encoding UTF8: 0x00"), SQLite would store it, and no name, password or
// label needs one. badInput looks at the path, the query, and the body of a JSON or form
// request, before any handler, so that both engines answer alike and no handler has to.

// badInput says what in a request is not text, or "" when all of it is.
func badInput(r *http.Request, limit int64) (string, error) {
	if msg := badText("the path", r.URL.Path); msg != "" {
		return msg, nil
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return "the query string does not parse: " + err.Error(), nil
		}
		if msg := badValues("query parameter", q); msg != "" {
			return msg, nil
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return "", nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := ct == "application/json" || strings.HasSuffix(ct, "+json")
	isForm := ct == "application/x-www-form-urlencoded"
	if !isJSON && !isForm {
		return "", nil
	}
	// Read up to the route's limit; a longer body is put back as it was, for the route to
	// refuse with 413.
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return "", err
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	if int64(len(body)) > limit {
		return "", nil
	}
	if isJSON {
		if i := nulEscape(body); i >= 0 {
			return fmt.Sprintf("the body holds a NUL character (\\u0000) at byte %d: text may not contain one", i), nil
		}
		if !utf8.Valid(body) {
			return "the body is not valid UTF-8", nil
		}
		return "", nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "the form does not parse: " + err.Error(), nil
	}
	return badValues("form field", form), nil
}

// badValues checks the names and values of a query or a form.
func badValues(what string, vs url.Values) string {
	for k, list := range vs {
		if msg := badText(what+" name", k); msg != "" {
			return msg
		}
		for _, v := range list {
			if msg := badText(fmt.Sprintf("%s %q", what, truncateName(k)), v); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func badText(what, s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return what + " holds a NUL byte: text may not contain one"
	}
	if !utf8.ValidString(s) {
		return what + " is not valid UTF-8"
	}
	return ""
}

func truncateName(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// nulEscape returns the offset of a \u0000 escape inside a JSON text, or -1: an escape is
// one whose backslash is not itself escaped.
func nulEscape(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			return -1
		}
		at := i + j
		n := 0
		for k := at - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return at - 1
		}
		i = at + 5
	}
}

// refuseBadInput answers 400 when a request carries text that is not text: a page for a
// browser, a problem document otherwise. It reports whether it answered.
func (s *server) refuseBadInput(w http.ResponseWriter, r *http.Request) bool {
	// The route's own limit: a request that is not apply is never buffered past 1 MiB here.
	limit := s.deps.BodyLimit
	if r.URL.Path == "/api/v1/apply" {
		limit = s.deps.ApplyLimit
	}
	msg, err := badInput(r, limit)
	if err != nil {
		// The body could not be read (the client went away, or sent a broken chunk).
		msg = "the body could not be read: " + err.Error()
	}
	if msg == "" {
		return false
	}
	if wantsHTML(r) || r.Header.Get("HX-Request") != "" || !strings.HasPrefix(r.URL.Path, "/api/") && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		s.pageError(w, r, nil, http.StatusBadRequest, "This request cannot be read: "+msg+".")
		return true
	}
	writeProblem(w, problem(http.StatusBadRequest, msg))
	return true
}
