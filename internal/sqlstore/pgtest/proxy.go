package pgtest

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// SilentProxy forwards TCP connections to a PostgreSQL server until Silence is called; from
// then on it accepts connections and holds them open without passing a byte either way: a
// server that hung, or a network path that drops packets without resetting anything. A
// proxy without a target is silent from the start.
type SilentProxy struct {
	ln     net.Listener
	target string
	quiet  atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

// NewSilentProxy starts a proxy to target (host:port; "" for one that never answers),
// closed with everything it holds when the test ends.
func NewSilentProxy(t testing.TB, target string) *SilentProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &SilentProxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	go p.serve()
	return p
}

// Addr is the proxy's host:port.
func (p *SilentProxy) Addr() string { return p.ln.Addr().String() }

// URL is dsn, a postgres:// URL, rewritten to reach its server through the proxy.
func (p *SilentProxy) URL(t testing.TB, dsn string) string {
	t.Helper()
	return Through(t, dsn, p.Addr())
}

// Silence stops the proxy passing bytes, on the connections it holds and on new ones.
func (p *SilentProxy) Silence() { p.quiet.Store(true) }

// Through rewrites a postgres:// URL to reach its server at addr instead.
func Through(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// Host is the host:port a postgres:// URL names.
func Host(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func (p *SilentProxy) hold(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *SilentProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.hold(c)
		if p.quiet.Load() || p.target == "" {
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.hold(up)
		go p.pipe(up, c)
		go p.pipe(c, up)
	}
}

// pipe copies from src to dst while the proxy speaks, and swallows everything after.
func (p *SilentProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.quiet.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// ClosingListener accepts connections and closes each at once: a port where something
// answers but is not PostgreSQL, or a server refusing clients. It returns its host:port.
func ClosingListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}
