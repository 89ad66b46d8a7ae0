// Package model is the continuity model: the Go types of every kind a model folder may hold,
// the loader that reads them from YAML with positions, and the validation that makes a loaded
// model safe to analyse (every reference resolved, no hard-dependency cycle).
//
// The format is documented in docs/format.md; field names here are the format's, through the
// `yaml` struct tags, which the loader and the JSON Schema generator both read.
package model

import "time"

// APIVersion is the only apiVersion this version of Perdura reads.
const APIVersion = "perdura/v1"

// Kind names a kind of object as written in `kind:`.
type Kind string

// The kinds of object a model holds.
const (
	KindBusinessFunction Kind = "BusinessFunction"
	KindService          Kind = "Service"
	KindSite             Kind = "Site"
	KindProvider         Kind = "Provider"
	KindPerson           Kind = "Person"
	KindTeam             Kind = "Team"
	KindPlan             Kind = "Plan"
	KindScenario         Kind = "Scenario"
)

// Kinds lists every kind in the order reports use.
var Kinds = []Kind{KindBusinessFunction, KindService, KindSite, KindProvider, KindPerson, KindTeam, KindPlan, KindScenario}

// RefPrefix is the lower-case prefix of a kind in references written as `kind/name`
// on the command line and in reports: `service/orders-db`, `function/online-sales`.
func (k Kind) RefPrefix() string {
	switch k {
	case KindBusinessFunction:
		return "function"
	case KindService:
		return "service"
	case KindSite:
		return "site"
	case KindProvider:
		return "provider"
	case KindPerson:
		return "person"
	case KindTeam:
		return "team"
	case KindPlan:
		return "plan"
	case KindScenario:
		return "scenario"
	}
	return string(k)
}

// KindForPrefix is the inverse of RefPrefix; ok is false for an unknown prefix.
func KindForPrefix(p string) (Kind, bool) {
	for _, k := range Kinds {
		if k.RefPrefix() == p {
			return k, true
		}
	}
	return "", false
}

// Pos is a place in a model file. Line and Column count from 1; zero means unknown.
type Pos struct {
	File   string
	Line   int
	Column int
}

// Metadata is the envelope every object carries.
type Metadata struct {
	Name        string            `yaml:"name" json:"name"`
	Title       string            `yaml:"title,omitempty" json:"title,omitempty"`
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Owner       string            `yaml:"owner,omitempty" json:"owner,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
}

// Object is implemented by every kind's type.
type Object interface {
	Kind() Kind
	Meta() *Metadata
	Src() *Source
}

// Ref is the `kind/name` reference of an object.
func Ref(o Object) string { return o.Kind().RefPrefix() + "/" + o.Meta().Name }

// header is embedded in every kind: the envelope and where it came from.
type header struct {
	Metadata Metadata `yaml:"metadata" json:"metadata"`
	Source   Source   `yaml:"-" json:"-"`
}

func (h *header) Meta() *Metadata { return &h.Metadata }
func (h *header) Src() *Source    { return &h.Source }

// Level is an impact level of the business impact analysis.
type Level string

// Impact levels, from least to most severe.
const (
	LevelNegligible Level = "negligible"
	LevelMinor      Level = "minor"
	LevelModerate   Level = "moderate"
	LevelMajor      Level = "major"
	LevelSevere     Level = "severe"
)

// Levels lists the impact levels in order of severity.
var Levels = []Level{LevelNegligible, LevelMinor, LevelModerate, LevelMajor, LevelSevere}

// Rank is the level's place in Levels, or -1 for an unknown level.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// BusinessFunction is a business process the organisation must keep running, with its
// business impact analysis.
type BusinessFunction struct {
	header `yaml:",inline"`
	Spec   BusinessFunctionSpec `yaml:"spec" json:"spec"`
}

// BusinessFunctionSpec is the spec of a BusinessFunction.
type BusinessFunctionSpec struct {
	// Services are the IT services the function needs; each is a hard dependency.
	Services []string `yaml:"services" json:"services"`
	// Impact says how bad an outage gets over time, in increasing order of `after`.
	Impact []ImpactStep `yaml:"impact,omitempty" json:"impact,omitempty"`
	// Tolerance is the level the organisation cannot tolerate; it sets the MTPD.
	Tolerance Level `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// MTPD is the maximum tolerable period of disruption, where stated explicitly.
	MTPD *Duration `yaml:"mtpd,omitempty" json:"mtpd,omitempty"`
	// LossPerHour is the money lost per hour of outage.
	LossPerHour float64 `yaml:"lossPerHour,omitempty" json:"lossPerHour,omitempty"`
	// MBCO is the minimum business continuity objective, in words.
	MBCO string `yaml:"mbco,omitempty" json:"mbco,omitempty"`
}

