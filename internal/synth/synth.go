// Package synth generates realistic synthetic estates: continuity models shaped like a large
// organisation's, of any size, the same for the same seed. The benchmarks and load tests use
// them, and WriteCSV exports one as an edge list so that other tools (PostgreSQL, igraph) load
// exactly the same graph.
//
// An estate is layered the way real ones are. From the bottom:
//
//   - providers (cloud, colocation, telco, SaaS vendors) and the sites that depend on them;
//   - a core of network, DNS and identity services that almost everything reaches;
//   - infrastructure: storage arrays, compute clusters, virtualisation;
//   - databases, some replicated (replicas follow their primary softly, and dependents reach a
//     replicated database through an anyOf or atLeast group over its members);
//   - shared platform services: queues, caches, API gateways;
//   - applications, which also call one another;
//   - business functions on top, each needing a few applications.
//
// A service depends only on services of lower layers or created before it in its own layer, so
// the model is acyclic by construction. Dependencies are chosen with a Zipf-like skew over the
// candidates (the first created of a layer are picked most), so fan-in has a few very large hubs
// and a long tail, as real dependency graphs do.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/perdura/perdura/internal/model"
)

// Config sizes and seeds an estate. Zero fields take the defaults documented on each.
type Config struct {
	// Seed makes the estate: the same Config gives the same model, object for object.
	Seed int64
	// Services is how many services to generate (at least 1).
	Services int
	// Functions is how many business functions; 0 means Services/100, at least 1.
	Functions int
	// Sites is how many sites; 0 means Services/5000, at least 3 and at most 40.
	Sites int
	// Providers is how many providers; 0 means Services/2000, at least 3 and at most 200.
	Providers int
	// Teams is how many owning teams (three people each); 0 means Services/200, at least 2.
	Teams int
	// Degree is the average number of edges per node the estate aims at (dependencies, group
	// members, hosting and provider links, as Edges counts them); 0 means 10.
	Degree float64
}

// ForNodes is the Config for an estate of about nodes graph nodes (services, functions, sites
// and providers together), so that benchmarks can be sized the way the issue states them.
func ForNodes(seed int64, nodes int) Config {
	c := Config{Seed: seed, Services: nodes}
	c = c.withDefaults()
	c.Services = max(1, nodes-c.Functions-c.Sites-c.Providers)
	return c.withDefaults()
}

func (c Config) withDefaults() Config {
	c.Services = max(1, c.Services)
	if c.Functions <= 0 {
		c.Functions = max(1, c.Services/100)
	}
	if c.Sites <= 0 {
		c.Sites = min(40, max(3, c.Services/5000))
	}
	if c.Providers <= 0 {
		c.Providers = min(200, max(3, c.Services/2000))
	}
	if c.Teams <= 0 {
		c.Teams = max(2, c.Services/200)
	}
	if c.Degree <= 0 {
		c.Degree = 10
	}
	return c
}

// layer is one tier of the estate's architecture.
type layer int

const (
	layerCore layer = iota
	layerInfra
	layerData
	layerPlatform
	layerApp
	numLayers
)

// layerShare is the share of services in each layer (core is sized separately).
var layerShare = [numLayers]float64{0, 0.04, 0.14, 0.08, 0}

// layerFanOut is the mean number of dependency edges of a service in each layer below apps,
// whose fan-out is solved from Config.Degree.
var layerFanOut = [numLayers]float64{2, 4, 5, 7, 0}

// targetMix says, for a dependency of a service in a layer (row), how likely it is to land in
// each layer (column); the own layer means a service created earlier.
var targetMix = [numLayers][numLayers]float64{
	layerCore:     {1, 0, 0, 0, 0},
	layerInfra:    {0.5, 0.5, 0, 0, 0},
	layerData:     {0.3, 0.5, 0.2, 0, 0},
	layerPlatform: {0.3, 0.3, 0.15, 0.25, 0},
	layerApp:      {0.15, 0.1, 0.25, 0.25, 0.25},
}

// Applications are grouped into domains of appDomainSize consecutive services; appCrossDomain
// percent of calls between applications go to any earlier application, the rest stay within
// the caller's domain. Without domains, every early application would reach almost the whole
// estate, which real estates do not show.
const (
	appDomainSize  = 2000
	appCrossDomain = 10
)

