package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// want is one expected problem: its rule, place and a part of its message.
type want struct {
	rule      string
	line, col int
	msg       string
}

// badCases lists, for each file of testdata/bad, every problem loading it alone must report,
// in order. A fixture holds the objects its references need, so each case shows one class.
var badCases = []struct {
	file string
	want []want
}{
	{"envelope.yaml", []want{
		{RuleEnvelope, 1, 13, "unknown apiVersion `perdura/v2`: expected `perdura/v1`"},
		{RuleEnvelope, 7, 7, "unknown kind `Servce`: expected `BusinessFunction`, `Service`, `Site`, `Provider`, `Person`, `Team`, `Plan` or `Scenario`, did you mean `Service`?"},
		{RuleEnvelope, 10, 1, "missing `kind`"},
		{RuleEnvelope, 13, 1, "expected a mapping with `apiVersion`, `kind`, `metadata` and `spec`, got a list"},
		{RuleEnvelope, 16, 7, "did you mean `Site`?"},
		{RuleEnvelope, 19, 1, "missing `apiVersion`: expected `apiVersion: perdura/v1`"},
	}},
	{"names.yaml", []want{
		{RuleNameInvalid, 3, 18, "invalid name `Orders_DB`: a name is 1 to 63 lower-case letters"},
		{RuleRequired, 8, 11, "missing required field `name` in Site metadata"},
		{RuleRequired, 13, 1, "missing required field `owner` in Service metadata"},
		{RuleDuplicate, 18, 12, "duplicate Site `twin`: defined again at testdata/bad/names.yaml:24:3"},
		{RuleDuplicate, 24, 3, "duplicate Site `twin`: already defined at testdata/bad/names.yaml:18:12"},
	}},
	{"unknown-field.yaml", []want{
		{RuleRequired, 1, 1, "missing required field `spec` in Service"},
		{RuleRequired, 3, 1, "missing required field `owner`"},
		{RuleUnknown, 3, 23, "unknown field `onwer` in Service metadata, did you mean `owner`?"},
		{RuleUnknown, 4, 1, "unknown field `specs` in Service, did you mean `spec`?"},
		{RuleUnknown, 10, 3, "unknown field `dependOn` in Service spec, did you mean `dependsOn`?"},
		{RuleUnknown, 11, 31, "unknown field `mtbf` in Service spec.targets"},
		{RuleUnknown, 12, 3, "unknown field `zzzz` in Service spec"},
	}},
	{"types.yaml", []want{
		{RuleType, 5, 13, "expected a list of service names for `services`, got a mapping"},
		{RuleType, 6, 16, "expected a number for `lossPerHour`, got \"lots\""},
		{RuleType, 10, 43, "expected a mapping of names to strings for `labels`, got a list"},
		{RuleType, 12, 9, "expected an integer for `tier`, got \"high\""},
		{RuleType, 13, 12, "expected a mapping for `targets`, got a list"},
		{RuleType, 14, 14, "expected a list of dependencies for `dependsOn`, got \"db\""},
		{RuleType, 16, 47, "expected true or false for `offsite`, got \"yes\""},
		{RuleType, 17, 9, "expected a string for `plan`, got a list"},
	}},
	{"values.yaml", []want{
		{RuleValue, 5, 18, "invalid duration `4hours` for `rto`: expected a duration such as 90s, 15m, 4h, 2d, 1w or 1h30m"},
		{RuleValue, 5, 31, "invalid duration `90` for `rpo`"},
		{RuleValue, 6, 31, "invalid mode `hot`: expected `single`, `active-active` or `active-passive`"},
		{RuleValue, 8, 33, "invalid impact `soft`: expected `down` or `degraded`"},
		{RuleValue, 16, 26, "invalid level `critical`: expected `negligible`, `minor`, `moderate`, `major` or `severe`"},
		{RuleValue, 17, 14, "invalid tolerance `high`"},
		{RuleValue, 23, 16, "invalid criticality `huge`: expected `low`, `medium`, `high` or `critical`"},
		{RuleValue, 24, 23, "invalid date `tomorrow` for `expires`: expected a date such as 2026-05-01"},
		{RuleValue, 32, 32, "invalid channel `pigeon`"},
		{RuleValue, 33, 18, "invalid date `2026-13-01` for `last`"},
		{RuleValue, 33, 37, "invalid duration `1y` for `every`"},
	}},
	{"required.yaml", []want{
		{RuleRequired, 6, 7, "missing required field `interval` in Service spec.backups[0]"},
		{RuleRequired, 7, 16, "missing required field `lag` in Service spec.replication"},
		{RuleRequired, 12, 7, "missing required field `members` in Team spec"},
		{RuleRequired, 18, 3, "`covers` in Plan spec has no value"},
		{RuleRequired, 20, 7, "missing required field `title` in Plan spec.steps[0]"},
		{RuleRequired, 22, 1, "missing required field `spec` in Site"},
	}},
	{"dependencies.yaml", []want{
		{RuleValue, 6, 20, "`service` and `anyOf` cannot go together"},
		{RuleValue, 7, 17, "`atLeast` is 3 but must be between 1 and the number of members (2)"},
		{RuleValue, 8, 23, "`impact` applies to a single service, not to a group"},
		{RuleValue, 9, 20, "`failover` applies to a group"},
		{RuleRequired, 10, 8, "`of` needs `atLeast`"},
		{RuleValue, 11, 8, "an `anyOf` group needs at least one member"},
		{RuleType, 12, 7, "expected a service name or a mapping"},
		{RuleValue, 13, 32, "`impact` is not allowed on a group member"},
		{RuleRequired, 14, 7, "a dependency needs `service`, `anyOf` or `atLeast` with `of`"},
		{RuleRequired, 15, 7, "`atLeast` needs `of`"},
		{RuleValue, 16, 26, "`atLeast` is 0 but must be between 1 and the number of members (1)"},
		{RuleRequired, 17, 8, "`service` has no value"},
		{RuleValue, 18, 7, "empty service name in `dependsOn`"},
	}},
	{"references.yaml", []want{
		{RuleReference, 3, 29, "unknown owner `opz`: expected a Team or Person, did you mean `ops`?"},
		{RuleReference, 5, 14, "unknown service `orders-dv`, did you mean `orders-db`?"},
		{RuleReference, 11, 20, "unknown site `dc-eats`, did you mean `dc-east`?"},
		{RuleReference, 12, 15, "unknown provider `aws`"},
		{RuleReference, 14, 7, "unknown service `dsn`"},
		{RuleReference, 15, 16, "unknown service `orders-db-2`, did you mean `orders-db`?"},
		{RuleReference, 15, 47, "unknown service `zzz`"},
		{RuleReference, 16, 9, "unknown plan `db-recovery`"},
		{RuleReference, 21, 20, "unknown provider `equinx`"},
		{RuleReference, 26, 16, "unknown person `carl`"},
		{RuleReference, 31, 25, "unknown person `bob`"},
		{RuleReference, 37, 23, "unknown service `nope`"},
		{RuleReference, 38, 15, "unknown scenario `site-los`, did you mean `site-loss`?"},
		{RuleReference, 39, 28, "unknown person `alicia`, did you mean `alice`?"},
		{RuleReference, 41, 34, "unknown person `bobby`"},
		{RuleReference, 41, 48, "unknown team `opps`, did you mean `ops`?"},
		{RuleReference, 43, 34, "unknown person `dan`"},
		{RuleReference, 43, 46, "unknown team `ops2`, did you mean `ops`?"},
		{RuleReference, 46, 45, "unknown step `asess` in this plan, did you mean `assess`?"},
		{RuleReference, 46, 59, "unknown role `ics` in this plan, did you mean `ic`?"},
		{RuleReference, 47, 24, "unknown person `alcie`, did you mean `alice`?"},
		{RuleReference, 53, 22, "unknown service `order-db`, did you mean `orders-db`?"},
		{RuleReference, 53, 41, "unknown site `dc-west`"},
		{RuleReference, 53, 63, "unknown provider `aws`"},
	}},
	{"rules.yaml", []want{
		{RuleValue, 5, 9, "`tier` is 7 but must be between 0 (most critical) and 4"},
		{RuleValue, 6, 19, "`runsAt.sites` must name at least one site"},
		{RuleValue, 12, 33, "mode `single` runs at one site, but 2 sites are listed"},
		{RuleValue, 18, 58, "`failover` applies only to mode `active-passive`, but the mode is `active-active`"},
		{RuleValue, 25, 16, "`lossPerHour` must not be negative"},
		{RuleValue, 28, 15, "impact `after` must increase from row to row: 1h comes after 4h"},
		{RuleValue, 28, 26, "impact levels must not decrease over time: minor after major"},
		{RuleValue, 34, 16, "a person cannot be their own deputy"},
		{RuleDuplicate, 43, 12, "step id `one` is used twice in this plan: first at testdata/bad/rules.yaml:42:12"},
		{RuleValue, 48, 15, "`fails` names nothing"},
		{RuleValue, 48, 30, "`frequency` must not be negative"},
	}},
	{"cycles.yaml", []want{
		{RuleCycle, 5, 18, "dependency cycle: service/a -> service/b -> service/c -> service/a"},
		{RuleCycle, 25, 27, "dependency cycle: service/self -> service/self"},
		{RuleCycle, 39, 37, "step cycle in plan/plan: one -> three -> two -> one"},
	}},
	{"hints.yaml", []want{
		{RuleType, 5, 9, "expected an integer for `tier`, got \"1\" (remove the quotes)"},
		{RuleValue, 6, 18, "(every number needs a unit: s, m, h, d or w)"},
		{RuleValue, 6, 29, "(whole numbers only: 1h30m, not 1.5h)"},
		{RuleValue, 8, 7, "write a dependency with an impact as {service: dep, impact: degraded}"},
		{RuleUnknown, 8, 8, "unknown field `dep` in Service spec.dependsOn[0]"},
	}},
	{"syntax.yaml", []want{
		{RuleSyntax, 8, 1, "invalid YAML: did not find expected ',' or '}'"},
	}},
	{"binary.yaml", []want{
		{RuleSyntax, 3, 1, "not a YAML file: binary data"},
	}},
	{"bomb.yaml", []want{
		{RuleSyntax, 1, 1, "document expands to more than 100000 nodes through aliases"},
	}},
	{"deep.yaml", []want{
		{RuleSyntax, 5, 1, "document nested deeper than 100 levels"},
	}},
	{"duplicate-key.yaml", []want{
		{RuleSyntax, 7, 3, "field `type` is written twice in Site spec (first at line 5)"},
	}},
}