// ImpactStep is one row of an impact table: from After on, the outage is at Level.
type ImpactStep struct {
	After Duration `yaml:"after" json:"after"`
	Level Level    `yaml:"level" json:"level"`
	Note  string   `yaml:"note,omitempty" json:"note,omitempty"`
}

// Kind implements Object.
func (*BusinessFunction) Kind() Kind { return KindBusinessFunction }

// EffectiveMTPD is the stated MTPD, or else the earliest impact step at or above the
// tolerance; ok is false when neither gives one.
func (f *BusinessFunction) EffectiveMTPD() (d Duration, ok bool) {
	if f.Spec.MTPD != nil {
		return *f.Spec.MTPD, true
	}
	return f.ImpactMTPD()
}

// ImpactMTPD is the MTPD the impact table and tolerance give: the earliest `after` whose level
// is at or above the tolerance.
func (f *BusinessFunction) ImpactMTPD() (d Duration, ok bool) {
	t := f.Spec.Tolerance.Rank()
	if t < 0 {
		return 0, false
	}
	found := false
	for _, s := range f.Spec.Impact {
		if s.Level.Rank() >= t && (!found || s.After < d) {
			d, found = s.After, true
		}
	}
	return d, found
}

// Service is any IT service or component: application, database, network, platform.
type Service struct {
	header `yaml:",inline"`
	Spec   ServiceSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Service) Kind() Kind { return KindService }

// ServiceSpec is the spec of a Service.
type ServiceSpec struct {
	Type        string       `yaml:"type,omitempty" json:"type,omitempty"`
	Tier        *int         `yaml:"tier,omitempty" json:"tier,omitempty"`
	Targets     Targets      `yaml:"targets,omitempty" json:"targets,omitempty"`
	RunsAt      *RunsAt      `yaml:"runsAt,omitempty" json:"runsAt,omitempty"`
	Providers   []string     `yaml:"providers,omitempty" json:"providers,omitempty"`
	DependsOn   []Dependency `yaml:"dependsOn,omitempty" json:"dependsOn,omitempty"`
	Recovery    *Recovery    `yaml:"recovery,omitempty" json:"recovery,omitempty"`
	Backups     []Backup     `yaml:"backups,omitempty" json:"backups,omitempty"`
	Replication *Replication `yaml:"replication,omitempty" json:"replication,omitempty"`
	Plan        string       `yaml:"plan,omitempty" json:"plan,omitempty"`
}

// Service types the format documents; others are accepted (the type is descriptive).
var ServiceTypes = []string{"application", "database", "platform", "network", "storage", "security", "messaging", "integration", "end-user", "infrastructure", "saas"}

// Targets are a service's recovery objectives.
type Targets struct {
	RTO *Duration `yaml:"rto,omitempty" json:"rto,omitempty"`
	RPO *Duration `yaml:"rpo,omitempty" json:"rpo,omitempty"`
}

// Hosting modes of RunsAt.
const (
	ModeSingle        = "single"
	ModeActiveActive  = "active-active"
	ModeActivePassive = "active-passive"
)

