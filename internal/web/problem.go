package web

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

// Problem is an RFC 9457 problem document, the body of every error answer. Errors names each
// wrong thing: a JSON pointer into the request body, a query or path parameter, or a header,
// and for model problems the rule and the place in the user's file.
type Problem struct {
	Type      string          `json:"type,omitempty" doc:"A URI for the kind of problem; about:blank when the status says it all."`
	Title     string          `json:"title" doc:"The HTTP status text."`
	Status    int             `json:"status" doc:"The HTTP status code."`
	Detail    string          `json:"detail,omitempty" doc:"What went wrong, for people."`
	RequestID string          `json:"requestId,omitempty" doc:"Quote it when reporting an internal error: the server's log has the cause."`
	Errors    []ProblemDetail `json:"errors,omitempty" doc:"Every wrong field or model problem, all at once."`

	headers http.Header
}

// ProblemDetail is one wrong thing in a request.
type ProblemDetail struct {
	Message   string `json:"message"`
	Pointer   string `json:"pointer,omitempty" doc:"RFC 6901 JSON pointer into the request body (\"\" is the whole body)."`
	Parameter string `json:"parameter,omitempty" doc:"The query or path parameter that was wrong."`
	Header    string `json:"header,omitempty" doc:"The request header that was wrong."`
	Rule      string `json:"rule,omitempty" doc:"For model problems: the lint or load rule."`
	Object    string `json:"object,omitempty" doc:"For model problems: the object, kind/name."`
	File      string `json:"file,omitempty" doc:"For apply: the file the problem is in."`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
}

// Problem implements huma.StatusError, huma.HeadersError and huma.ContentTypeFilter, so a
// handler returns it as its error and huma writes it as application/problem+json.
func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }
func (p *Problem) GetHeaders() http.Header {
	if p.headers == nil {
		p.headers = http.Header{}
	}
	return p.headers
}
func (p *Problem) ContentType(string) string { return "application/problem+json" }

func problem(status int, detail string, errs ...ProblemDetail) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Errors: errs}
}

// badField is a 400 naming a field of the request body by JSON pointer.
func badField(pointer, msg string) *Problem {
	return problem(http.StatusBadRequest, msg, ProblemDetail{Pointer: pointer, Message: msg})
}

// pointerEscape escapes one JSON pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// toProblem is the one place where errors become answers. Errors safe to show (the domain's
// sentinels, validation errors, problems handlers built) keep their text; anything else is
// logged with the request id and answered 500 with the id only, so no internal text, SQL or
// path ever reaches the client.
func (s *server) toProblem(ctx context.Context, err error) *Problem {
	var p *Problem
	var locked *auth.LockedError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &locked):
		p = problem(http.StatusTooManyRequests, locked.Error())
		p.GetHeaders().Set("Retry-After", strconv.Itoa(int(locked.RetryAfter.Seconds())))
		return p
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrUnauthenticated):
		return problem(http.StatusUnauthorized, err.Error())
	// The catalog and the store wrap these sentinels with the object and revision or source
	// they concern ("service/x is managed by source \"ops\""), words meant for users.
	case errors.Is(err, catalog.ErrNotFound), errors.Is(err, auth.ErrNotFound):
		return problem(http.StatusNotFound, err.Error())
	case errors.Is(err, auth.ErrExists):
		return problem(http.StatusConflict, err.Error())
	case errors.Is(err, catalog.ErrConflict):
		return problem(http.StatusConflict, err.Error()+"; read it again and retry")
	case errors.Is(err, catalog.ErrManaged):
		return problem(http.StatusConflict, strings.TrimPrefix(err.Error(), catalog.ErrManaged.Error()+": "))
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer, but the log should not call it a bug.
		return problem(499, "request cancelled")
	case s.deps.Unavailable(err):
		s.noteUnavailable(ctx, err)
		return unavailableProblem()
	}
	if ve, ok := catalog.IsValidation(err); ok {
		return validationProblem(ve)
	}
	info := infoFrom(ctx)
	s.log.ErrorContext(ctx, "internal error", "request_id", info.id, "route", info.route, "error", err.Error())
	p = problem(http.StatusInternalServerError, "internal error; the server's log has the cause under this request id")
	p.RequestID = info.id
	return p
}

// retryAfter is what a 503 for an unavailable database asks clients to wait, in seconds:
// long enough not to hammer a database that is recovering, short enough for a blip.
const retryAfter = "5"

// unavailableProblem is the answer to a request the database could not serve.
func unavailableProblem() *Problem {
	p := problem(http.StatusServiceUnavailable, "the database is unavailable or did not answer in time; try again shortly")
	p.GetHeaders().Set("Retry-After", retryAfter)
	return p
}

// noteUnavailable logs an unavailable database with the request, as a warning: the server is
// not at fault, and the cause (the driver's words) stays in the log.
func (s *server) noteUnavailable(ctx context.Context, err error) {
	info := infoFrom(ctx)
	s.log.WarnContext(ctx, "database unavailable", "request_id", info.id, "route", info.route, "error", err.Error())
}

// validationProblem lists every reason the catalog refused a write.
func validationProblem(ve *catalog.ValidationError) *Problem {
	p := problem(http.StatusUnprocessableEntity, ve.Error())
	for _, q := range ve.Problems {
		p.Errors = append(p.Errors, ProblemDetail{Message: q.Message, Pointer: q.Pointer, Rule: q.Rule,
			Object: q.Object, File: q.File, Line: q.Line, Column: q.Column})
	}
	return p
}

