package sqlstore

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// The load figures (200 clients, mixed reads and writes, through HTTP) are measured
// elsewhere; these are the storage's own share of them, for both engines.

func benchEngines(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, openSQLiteStore(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, openPostgresStore(b, WithPostgresConns(16))) })
}

// BenchmarkWrite is unconditional single-object writes from parallel clients, each its own
// object, so that every write is a full transaction with a revision and an audit entry.
func BenchmarkWrite(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		var clients atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			name := fmt.Sprintf("svc-%d", clients.Add(1))
			d := doc(string(model.KindService), name, nil)
			for pb.Next() {
				if _, err := s.Write(ctx, api, "object.update", []catalog.Change{{Kind: model.KindService, Name: name, Document: d}}, nil); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkRead is reads of one object by parallel clients.
func BenchmarkRead(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		for i := range 100 {
			c := put(model.KindService, fmt.Sprintf("svc-%03d", i), nil)
			if _, err := s.Write(ctx, api, "object.create", []catalog.Change{c}, nil); err != nil {
				b.Fatal(err)
			}
		}
		var clients atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			name := fmt.Sprintf("svc-%03d", clients.Add(1)%100)
			for pb.Next() {
				if _, err := s.Object(ctx, model.KindService, name); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