// RunsAt says where a service runs.
type RunsAt struct {
	Sites []string `yaml:"sites" json:"sites"`
	// Mode is single, active-active or active-passive; empty means single with one site and
	// active-passive with several.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Failover is how long an active-passive service is down when its active site is lost.
	Failover Duration `yaml:"failover,omitempty" json:"failover,omitempty"`
}

// EffectiveMode resolves the default mode.
func (r *RunsAt) EffectiveMode() string {
	if r.Mode != "" {
		return r.Mode
	}
	if len(r.Sites) > 1 {
		return ModeActivePassive
	}
	return ModeSingle
}

// Dependency impacts.
const (
	ImpactDown     = "down"     // hard: the dependent is down while this is down
	ImpactDegraded = "degraded" // soft: the dependent is only degraded
)

// Dependency is one entry of `dependsOn`: a service (written as a plain name or as
// {service, impact}), or a redundancy group ({anyOf: [...]} or {atLeast: k, of: [...]})
// whose members are themselves dependencies, so groups nest.
type Dependency struct {
	Service string `yaml:"service,omitempty" json:"service,omitempty"`
	// Impact is "down" (hard, the default) or "degraded" (soft).
	Impact string `yaml:"impact,omitempty" json:"impact,omitempty"`
	// AnyOf is a group that needs one of its members.
	AnyOf []Dependency `yaml:"anyOf,omitempty" json:"anyOf,omitempty"`
	// AtLeast and Of are a group that needs AtLeast of its members.
	AtLeast int          `yaml:"atLeast,omitempty" json:"atLeast,omitempty"`
	Of      []Dependency `yaml:"of,omitempty" json:"of,omitempty"`
	// Failover is the delay before a group runs on its standbys once a member in use is lost.
	Failover Duration `yaml:"failover,omitempty" json:"failover,omitempty"`
}

// IsGroup reports whether d is a redundancy group.
func (d *Dependency) IsGroup() bool { return d.Service == "" }

// Members are a group's members, in the order written.
func (d *Dependency) Members() []Dependency {
	if d.AnyOf != nil {
		return d.AnyOf
	}
	return d.Of
}

// Need is how many members a group needs.
func (d *Dependency) Need() int {
	if d.AnyOf != nil {
		return 1
	}
	return d.AtLeast
}

// Soft reports whether the dependency only degrades its dependent.
func (d *Dependency) Soft() bool { return d.Impact == ImpactDegraded }

// Recovery is how a service comes back once lost.
type Recovery struct {
	Strategy string    `yaml:"strategy,omitempty" json:"strategy,omitempty"`
	Time     *Duration `yaml:"time,omitempty" json:"time,omitempty"`
}

// Recovery strategies the format documents.
var RecoveryStrategies = []string{"active-active", "hot-standby", "warm-standby", "cold-standby", "pilot-light", "backup-restore", "rebuild", "manual", "vendor"}

// Backup is one backup schedule of a service.
type Backup struct {
	Name      string    `yaml:"name" json:"name"`
	Interval  Duration  `yaml:"interval" json:"interval"`
	Duration  *Duration `yaml:"duration,omitempty" json:"duration,omitempty"` // how long taking the copy takes
	Offsite   bool      `yaml:"offsite,omitempty" json:"offsite,omitempty"`
	Immutable bool      `yaml:"immutable,omitempty" json:"immutable,omitempty"`
	Retention *Duration `yaml:"retention,omitempty" json:"retention,omitempty"`
	// RestoreTime is how long a restore from this backup takes.
	RestoreTime *Duration `yaml:"restoreTime,omitempty" json:"restoreTime,omitempty"`
}

// Replication is continuous copying of a service's data elsewhere.
type Replication struct {
	Lag Duration `yaml:"lag" json:"lag"`
	// Target names the service or site the data is copied to, for the reader.
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
}

