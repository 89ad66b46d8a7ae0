package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/perdura/perdura/examples"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/sqlstore"
	"github.com/perdura/perdura/internal/web"
)

// serveOptions are the flags serve and demo share.
type serveOptions struct {
	addr, dsn, tlsCert, tlsKey, logFormat, logLevel string
	secureCookies                                   bool
	maxSessions                                     int
	applyLimit                                      string // --apply-limit, a size such as 8MiB
	applyBytes                                      int64  // applyLimit, read by logger
	trustedProxies                                  []string
	trusted                                         []netip.Prefix // trustedProxies, read by logger
	timeouts                                        sqlstore.Timeouts
	auditBroken                                     string // why the audit tail did not verify at start
}

func (o *serveOptions) flags(c *cobra.Command, withDB bool) {
	c.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8080", "the address to listen on (port 0 picks a free one)")
	if withDB {
		dbFlag(c, &o.dsn)
		def := sqlstore.DefaultTimeouts()
		c.Flags().DurationVar(&o.timeouts.Connect, "db-connect-timeout", def.Connect, "how long to wait for a connection to PostgreSQL, TLS and authentication included (0: no bound)")
		c.Flags().DurationVar(&o.timeouts.Statement, "db-statement-timeout", def.Statement, "how long one statement may run, and wait for the database's answer or a SQLite lock (0: no bound)")
		c.Flags().DurationVar(&o.timeouts.Transaction, "db-transaction-timeout", def.Transaction, "how long one write transaction may hold the write lock (0: no bound)")
	}
	c.Flags().StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate file (with --tls-key)")
	c.Flags().StringVar(&o.tlsKey, "tls-key", "", "the private key file of --tls-cert")
	c.Flags().BoolVar(&o.secureCookies, "secure-cookies", false, "mark session cookies Secure on plain HTTP (behind a TLS-terminating proxy)")
	c.Flags().StringSliceVar(&o.trustedProxies, "trusted-proxies", nil, "addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (comma-separated)")
	c.Flags().StringVar(&o.applyLimit, "apply-limit", "8MiB", "the largest body POST /api/v1/apply takes (a model folder sent by perdura apply), such as 8MiB or 32MiB; larger ones are refused with 413")
	c.Flags().IntVar(&o.maxSessions, "max-sessions", auth.DefaultMaxSessions, "the most browser sessions one user keeps; signing in once more ends the oldest")
	c.Flags().StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	c.Flags().StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
}

func newServeCmd(e *env) *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web UI and the JSON API",
		Long: `Serve runs the Perdura server on an embedded SQLite database (the default, in the data
directory) or a PostgreSQL database (--db postgres://...), which several servers may share.
Migrations are applied on start. Create the first admin with 'perdura user add NAME --role admin'.

The server stops gracefully on SIGINT or SIGTERM, finishing the requests in flight.`,
		Example: "  perdura serve --addr :8080\n  PERDURA_DB=postgres://perdura@db.internal/perdura perdura serve",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := o.logger(cmd, e)
			if err != nil {
				return err
			}
			for _, d := range []struct {
				flag string
				v    time.Duration
			}{{"db-connect-timeout", o.timeouts.Connect}, {"db-statement-timeout", o.timeouts.Statement}, {"db-transaction-timeout", o.timeouts.Transaction}} {
				if d.v < 0 {
					return cannot("%s %s: expected a duration of 0 (no bound) or more, such as 10s", flagLabel(cmd, d.flag), d.v)
				}
			}
			st, err := openStore(cmd.Context(), e, o.dsn, sqlstore.WithTimeouts(o.timeouts))
			if err != nil {
				return err
			}
			defer st.Close()
			o.auditBroken = checkAuditTail(cmd.Context(), log, st)
			return serve(cmd.Context(), e, log, st, o, nil)
		},
	}
	o.flags(c, true)
	return c
}

