package main

import (
	"github.com/spf13/cobra"

	"github.com/perdura/perdura/schema"
)

func newSchemaCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the model format, for editors",
		Long: `Schema prints the JSON Schema (draft 2020-12) of one model document. Save it and point your
editor at it, e.g. for the VS Code YAML extension in .vscode/settings.json:

  "yaml.schemas": {"./perdura.schema.json": ["models/**/*.yaml"]}

or put '# yaml-language-server: $schema=./perdura.schema.json' at the top of a file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := e.stdout.Write(schema.JSON)
			return err
		},
	}
}
