// Package schema publishes the JSON Schema of Perdura's model format, so that editors (the VS
// Code YAML extension and others that speak JSON Schema) complete and check model files.
//
// The schema is generated from the model's Go types by this package's test (go test ./schema
// -update rewrites it) and committed, so it can never drift from the loader unnoticed.
package schema

import _ "embed"

// JSON is the schema of one model document, draft 2020-12.
//
//go:embed perdura-v1.json
var JSON []byte
