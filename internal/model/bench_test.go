package model

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// BenchmarkLoad loads a generated estate of 5,000 services in 10 files, each depending on a
// few earlier ones through plain, soft and group entries: the shape of a real estate.
func BenchmarkLoad(b *testing.B) {
	const services, files = 5000, 10
	fsys := fstest.MapFS{}
	fsys["org/base.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: perdura/v1\nkind: Team\nmetadata: {name: ops}\nspec: {members: []}\n---\n" +
		"apiVersion: perdura/v1\nkind: Site\nmetadata: {name: dc-a}\nspec: {}\n---\napiVersion: perdura/v1\nkind: Site\nmetadata: {name: dc-b}\nspec: {}\n")}
	var sb strings.Builder
	for i := range services {
		fmt.Fprintf(&sb, "---\napiVersion: perdura/v1\nkind: Service\nmetadata: {name: svc-%d, owner: ops}\nspec:\n  type: application\n  tier: 2\n  targets: {rto: 4h, rpo: 15m}\n  runsAt: {sites: [dc-a, dc-b], mode: active-passive, failover: 5m}\n", i)
		if i >= 3 {
			fmt.Fprintf(&sb, "  dependsOn:\n    - svc-%d\n    - {service: svc-%d, impact: degraded}\n    - {anyOf: [svc-%d, svc-%d]}\n", i-1, i-2, i-3, i-2)
		}
		if (i+1)%(services/files) == 0 {
			fsys[fmt.Sprintf("org/services-%02d.yaml", i/(services/files))] = &fstest.MapFile{Data: []byte(sb.String())}
			sb.Reset()
		}
	}
	b.ResetTimer()
	for b.Loop() {
		m, problems, err := LoadFS(fsys, "org")
		if err != nil || len(problems) != 0 || len(m.Services) != services {
			b.Fatalf("err %v, %d problems, %d services", err, len(problems), len(m.Services))
		}
	}
}
