package web

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the HTTP server's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// auditTail is 1 when the newest entries of the audit chain verified at start, 0 when
	// they did not: an alert on it tells the operator who does not read the log.
	auditTail prometheus.Gauge
}

// newRegistry is a registry with the Go runtime and process collectors, as the default one
// has, but owned by one handler.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "perdura_http_requests_total",
			Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "perdura_http_request_duration_seconds",
			Help:    "HTTP request durations by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		auditTail: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "perdura_audit_tail_intact",
			Help: "1 when the newest entries of the audit trail's hash chain verified at start, 0 when they did not (run perdura audit verify).",
		}),
	}
	m.auditTail = register(reg, m.auditTail)
	m.requests = register(reg, m.requests)
	m.duration = register(reg, m.duration)
	return m
}

// register adds c to reg, or returns the collector already there: two handlers sharing a
// registry (a restart in tests) count into the same series.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic("web: register metrics: " + err.Error())
	}
	return c
}