// Site is a data centre, cloud region or office.
type Site struct {
	header `yaml:",inline"`
	Spec   SiteSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Site) Kind() Kind { return KindSite }

// SiteSpec is the spec of a Site.
type SiteSpec struct {
	Type     string `yaml:"type,omitempty" json:"type,omitempty"`
	Location string `yaml:"location,omitempty" json:"location,omitempty"`
	// Providers operate the site (a cloud region's vendor, a colocation company); each is a
	// hard dependency of the site.
	Providers []string  `yaml:"providers,omitempty" json:"providers,omitempty"`
	Recovery  *Recovery `yaml:"recovery,omitempty" json:"recovery,omitempty"`
}

// Site types the format documents.
var SiteTypes = []string{"datacenter", "cloud-region", "colocation", "office", "edge"}

// Provider is an external ICT provider.
type Provider struct {
	header `yaml:",inline"`
	Spec   ProviderSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Provider) Kind() Kind { return KindProvider }

// ProviderSpec is the spec of a Provider.
type ProviderSpec struct {
	Type        string    `yaml:"type,omitempty" json:"type,omitempty"`
	Criticality string    `yaml:"criticality,omitempty" json:"criticality,omitempty"`
	Contract    *Contract `yaml:"contract,omitempty" json:"contract,omitempty"`
	Contacts    []Contact `yaml:"contacts,omitempty" json:"contacts,omitempty"`
	Recovery    *Recovery `yaml:"recovery,omitempty" json:"recovery,omitempty"`
}

// Provider criticalities.
var Criticalities = []string{"low", "medium", "high", "critical"}

// Contract is the agreement with a provider.
type Contract struct {
	ID       string `yaml:"id,omitempty" json:"id,omitempty"`
	SLA      string `yaml:"sla,omitempty" json:"sla,omitempty"`
	Expires  *Date  `yaml:"expires,omitempty" json:"expires,omitempty"`
	ExitPlan string `yaml:"exitPlan,omitempty" json:"exitPlan,omitempty"`
}

// Contact is a way to reach a provider.
type Contact struct {
	Name  string `yaml:"name,omitempty" json:"name,omitempty"`
	Role  string `yaml:"role,omitempty" json:"role,omitempty"`
	Email string `yaml:"email,omitempty" json:"email,omitempty"`
	Phone string `yaml:"phone,omitempty" json:"phone,omitempty"`
	URL   string `yaml:"url,omitempty" json:"url,omitempty"`
}

// Person is someone who acts or is told.
type Person struct {
	header `yaml:",inline"`
	Spec   PersonSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Person) Kind() Kind { return KindPerson }

// PersonSpec is the spec of a Person.
type PersonSpec struct {
	DisplayName string `yaml:"displayName,omitempty" json:"displayName,omitempty"`
	Email       string `yaml:"email,omitempty" json:"email,omitempty"`
	Phone       string `yaml:"phone,omitempty" json:"phone,omitempty"`
	Chat        string `yaml:"chat,omitempty" json:"chat,omitempty"`
	Deputy      string `yaml:"deputy,omitempty" json:"deputy,omitempty"`
}

// Channels counts the ways to reach the person.
func (p *Person) Channels() int {
	n := 0
	for _, s := range []string{p.Spec.Email, p.Spec.Phone, p.Spec.Chat} {
		if s != "" {
			n++
		}
	}
	return n
}

// Team is people who act together; member order is the call order.
type Team struct {
	header `yaml:",inline"`
	Spec   TeamSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Team) Kind() Kind { return KindTeam }

// TeamSpec is the spec of a Team.
type TeamSpec struct {
	Members    []string    `yaml:"members" json:"members"`
	Escalation *Escalation `yaml:"escalation,omitempty" json:"escalation,omitempty"`
}

// Escalation says how long a member has to acknowledge before the next is called.
type Escalation struct {
	AckWithin Duration `yaml:"ackWithin" json:"ackWithin"`
}

