package main

import (
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/audit"
)

func newAuditCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Work with the audit trail",
	}
	var dsn string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit trail's hash chain; exit 1 if a row was changed or deleted",
		Long: `Verify recomputes the hash chain of the audit trail from its first entry and reports the first
entry that was changed, removed or resealed. It prints the head hash: keep it somewhere else
(a ticket, an email) to detect later a rewrite of the whole chain, which no chain can detect
by itself.

Exit status: 0 intact, 1 broken, 2 could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), e, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.VerifyAudit(cmd.Context())
			if err != nil {
				fmt.Fprintf(e.stdout, "audit trail BROKEN after %d intact entries: %v\n", n, err)
				return found()
			}
			head := "(empty)"
			if entries, err := st.Audit(cmd.Context(), auditLatest()); err == nil && len(entries) > 0 {
				head = hex.EncodeToString(entries[0].Hash)
			}
			fmt.Fprintf(e.stdout, "audit trail intact: %d entries, head %s\n", n, head)
			return nil
		},
	}
	dbFlag(verify, &dsn)
	c.AddCommand(verify)
	return c
}

// auditLatest asks for the newest entry only.
func auditLatest() audit.Query { return audit.Query{Limit: 1} }
