package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/model"
)

// summary reads an Impact as "ref: state up" lines, the form the tables below are drawn in.
func summary(imp *Impact) map[string]string {
	out := map[string]string{}
	add := func(prefix string, objs []ObjectImpact) {
		for _, o := range objs {
			up := "never"
			if o.UpSeconds != nil {
				up = fmt.Sprint(*o.UpSeconds)
			}
			if o.State == "degraded" {
				out[prefix+o.Name] = "degraded"
				continue
			}
			out[prefix+o.Name] = "down " + up
		}
	}
	add("service/", imp.Services)
	add("function/", imp.Functions)
	return out
}

func paths(imp *Impact) map[string]string {
	out := map[string]string{}
	for _, o := range imp.Services {
		out["service/"+o.Name] = strings.Join(o.CriticalPath, " > ")
	}
	for _, o := range imp.Functions {
		out["function/"+o.Name] = strings.Join(o.CriticalPath, " > ")
	}
	return out
}

func TestImpact(t *testing.T) {
	const h = 3600
	tests := []struct {
		name  string
		objs  []model.Object
		fail  Failure
		want  map[string]string
		paths map[string]string // only the refs listed are checked
	}{
		{
			name:  "single site: back when the site is",
			objs:  []model.Object{site("s1", "4h"), svc("a", rec("30m"), runs("", "", "s1"))},
			fail:  Failure{Sites: []string{"s1"}},
			want:  map[string]string{"service/a": fmt.Sprint("down ", 4*h)},
			paths: map[string]string{"service/a": "site/s1 > service/a"},
		},
		{
			name: "scenario duration overrides the site's recovery",
			objs: []model.Object{site("s1", "4h"), svc("a", runs("", "", "s1"))},
			fail: Failure{Sites: []string{"s1"}, Duration: dur("72h")},
			want: map[string]string{"service/a": fmt.Sprint("down ", 72*h)},
		},
		{
			name: "unrecoverable site",
			objs: []model.Object{site("s1", ""), svc("a", runs("single", "", "s1"))},
			fail: Failure{Sites: []string{"s1"}},
			want: map[string]string{"service/a": "down never"},
		},
		{
			name: "failed service without recovery time is unrecoverable",
			objs: []model.Object{svc("a")},
			fail: Failure{Services: []string{"a"}},
			want: map[string]string{"service/a": "down never"},
		},
		{
			name: "in F is down even with zero recovery",
			objs: []model.Object{svc("a", rec("0")), svc("b", deps(hard("a")))},
			fail: Failure{Services: []string{"a"}},
			want: map[string]string{"service/a": "down 0", "service/b": "down 0"},
		},
		{
			name: "active-active: losing one site degrades",
			objs: []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("active-active", "", "s1", "s2"))},
			fail: Failure{Sites: []string{"s1"}},
			want: map[string]string{"service/a": "degraded"},
		},
		{
			name:  "active-active: both sites, back with the first",
			objs:  []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("active-active", "", "s1", "s2"))},
			fail:  Failure{Sites: []string{"s1", "s2"}},
			want:  map[string]string{"service/a": fmt.Sprint("down ", 2*h)},
			paths: map[string]string{"service/a": "site/s2 > service/a"},
		},
		{
			name:  "active-passive: active lost costs the failover",
			objs:  []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("active-passive", "15m", "s1", "s2"))},
			fail:  Failure{Sites: []string{"s1"}},
			want:  map[string]string{"service/a": "down 900"},
			paths: map[string]string{"service/a": "site/s1 > service/a"},
		},
		{
			name: "active-passive is the default with several sites",
			objs: []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("", "15m", "s1", "s2"))},
			fail: Failure{Sites: []string{"s1"}},
			want: map[string]string{"service/a": "down 900"},
		},
		{
			name: "active-passive: standby loss costs nothing",
			objs: []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("active-passive", "15m", "s1", "s2"))},
			fail: Failure{Sites: []string{"s2"}},
			want: map[string]string{"service/a": "degraded"},
		},
		{
			name: "active-passive: both lost, back with the first site",
			objs: []model.Object{site("s1", "4h"), site("s2", "2h"), svc("a", runs("active-passive", "15m", "s1", "s2"))},
			fail: Failure{Sites: []string{"s1", "s2"}},
			want: map[string]string{"service/a": fmt.Sprint("down ", 2*h)},
		},
		{
			name:  "anyOf with failover",
			objs:  []model.Object{svc("b", rec("1h")), svc("c", rec("1h")), svc("a", deps(anyOf("1m", hard("b"), hard("c"))))},
			fail:  Failure{Services: []string{"b"}},
			want:  map[string]string{"service/a": "down 60", "service/b": fmt.Sprint("down ", h)},
			paths: map[string]string{"service/a": "service/b > service/a"},
		},
		{
			name: "anyOf without failover: instant, degraded",
			objs: []model.Object{svc("b", rec("1h")), svc("c", rec("1h")), svc("a", deps(anyOf("", hard("b"), hard("c"))))},
			fail: Failure{Services: []string{"b"}},
			want: map[string]string{"service/a": "degraded", "service/b": fmt.Sprint("down ", h)},
		},
		{
			name: "atLeast: standby loss costs nothing",
			objs: []model.Object{svc("k1", rec("10m")), svc("k2", rec("20m")), svc("k3", rec("30m")),
				svc("a", deps(atLeast(2, "1m", hard("k1"), hard("k2"), hard("k3"))))},
			fail: Failure{Services: []string{"k3"}},
			want: map[string]string{"service/a": "degraded", "service/k3": "down 1800"},
		},
		{
			name: "atLeast: member in use lost, standby up: failover",
			objs: []model.Object{svc("k1", rec("10m")), svc("k2", rec("20m")), svc("k3", rec("30m")),
				svc("a", deps(atLeast(2, "1m", hard("k1"), hard("k2"), hard("k3"))))},
			fail: Failure{Services: []string{"k2"}},
			want: map[string]string{"service/a": "down 60", "service/k2": "down 1200"},
		},
		{
			name: "atLeast: too few left, back at the k-th smallest",
			objs: []model.Object{svc("k1", rec("10m")), svc("k2", rec("20m")), svc("k3", rec("30m")),
				svc("a", deps(atLeast(2, "1m", hard("k1"), hard("k2"), hard("k3"))))},
			fail: Failure{Services: []string{"k1", "k2"}},
			// k3 is up, so one more member is needed: the first back, k1 at 10m.
			want:  map[string]string{"service/a": "down 600", "service/k1": "down 600", "service/k2": "down 1200"},
			paths: map[string]string{"service/a": "service/k1 > service/a"},
		},
		{
			name: "atLeast: all lost",
			objs: []model.Object{svc("k1", rec("10m")), svc("k2", rec("20m")), svc("k3", rec("30m")),
				svc("a", deps(atLeast(2, "1m", hard("k1"), hard("k2"), hard("k3"))))},
			fail:  Failure{Services: []string{"k1", "k2", "k3"}},
			want:  map[string]string{"service/a": "down 1200", "service/k1": "down 600", "service/k2": "down 1200", "service/k3": "down 1800"},
			paths: map[string]string{"service/a": "service/k2 > service/a"},
		},
		{
			name: "group failover tie: path through the first member in use that was lost",
			objs: []model.Object{svc("b", rec("2h")), svc("c", rec("1h")), svc("a", deps(anyOf("1h", hard("b"), hard("c"))))},
			fail: Failure{Services: []string{"b", "c"}},
			// up = max(1h failover, 1h from c): the failover sets it, so the path is b's.
			want:  map[string]string{"service/a": fmt.Sprint("down ", h), "service/b": fmt.Sprint("down ", 2*h), "service/c": fmt.Sprint("down ", h)},
			paths: map[string]string{"service/a": "service/b > service/a"},
		},
		{
			name:  "soft dependency only degrades",
			objs:  []model.Object{svc("b", rec("1h")), svc("a", deps(soft("b"))), svc("top", deps(hard("a")))},
			fail:  Failure{Services: []string{"b"}},
			want:  map[string]string{"service/a": "degraded", "service/b": fmt.Sprint("down ", h), "service/top": "degraded"},
			paths: map[string]string{"service/top": "service/b > service/a > service/top"},
		},
		{
			name: "soft cycle is allowed and terminates",
			objs: []model.Object{svc("b", rec("1h"), deps(soft("a"))), svc("a", deps(soft("b")))},
			fail: Failure{Services: []string{"b"}},
			want: map[string]string{"service/a": "degraded", "service/b": fmt.Sprint("down ", h)},
		},
		{
			name: "nested groups: inner instant failover hides the loss",
			objs: []model.Object{svc("b", rec("1h")), svc("c", rec("2h")), svc("d", rec("3h")),
				svc("a", deps(anyOf("5m", anyOf("", hard("b"), hard("c")), hard("d"))))},
			fail: Failure{Services: []string{"b"}},
			want: map[string]string{"service/a": "degraded", "service/b": fmt.Sprint("down ", h)},
		},
		{
			name: "nested groups: inner lost, outer fails over",
			objs: []model.Object{svc("b", rec("1h")), svc("c", rec("2h")), svc("d", rec("3h")),
				svc("a", deps(anyOf("5m", anyOf("", hard("b"), hard("c")), hard("d"))))},
			fail:  Failure{Services: []string{"b", "c"}},
			want:  map[string]string{"service/a": "down 300", "service/b": fmt.Sprint("down ", h), "service/c": fmt.Sprint("down ", 2*h)},
			paths: map[string]string{"service/a": "service/b > service/a"},
		},
		{
			name: "nested groups: everything lost",
			objs: []model.Object{svc("b", rec("1h")), svc("c", rec("2h")), svc("d", rec("3h")),
				svc("a", deps(anyOf("5m", anyOf("", hard("b"), hard("c")), hard("d"))))},
			fail: Failure{Services: []string{"b", "c", "d"}},
			want: map[string]string{"service/a": fmt.Sprint("down ", h), "service/b": fmt.Sprint("down ", h),
				"service/c": fmt.Sprint("down ", 2*h), "service/d": fmt.Sprint("down ", 3*h)},
		},
		{
			name:  "provider of a service",
			objs:  []model.Object{prov("p", "2h"), svc("a", provs("p"))},
			fail:  Failure{Providers: []string{"p"}},
			want:  map[string]string{"service/a": fmt.Sprint("down ", 2*h)},
			paths: map[string]string{"service/a": "provider/p > service/a"},
		},
		{
			name:  "provider of a site",
			objs:  []model.Object{prov("p", "2h"), site("s1", "4h", "p"), svc("a", runs("", "", "s1"))},
			fail:  Failure{Providers: []string{"p"}, Duration: dur("1h")},
			want:  map[string]string{"service/a": fmt.Sprint("down ", h)},
			paths: map[string]string{"service/a": "provider/p > site/s1 > service/a"},
		},
		{
			name: "common mode: two sites behind one provider",
			objs: []model.Object{prov("p", "2h"), site("s1", "4h", "p"), site("s2", "4h", "p"),
				svc("a", runs("active-active", "", "s1", "s2"))},
			fail: Failure{Providers: []string{"p"}},
			want: map[string]string{"service/a": fmt.Sprint("down ", 2*h)},
		},
		{
			name: "common mode: two replicas on one SAN",
			objs: []model.Object{svc("san", rec("6h")), svc("r1", deps(hard("san"))), svc("r2", deps(hard("san"))),
				svc("db", deps(anyOf("", hard("r1"), hard("r2"))))},
			fail:  Failure{Services: []string{"san"}},
			want:  map[string]string{"service/san": fmt.Sprint("down ", 6*h), "service/r1": fmt.Sprint("down ", 6*h), "service/r2": fmt.Sprint("down ", 6*h), "service/db": fmt.Sprint("down ", 6*h)},
			paths: map[string]string{"service/db": "service/san > service/r1 > service/db"},
		},
		{
			name:  "function needs each of its services",
			objs:  []model.Object{site("s1", "4h"), svc("a", runs("", "", "s1")), svc("b"), fn("f", "8h", "b", "a")},
			fail:  Failure{Sites: []string{"s1"}},
			want:  map[string]string{"service/a": fmt.Sprint("down ", 4*h), "function/f": fmt.Sprint("down ", 4*h)},
			paths: map[string]string{"function/f": "site/s1 > service/a > function/f"},
		},
		{
			name:  "tie: own recovery first",
			objs:  []model.Object{svc("b", rec("1h")), svc("a", rec("1h"), deps(hard("b")))},
			fail:  Failure{Services: []string{"a", "b"}},
			want:  map[string]string{"service/a": fmt.Sprint("down ", h), "service/b": fmt.Sprint("down ", h)},
			paths: map[string]string{"service/a": "service/a"},
		},
		{
			name: "tie: hosting before providers before dependsOn",
			objs: []model.Object{site("s1", "1h"), prov("p", "1h"), svc("b", rec("1h")),
				svc("a", runs("", "", "s1"), provs("p"), deps(hard("b")))},
			fail:  Failure{Services: []string{"b"}, Sites: []string{"s1"}, Providers: []string{"p"}},
			paths: map[string]string{"service/a": "site/s1 > service/a"},
		},
		{
			name: "tie: providers before dependsOn, dependsOn as written",
			objs: []model.Object{prov("p", "1h"), svc("b", rec("1h")), svc("c", rec("1h")),
				svc("a", provs("p"), deps(hard("c"), hard("b"))), svc("x", deps(hard("c"), hard("b")))},
			fail:  Failure{Services: []string{"b", "c"}, Providers: []string{"p"}},
			paths: map[string]string{"service/a": "provider/p > service/a", "service/x": "service/c > service/x"},
		},
		{
			name:  "longer recovery wins over declaration order",
			objs:  []model.Object{svc("b", rec("1h")), svc("c", rec("2h")), svc("a", deps(hard("b"), hard("c")))},
			fail:  Failure{Services: []string{"b", "c"}},
			paths: map[string]string{"service/a": "service/c > service/a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := compile(t, tt.objs...)
			imp, err := g.Impact(tt.fail)
			if err != nil {
				t.Fatalf("Impact: %v", err)
			}
			if tt.want != nil {
				if got := summary(imp); !maps.Equal(got, tt.want) {
					t.Errorf("impact:\n got %v\nwant %v", got, tt.want)
				}
			}
			got := paths(imp)
			for ref, want := range tt.paths {
				if got[ref] != want {
					t.Errorf("critical path of %s: got %q, want %q", ref, got[ref], want)
				}
			}
		})
	}
}