func TestLoadBad(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			m, got, err := Load(path)
			if err != nil {
				t.Fatalf("Load(%s): err = %v, want problems only", path, err)
			}
			if m == nil {
				t.Fatalf("Load(%s): nil model", path)
			}
			if len(got) != len(tc.want) {
				t.Errorf("Load(%s): got %d problems, want %d:\n%s", path, len(got), len(tc.want), got.Error())
			}
			for i := 0; i < len(got) && i < len(tc.want); i++ {
				g, w := got[i], tc.want[i]
				if g.Pos.File != path || g.Rule != w.rule || g.Pos.Line != w.line || g.Pos.Column != w.col || !strings.Contains(g.Msg, w.msg) {
					t.Errorf("problem %d:\n got  %s\n want %s:%d:%d: ...%s... [%s]", i, g.Error(), path, w.line, w.col, w.msg, w.rule)
				}
			}
		})
	}
}

// TestLoadBadCoversEveryFixture keeps the table and the folder in step.
func TestLoadBadCoversEveryFixture(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	listed := make(map[string]bool)
	for _, tc := range badCases {
		listed[tc.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no entry in badCases", f)
		}
	}
}

func TestLoadGood(t *testing.T) {
	// Every model under testdata/good loads clean on its own.
	entries, err := os.ReadDir(filepath.Join("testdata", "good"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join("testdata", "good", e.Name())
		if _, problems, err := Load(p); err != nil || len(problems) != 0 {
			t.Errorf("Load(%s): err = %v, problems:\n%v", p, err, problems)
		}
	}

	m, problems, err := Load(filepath.Join("testdata", "good", "shop"))
	if err != nil || len(problems) != 0 {
		t.Fatalf("Load(testdata/good): err = %v, problems:\n%v", err, problems)
	}
	counts := map[string][2]int{
		"functions": {len(m.Functions), 1}, "services": {len(m.Services), 10}, "sites": {len(m.Sites), 2},
		"providers": {len(m.Providers), 1}, "people": {len(m.People), 3}, "teams": {len(m.Teams), 1},
		"plans": {len(m.Plans), 1}, "scenarios": {len(m.Scenarios), 1},
	}
	for k, c := range counts {
		if c[0] != c[1] {
			t.Errorf("%s: got %d, want %d", k, c[0], c[1])
		}
	}
	db := m.Service("orders-db")
	if db == nil {
		t.Fatal("service orders-db not loaded")
	}
	if got, want := db.Spec.Targets.RTO, MustDuration("1h"); got == nil || *got != want {
		t.Errorf("orders-db rto: got %v, want %v", got, want)
	}
	if got := db.Spec.Tier; got == nil || *got != 1 {
		t.Errorf("orders-db tier: got %v, want 1", got)
	}
	deps := db.Spec.DependsOn
	if len(deps) != 4 {
		t.Fatalf("orders-db dependsOn: got %d entries, want 4", len(deps))
	}
	if deps[0].Service != "storage-san" || deps[0].Soft() || deps[0].IsGroup() {
		t.Errorf("dependsOn[0]: got %+v, want hard storage-san", deps[0])
	}
	if deps[1].Service != "dns" || !deps[1].Soft() {
		t.Errorf("dependsOn[1]: got %+v, want soft dns", deps[1])
	}
	if !deps[2].IsGroup() || deps[2].Need() != 1 || len(deps[2].Members()) != 2 {
		t.Errorf("dependsOn[2]: got %+v, want anyOf of 2", deps[2])
	}
	g := deps[3]
	if !g.IsGroup() || g.Need() != 2 || g.Failover != MustDuration("1m") || len(g.Members()) != 3 || !g.Members()[2].IsGroup() {
		t.Errorf("dependsOn[3]: got %+v, want atLeast 2 of 3 with a nested group, failover 1m", g)
	}
	if got := db.Spec.Backups[0].Duration; got == nil || *got != MustDuration("1h") {
		t.Errorf("backup duration: got %v, want 1h", got)
	}
	if got := m.Provider("equinix").Spec.Contract.Expires; got == nil || got.String() != "2027-12-31" {
		t.Errorf("contract expires: got %v, want 2027-12-31", got)
	}
	if got := m.Plan("orders-db-recovery").Spec.Review.Last; got == nil || !got.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("review last: got %v, want 2026-05-01", got)
	}
	// Anchors and merge keys.
	if got := m.Service("kafka-4").Spec.Type; got != "messaging" {
		t.Errorf("kafka-4 type from a merge key: got %q, want messaging", got)
	}
	if d, ok := m.Function("online-sales").EffectiveMTPD(); !ok || d != MustDuration("4h") {
		t.Errorf("online-sales MTPD: got %v %v, want 4h", d, ok)
	}
	if got := m.Function("online-sales").Metadata.Labels["area"]; got != "ecommerce" {
		t.Errorf("labels: got %q, want ecommerce", got)
	}
}

