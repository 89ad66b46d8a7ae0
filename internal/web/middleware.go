package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// reqInfo is what the outer middleware knows of a request and the inner layers add to
// (the route, the user), for the log line, the metrics and the audit trail.
type reqInfo struct {
	id     string
	remote string // client address without port
	tls    bool
	route  string
	user   string
}

type infoKey struct{}

// infoFrom returns the request's info; a zero one outside a request (never nil, so callers
// need no checks).
func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recorder notes the status for logs and metrics, and lets the error transformer swap one
// status for another before huma writes it (see rewriteHumaErrors).
type recorder struct {
	http.ResponseWriter
	status   int
	from, to int
}

func (r *recorder) rewrite(from, to int) { r.from, r.to = from, to }

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return // a second call would only make net/http log "superfluous WriteHeader"
	}
	if r.from != 0 && code == r.from {
		code = r.to
	}
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (huma sets read deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// unwrapHuma returns the request and recorder behind a huma context.
func unwrapHuma(ctx huma.Context) (*http.Request, *recorder) {
	r, w := humago.Unwrap(ctx)
	rec, _ := w.(*recorder)
	return r, rec
}

// capture is a ResponseWriter that keeps only the status and headers: it runs ServeMux's
// own 404/405/redirect handlers so their answers can be rewritten as problem documents.
type capture struct {
	h      http.Header
	status int
}

func (c *capture) Header() http.Header { return c.h }
func (c *capture) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}

// client is the address of the client a request comes from, without port, and whether it
// reached us over TLS: the peer itself, or, when the peer is a trusted proxy, what the proxy's
// X-Forwarded-For and X-Forwarded-Proto say (see Deps.TrustedProxies).
func (s *server) client(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	tls := r.TLS != nil
	if !s.trusted(host) {
		return host, tls
	}
	if proto := r.Header.Get("X-Forwarded-Proto"); proto != "" {
		tls = strings.EqualFold(strings.TrimSpace(proto), "https")
	}
	// Each proxy appends the address it got the request from: read from the right, past the
	// trusted proxies, to the first address no proxy of ours vouches for.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a header that does not parse says nothing more we can trust
		}
		host = a.Unmap().String()
		if !s.trusted(host) {
			break
		}
	}
	return host, tls
}

// trusted reports whether an address is one of Deps.TrustedProxies.
func (s *server) trusted(host string) bool {
	if len(s.deps.TrustedProxies) == 0 {
		return false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.deps.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// serve is the outermost layer: request id, panic recovery, security headers, problem
// documents for unknown routes, the access log and the metrics.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	host, tls := s.client(r)
	info := &reqInfo{id: newRequestID(), remote: host, tls: tls}
	r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
	rec := &recorder{ResponseWriter: w}
	h := rec.Header()
	h.Set("X-Request-Id", info.id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store") // answers carry a user's data and CSRF tokens
	if tls {
		// Served over TLS (here or at a trusted proxy): browsers are to come back only so.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}

	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "request_id", info.id, "route", info.route,
				"panic", v, "stack", string(debug.Stack()))
			if rec.status == 0 {
				p := problem(http.StatusInternalServerError, "internal error; the server's log has the cause under this request id")
				p.RequestID = info.id
				writeProblem(rec, p)
			}
		}
		s.observe(r, rec, info, start)
	}()

	if n := headerSize(r); n > MaxHeaderBytes {
		h.Set("Connection", "close")
		writeProblem(rec, problem(http.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("the request line and headers take %d bytes; this server takes at most %d", n, MaxHeaderBytes)))
		return
	}
	if s.refuseBadInput(rec, r) {
		return
	}
	if handler, pattern := s.mux.Handler(r); pattern == "" {
		// ServeMux's own answers are plain text; keep their status and headers (Allow,
		// Location) and answer with a problem document instead.
		c := &capture{h: http.Header{}}
		handler.ServeHTTP(c, r)
		for k, vs := range c.h {
			if k == "Allow" || k == "Location" {
				h[k] = vs
			}
		}
		if c.status >= 300 && c.status < 400 {
			rec.WriteHeader(c.status)
			return
		}
		if wantsHTML(r) && (c.status == http.StatusNotFound || c.status == http.StatusMethodNotAllowed) {
			p, _ := s.pagePrincipal(r)
			s.pageError(rec, r, p, c.status, "There is no such page: "+r.URL.Path)
			return
		}
		writeProblem(rec, problem(c.status, "no such route: "+r.Method+" "+r.URL.Path))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// MaxHeaderBytes bounds the request line (the URL with its query) and the headers of a
// request: larger ones are answered 431 with a problem document. The http.Server is to read
// up to HeaderReadLimit, so that this check, not Go's plain-text 431, is what answers them.
const (
	MaxHeaderBytes  = 64 << 10
	HeaderReadLimit = 1 << 20
)

// headerSize is about what a request's line and headers took on the wire.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n + len(r.Host)
}

// metricMethod is a request's method as a metrics label: one of the standard methods, or
// OTHER. Anyone may send any token as a method, without signing in, and every label value is
// a series the server keeps in memory for good; the log line keeps the method as sent.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// observe logs the request and counts it by route pattern (never the raw path, whose names
// would make the metrics unbounded), method (standard or OTHER) and status: every label has
// a bounded set of values, whatever clients send.
func (s *server) observe(r *http.Request, rec *recorder, info *reqInfo, start time.Time) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	info.route = route
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	d := time.Since(start)
	method := metricMethod(r.Method)
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(method, route).Observe(d.Seconds())
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.Log(r.Context(), level, "request", "request_id", info.id, "method", r.Method, "route", route,
		"status", status, "duration_ms", float64(d.Microseconds())/1000, "user", info.user, "remote", info.remote)
}
