package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/sqlstore"
)

func newDBCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "db",
		Short: "Look after the database",
	}
	var dsn string
	check := &cobra.Command{
		Use:   "check",
		Short: "Check the database thoroughly; exit 1 if it is damaged or its audit chain is broken",
		Long: `Check verifies the database more thoroughly than the server does at each start.

On SQLite it reads the whole file with SQLite's integrity_check (every page, and every index
against its table) and checks its foreign keys, through a read-only handle, before anything
writes to it. A damaged file is reported and left as it is: restore the latest backup (see
"Backups" in docs/operations.md). On both engines it then checks the schema's migrations and
the whole audit chain, as perdura audit verify does.

Exit status: 0 intact, 1 damaged or broken, 2 could not run.`,
		Example: "  perdura db check\n  perdura db check --db /var/lib/perdura/perdura.db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, err := storeDSN(e, dsn)
			if err != nil {
				return err
			}
			results, err := sqlstore.Check(cmd.Context(), dsn)
			if err != nil {
				return openFailed(dsn, err)
			}
			failed := false
			for _, r := range results {
				status := "ok"
				if !r.OK {
					status, failed = "FAILED", true
				}
				fmt.Fprintf(e.stdout, "%-12s  %-6s  %s\n", r.Name, status, r.Detail)
				for _, p := range r.Problems {
					fmt.Fprintf(e.stdout, "    %s\n", p)
				}
			}
			if failed {
				return found()
			}
			return nil
		},
	}
	dbFlag(check, &dsn)
	c.AddCommand(check)
	return c
}