// TestSourcePositions checks the field paths the linter and the analysis point at.
func TestSourcePositions(t *testing.T) {
	m, problems, err := Load(filepath.Join("testdata", "good", "shop"))
	if err != nil || len(problems) != 0 {
		t.Fatalf("Load: err = %v, problems:\n%v", err, problems)
	}
	file := filepath.Join("testdata", "good", "shop", "services", "db.yaml")
	db := m.Service("orders-db")
	cases := []struct {
		path      string
		line, col int
	}{
		{"metadata.name", 4, 3},
		{"spec.targets.rto", 10, 13},
		{"spec.runsAt.sites[1]", 11, 29},
		{"spec.dependsOn[0]", 14, 7},
		{"spec.dependsOn[2]", 16, 7},
		{"spec.dependsOn[2].anyOf[1]", 16, 24},
		{"spec.dependsOn[3].of[2].anyOf[0]", 17, 52},
		{"spec.backups[0].restoreTime", 20, 100},
	}
	for _, c := range cases {
		got, ok := db.Source.Lookup(c.path)
		if want := (Pos{File: file, Line: c.line, Column: c.col}); !ok || got != want {
			t.Errorf("Lookup(%q): got %v (%v), want %v", c.path, got, ok, want)
		}
	}
	if want := (Pos{File: file, Line: 2, Column: 1}); db.Source.Pos != want {
		t.Errorf("Source.Pos: got %v, want %v (the kind key)", db.Source.Pos, want)
	}
	plan := m.Plan("orders-db-recovery")
	if got, want := plan.Source.Fields()["spec.steps[2].after[1]"], (Pos{File: filepath.Join("testdata", "good", "shop", "plans.yaml"), Line: 19, Column: 75}); got != want {
		t.Errorf("steps[2].after[1]: got %v, want %v", got, want)
	}
}