// coreKinds name the core services, in creation order: network first, then what runs on it.
var coreKinds = []struct{ name, typ string }{
	{"core-net", "network"}, {"firewall", "security"}, {"dns", "network"}, {"ntp", "network"},
	{"ldap", "security"}, {"idp", "security"}, {"pki", "security"}, {"load-balancer", "network"},
}

// Words that make names read like an organisation's.
var (
	domains    = []string{"orders", "billing", "payments", "catalog", "customers", "inventory", "shipping", "payroll", "crm", "ledger", "claims", "pricing", "search", "accounts", "risk", "fraud", "reporting", "hr", "loyalty", "quotes", "invoices", "returns", "trading", "lending", "cards", "notifications", "documents", "analytics", "identity-proofing", "compliance"}
	infraKinds = []struct{ name, typ string }{{"san", "storage"}, {"nas", "storage"}, {"k8s", "platform"}, {"vmware", "infrastructure"}, {"object-store", "storage"}, {"backup", "storage"}}
	dataKinds  = []string{"pg", "oracle", "mssql", "mongo", "redis-db", "cassandra", "mysql"}
	platKinds  = []struct{ name, typ string }{{"kafka", "messaging"}, {"rabbitmq", "messaging"}, {"cache", "platform"}, {"api-gateway", "integration"}, {"esb", "integration"}, {"search-cluster", "platform"}, {"mesh", "platform"}}
	appKinds   = []string{"api", "web", "worker", "batch", "portal", "service", "mobile-backend"}
	provKinds  = []struct{ name, typ string }{{"aws", "cloud"}, {"azure", "cloud"}, {"equinix", "colocation"}, {"telco", "telco"}, {"salesforce", "saas"}, {"okta", "saas"}, {"cloudflare", "cdn"}, {"digital-realty", "colocation"}}
)

// gen holds the state of one generation; nothing outlives Generate.
type gen struct {
	cfg   Config
	rng   *rand.Rand
	m     *model.Model
	svcs  []*model.Service
	layer []layer // layer of each service, by index
	// start[l] is the index of the first service of layer l; start[numLayers] = len.
	start [numLayers + 1]int
	// cluster[i] is the index of the first member of service i's replication cluster, and
	// clusterLen[i] the number of members (1 for a service that is not replicated).
	cluster    []int32
	clusterLen []int8
	teams      []string
	sites      []string
	providers  []string
	picked     []int // scratch: dependency targets of the service being built
}

// Generate builds the estate the Config describes. It never fails: every reference it writes
// names an object it created, and every dependency points to an earlier service.
func Generate(cfg Config) *model.Model {
	cfg = cfg.withDefaults()
	g := &gen{
		cfg: cfg,
		rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x9e3779b97f4a7c15)),
		m:   &model.Model{},
	}
	g.people()
	g.providersAndSites()
	g.layout()
	for i := range g.svcs {
		g.service(i)
	}
	g.useEveryProvider()
	g.functions()
	g.scenarios()
	return g.m
}

// people creates the teams that own everything, three people each.
func (g *gen) people() {
	for t := range g.cfg.Teams {
		team := &model.Team{}
		team.Metadata.Name = "team-" + strconv.Itoa(t+1)
		for j := range 3 {
			p := &model.Person{}
			p.Metadata.Name = fmt.Sprintf("person-%d-%d", t+1, j+1)
			p.Spec.DisplayName = fmt.Sprintf("Person %d.%d", t+1, j+1)
			p.Spec.Email = p.Metadata.Name + "@example.com"
			if j == 0 {
				p.Spec.Phone = fmt.Sprintf("+44 20 7946 %04d", (t*3+j)%10000)
			}
			g.m.Add(p)
			team.Spec.Members = append(team.Spec.Members, p.Metadata.Name)
		}
		team.Spec.Escalation = &model.Escalation{AckWithin: model.Duration(15 * time.Minute)}
		g.m.Add(team)
		g.teams = append(g.teams, team.Metadata.Name)
	}
}