// writeProblem writes p outside huma (routing and auth failures, panics).
func writeProblem(w http.ResponseWriter, p *Problem) {
	for k, vs := range p.headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// rewriteHumaErrors turns the errors huma itself raises (parameters and bodies that do not
// parse or match their schema, bodies over the limit) into Perdura's problem shape: huma's
// "body.files[0].path" locations become JSON pointers ("/files/0/path"), the offending values
// are dropped (they may hold a password), and huma's 422 for a request that does not match
// its schema becomes 400: in this API 422 means a well-formed change the model refuses.
func (s *server) rewriteHumaErrors(ctx huma.Context, status string, v any) (any, error) {
	em, ok := v.(*huma.ErrorModel)
	if !ok {
		return v, nil
	}
	code := em.Status
	if code == http.StatusUnprocessableEntity {
		code = http.StatusBadRequest
		if _, w := unwrapHuma(ctx); w != nil {
			w.rewrite(http.StatusUnprocessableEntity, http.StatusBadRequest)
		}
	}
	if code >= 500 {
		// huma's own 500s (a body that could not be read) carry internal text: log it, hide it.
		var msgs []string
		for _, e := range em.Errors {
			if e != nil {
				msgs = append(msgs, e.Message)
			}
		}
		info := infoFrom(ctx.Context())
		s.log.ErrorContext(ctx.Context(), "internal error", "request_id", info.id, "error", em.Detail, "details", strings.Join(msgs, "; "))
		p := problem(code, "internal error; the server's log has the cause under this request id")
		p.RequestID = info.id
		return p, nil
	}
	p := problem(code, em.Detail)
	if code == http.StatusUnsupportedMediaType {
		r, _ := unwrapHuma(ctx)
		return notJSON(r.Method, r.Header.Get("Content-Type")), nil
	}
	for _, e := range em.Errors {
		if e != nil {
			p.Errors = append(p.Errors, locate(e.Location, e.Message))
		}
	}
	if code == http.StatusBadRequest && em.Detail == "validation failed" {
		p.Detail = "the request does not match the API's schema"
		if len(p.Errors) == 1 && strings.HasPrefix(p.Errors[0].Message, "malformed JSON") {
			p.Detail = "the body is not well-formed JSON"
		}
	}
	return p, nil
}

// bodyTypes are the media types an API request body may have: JSON, and on PATCH (whose
// body is a JSON merge patch: the fields it names change, the rest stay) RFC 7396's type too.
// huma itself would take a missing Content-Type, and any "+json" type, as JSON.
func bodyTypes(method string) []string {
	if method == http.MethodPatch {
		return []string{"application/json", "application/merge-patch+json"}
	}
	return []string{"application/json"}
}

// requireJSON is the huma middleware that refuses, with 415, an /api/ request with a body
// whose Content-Type is missing or not one of bodyTypes. It is what keeps other sites out of
// the API: an HTML form or a no-cors fetch can post text/plain, urlencoded and multipart
// bodies, or a body with no Content-Type at all, without a CORS preflight; JSON needs one,
// which this server never grants. Login answers without credentials and so relies on it.
func (s *server) requireJSON(ctx huma.Context, next func(huma.Context)) {
	r, w := unwrapHuma(ctx)
	if r.ContentLength == 0 || !strings.HasPrefix(r.URL.Path, "/api/") {
		next(ctx)
		return
	}
	ct := r.Header.Get("Content-Type")
	if mt, params, err := mime.ParseMediaType(ct); err == nil && slices.Contains(bodyTypes(r.Method), mt) {
		// Media types are case-insensitive; huma's own check is not, so it gets the
		// lower-case form and this stays the one rule for what a body may be.
		r.Header.Set("Content-Type", mime.FormatMediaType(mt, params))
		next(ctx)
		return
	}
	writeProblem(w, notJSON(r.Method, ct))
}

// notJSON is the 415 answer to a body of another type, or of none.
func notJSON(method, got string) *Problem {
	want := bodyTypes(method)
	msg := "missing; expected " + strings.Join(want, " or ")
	if got != "" {
		msg = "expected " + strings.Join(want, " or ")
	}
	return problem(http.StatusUnsupportedMediaType, "request bodies are JSON: send Content-Type: application/json",
		ProblemDetail{Header: "Content-Type", Message: msg})
}

// locate turns a huma location into a pointer, parameter or header.
func locate(loc, msg string) ProblemDetail {
	d := ProblemDetail{Message: msg}
	where, rest, _ := strings.Cut(loc, ".")
	switch where {
	case "query", "path":
		d.Parameter = rest
		return d
	case "header":
		d.Header = rest
		return d
	case "body":
	default:
		return d
	}
	var b strings.Builder
	for _, part := range splitLocation(rest) {
		b.WriteString("/" + pointerEscape(part))
	}
	// A missing property is reported on its parent object; point at the property itself.
	if name, ok := strings.CutPrefix(msg, "expected required property "); ok {
		if name, ok = strings.CutSuffix(name, " to be present"); ok {
			b.WriteString("/" + pointerEscape(name))
		}
	}
	// A JSON syntax error has no field to point at: say where in the text it is.
	if loc == "body" && (strings.Contains(msg, "invalid character") || strings.Contains(msg, "unexpected end of JSON")) {
		d.Message = "malformed JSON: " + msg
	}
	d.Pointer = b.String()
	return d
}

// splitLocation splits "files[0].path" into "files", "0", "path".
func splitLocation(s string) []string {
	var out []string
	for _, seg := range strings.Split(s, ".") {
		for seg != "" {
			i := strings.IndexByte(seg, '[')
			if i < 0 {
				out = append(out, seg)
				break
			}
			if i > 0 {
				out = append(out, seg[:i])
			}
			j := strings.IndexByte(seg[i:], ']')
			if j < 0 {
				out = append(out, seg[i+1:])
				break
			}
			out = append(out, seg[i+1:i+j])
			seg = seg[i+j+1:]
		}
	}
	return out
}