func TestLoadPaths(t *testing.T) {
	t.Run("missing path is an error naming it", func(t *testing.T) {
		m, _, err := Load("testdata/good", "testdata/nope")
		if err == nil || !strings.Contains(err.Error(), "testdata/nope") {
			t.Errorf("err: got %v, want one naming testdata/nope", err)
		}
		if m == nil {
			t.Error("nil model")
		}
	})
	t.Run("a file and a folder together", func(t *testing.T) {
		m, problems, err := Load(filepath.Join("testdata", "good", "shop"), filepath.Join("testdata", "good", "minimal.yaml"))
		if err != nil || len(problems) != 0 {
			t.Fatalf("err = %v, problems:\n%v", err, problems)
		}
		if m.Site("lonely") == nil || m.Service("checkout") == nil {
			t.Error("objects of both paths should be loaded")
		}
		if got, want := m.Site("lonely").Source.Pos.File, filepath.Join("testdata", "good", "minimal.yaml"); got != want {
			t.Errorf("file name: got %q, want %q", got, want)
		}
	})
	t.Run("declaration order follows lexical file order", func(t *testing.T) {
		m, _, _ := Load(filepath.Join("testdata", "good", "shop"))
		var got []string
		for _, s := range m.Services[:3] {
			got = append(got, s.Metadata.Name)
		}
		if want := "orders-db checkout storage-san"; strings.Join(got, " ") != want {
			t.Errorf("order: got %v, want %s", got, want)
		}
	})
	t.Run("a folder named like a model file is not read", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "target"), 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.yaml")
		if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
		_, problems, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		want := Problem{Pos: Pos{File: link}, Rule: RuleFile, Msg: "not a regular file"}
		if len(problems) != 1 || problems[0] != want {
			t.Errorf("got %v, want [%v]", problems, want)
		}
	})
	t.Run("large file refused without reading it", func(t *testing.T) {
		dir := t.TempDir()
		big := filepath.Join(dir, "big.yaml")
		f, err := os.Create(big)
		if err != nil {
			t.Fatal(err)
		}
		// A sparse 50 MB file: cheap to make, and reading it whole would show in the time.
		if err := f.Truncate(50 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		start := time.Now()
		_, problems, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) != 1 || problems[0].Rule != RuleFile || !strings.Contains(problems[0].Msg, "file too large: 50.0 MiB, the limit is 8 MiB") || problems[0].Pos.File != big {
			t.Errorf("got %v, want one file-too-large problem at %s", problems, big)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("refusing a large file took %v", d)
		}
	})
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"org/a.yaml":         {Data: []byte("apiVersion: perdura/v1\nkind: Site\nmetadata: {name: a}\nspec: {}\n")},
		"org/sub/b.yml":      {Data: []byte("apiVersion: perdura/v1\nkind: Site\nmetadata: {name: b}\nspec: {providers: [x]}\n")},
		"org/.git/c.yaml":    {Data: []byte("not: [yaml")},
		"org/notes.txt":      {Data: []byte("not: [yaml")},
		"org/.hidden.yaml":   {Data: []byte("not: [yaml")},
		"elsewhere/d.yaml":   {Data: []byte("not: [yaml")},
		"org/sub/empty.yaml": {Data: []byte("")},
	}
	m, problems, err := LoadFS(fsys, "org")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sites) != 2 {
		t.Errorf("sites: got %d, want 2", len(m.Sites))
	}
	want := Problem{Pos: Pos{File: "org/sub/b.yml", Line: 4, Column: 20}, Object: "site/b", Rule: RuleReference, Msg: "unknown provider `x`"}
	if len(problems) != 1 || problems[0] != want {
		t.Errorf("problems: got %v, want [%v]", problems, want)
	}
	// Duplicates across files are found after the files are decoded in parallel.
	fsys["org/z.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: perdura/v1\nkind: Site\nmetadata: {name: a}\nspec: {}\n")}
	_, problems, _ = LoadFS(fsys, "org")
	var got []string
	for _, p := range problems {
		if p.Rule == RuleDuplicate {
			got = append(got, p.Error())
		}
	}
	wantDup := []string{
		"org/a.yaml:3:12: duplicate Site `a`: defined again at org/z.yaml:3:12 [duplicate-name]",
		"org/z.yaml:3:12: duplicate Site `a`: already defined at org/a.yaml:3:12 [duplicate-name]",
	}
	if strings.Join(got, "\n") != strings.Join(wantDup, "\n") {
		t.Errorf("duplicates: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantDup, "\n"))
	}
	if _, _, err := LoadFS(fsys, "missing"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing root: got %v, want an error naming it", err)
	}
}

