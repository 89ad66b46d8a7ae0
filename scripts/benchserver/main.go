// Command benchserver measures the Perdura server under 200 concurrent clients on SQLite and
// PostgreSQL, side by side: reads of one object, writes, and a 90/10 mix, each for a fixed
// time, with throughput, p50 and p99 latency, errors, and any "database is locked" seen.
// It builds and starts the real binary; scripts/bench-server.sh runs it. The load generator
// shares the machine's cores with the server, as a client on the same host would.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

func main() {
	var (
		bin      = flag.String("bin", "", "the perdura binary")
		pg       = flag.String("postgres", os.Getenv("PERDURA_TEST_POSTGRES"), "admin URL of a PostgreSQL server (a fresh database is made in it)")
		clients  = flag.Int("clients", 200, "concurrent clients")
		duration = flag.Duration("duration", 10*time.Second, "length of each phase")
	)
	flag.Parse()
	if *bin == "" {
		fail("-bin is required")
	}
	fmt.Printf("| engine | phase | requests | per second | p50 | p99 | errors | \"database is locked\" |\n")
	fmt.Printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	dir, err := os.MkdirTemp("", "perdura-bench-")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	engines := []struct{ name, dsn string }{{"sqlite", filepath.Join(dir, "bench.db")}}
	if *pg != "" {
		dsn, drop := freshPostgres(*pg)
		defer drop()
		engines = append(engines, struct{ name, dsn string }{"postgres", dsn})
	} else {
		fmt.Fprintln(os.Stderr, "benchserver: no -postgres URL: PostgreSQL skipped")
	}
	for _, e := range engines {
		benchEngine(*bin, e.name, e.dsn, *clients, *duration)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchserver: "+format+"\n", args...)
	os.Exit(1)
}

// freshPostgres creates a database for this run and returns its URL and how to drop it.
func freshPostgres(admin string) (string, func()) {
	dsn, drop, err := pgtest.Create(context.Background(), admin, "perdura_bench_")
	if err != nil {
		fail("postgres: %v", err)
	}
	return dsn, func() {
		if err := drop(); err != nil {
			fmt.Fprintf(os.Stderr, "benchserver: %v\n", err)
		}
	}
}

func run(bin string, stdin string, args ...string) {
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		fail("perdura %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func benchEngine(bin, engine, dsn string, clients int, d time.Duration) {
	const password = "benchmark password 1"
	run(bin, password+"\n", "user", "add", "admin", "--role", "admin", "--password-stdin", "--db", dsn)
	run(bin, "", "apply", findExamples(), "--db", dsn, "--source", "demo")
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn")
	out, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		fail("serve: %v", err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	base := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "perdura: serving "); ok {
			base = u
			break
		}
	}
	if base == "" {
		fail("%s: the server did not start", engine)
	}
	go io.Copy(io.Discard, out)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients}}
	token := login(client, base, password)

	read := func(int, int) (string, string, []byte) { return "GET", base + "/api/v1/services/checkout", nil }
	write := func(c, i int) (string, string, []byte) {
		name := fmt.Sprintf("bench-%s-%d-%d-%d", engine, time.Now().UnixNano()%1e6, c, i)
		doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":%q},"spec":{"email":"%s@example.com","phone":"+1 555 0100"}}`, name, name)
		return "POST", base + "/api/v1/people", []byte(doc)
	}
	// Updates keep the model's size steady: each client edits a person of its own, with the
	// revision the last answer gave (If-Match), as an editor in the UI would.
	revs := make([]int64, clients)
	for c := range clients {
		doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"editor-%d"},"spec":{"email":"e%d@example.com","phone":"1"}}`, c, c)
		req, _ := http.NewRequest("POST", base+"/api/v1/people", strings.NewReader(doc))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 201 {
			fail("create editor-%d: %v %v", c, err, resp)
		}
		resp.Body.Close()
		revs[c] = 1
	}
	update := func(c, i int) (string, string, []byte) {
		doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"editor-%d"},"spec":{"email":"e%d@example.com","phone":"%d"}}`, c, c, i)
		return "PUT", fmt.Sprintf("%s/api/v1/people/editor-%d#%d", base, c, revs[c]), []byte(doc)
	}
	mixed := func(c, i int) (string, string, []byte) {
		if i%10 == 9 {
			return update(c, i)
		}
		return read(c, i)
	}
	onAnswer := func(c int, resp *http.Response) { // the next If-Match
		if etag := strings.Trim(resp.Header.Get("ETag"), `"W/`); etag != "" && resp.Request.Method == "PUT" {
			if n, err := strconv.ParseInt(etag, 10, 64); err == nil {
				revs[c] = n
			}
		}
	}
	for _, p := range []struct {
		name string
		req  func(c, i int) (string, string, []byte)
	}{{"read one object", read}, {"write: create", write}, {"write: update", update}, {"mixed 90% read, 10% update", mixed}} {
		r := phase(client, token, clients, d, p.req, onAnswer)
		fmt.Printf("| %s | %s | %d | %.0f | %s | %s | %d | %d |\n", engine, p.name, r.n, float64(r.n)/d.Seconds(),
			ms(r.p50), ms(r.p99), r.errors, r.locked)
	}
}

// findExamples locates the repository's examples/ from the working directory up.
func findExamples() string {
	dir, _ := os.Getwd()
	for {
		p := filepath.Join(dir, "examples")
		if st, err := os.Stat(filepath.Join(p, "functions.yaml")); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			fail("examples/ not found above the working directory")
		}
		dir = parent
	}
}

func login(c *http.Client, base, password string) string {
	body := fmt.Sprintf(`{"user":"admin","password":%q}`, password)
	resp, err := c.Post(base+"/api/v1/login", "application/json", strings.NewReader(body))
	if err != nil {
		fail("login: %v", err)
	}
	var me struct {
		CSRF string `json:"csrf"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/tokens", strings.NewReader(`{"name":"bench"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", me.CSRF)
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = c.Do(req)
	if err != nil {
		fail("token: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		Secret string `json:"secret"`
	}
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &tok)
	if tok.Secret == "" {
		fail("token: %s: %s", resp.Status, data)
	}
	return tok.Secret
}

type result struct {
	n, errors, locked int
	p50, p99          time.Duration
}

// phase runs clients goroutines issuing requests back to back for d.
func phase(c *http.Client, token string, clients int, d time.Duration, next func(c, i int) (string, string, []byte), onAnswer func(c int, resp *http.Response)) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var errs, locked atomic.Int64
	var firstErr sync.Once
	report := func(what string) {
		firstErr.Do(func() { fmt.Fprintf(os.Stderr, "benchserver: first error: %s\n", what) })
	}
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				method, u, body := next(cl, i)
				u, rev, _ := strings.Cut(u, "#") // an update carries its If-Match revision after #
				req, _ := http.NewRequest(method, u, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				if rev != "" {
					req.Header.Set("If-Match", `"`+rev+`"`)
				}
				if body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				start := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					errs.Add(1)
					report(err.Error())
					continue
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				onAnswer(cl, resp)
				if ctx.Err() != nil {
					break // finished after the phase ended: not counted
				}
				mine = append(mine, time.Since(start))
				if resp.StatusCode >= 300 {
					errs.Add(1)
					report(fmt.Sprintf("%s %s: %s: %.300s", method, u, resp.Status, data))
				}
				if bytes.Contains(data, []byte("database is locked")) || bytes.Contains(data, []byte("SQLITE_BUSY")) {
					locked.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	r := result{n: len(lat), errors: int(errs.Load()), locked: int(locked.Load())}
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[len(lat)*99/100]
	}
	return r
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
