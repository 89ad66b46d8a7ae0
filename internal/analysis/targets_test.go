package analysis

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/model"
)

func inheritedLines(its []InheritedTarget) []string {
	var out []string
	for _, it := range its {
		stated := "-"
		if it.Stated != nil {
			stated = fmt.Sprint(*it.Stated)
		}
		out = append(out, fmt.Sprintf("%s %d from %s via %s stated %s", it.Service, it.Seconds, it.From, strings.Join(it.Chain, " > "), stated))
	}
	return out
}

func TestInherited(t *testing.T) {
	tests := []struct {
		name string
		objs []model.Object
		want []string
	}{
		{
			name: "function MTPD down a chain",
			objs: []model.Object{svc("db", rto("8h")), svc("app", deps(hard("db"))), fn("sales", "4h", "app")},
			want: []string{
				"service/app 14400 from function/sales via service/app > function/sales stated -",
				"service/db 14400 from function/sales via service/db > service/app > function/sales stated 28800",
			},
		},
		{
			name: "own rto tighter than inherited wins",
			objs: []model.Object{svc("db", rto("1h")), svc("app", rto("2h"), deps(hard("db"))), fn("sales", "4h", "app")},
			want: []string{
				"service/app 7200 from service/app via service/app stated 7200",
				"service/db 3600 from service/db via service/db stated 3600",
			},
		},
		{
			name: "the tightest of several dependents; soft links and groups pass nothing",
			objs: []model.Object{
				svc("db"), svc("r1"), svc("r2"),
				svc("a", rto("2h"), deps(hard("db"))), svc("b", rto("30m"), deps(hard("db"))),
				svc("c", rto("1m"), deps(soft("db"), anyOf("", hard("r1"), hard("r2")))),
			},
			want: []string{"service/db 1800 from service/b via service/db > service/b stated -"},
		},
		{
			name: "tie between dependents: first declared",
			objs: []model.Object{svc("db"), svc("b", rto("1h"), deps(hard("db"))), svc("a", rto("1h"), deps(hard("db")))},
			want: []string{"service/db 3600 from service/b via service/db > service/b stated -"},
		},
		{
			name: "tie with its own rto: own wins",
			objs: []model.Object{svc("db", rto("1h")), svc("a", rto("1h"), deps(hard("db")))},
			want: []string{"service/db 3600 from service/db via service/db stated 3600"},
		},
		{
			name: "no targets anywhere",
			objs: []model.Object{svc("db"), svc("a", deps(hard("db")))},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inheritedLines(compile(t, tt.objs...).Inherited())
			if !slices.Equal(got, tt.want) {
				t.Errorf("Inherited:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestAchievableRPO(t *testing.T) {
	tests := []struct {
		name       string
		repl       *model.Replication
		backups    []model.Backup
		want       string
		wantSource string
		wantOK     bool
	}{
		{name: "nothing"},
		{name: "replication", repl: &model.Replication{Lag: model.MustDuration("30s")}, want: "30s", wantSource: "replication", wantOK: true},
		{
			name:    "backup interval plus duration",
			backups: []model.Backup{{Name: "nightly", Interval: model.MustDuration("24h"), Duration: dur("2h")}, {Name: "weekly", Interval: model.MustDuration("1w")}},
			want:    "1d2h", wantSource: "backup nightly", wantOK: true,
		},
		{
			name:    "least of replication and backups",
			repl:    &model.Replication{Lag: model.MustDuration("2h")},
			backups: []model.Backup{{Name: "hourly", Interval: model.MustDuration("1h")}},
			want:    "1h", wantSource: "backup hourly", wantOK: true,
		},
		{
			name:    "tie goes to replication",
			repl:    &model.Replication{Lag: model.MustDuration("1h")},
			backups: []model.Backup{{Name: "hourly", Interval: model.MustDuration("1h")}},
			want:    "1h", wantSource: "replication", wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := svc("x")
			s.Spec.Replication, s.Spec.Backups = tt.repl, tt.backups
			d, source, ok := AchievableRPO(s)
			if ok != tt.wantOK || source != tt.wantSource || ok && d.String() != tt.want {
				t.Errorf("AchievableRPO: got %v %q %v, want %s %q %v", d, source, ok, tt.want, tt.wantSource, tt.wantOK)
			}
		})
	}
}

func TestPlanPath(t *testing.T) {
	step := func(id, d string, after ...string) model.Step {
		s := model.Step{ID: id, After: after}
		if d != "" {
			s.Duration = dur(d)
		}
		return s
	}
	tests := []struct {
		name      string
		steps     []model.Step
		wantTotal string
		wantPath  []string
	}{
		{name: "no steps", wantTotal: "0s"},
		{
			name:      "chain",
			steps:     []model.Step{step("assess", "15m"), step("promote", "10m", "assess"), step("verify", "10m", "promote")},
			wantTotal: "35m", wantPath: []string{"assess", "promote", "verify"},
		},
		{
			name: "longest branch, steps without duration count 0",
			steps: []model.Step{
				step("a", "10m"), step("b", "1h"), step("c", "", "a", "b"), step("d", "5m", "c"), step("e", "30m", "a"),
			},
			wantTotal: "1h5m", wantPath: []string{"b", "c", "d"},
		},
		{
			name:      "declared out of order",
			steps:     []model.Step{step("z", "1m", "y"), step("y", "2m", "x"), step("x", "3m")},
			wantTotal: "6m", wantPath: []string{"x", "y", "z"},
		},
		{
			name:      "tie: first listed",
			steps:     []model.Step{step("a", "10m"), step("b", "10m"), step("c", "1m", "b", "a")},
			wantTotal: "11m", wantPath: []string{"b", "c"},
		},
		{
			// A cycle is broken where the walk from the first step closes it.
			name:      "unknown after and cycles are ignored",
			steps:     []model.Step{step("a", "1m", "ghost", "b"), step("b", "1m", "a")},
			wantTotal: "2m", wantPath: []string{"b", "a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &model.Plan{}
			p.Spec.Steps = tt.steps
			total, path := PlanPath(p)
			if total.String() != tt.wantTotal || !slices.Equal(path, tt.wantPath) {
				t.Errorf("PlanPath: got %v %q, want %s %q", total, path, tt.wantTotal, tt.wantPath)
			}
		})
	}
}
