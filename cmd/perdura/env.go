package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// bindEnv gives every flag of c the default of its PERDURA_* variable, so that a deployment sets
// PERDURA_DB once instead of repeating --db. Flags on the command line still win. A value the
// flag cannot take fails the command with the variable's name.
func bindEnv(c *cobra.Command, getenv func(string) string) {
	prev := c.PreRunE
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		var bad error
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if bad != nil || f.Changed || f.Name == "help" {
				return
			}
			name := "PERDURA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			v := getenv(name)
			if v == "" {
				return
			}
			if err := cmd.Flags().Set(f.Name, v); err != nil {
				bad = cannot("%s=%q: %v", name, v, err)
				return
			}
			// Remember where the value came from, so errors name what the user actually set.
			if f.Annotations == nil {
				f.Annotations = map[string][]string{}
			}
			f.Annotations["env"] = []string{name}
		})
		if bad != nil {
			return bad
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
	for _, sub := range c.Commands() {
		bindEnv(sub, getenv)
	}
}

// flagLabel names a flag as the user set it: --name, or PERDURA_NAME when it came from there.
func flagLabel(c *cobra.Command, name string) string {
	if f := c.Flags().Lookup(name); f != nil {
		if env := f.Annotations["env"]; len(env) > 0 {
			return env[0]
		}
	}
	return "--" + name
}

// oneOf checks a flag's value against the values it allows.
func oneOf(c *cobra.Command, flag, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return cannot("%s %q: expected one of %s", flagLabel(c, flag), v, strings.Join(allowed, ", "))
}
