package sqlstore

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// BenchmarkStartChecks is what every open of the store and every start of the server add: on
// SQLite, quick_check over the whole file; on both engines, the verification of the audit
// chain's newest 1,000 entries. The database holds 10,000 objects and 3,000 audit entries.
func BenchmarkStartChecks(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		for batch := range 20 {
			changes := make([]catalog.Change, 500)
			for i := range changes {
				changes[i] = put(model.KindService, fmt.Sprintf("svc-%05d", batch*500+i), nil)
			}
			if _, err := s.Write(ctx, api, "apply", changes, nil); err != nil {
				b.Fatal(err)
			}
		}
		for i := range 2980 {
			if err := s.AppendAudit(ctx, "alice", "api", "10.0.0.1", "login", "user/alice", fmt.Sprintf(`{"n":%d}`, i)); err != nil {
				b.Fatal(err)
			}
		}
		if s.engine == EngineSQLite {
			b.Run("quick_check", func(b *testing.B) {
				if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
					b.Fatal(err)
				}
				fi, err := os.Stat(s.dsn)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if err := s.quickCheck(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(fi.Size())/1e6, "MB")
			})
		}
		b.Run("audit_tail_1000", func(b *testing.B) {
			for b.Loop() {
				if n, err := s.VerifyAuditTail(ctx, 1000); err != nil || n != 1000 {
					b.Fatalf("VerifyAuditTail: %d, %v", n, err)
				}
			}
		})
	})
}
