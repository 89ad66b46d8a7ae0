package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/perdura/perdura/internal/auth"
)

// route is one operation: where it is, what it needs, and how to register its handler. The
// permission travels in the operation's metadata to the authentication middleware and into
// the OpenAPI document (x-perdura-permission), and the role matrix test walks this table.
type route struct {
	method, path, id, summary string
	tag                       string
	perm                      auth.Permission // "" = public: answers without credentials
	status                    int             // success status when not 200
	limit                     int64           // body limit when not Deps.BodyLimit
	errors                    []int           // statuses the route answers besides the common ones
	register                  func(huma.API, huma.Operation)
	// sessionOnly: API tokens other than an admin's are refused with 403 (needSession), by
	// the authentication middleware before the body is read, and by the handler again for
	// the pages that call it; the role matrix test expects it, the OpenAPI document says it.
	sessionOnly bool
}

// public marks routes that answer without credentials.
const public auth.Permission = ""

// routeTable lists every route of the server.
func (s *server) routeTable() []route {
	rs := []route{
		// Probes, metrics and the API's own description answer without credentials, so
		// that load balancers, Prometheus and code generators need no token.
		{method: "GET", path: "/healthz", id: "healthz", summary: "The process is up", tag: "operations", perm: public, register: reg(s, s.healthz)},
		{method: "GET", path: "/readyz", id: "readyz", summary: "The server can serve: the database answers", tag: "operations", perm: public, errors: []int{503}, register: reg(s, s.readyz)},
		{method: "GET", path: "/metrics", id: "metrics", summary: "Prometheus metrics (text format)", tag: "operations", perm: public, register: reg(s, s.serveMetrics)},
		{method: "GET", path: "/api/v1/openapi.json", id: "openapi", summary: "This API's OpenAPI 3.1 document", tag: "operations", perm: public, register: reg(s, s.openapi)},

		{method: "POST", path: "/api/v1/login", id: "login", summary: "Sign in: a session cookie and its CSRF token", tag: "session", perm: public, errors: []int{401, 429}, register: reg(s, s.login)},
		{method: "POST", path: "/api/v1/logout", id: "logout", summary: "End the session", tag: "session", perm: auth.PermSelf, status: 204, register: reg(s, s.logout)},
		{method: "GET", path: "/api/v1/me", id: "me", summary: "Who is signed in, with the session's CSRF token", tag: "session", perm: auth.PermSelf, register: reg(s, s.me)},

		{method: "POST", path: "/api/v1/apply", id: "apply", summary: "Store a model folder's files as one source, all or nothing", tag: "model", perm: auth.PermEdit, limit: s.deps.ApplyLimit, errors: []int{409, 422}, register: reg(s, s.apply)},
		{method: "POST", path: "/api/v1/analyze", id: "analyze", summary: "The impact of a failure on the stored model", tag: "model", perm: auth.PermRead, errors: []int{422}, register: reg(s, s.analyze)},
		{method: "GET", path: "/api/v1/findings", id: "findings", summary: "Lint findings of the stored model", tag: "model", perm: auth.PermRead, register: reg(s, s.findings)},
		{method: "GET", path: "/api/v1/estate", id: "estate", summary: "The estate report: single points of failure, worst single failures", tag: "model", perm: auth.PermRead, register: reg(s, s.estate)},

		{method: "GET", path: "/api/v1/users", id: "list-users", summary: "List users", tag: "users", perm: auth.PermAdmin, register: reg(s, s.listUsers)},
		{method: "POST", path: "/api/v1/users", id: "create-user", summary: "Create a user", tag: "users", perm: auth.PermAdmin, status: 201, errors: []int{409}, register: reg(s, s.createUser)},
		{method: "GET", path: "/api/v1/users/{name}", id: "get-user", summary: "One user", tag: "users", perm: auth.PermAdmin, errors: []int{404}, register: reg(s, s.getUser)},
		{method: "PATCH", path: "/api/v1/users/{name}", id: "update-user", summary: "Change a user's role, name, password, or disable them", tag: "users", perm: auth.PermAdmin, errors: []int{404, 409}, register: reg(s, s.updateUser)},
		{method: "DELETE", path: "/api/v1/users/{name}", id: "delete-user", summary: "Delete a user", tag: "users", perm: auth.PermAdmin, status: 204, errors: []int{404, 409}, register: reg(s, s.deleteUser)},

		{method: "GET", path: "/api/v1/tokens", id: "list-tokens", summary: "List API tokens (one's own; an admin's: everyone's)", tag: "tokens", perm: auth.PermSelf, register: reg(s, s.listTokens)},
		{method: "POST", path: "/api/v1/tokens", id: "create-token", summary: "Create an API token; its secret is in this answer only", tag: "tokens", perm: auth.PermSelf, sessionOnly: true, status: 201, register: reg(s, s.createToken)},
		{method: "DELETE", path: "/api/v1/tokens/{id}", id: "revoke-token", summary: "Revoke an API token", tag: "tokens", perm: auth.PermSelf, sessionOnly: true, status: 204, errors: []int{404}, register: reg(s, s.revokeToken)},

		{method: "GET", path: "/api/v1/audit", id: "list-audit", summary: "The audit trail, newest first", tag: "audit", perm: auth.PermAudit, register: reg(s, s.listAudit)},
		{method: "GET", path: "/api/v1/audit/verify", id: "verify-audit", summary: "Recompute the audit trail's hash chain", tag: "audit", perm: auth.PermAudit, register: reg(s, s.verifyAudit)},
	}
	for _, k := range kinds() {
		base := "/api/v1/" + k.plural
		one := base + "/{name}"
		rs = append(rs,
			route{method: "GET", path: base, id: "list-" + k.plural, summary: "List " + k.plural, tag: k.plural, perm: auth.PermRead, register: reg(s, s.listObjects(k))},
			route{method: "POST", path: base, id: "create-" + k.singular, summary: "Create a " + k.singular, tag: k.plural, perm: auth.PermEdit, status: 201, errors: []int{409, 422}, register: reg(s, s.createObject(k))},
			route{method: "GET", path: one, id: "get-" + k.singular, summary: "One " + k.singular + "; ETag is its revision", tag: k.plural, perm: auth.PermRead, errors: []int{404}, register: reg(s, s.getObject(k))},
			route{method: "PUT", path: one, id: "update-" + k.singular, summary: "Replace a " + k.singular + " (If-Match: its revision)", tag: k.plural, perm: auth.PermEdit, errors: []int{404, 409, 412, 422, 428}, register: reg(s, s.updateObject(k))},
			route{method: "DELETE", path: one, id: "delete-" + k.singular, summary: "Delete a " + k.singular + " (If-Match optional)", tag: k.plural, perm: auth.PermEdit, status: 204, errors: []int{404, 409, 412, 422}, register: reg(s, s.deleteObject(k))},
			route{method: "GET", path: one + "/revisions", id: "list-" + k.singular + "-revisions", summary: "A " + k.singular + "'s revisions, oldest first", tag: k.plural, perm: auth.PermRead, errors: []int{404}, register: reg(s, s.listRevisions(k))},
			route{method: "GET", path: one + "/revisions/{rev}", id: "get-" + k.singular + "-revision", summary: "One revision of a " + k.singular, tag: k.plural, perm: auth.PermRead, errors: []int{404}, register: reg(s, s.getRevision(k))},
			route{method: "GET", path: one + "/diff", id: "diff-" + k.singular, summary: "Unified diff of two revisions of a " + k.singular + ", as YAML", tag: k.plural, perm: auth.PermRead, errors: []int{404}, register: reg(s, s.diffObject(k))},
		)
	}
	return rs
}

// reg adapts a handler to huma: every error it returns becomes a problem document through
// toProblem, the one place errors are mapped to statuses.
func reg[I, O any](s *server, f func(context.Context, *I) (*O, error)) func(huma.API, huma.Operation) {
	return func(api huma.API, op huma.Operation) {
		huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
			out, err := f(ctx, in)
			if err != nil {
				return nil, s.toProblem(ctx, err)
			}
			return out, nil
		})
	}
}

// register adds one route to the API.
func (s *server) register(r route) {
	limit := r.limit
	if limit == 0 {
		limit = s.deps.BodyLimit
	}
	op := huma.Operation{
		Method: r.method, Path: r.path, OperationID: r.id, Summary: r.summary, Tags: []string{r.tag},
		DefaultStatus: r.status,
		// huma answers 413 when it has read MaxBodyBytes; one more than the limit lets a body
		// of exactly the limit through.
		MaxBodyBytes: limit + 1,
		Metadata:     map[string]any{metaPerm: r.perm, metaSessionOnly: r.sessionOnly},
	}
	if r.perm != public {
		op.Security = []map[string][]string{{"session": {}}, {"bearer": {}}}
		op.Extensions = map[string]any{"x-perdura-permission": string(r.perm)}
	}
	if r.sessionOnly {
		op.Description = "Needs a browser session (POST /api/v1/login): an API token is refused with 403 unless it acts as an admin."
		op.Extensions["x-perdura-session-only"] = true
	}
	r.register(s.api, op)
}

// routeErrors are the error statuses a route may answer, for its OpenAPI responses.
func routeErrors(r route, hasBody, hasParams bool) []int {
	var errs []int
	if hasBody || hasParams {
		errs = append(errs, http.StatusBadRequest)
	}
	if r.perm != public {
		errs = append(errs, http.StatusUnauthorized, http.StatusForbidden)
	}
	if hasBody {
		errs = append(errs, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	errs = append(errs, r.errors...)
	// Every route that reads the database may find it unavailable (toProblem answers 503).
	if (r.perm != public || r.id == "login") && !slices.Contains(errs, http.StatusServiceUnavailable) {
		errs = append(errs, http.StatusServiceUnavailable)
	}
	return append(errs, http.StatusInternalServerError)
}
