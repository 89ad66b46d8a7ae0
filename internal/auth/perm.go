package auth

import "slices"

// Permission is something a role may do. Routes name the permission they need; Allowed is
// the one place that says which role has it, so the role matrix test and the docs read one
// table.
type Permission string

// Permissions, from the narrowest.
const (
	// PermSelf: one's own account: who am I, log out, one's own API tokens.
	PermSelf Permission = "self"
	// PermRead: read the model, its revisions, findings, the estate report, analyses.
	PermRead Permission = "read"
	// PermEdit: change the model (objects, apply), plans and exercises.
	PermEdit Permission = "edit"
	// PermRespond: act in incidents: steps, acknowledgements, status updates.
	PermRespond Permission = "respond"
	// PermAudit: read and verify the audit trail.
	PermAudit Permission = "audit"
	// PermAdmin: users, everyone's tokens, settings.
	PermAdmin Permission = "admin"
)

// Roles returns every role, most powerful first.
func Roles() []string {
	return []string{RoleAdmin, RoleEditor, RoleResponder, RoleViewer, RoleAuditor}
}

// Permissions returns every permission, narrowest first.
func Permissions() []Permission {
	return []Permission{PermSelf, PermRead, PermEdit, PermRespond, PermAudit, PermAdmin}
}

// ValidRole reports whether role is one of the roles.
func ValidRole(role string) bool { return slices.Contains(Roles(), role) }

// Allowed reports whether role may do p. An unknown role may do nothing, so a role name
// mangled in the database locks its holder out instead of letting them in.
func Allowed(role string, p Permission) bool {
	switch role {
	case RoleAdmin:
		return true
	case RoleEditor:
		return p == PermSelf || p == PermRead || p == PermEdit
	case RoleResponder:
		return p == PermSelf || p == PermRead || p == PermRespond
	case RoleViewer:
		return p == PermSelf || p == PermRead
	case RoleAuditor:
		return p == PermSelf || p == PermRead || p == PermAudit
	}
	return false
}

// Covers reports whether role a may do everything role b may: a user can only hand out
// tokens whose role their own covers, since roles are not a strict ladder (an auditor may
// read the audit trail, an editor may not; an editor may edit, an auditor may not).
func Covers(a, b string) bool {
	if !ValidRole(a) || !ValidRole(b) {
		return false
	}
	for _, p := range Permissions() {
		if Allowed(b, p) && !Allowed(a, p) {
			return false
		}
	}
	return true
}