// providersAndSites creates the external providers and the sites that depend on them.
func (g *gen) providersAndSites() {
	for i := range g.cfg.Providers {
		k := provKinds[i%len(provKinds)]
		p := &model.Provider{}
		p.Metadata.Name = fmt.Sprintf("%s-%d", k.name, i+1)
		p.Metadata.Owner = g.team()
		p.Spec.Type = k.typ
		p.Spec.Criticality = model.Criticalities[g.rng.IntN(len(model.Criticalities))]
		p.Spec.Contract = &model.Contract{ID: fmt.Sprintf("C-%05d", i+1), SLA: "99.9%"}
		if g.rng.IntN(3) > 0 {
			p.Spec.Recovery = &model.Recovery{Strategy: "vendor", Time: dur(time.Duration(4+g.rng.IntN(44)) * time.Hour)}
		}
		g.m.Add(p)
		g.providers = append(g.providers, p.Metadata.Name)
	}
	for i := range g.cfg.Sites {
		s := &model.Site{}
		s.Metadata.Name = fmt.Sprintf("dc-%d", i+1)
		s.Metadata.Owner = g.team()
		s.Spec.Type = model.SiteTypes[i%3] // datacenter, cloud-region, colocation
		s.Spec.Location = "region-" + strconv.Itoa(i%7+1)
		s.Spec.Providers = append(s.Spec.Providers, g.providers[g.zipf(len(g.providers))])
		if g.rng.IntN(10) < 3 {
			if p := g.providers[g.rng.IntN(len(g.providers))]; p != s.Spec.Providers[0] {
				s.Spec.Providers = append(s.Spec.Providers, p)
			}
		}
		if g.rng.IntN(4) > 0 { // the rest cannot be restored within the horizon
			s.Spec.Recovery = &model.Recovery{Strategy: "rebuild", Time: dur(time.Duration(24+g.rng.IntN(14*24)) * time.Hour)}
		}
		g.m.Add(s)
		g.sites = append(g.sites, s.Metadata.Name)
	}
}

// layout decides how many services each layer has, names them and groups replicated ones
// into clusters; the specs are filled in afterwards, in index order.
func (g *gen) layout() {
	n := g.cfg.Services
	var count [numLayers]int
	count[layerCore] = min(n, max(len(coreKinds), n/2000))
	rest := n - count[layerCore]
	for l := layerInfra; l < layerApp; l++ {
		count[l] = int(float64(n) * layerShare[l])
		if count[l] > rest {
			count[l] = rest
		}
		rest -= count[l]
	}
	count[layerApp] = rest

	g.svcs = make([]*model.Service, n)
	g.layer = make([]layer, n)
	g.cluster = make([]int32, n)
	g.clusterLen = make([]int8, n)
	i := 0
	for l := layerCore; l < numLayers; l++ {
		g.start[l] = i
		end := i + count[l]
		for i < end {
			size := 1
			switch l {
			case layerCore:
				size = 2 // core services come in redundant pairs: dns-1a, dns-1b
			case layerData:
				if r := g.rng.IntN(10); r < 2 {
					size = 2
				} else if r < 3 {
					size = 3
				}
			case layerPlatform, layerInfra:
				if g.rng.IntN(10) < 2 {
					size = 3
				}
			}
			size = min(size, end-i)
			first := i
			for j := range size {
				s := &model.Service{}
				s.Metadata.Name = g.name(l, first, j, size)
				g.svcs[i] = s
				g.layer[i] = l
				g.cluster[i] = int32(first)
				g.clusterLen[i] = int8(size)
				i++
			}
		}
	}
	g.start[numLayers] = n
}

// name gives service i (member j of a cluster of size starting at first) a readable unique name.
func (g *gen) name(l layer, first, j, size int) string {
	id := strconv.Itoa(first + 1)
	if size > 1 {
		id += string(rune('a' + j))
	}
	switch l {
	case layerCore:
		k := coreKinds[((first-g.start[layerCore])/2)%len(coreKinds)]
		return k.name + "-" + id
	case layerInfra:
		return infraKinds[first%len(infraKinds)].name + "-" + id
	case layerData:
		return domains[first%len(domains)] + "-" + dataKinds[first/7%len(dataKinds)] + "-" + id
	case layerPlatform:
		return platKinds[first%len(platKinds)].name + "-" + id
	default:
		return domains[first%len(domains)] + "-" + appKinds[first/11%len(appKinds)] + "-" + id
	}
}

