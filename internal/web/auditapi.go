package web

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/audit"
)

// AuditEntry is one entry of the audit trail.
type AuditEntry struct {
	Seq    int64           `json:"seq"`
	At     time.Time       `json:"at"`
	Actor  string          `json:"actor"`
	Door   string          `json:"door"`
	Remote string          `json:"remote,omitempty"`
	Action string          `json:"action"`
	Target string          `json:"target,omitempty"`
	Detail json.RawMessage `json:"detail,omitempty"`
	Hash   string          `json:"hash" doc:"SHA-256 chaining the entry to the one before, hex."`
}

// AuditPage is a page of the trail, newest first; pass next as before for the next page.
type AuditPage struct {
	Items []AuditEntry `json:"items"`
	Next  int64        `json:"next,omitempty" doc:"The before value of the next page; absent on the last."`
}

type auditInput struct {
	Actor  string    `query:"actor"`
	Action string    `query:"action" doc:"Exact, or a prefix ending in '.' (object.)."`
	Since  time.Time `query:"since" doc:"RFC 3339."`
	Limit  int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Before int64     `query:"before" minimum:"0" doc:"Only entries with a smaller seq."`
}

type auditOutput struct{ Body AuditPage }

func (s *server) listAudit(ctx context.Context, in *auditInput) (*auditOutput, error) {
	es, err := s.deps.Audit.Audit(ctx, audit.Query{Actor: in.Actor, Action: in.Action, Since: in.Since, Limit: in.Limit, Before: in.Before})
	if err != nil {
		return nil, err
	}
	out := &auditOutput{Body: AuditPage{Items: make([]AuditEntry, 0, len(es))}}
	for _, e := range es {
		var detail json.RawMessage
		if e.Detail != "" && json.Valid([]byte(e.Detail)) {
			detail = json.RawMessage(e.Detail)
		}
		out.Body.Items = append(out.Body.Items, AuditEntry{Seq: e.Seq, At: e.At, Actor: e.Actor, Door: e.Door,
			Remote: e.Remote, Action: e.Action, Target: e.Target, Detail: detail, Hash: hex.EncodeToString(e.Hash)})
	}
	if len(es) == in.Limit && len(es) > 0 {
		out.Body.Next = es[len(es)-1].Seq
	}
	return out, nil
}

// Verification is the result of recomputing the audit chain.
type Verification struct {
	OK      bool   `json:"ok"`
	Checked int64  `json:"checked" doc:"How many entries verified before the first problem."`
	Problem string `json:"problem,omitempty" doc:"The first entry that does not verify, and how."`
}

type verifyOutput struct{ Body Verification }

// verifyAudit answers 200 either way: a broken chain is the answer to the question, not a
// failure of the request. The store's own failures (it could not read) are errors.
func (s *server) verifyAudit(ctx context.Context, _ *struct{}) (*verifyOutput, error) {
	n, err := s.deps.Audit.VerifyAudit(ctx)
	if err != nil {
		// sqlstore prefixes its read failures with "verify audit trail:"; every other error
		// is the chain's own finding, worded for people by audit.Verifier or the store.
		if strings.HasPrefix(err.Error(), "verify audit trail:") || ctx.Err() != nil {
			return nil, err
		}
		return &verifyOutput{Body: Verification{OK: false, Checked: n, Problem: err.Error()}}, nil
	}
	return &verifyOutput{Body: Verification{OK: true, Checked: n}}, nil
}