func TestImpactUnknownName(t *testing.T) {
	g := compile(t, svc("a"))
	for _, f := range []Failure{{Services: []string{"nope"}}, {Sites: []string{"a"}}, {Providers: []string{"a"}}} {
		if _, err := g.Impact(f); err == nil {
			t.Errorf("Impact(%+v): got no error, want one", f)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		objs []model.Object
	}{
		{"dangling dependency", []model.Object{svc("a", deps(hard("ghost")))}},
		{"dangling site", []model.Object{svc("a", runs("", "", "ghost"))}},
		{"dangling provider", []model.Object{svc("a", provs("ghost"))}},
		{"dangling function service", []model.Object{fn("f", "", "ghost")}},
		{"hard cycle", []model.Object{svc("a", deps(hard("b"))), svc("b", deps(hard("a")))}},
		{"hard cycle through a group", []model.Object{svc("a", deps(anyOf("", hard("b"), hard("c")))), svc("b", deps(hard("a"))), svc("c")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compile(build(t, tt.objs...)); err == nil {
				t.Errorf("Compile: got no error, want one")
			}
		})
	}
}

func TestImpactJSON(t *testing.T) {
	g := compile(t,
		site("dc-east", "4h"), site("dc-west", "4h"),
		svc("orders-db", rto("1h"), runs("active-passive", "15m", "dc-east", "dc-west")),
		svc("checkout", deps(hard("orders-db"))),
		fn("online-sales", "4h", "checkout"),
	)
	imp, err := g.Impact(Failure{Sites: []string{"dc-east"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(imp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"failed":["site/dc-east"],"services":[` +
		`{"name":"checkout","state":"down","recoverable":true,"upSeconds":900,"rtoSeconds":null,"meetsRto":null,"criticalPath":["site/dc-east","service/orders-db","service/checkout"]},` +
		`{"name":"orders-db","state":"down","recoverable":true,"upSeconds":900,"rtoSeconds":3600,"meetsRto":true,"criticalPath":["site/dc-east","service/orders-db"]}],` +
		`"functions":[{"name":"online-sales","state":"down","recoverable":true,"upSeconds":900,"mtpdSeconds":14400,"meetsMtpd":true,"criticalPath":["site/dc-east","service/orders-db","service/checkout","function/online-sales"]}]}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}

	empty, err := g.Impact(Failure{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(empty); string(got) != `{"failed":[],"services":[],"functions":[]}` {
		t.Errorf("empty impact JSON: got %s", got)
	}
}

func TestImpactUnrecoverableJSON(t *testing.T) {
	g := compile(t, site("s1", ""), svc("a", rto("1h"), runs("", "", "s1")))
	imp, err := g.Impact(Failure{Sites: []string{"s1"}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(imp.Services[0])
	want := `{"name":"a","state":"down","recoverable":false,"upSeconds":null,"rtoSeconds":3600,"meetsRto":false,"criticalPath":["site/s1","service/a"]}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

// TestDeterminism compiles the same random model twice and asks the same questions: the JSON
// must be byte-identical, whatever map iteration or worker scheduling did.
func TestDeterminism(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		m1, m2 := randomModel(seed), randomModel(seed)
		g1, err := Compile(m1)
		if err != nil {
			t.Fatal(err)
		}
		g2, err := Compile(m2)
		if err != nil {
			t.Fatal(err)
		}
		f := randomFailure(seed, m1)
		a, _ := g1.Impact(f)
		b, _ := g2.Impact(f)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("seed %d: impact JSON differs:\n%s\n%s", seed, ja, jb)
		}
		ea, _ := json.Marshal(g1.Estate(t.Context()))
		eb, _ := json.Marshal(g2.Estate(t.Context()))
		if !bytes.Equal(ea, eb) {
			t.Errorf("seed %d: estate JSON differs:\n%s\n%s", seed, ea, eb)
		}
		ia, _ := json.Marshal(g1.Inherited())
		ib, _ := json.Marshal(g2.Inherited())
		if !bytes.Equal(ia, ib) {
			t.Errorf("seed %d: inherited differs", seed)
		}
	}
}

func TestSPOFs(t *testing.T) {
	tests := []struct {
		name string
		objs []model.Object
		ref  string
		want []string
	}{
		{
			name: "chain",
			objs: []model.Object{site("s1", "1h"), svc("b", runs("", "", "s1")), svc("a", deps(hard("b")))},
			ref:  "service/a",
			want: []string{"service/b", "site/s1"},
		},
		{
			name: "redundancy with a failover delay is not a single point",
			objs: []model.Object{site("s1", "1h"), site("s2", "1h"), svc("a", runs("active-passive", "15m", "s1", "s2"))},
			ref:  "service/a",
			want: []string{},
		},
		{
			name: "soft dependency is not a single point",
			objs: []model.Object{svc("b"), svc("a", deps(soft("b")))},
			ref:  "service/a",
			want: []string{},
		},
		{
			name: "common mode: two sites behind one provider",
			objs: []model.Object{prov("p", "2h"), prov("q", ""), site("s1", "4h", "p"), site("s2", "4h", "p", "q"),
				svc("a", runs("active-active", "", "s1", "s2"))},
			ref:  "service/a",
			want: []string{"provider/p"},
		},
		{
			name: "common mode: two replicas on one SAN",
			objs: []model.Object{svc("san"), svc("r1", deps(hard("san"))), svc("r2", deps(hard("san"))),
				svc("db", deps(anyOf("1m", hard("r1"), hard("r2")))), fn("f", "", "db")},
			ref:  "function/f",
			want: []string{"service/db", "service/san"},
		},
		{
			name: "atLeast 2 of 3 survives any single loss",
			objs: []model.Object{svc("k1"), svc("k2"), svc("k3"), svc("a", deps(atLeast(2, "", hard("k1"), hard("k2"), hard("k3"))))},
			ref:  "service/a",
			want: []string{},
		},
		{
			name: "atLeast 2 of 2 has no redundancy",
			objs: []model.Object{svc("k1"), svc("k2"), svc("a", deps(atLeast(2, "", hard("k1"), hard("k2"))))},
			ref:  "service/a",
			want: []string{"service/k1", "service/k2"},
		},
		{
			name: "unknown ref",
			objs: []model.Object{svc("a")},
			ref:  "service/ghost",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := compile(t, tt.objs...)
			got := g.SPOFs(tt.ref)
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("SPOFs(%s): got %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
}

func TestEstate(t *testing.T) {
	g := compile(t,
		prov("aws", "8h"),
		site("dc-east", "1d", "aws"), site("dc-west", "2d"),
		svc("storage-san", rec("6h"), runs("", "", "dc-east")),
		svc("checkout", tier(0), rto("1h"), rec("30m"), runs("active-passive", "15m", "dc-east", "dc-west"), deps(hard("storage-san"))),
		svc("catalog", tier(2), rec("10m"), runs("active-active", "", "dc-east", "dc-west")),
		fn("online-sales", "4h", "checkout", "catalog"),
	)
	est := g.Estate(t.Context())
	got, err := json.Marshal(est)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spofs":[` +
		`{"object":"function/online-sales","causes":["provider/aws","service/catalog","service/checkout","service/storage-san","site/dc-east"]},` +
		`{"object":"service/checkout","causes":["provider/aws","service/storage-san","site/dc-east"]}],` +
		`"worst":[` +
		`{"object":"function/online-sales","cause":"site/dc-east","recoverable":true,"upSeconds":86400,"targetSeconds":14400,"meets":false},` +
		`{"object":"service/catalog","cause":"service/catalog","recoverable":true,"upSeconds":600,"targetSeconds":null,"meets":null},` +
		`{"object":"service/checkout","cause":"site/dc-east","recoverable":true,"upSeconds":86400,"targetSeconds":3600,"meets":false},` +
		`{"object":"service/storage-san","cause":"site/dc-east","recoverable":true,"upSeconds":86400,"targetSeconds":null,"meets":null}]}`
	if string(got) != want {
		t.Errorf("estate JSON:\n got %s\nwant %s", got, want)
	}
}

func TestLookupRefSpreadReach(t *testing.T) {
	g := compile(t,
		prov("p", "1h"), site("s1", "1h", "p"), site("s2", "1h"),
		svc("a", runs("active-active", "", "s1", "s2")), svc("b", deps(hard("a"))), svc("c", deps(soft("b"))),
		fn("f", "", "b"),
	)
	for _, ref := range []string{"service/a", "site/s1", "provider/p", "function/f"} {
		id, ok := g.Lookup(ref)
		if !ok || g.Ref(id) != ref {
			t.Errorf("Lookup(%q): got %v %v, Ref %q", ref, id, ok, g.Ref(id))
		}
	}
	for _, ref := range []string{"service/zz", "team/a", "a", "service"} {
		if _, ok := g.Lookup(ref); ok {
			t.Errorf("Lookup(%q): got ok, want not found", ref)
		}
	}
	if got := len(g.Nodes()); got != 6 {
		t.Errorf("Nodes: got %d, want 6 (services, sites, providers)", got)
	}
	a, _ := g.Lookup("service/a")
	if down, degraded := g.Spread(a); down != 3 || degraded != 1 {
		t.Errorf("Spread(service/a): got %d down %d degraded, want 3 (a, b, f) and 1 (c)", down, degraded)
	}
	s1, _ := g.Lookup("site/s1")
	if down, degraded := g.Spread(s1); down != 1 || degraded != 4 {
		t.Errorf("Spread(site/s1): got %d down %d degraded, want 1 and 4", down, degraded)
	}
	if f := g.FailureOf(a, s1); !slices.Equal(f.Services, []string{"a"}) || !slices.Equal(f.Sites, []string{"s1"}) {
		t.Errorf("FailureOf: got %+v", f)
	}
	seen := make([]bool, g.Len())
	// s1, its hosting group, a, b, c, f
	if got := g.ReachBFS(s1, seen); got != 6 {
		t.Errorf("ReachBFS(site/s1): got %d, want 6", got)
	}
	if slices.Contains(seen, true) {
		t.Errorf("ReachBFS left seen dirty")
	}
}

// TestConcurrentQueries asks one Graph many questions at once: pooled scratch memory must
// never leak between queries (run with -race).
func TestConcurrentQueries(t *testing.T) {
	m := randomModel(42)
	g, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	var fs []Failure
	var want []string
	for i := int64(0); i < 50; i++ {
		f := randomFailure(i, m)
		imp, _ := g.Impact(f)
		j, _ := json.Marshal(imp)
		fs, want = append(fs, f), append(want, string(j))
	}
	wantEstate, _ := json.Marshal(g.Estate(t.Context()))
	errs := make(chan string, 8*len(fs))
	done := make(chan bool)
	for w := 0; w < 8; w++ {
		go func() {
			for i, f := range fs {
				imp, _ := g.Impact(f)
				if j, _ := json.Marshal(imp); string(j) != want[i] {
					errs <- fmt.Sprintf("failure %d: got %s, want %s", i, j, want[i])
				}
			}
			if j, _ := json.Marshal(g.Estate(t.Context())); !bytes.Equal(j, wantEstate) {
				errs <- "estate differs under concurrency"
			}
			done <- true
		}()
	}
	for w := 0; w < 8; w++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestEstateCancelled(t *testing.T) {
	g, err := Compile(randomModel(7))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if est := g.Estate(ctx); est != nil {
		t.Errorf("Estate with a cancelled context: got a report, want nil")
	}
}