// service fills in the spec of service i and adds it to the model.
func (g *gen) service(i int) {
	s := g.svcs[i]
	l := g.layer[i]
	s.Metadata.Owner = g.team()
	s.Spec.Type = g.serviceType(i, l)
	tier := g.tier(l)
	s.Spec.Tier = &tier
	rto := tierRTO[tier]
	s.Spec.Targets.RTO = dur(rto)
	s.Spec.Targets.RPO = dur(tierRPO[tier])
	// Most services recover within their RTO; a fifth do not, which the analysis must find.
	f := 0.25 + 0.75*g.rng.Float64()
	if g.rng.IntN(5) == 0 {
		f = 1 + 2*g.rng.Float64()
	}
	s.Spec.Recovery = &model.Recovery{
		Strategy: recoveryStrategy[tier],
		Time:     dur(time.Duration(float64(rto)*f).Round(time.Minute) + time.Minute),
	}
	s.Spec.RunsAt = g.runsAt(l)
	if l != layerCore && g.rng.IntN(100) < 8 {
		s.Spec.Providers = []string{g.providers[g.zipf(len(g.providers))]}
	}
	if l == layerData {
		g.dataProtection(s, i)
	}
	g.dependencies(s, i, l)
	g.m.Add(s)
}

var (
	tierRTO          = [5]time.Duration{30 * time.Minute, 2 * time.Hour, 8 * time.Hour, 24 * time.Hour, 72 * time.Hour}
	tierRPO          = [5]time.Duration{time.Minute, 15 * time.Minute, time.Hour, 24 * time.Hour, 24 * time.Hour}
	recoveryStrategy = [5]string{"hot-standby", "warm-standby", "warm-standby", "cold-standby", "backup-restore"}
)

func (g *gen) tier(l layer) int {
	switch l {
	case layerCore:
		return 0
	case layerInfra:
		return g.rng.IntN(2)
	case layerData:
		return g.rng.IntN(3)
	case layerPlatform:
		return 1 + g.rng.IntN(2)
	}
	return 1 + g.rng.IntN(4)
}

func (g *gen) serviceType(i int, l layer) string {
	first := int(g.cluster[i])
	switch l {
	case layerCore:
		return coreKinds[((first-g.start[layerCore])/2)%len(coreKinds)].typ
	case layerInfra:
		return infraKinds[first%len(infraKinds)].typ
	case layerData:
		return "database"
	case layerPlatform:
		return platKinds[first%len(platKinds)].typ
	}
	if g.rng.IntN(20) == 0 {
		return "end-user"
	}
	return "application"
}

// runsAt places a service on sites: one site, or two or three in active-active or
// active-passive mode. The first sites hold most of the estate.
func (g *gen) runsAt(l layer) *model.RunsAt {
	r := g.rng.IntN(10)
	if l == layerCore {
		r = 9 // the core runs everywhere it can
	}
	first := g.zipf(len(g.sites))
	switch {
	case r < 5 || len(g.sites) < 2:
		return &model.RunsAt{Sites: []string{g.sites[first]}}
	case r < 8:
		second := (first + 1 + g.rng.IntN(len(g.sites)-1)) % len(g.sites)
		return &model.RunsAt{Sites: []string{g.sites[first], g.sites[second]}, Mode: model.ModeActivePassive,
			Failover: model.Duration(time.Duration(5+g.rng.IntN(56)) * time.Minute)}
	default:
		ra := &model.RunsAt{Sites: []string{g.sites[first]}, Mode: model.ModeActiveActive}
		for k := 1; k < min(3, len(g.sites)); k++ {
			ra.Sites = append(ra.Sites, g.sites[(first+k)%len(g.sites)])
		}
		return ra
	}
}

// dataProtection gives a database its backups and, for replicated ones, replication.
func (g *gen) dataProtection(s *model.Service, i int) {
	s.Spec.Backups = []model.Backup{{
		Name: "nightly", Interval: model.Duration(24 * time.Hour), Offsite: g.rng.IntN(2) == 0,
		Immutable: g.rng.IntN(3) == 0, Retention: dur(30 * 24 * time.Hour), RestoreTime: dur(time.Duration(1+g.rng.IntN(8)) * time.Hour),
	}}
	if g.clusterLen[i] > 1 {
		s.Spec.Replication = &model.Replication{Lag: model.Duration(time.Duration(1+g.rng.IntN(120)) * time.Second)}
		if first := int(g.cluster[i]); first != i {
			s.Spec.Replication.Target = g.svcs[first].Metadata.Name
		}
	}
}

