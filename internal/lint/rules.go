package lint

// RuleDoc describes a rule for users: its stable name, its severity and what it checks.
type RuleDoc struct {
	Name     string
	Severity Severity
	Summary  string
}

// Rules lists every rule the linter applies beyond the loader's own problems, in the order
// docs/lint.md documents them. Names are stable: users suppress and grep by them.
func Rules() []RuleDoc {
	return []RuleDoc{
		{"rto-inherited", Error, "a service's stated RTO is looser than the RTO or MTPD of something that depends on it through hard links"},
		{"rpo-unachievable", Error, "the service's backups and replication cannot meet its stated RPO"},
		{"mtpd-mismatch", Error, "an explicit mtpd disagrees with the impact table and tolerance"},
		{"mtpd-missing", Warning, "a business function has no MTPD: no mtpd and no impact level at or above its tolerance"},
		{"rto-unmet", Warning, "a single failure keeps a service down longer than its RTO"},
		{"mtpd-unmet", Warning, "a single failure keeps a business function down longer than its MTPD"},
		{"recovery-time-missing", Warning, "a service with an RTO has no recovery.time, so its own loss counts as unrecoverable"},
		{"single-point-of-failure", Warning, "a tier 0-1 service goes down when one other object fails"},
		{"false-redundancy", Warning, "every member of a redundancy group shares a dependency whose failure defeats the group"},
		{"no-plan", Warning, "a service a business function needs, or of tier 0-1, is covered by no plan"},
		{"plan-no-authority", Warning, "nobody is named who may activate the plan"},
		{"plan-single-holder", Warning, "a plan role is held by a single person, with no deputy"},
		{"plan-no-steps", Warning, "a plan has no steps"},
		{"plan-too-slow", Warning, "the critical path of the plan's steps exceeds the RTO of a service it covers"},
		{"step-duration-missing", Warning, "a plan step gives no duration, so the plan cannot be checked against the RTO"},
		{"contact-unreachable", Warning, "a person a plan relies on has fewer than two ways to be reached"},
		{"review-overdue", Warning, "a plan's last review plus its review period is before today"},
		{"review-missing", Warning, "a plan has no review cycle (every and last)"},
		{"contract-expired", Warning, "a provider's contract has expired"},
		{"contract-expiring", Warning, "a provider's contract expires within 90 days"},
		{"exit-plan-missing", Warning, "a critical provider has no exit plan (DORA Art. 28)"},
		{"unused", Info, "a site, provider, person or team nothing refers to"},
	}
}

// FromAnalysis reports whether a rule's findings come from the dependency analysis: the
// estate report (perdura analyze, GET /api/v1/estate) carries exactly these.
func FromAnalysis(rule string) bool {
	switch rule {
	case "rto-inherited", "rto-unmet", "mtpd-unmet", "single-point-of-failure", "false-redundancy", "rpo-unachievable":
		return true
	}
	return false
}
