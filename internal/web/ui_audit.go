package web

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
)

// auditArea is the audit trail for auditors: who changed what, through which door, and
// whether the hash chain still verifies.
func (s *server) auditArea() area {
	return area{pages: []page{
		{method: "GET", path: "/audit", perm: auth.PermAudit, handle: s.auditPage},
		{method: "GET", path: "/audit/verify", perm: auth.PermAudit, handle: s.auditVerifyPage},
	}}
}

const auditPageSize = 100

type auditPageData struct {
	Actor, Action string
	Entries       []auditRow
	Next          int64
	Verified      *Verification
}

type auditRow struct {
	audit.Entry
	HashHex string
	// Ref is the target when it names a model object, for a link; "" otherwise.
	Ref string
}

func (s *server) auditPage(q *request) error {
	return s.renderAudit(q, nil)
}

// auditVerifyPage recomputes the chain and shows the answer above the newest entries.
func (s *server) auditVerifyPage(q *request) error {
	out, err := s.verifyAudit(q.ctx(), nil)
	if err != nil {
		return err
	}
	return s.renderAudit(q, &out.Body)
}

func (s *server) renderAudit(q *request, v *Verification) error {
	qs := q.r.URL.Query()
	d := auditPageData{Actor: strings.TrimSpace(qs.Get("actor")), Action: strings.TrimSpace(qs.Get("action")), Verified: v}
	var before int64
	if b := qs.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return badRequest{"before must be an entry's sequence number, a whole number such as 1200."}
		}
		before = n
	}
	es, err := s.deps.Audit.Audit(q.ctx(), audit.Query{Actor: d.Actor, Action: d.Action, Limit: auditPageSize, Before: before})
	if err != nil {
		return err
	}
	for _, e := range es {
		r := auditRow{Entry: e, HashHex: hex.EncodeToString(e.Hash)}
		if refURL(e.Target) != "" && !strings.HasPrefix(e.Target, "user/") {
			r.Ref = e.Target
		}
		d.Entries = append(d.Entries, r)
	}
	if len(es) == auditPageSize {
		d.Next = es[len(es)-1].Seq
	}
	return q.render(200, "audit", "Audit trail", "audit", d)
}