// dependencies draws service i's dependsOn: a replica first follows its primary (softly, as
// replication does), then dependency slots land in lower layers or earlier in its own, each a
// plain hard or soft dependency, or a redundancy group over a replicated target's members.
func (g *gen) dependencies(s *model.Service, i int, l layer) {
	g.picked = g.picked[:0]
	first := int(g.cluster[i])
	if first != i && l != layerCore {
		s.Spec.DependsOn = append(s.Spec.DependsOn, model.Dependency{Service: g.svcs[first].Metadata.Name, Impact: model.ImpactDegraded})
		g.picked = append(g.picked, first)
	}
	want := g.fanOut(l)
	for edges, tries := len(g.picked), 0; edges < want && tries < 4*want; tries++ {
		t := g.target(i, l)
		if t < 0 || g.taken(t) {
			continue
		}
		edges += g.addDependency(s, t)
	}
}

// fanOut draws how many dependency edges a service of layer l gets: uniform around its
// layer's mean, with a few services that need many more (the long tail of fan-out).
func (g *gen) fanOut(l layer) int {
	mean := layerFanOut[l]
	if l == layerApp {
		mean = g.appFanOut()
	}
	k := mean * (0.5 + g.rng.Float64()) / 1.06
	if g.rng.IntN(100) < 3 {
		k *= 3
	}
	return max(1, int(math.Round(k)))
}

// appFanOut solves the applications' mean fan-out so that the whole estate averages
// Config.Degree edges per node: every other edge kind is counted at its expected rate.
func (g *gen) appFanOut() float64 {
	n := float64(g.cfg.Services)
	nodes := n + float64(g.cfg.Functions+g.cfg.Sites+g.cfg.Providers)
	total := g.cfg.Degree * nodes
	other := float64(g.cfg.Functions)*4 + float64(g.cfg.Sites)*1.3 + n*(1.7+0.08) // functions, sites, hosting, providers
	for l := layerCore; l < layerApp; l++ {
		other += float64(g.start[l+1]-g.start[l]) * layerFanOut[l]
	}
	apps := float64(g.start[numLayers] - g.start[layerApp])
	if apps == 0 {
		return 1
	}
	return max(1, (total-other)/apps)
}

// target picks the index of a service for a dependency of service i, or -1 when the chosen
// layer has no candidate yet.
func (g *gen) target(i int, l layer) int {
	u := g.rng.Float64()
	tl := l
	for c := layerCore; c <= l; c++ {
		if u < targetMix[l][c] {
			tl = c
			break
		}
		u -= targetMix[l][c]
	}
	lo, hi := g.start[tl], g.start[tl+1]
	if tl == l {
		hi = int(g.cluster[i]) // earlier in its own layer, outside its own cluster
		// Applications mostly call applications of their own domain (a block of
		// appDomainSize), and sometimes the shared ones created first.
		if l == layerApp && g.rng.IntN(100) >= appCrossDomain {
			lo += (i - lo) / appDomainSize * appDomainSize
		}
	}
	if hi <= lo {
		return -1
	}
	return lo + g.zipf(hi-lo)
}

// taken reports whether t, or its cluster, is already a dependency of the service being built,
// and records it otherwise: one service names each other service at most once.
func (g *gen) taken(t int) bool {
	c := int(g.cluster[t])
	for _, p := range g.picked {
		if int(g.cluster[p]) == c {
			return true
		}
	}
	g.picked = append(g.picked, t)
	return false
}

