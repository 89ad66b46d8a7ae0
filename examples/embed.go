// Package examples embeds the demo organisation, Northwind Retail (see README.md here), so that
// `perdura demo` serves it from the single binary with no files beside it.
package examples

import "embed"

// FS holds the demo organisation's model files, at their paths under examples/.
//
//go:embed *.yaml services plans
var FS embed.FS
