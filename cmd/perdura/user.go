package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

var roles = []string{auth.RoleAdmin, auth.RoleEditor, auth.RoleResponder, auth.RoleViewer, auth.RoleAuditor}

func newUserCmd(e *env) *cobra.Command {
	c := &cobra.Command{
		Use:   "user",
		Short: "Manage local users in the database (the first admin, password resets)",
	}
	var dsn, role, display string
	var fromStdin bool
	add := &cobra.Command{
		Use:   "add NAME --role ROLE",
		Short: "Create a user; prints a generated password once, or reads one with --password-stdin",
		Long: `Add creates a local user in the database. Roles: admin (users, tokens, settings and everything
else), editor (the model, plans, exercises), responder (acts in incidents), viewer (reads),
auditor (reads, and the audit trail).

Without --password-stdin a strong password is generated and printed once; it is not stored
anywhere but as an argon2id hash.`,
		Example: "  perdura user add alice --role admin\n  printf '%s' \"$PW\" | perdura user add bob --role viewer --password-stdin",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf(cmd, "role", role, roles...); err != nil {
				return err
			}
			name := args[0]
			if err := auth.CheckUserName(name); err != nil {
				return cannot("%v", err) // before reading a password, which would be wasted
			}
			password, generated := "", false
			if fromStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				password = strings.TrimRight(line, "\r\n")
				if password == "" && err != nil {
					return cannot("--password-stdin: no password on standard input")
				}
				if len(password) < 12 {
					return cannot("--password-stdin: the password has %d characters, at least 12 are needed", len(password))
				}
			} else {
				var err error
				if password, err = auth.GeneratePassword(); err != nil {
					return err
				}
				generated = true
			}
			st, err := openStore(cmd.Context(), e, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			users := auth.New(st, auth.Options{Hasher: auth.NewHasher(auth.DefaultParams(), 1)})
			_, err = users.CreateUser(cmd.Context(), auth.Actor{User: localUser(e.getenv), Door: catalog.DoorCLI},
				auth.NewUser{Name: name, DisplayName: display, Role: role, Password: password})
			var badName *auth.UserNameError
			switch {
			case errors.Is(err, auth.ErrExists):
				return cannot("user %q already exists", name)
			case errors.As(err, &badName), errors.Is(err, auth.ErrUnknownRole), errors.Is(err, auth.ErrWeakPassword):
				return cannot("%v", err)
			case err != nil:
				return cannot("create user: %v", err)
			}
			fmt.Fprintf(e.stdout, "created user %s with role %s\n", name, role)
			if generated {
				fmt.Fprintf(e.stdout, "password (shown once): %s\n", password)
			}
			return nil
		},
	}
	dbFlag(add, &dsn)
	add.Flags().StringVar(&role, "role", "", "admin, editor, responder, viewer or auditor (required)")
	add.Flags().StringVar(&display, "display-name", "", "the name shown in the UI")
	add.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from standard input instead of generating one")
	_ = add.MarkFlagRequired("role")
	c.AddCommand(add)
	return c
}
