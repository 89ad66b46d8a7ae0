package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Status is the answer of the probes.
type Status struct {
	Status string `json:"status" example:"ok"`
}

type statusOutput struct{ Body Status }

// healthz answers while the process runs: a liveness probe must not fail because the
// database is slow, or the orchestrator restarts a server that would have recovered.
func (s *server) healthz(context.Context, *struct{}) (*statusOutput, error) {
	return &statusOutput{Body: Status{Status: "ok"}}, nil
}

// readyz answers 200 when the database answers, so a load balancer sends no traffic to a
// server that cannot serve it. The cause goes to the log, not to the unauthenticated caller.
func (s *server) readyz(ctx context.Context, _ *struct{}) (*statusOutput, error) {
	if s.deps.Ready != nil {
		if err := s.deps.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "request_id", infoFrom(ctx).id, "error", err.Error())
			p := problem(http.StatusServiceUnavailable, "not ready: the database does not answer")
			p.GetHeaders().Set("Retry-After", retryAfter)
			return nil, p
		}
	}
	return &statusOutput{Body: Status{Status: "ready"}}, nil
}

type streamOutput struct {
	Body func(huma.Context)
}

func (s *server) serveMetrics(context.Context, *struct{}) (*streamOutput, error) {
	h := promhttp.HandlerFor(s.deps.Metrics, promhttp.HandlerOpts{})
	return &streamOutput{Body: func(ctx huma.Context) {
		r, w := humago.Unwrap(ctx)
		h.ServeHTTP(w, r)
	}}, nil
}