// addDependency appends a dependency on t (or on t's cluster) and says how many edges it adds.
func (g *gen) addDependency(s *model.Service, t int) int {
	c, size := int(g.cluster[t]), int(g.clusterLen[t])
	if size > 1 && g.rng.IntN(10) < 7 {
		d := model.Dependency{}
		members := make([]model.Dependency, size)
		for j := range size {
			members[j] = model.Dependency{Service: g.svcs[c+j].Metadata.Name}
		}
		if size == 2 || g.rng.IntN(2) == 0 {
			d.AnyOf = members
		} else {
			d.AtLeast, d.Of = 2, members
		}
		if g.rng.IntN(3) > 0 {
			d.Failover = model.Duration(time.Duration(30+g.rng.IntN(900)) * time.Second)
		}
		s.Spec.DependsOn = append(s.Spec.DependsOn, d)
		return size
	}
	d := model.Dependency{Service: g.svcs[t].Metadata.Name}
	if g.rng.IntN(100) < 15 {
		d.Impact = model.ImpactDegraded
	}
	s.Spec.DependsOn = append(s.Spec.DependsOn, d)
	return 1
}

// useEveryProvider gives each provider that nothing uses yet a customer service, so every node
// of the graph has an edge and the CSV edge list names every node.
func (g *gen) useEveryProvider() {
	used := make(map[string]bool, len(g.providers))
	for _, s := range g.m.Sites {
		for _, p := range s.Spec.Providers {
			used[p] = true
		}
	}
	for _, s := range g.svcs {
		for _, p := range s.Spec.Providers {
			used[p] = true
		}
	}
	for _, p := range g.providers {
		if !used[p] {
			s := g.svcs[g.rng.IntN(len(g.svcs))]
			s.Spec.Providers = append(s.Spec.Providers, p)
		}
	}
}

// functions creates the business functions, each needing two to six applications.
func (g *gen) functions() {
	lo, hi := g.start[layerApp], g.start[numLayers]
	if hi == lo {
		lo = 0
	}
	for f := range g.cfg.Functions {
		bf := &model.BusinessFunction{}
		bf.Metadata.Name = fmt.Sprintf("%s-function-%d", domains[f%len(domains)], f+1)
		bf.Metadata.Owner = g.team()
		want := 2 + g.rng.IntN(5)
		seen := map[int]bool{}
		for tries := 0; len(bf.Spec.Services) < want && tries < 4*want; tries++ {
			t := lo + g.rng.IntN(hi-lo)
			if !seen[t] {
				seen[t] = true
				bf.Spec.Services = append(bf.Spec.Services, g.svcs[t].Metadata.Name)
			}
		}
		h := time.Duration(1+g.rng.IntN(4)) * time.Hour
		bf.Spec.Impact = []model.ImpactStep{
			{After: model.Duration(h), Level: model.LevelMinor},
			{After: model.Duration(4 * h), Level: model.LevelMajor},
			{After: model.Duration(24 * h), Level: model.LevelSevere},
		}
		bf.Spec.Tolerance = model.LevelMajor
		bf.Spec.LossPerHour = float64(1000 * (1 + g.rng.IntN(100)))
		g.m.Add(bf)
	}
}

// scenarios adds the disruptions a continuity team would plan for: the loss of each of the
// main sites and an outage of each of the main providers.
func (g *gen) scenarios() {
	for i := range min(5, len(g.sites)) {
		sc := &model.Scenario{}
		sc.Metadata.Name = "site-loss-" + g.sites[i]
		sc.Spec.Fails.Sites = []string{g.sites[i]}
		sc.Spec.Duration = dur(72 * time.Hour)
		sc.Spec.Frequency = 0.02
		g.m.Add(sc)
	}
	for i := range min(3, len(g.providers)) {
		sc := &model.Scenario{}
		sc.Metadata.Name = "provider-outage-" + g.providers[i]
		sc.Spec.Fails.Providers = []string{g.providers[i]}
		sc.Spec.Duration = dur(12 * time.Hour)
		sc.Spec.Frequency = 0.1
		g.m.Add(sc)
	}
}

func (g *gen) team() string { return g.teams[g.rng.IntN(len(g.teams))] }

// zipf draws a rank in [0, n) with probability falling as 1/(rank+1): the log-uniform draw
// floor((n+1)^u) - 1 is the continuous form of Zipf's law with exponent 1.
func (g *gen) zipf(n int) int {
	r := int(math.Pow(float64(n+1), g.rng.Float64())) - 1
	return min(max(r, 0), n-1)
}

func dur(d time.Duration) *model.Duration { x := model.Duration(d); return &x }