func TestNearest(t *testing.T) {
	cases := []struct {
		word, want string
		cands      []string
	}{
		{"dependOn", "dependsOn", []string{"type", "dependsOn", "providers"}},
		{"onwer", "owner", []string{"name", "owner"}},
		{"service", "Service", []string{"Site", "Service"}},
		{"xyz", "", []string{"owner", "name"}},
		{"a", "", []string{"bcd"}},
		{strings.Repeat("a", 500), "", []string{"a"}},
	}
	for _, c := range cases {
		got, _ := nearest(c.word, c.cands)
		if got != c.want {
			t.Errorf("nearest(%q): got %q, want %q", c.word, got, c.want)
		}
	}
}

// TestDecodeAssemble checks that decoding files one by one and assembling them, as the
// server does, reports what Load reports, at the same places.
func TestDecodeAssemble(t *testing.T) {
	for _, file := range []string{"references.yaml", "rules.yaml", "cycles.yaml"} {
		path := filepath.Join("testdata", "bad", file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		objs, decodeProblems := Decode(path, data)
		_, assembleProblems := Assemble(objs)
		got := append(decodeProblems, assembleProblems...)
		got.Sort()
		_, want, _ := Load(path)
		if got.Error() != want.Error() {
			t.Errorf("%s: Decode+Assemble got\n%v\nLoad got\n%v", file, got, want)
		}
	}
}
