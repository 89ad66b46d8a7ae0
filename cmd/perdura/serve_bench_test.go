package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/sqlstore"
	"github.com/perdura/perdura/internal/web"
)

// benchServer is the demo organisation behind the real handler on SQLite, and an admin token.
func benchServer(b *testing.B) (*httptest.Server, string) {
	b.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := seedDemo(ctx, st); err != nil {
		b.Fatal(err)
	}
	id, secret := auth.NewToken()
	tok := auth.Token{ID: id, Name: "bench", User: "admin", Role: auth.RoleAdmin, Hash: auth.HashSecret(secret)}
	if err := st.CreateToken(ctx, auth.Actor{User: "admin", Door: catalog.DoorCLI}, tok); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(web.NewHandler(web.Deps{Catalog: catalog.New(st), Auth: st, Audit: st, Ready: st.Ping}))
	b.Cleanup(srv.Close)
	return srv, secret
}

func do(b *testing.B, c *http.Client, method, url, token, body string, want int) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %s: %s", method, url, resp.Status, data)
	}
}

// BenchmarkServerRead: GET one object through auth, routing and storage, in parallel.
func BenchmarkServerRead(b *testing.B) {
	srv, token := benchServer(b)
	b.SetParallelism(50)
	b.RunParallel(func(pb *testing.PB) {
		c := srv.Client()
		for pb.Next() {
			do(b, c, "GET", srv.URL+"/api/v1/services/checkout", token, "", 200)
		}
	})
}

// BenchmarkServerWrite: POST a new object, validated against the whole demo model.
func BenchmarkServerWrite(b *testing.B) {
	srv, token := benchServer(b)
	var n atomic.Int64
	b.SetParallelism(50)
	b.RunParallel(func(pb *testing.PB) {
		c := srv.Client()
		for pb.Next() {
			name := fmt.Sprintf("bench-%d", n.Add(1))
			doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":%q},"spec":{"email":"x@example.com","phone":"1"}}`, name)
			do(b, c, "POST", srv.URL+"/api/v1/people", token, doc, 201)
		}
	})
}

// BenchmarkServerUpdate: PUT an existing object with If-Match, each client its own object.
func BenchmarkServerUpdate(b *testing.B) {
	srv, token := benchServer(b)
	c := srv.Client()
	const objects = 200 // one per client, as scripts/bench-server.sh has
	for i := range objects {
		do(b, c, "POST", srv.URL+"/api/v1/people", token,
			fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"ed-%d"},"spec":{"email":"x@example.com"}}`, i), 201)
	}
	var n atomic.Int64
	b.SetParallelism(objects / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(n.Add(1)-1) % objects
		rev := 1
		for pb.Next() {
			rev++
			req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/api/v1/people/ed-%d", srv.URL, i), strings.NewReader(
				fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"ed-%d"},"spec":{"email":"x@example.com","phone":"%d"}}`, i, rev)))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("If-Match", fmt.Sprintf(`"%d"`, rev-1))
			resp, err := c.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("PUT: %s: %s", resp.Status, data)
			}
		}
	})
}