// Plan is a continuity or recovery plan.
type Plan struct {
	header `yaml:",inline"`
	Spec   PlanSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Plan) Kind() Kind { return KindPlan }

// PlanSpec is the spec of a Plan.
type PlanSpec struct {
	Covers        []string        `yaml:"covers" json:"covers"`
	Scenarios     []string        `yaml:"scenarios,omitempty" json:"scenarios,omitempty"`
	Activation    *Activation     `yaml:"activation,omitempty" json:"activation,omitempty"`
	Roles         []PlanRole      `yaml:"roles,omitempty" json:"roles,omitempty"`
	Communication []Communication `yaml:"communication,omitempty" json:"communication,omitempty"`
	Steps         []Step          `yaml:"steps,omitempty" json:"steps,omitempty"`
	Review        *Review         `yaml:"review,omitempty" json:"review,omitempty"`
}

// Activation says when a plan is invoked and who may invoke it.
type Activation struct {
	Criteria  []string `yaml:"criteria,omitempty" json:"criteria,omitempty"`
	Authority []string `yaml:"authority,omitempty" json:"authority,omitempty"` // people, in order
}

// PlanRole is a role in a plan, held by people (first primary, the rest deputies) or a team.
type PlanRole struct {
	Role   string   `yaml:"role" json:"role"`
	People []string `yaml:"people,omitempty" json:"people,omitempty"`
	Team   string   `yaml:"team,omitempty" json:"team,omitempty"`
}

// Communication is one audience a plan tells, by when and how.
type Communication struct {
	Audience string    `yaml:"audience" json:"audience"`
	People   []string  `yaml:"people,omitempty" json:"people,omitempty"`
	Team     string    `yaml:"team,omitempty" json:"team,omitempty"`
	Within   *Duration `yaml:"within,omitempty" json:"within,omitempty"`
	Channel  string    `yaml:"channel,omitempty" json:"channel,omitempty"`
	Template string    `yaml:"template,omitempty" json:"template,omitempty"`
}

// Communication channels.
var Channels = []string{"email", "phone", "sms", "chat", "status-page", "webhook", "in-person"}

// Step is one step of a plan; After names the steps it waits for.
type Step struct {
	ID       string    `yaml:"id" json:"id"`
	Title    string    `yaml:"title" json:"title"`
	Role     string    `yaml:"role,omitempty" json:"role,omitempty"`
	After    []string  `yaml:"after,omitempty" json:"after,omitempty"`
	Duration *Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	Details  string    `yaml:"details,omitempty" json:"details,omitempty"`
}

// Review is a plan's review cycle.
type Review struct {
	Every      *Duration `yaml:"every,omitempty" json:"every,omitempty"`
	Last       *Date     `yaml:"last,omitempty" json:"last,omitempty"`
	ApprovedBy string    `yaml:"approvedBy,omitempty" json:"approvedBy,omitempty"`
}

// Scenario is a disruption to plan and exercise for.
type Scenario struct {
	header `yaml:",inline"`
	Spec   ScenarioSpec `yaml:"spec" json:"spec"`
}

// Kind implements Object.
func (*Scenario) Kind() Kind { return KindScenario }

// ScenarioSpec is the spec of a Scenario.
type ScenarioSpec struct {
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	Fails       Fails     `yaml:"fails" json:"fails"`
	Duration    *Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	Frequency   float64   `yaml:"frequency,omitempty" json:"frequency,omitempty"`
}

// Fails is a failure set.
type Fails struct {
	Services  []string `yaml:"services,omitempty" json:"services,omitempty"`
	Sites     []string `yaml:"sites,omitempty" json:"sites,omitempty"`
	Providers []string `yaml:"providers,omitempty" json:"providers,omitempty"`
}

// Date is a calendar day, written 2026-05-01.
type Date struct{ time.Time }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }
