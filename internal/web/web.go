// Package web is Perdura's HTTP face: the JSON API under /api/v1/ (described by the OpenAPI
// 3.1 document it serves at /api/v1/openapi.json), health and readiness probes and
// Prometheus metrics. Who may call what is decided per route from the permission table in
// internal/auth; routes.go lists every route with the permission it needs.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

// Deps is what the handler serves from. Catalog, Auth and Audit are required; the rest have
// defaults.
type Deps struct {
	Catalog *catalog.Catalog
	Auth    auth.Store
	Audit   audit.Store
	Logger  *slog.Logger     // nil: discard
	Now     func() time.Time // nil: time.Now; drives sessions, token expiry and the login limit
	// Ready reports whether the server can serve (the database answers); nil: always ready.
	Ready func(ctx context.Context) error
	// Unavailable reports whether an error says the database is out of reach or did not
	// answer in time (sqlstore.Unavailable): the API answers such errors 503 with
	// Retry-After, and the pages a "database unavailable" page. nil: no error does.
	Unavailable func(error) bool
	// AuditBroken says why the newest entries of the audit chain did not verify when the
	// server started; "" when they did. It is shown to the users who may read the trail, and
	// is the metric perdura_audit_tail_intact.
	AuditBroken string
	// Metrics is the registry /metrics serves; nil: a new one with the Go and process
	// collectors. Never the global default registry, so that handlers in tests stay apart.
	Metrics *prometheus.Registry

	// SecureCookies marks the session cookie Secure even on plain HTTP requests: for a server
	// behind a TLS-terminating proxy. Requests that arrive over TLS always get Secure.
	SecureCookies bool
	// TrustedProxies are the addresses of reverse proxies in front of the server. A request
	// from one of them is taken to come from the client its X-Forwarded-For names (the last
	// address there that is not itself a trusted proxy), and over TLS when its
	// X-Forwarded-Proto says https: login limits, the audit trail and the logs then see the
	// real client. From any other peer those headers are ignored, so they cannot be forged.
	TrustedProxies []netip.Prefix
	// BodyLimit caps a request body in bytes (0: 1 MiB); larger bodies get 413.
	BodyLimit int64
	// ApplyLimit caps the body of POST /api/v1/apply, a whole model folder (0: 8 MiB, as
	// DefaultApplyLimit); larger bodies get 413.
	ApplyLimit int64
	// AuthOptions tune logins, sessions and password hashing (see auth.Options).
	AuthOptions auth.Options
	// Version is reported in the OpenAPI document.
	Version string
}

// DefaultApplyLimit is the largest body POST /api/v1/apply takes unless told otherwise: the
// size of the largest model file the loader reads.
const DefaultApplyLimit = 8 << 20

// server holds one handler's state; nothing in this package lives outside it.
type server struct {
	deps    Deps
	authn   *auth.Authenticator
	log     *slog.Logger
	now     func() time.Time
	api     huma.API
	mux     *http.ServeMux
	routes  []route
	metrics *metrics
	spec    []byte // the OpenAPI document, rendered once after every route is registered
	ui      *ui    // the web pages' templates and static files
	// served lists every pattern registered on mux, as huma registered it: the OpenAPI test
	// compares it with the document, so nothing is served that the document does not show.
	served []string
}

// recordingMux is the ServeMux as huma sees it, noting each pattern huma registers.
type recordingMux struct {
	*http.ServeMux
	s *server
}

func (m recordingMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.s.served = append(m.s.served, pattern)
	m.ServeMux.HandleFunc(pattern, h)
}

// NewHandler returns the HTTP handler of the API, the probes and the metrics.
func NewHandler(deps Deps) http.Handler { return newServer(deps) }

func newServer(deps Deps) *server {
	if deps.Catalog == nil || deps.Auth == nil || deps.Audit == nil {
		panic("web.NewHandler: Catalog, Auth and Audit are required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.BodyLimit <= 0 {
		deps.BodyLimit = 1 << 20
	}
	if deps.ApplyLimit <= 0 {
		deps.ApplyLimit = DefaultApplyLimit
	}
	if deps.Metrics == nil {
		deps.Metrics = newRegistry()
	}
	if deps.Version == "" {
		deps.Version = "dev"
	}
	if deps.Unavailable == nil {
		deps.Unavailable = func(error) bool { return false }
	}
	ao := deps.AuthOptions
	if ao.Now == nil {
		ao.Now = deps.Now
	}
	s := &server{
		deps:    deps,
		authn:   auth.New(deps.Auth, ao),
		log:     deps.Logger,
		now:     deps.Now,
		mux:     http.NewServeMux(),
		metrics: newMetrics(deps.Metrics),
	}
	s.metrics.auditTail.Set(1)
	if deps.AuditBroken != "" {
		s.metrics.auditTail.Set(0)
	}
	s.api = humago.New(recordingMux{s.mux, s}, s.humaConfig())
	s.api.UseMiddleware(s.requireJSON, s.authenticate)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		s.register(r)
	}
	s.spec = s.finishOpenAPI()
	s.ui = s.newUI()
	s.registerPages()
	return s
}

// humaConfig is huma's default configuration less what Perdura does itself: the OpenAPI
// document is served as a route of its own (so that the route test sees it), there is no
// docs page loading scripts from elsewhere, no $schema links in bodies, and only JSON.
func (s *server) humaConfig() huma.Config {
	cfg := huma.DefaultConfig("Perdura API", s.deps.Version)
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.CreateHooks = nil
	cfg.Formats = map[string]huma.Format{"application/json": huma.DefaultJSONFormat, "json": huma.DefaultJSONFormat}
	cfg.Transformers = []huma.Transformer{s.rewriteHumaErrors}
	cfg.Info.Description = "Perdura's JSON API: the continuity model, its analysis, users, tokens and the audit trail. " +
		"Errors are RFC 9457 problem documents (application/problem+json)."
	return cfg
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r) }