func newDemoCmd(e *env) *cobra.Command {
	var o serveOptions
	var keep string
	c := &cobra.Command{
		Use:   "demo",
		Short: "Serve a fresh Perdura holding the demo organisation, Northwind Retail",
		Long: `Demo starts a server on a fresh embedded database that holds the demo organisation (the
model in examples/, embedded in the binary) and a demo admin, whose password it prints once,
with a first request to try. It serves the web UI and the JSON API, as perdura serve does.
The database lives in a temporary folder removed on exit, unless --keep names a file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := o.logger(cmd, e)
			if err != nil {
				return err
			}
			dsn := keep
			if dsn == "" {
				dir, err := os.MkdirTemp("", "perdura-demo-")
				if err != nil {
					return cannot("temporary folder: %v", err)
				}
				defer os.RemoveAll(dir)
				dsn = dir + "/demo.db"
			} else if _, err := os.Stat(dsn); err == nil {
				return cannot("--keep %s: the file exists; the demo starts from a fresh database", dsn)
			}
			st, err := openStore(cmd.Context(), e, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			password, err := seedDemo(cmd.Context(), st)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), e, log, st, o, func(url string) {
				fmt.Fprintf(e.stdout, "\nPerdura demo: Northwind Retail, a mid-size online retailer\n")
				fmt.Fprintf(e.stdout, "  open      %s/   in a browser, and sign in:\n", url)
				fmt.Fprintf(e.stdout, "  user      admin\n  password  %s   (shown once)\n\n", password)
				fmt.Fprintf(e.stdout, "Try: what does losing the Frankfurt data centre take down?\n")
				fmt.Fprintf(e.stdout, "  %s/whatif?fail=site/dc-frankfurt\n", url)
				fmt.Fprintf(e.stdout, "The JSON API is under %s/api/v1/ (described at %s/api/v1/openapi.json).\n\n", url, url)
			})
		},
	}
	o.flags(c, false)
	c.Flags().StringVar(&keep, "keep", "", "keep the demo database in this new SQLite file instead of a temporary one")
	return c
}

// seedDemo stores the embedded demo organisation and creates the demo admin.
func seedDemo(ctx context.Context, st *sqlstore.Store) (password string, err error) {
	if err := examples.Seed(ctx, catalog.New(st), "demo"); err != nil {
		return "", cannot("%v", err)
	}
	if password, err = auth.GeneratePassword(); err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	u := auth.User{Name: "admin", DisplayName: "Demo admin", Role: auth.RoleAdmin, PasswordHash: hash}
	if err := st.CreateUser(ctx, auth.Actor{User: "demo", Door: catalog.DoorCLI}, u); err != nil {
		return "", cannot("create the demo admin: %v", err)
	}
	return password, nil
}

// logger checks the flags the server reads (log format and level, trusted proxies) before
// anything is opened, and makes the logger.
func (o *serveOptions) logger(c *cobra.Command, e *env) (*slog.Logger, error) {
	if err := oneOf(c, "log-format", o.logFormat, "text", "json"); err != nil {
		return nil, err
	}
	if o.maxSessions < 1 {
		return nil, cannot("%s %d: expected a number of sessions, at least 1", flagLabel(c, "max-sessions"), o.maxSessions)
	}
	n, err := humanize.ParseBytes(o.applyLimit)
	if err != nil || n < 1<<10 || n > 1<<30 {
		return nil, cannot("%s %q: expected a size from 1KiB to 1GiB, such as 8MiB", flagLabel(c, "apply-limit"), o.applyLimit)
	}
	o.applyBytes = int64(n)
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, cannot("%s %q: expected debug, info, warn or error", flagLabel(c, "log-level"), o.logLevel)
	}
	o.trusted = o.trusted[:0]
	for _, p := range o.trustedProxies {
		p = strings.TrimSpace(p)
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return nil, cannot("%s: %q is neither an address nor a CIDR range such as 10.0.0.0/8", flagLabel(c, "trusted-proxies"), p)
			}
			pre = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		o.trusted = append(o.trusted, pre.Masked())
	}
	ho := &slog.HandlerOptions{Level: level}
	if o.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, ho)), nil
	}
	return slog.New(slog.NewTextHandler(e.stderr, ho)), nil
}

// serve listens, then serves until ctx ends, then shuts down gracefully. ready is told the
// URL once the listener is open (the demo prints its login there).
func serve(ctx context.Context, e *env, log *slog.Logger, st *sqlstore.Store, o serveOptions, ready func(url string)) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return cannot("--tls-cert and --tls-key go together")
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return cannot("listen on %s: %v", o.addr, err)
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	} else {
		ln = web.Listener(ln) // net/http's own 431 answers as problem documents
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	h := web.NewHandler(web.Deps{
		Catalog: catalog.New(st), Auth: st, Audit: st, Logger: log,
		Ready: st.Ping, Unavailable: sqlstore.Unavailable, AuditBroken: o.auditBroken, SecureCookies: o.secureCookies, TrustedProxies: o.trusted, Version: version(),
		AuthOptions: auth.Options{MaxSessions: o.maxSessions}, ApplyLimit: o.applyBytes,
	})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    web.HeaderReadLimit, // the handler answers over web.MaxHeaderBytes with a problem document
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("perdura serving", "url", url, "database", st.Engine())
	fmt.Fprintf(e.stdout, "perdura: serving %s\n", url)
	if ready != nil {
		ready(url)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		if o.tlsCert != "" {
			err = srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	})
	g.Go(func() error { // sessions expire in the database too, not only in the cookie
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-gctx.Done():
				return nil
			case now := <-t.C:
				if n, err := st.DeleteExpiredSessions(gctx, now); err != nil {
					log.Warn("delete expired sessions", "err", err)
				} else if n > 0 {
					log.Debug("deleted expired sessions", "count", n)
				}
			}
		}
	})
	g.Go(func() error {
		<-gctx.Done()
		log.Info("perdura shutting down: finishing requests in flight")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	if err := g.Wait(); err != nil {
		return cannot("serve: %v", err)
	}
	return nil
}
