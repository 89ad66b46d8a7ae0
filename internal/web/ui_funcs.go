package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/binder"
	"github.com/perdura/perdura/internal/model"
)

// baseFuncs are the template functions every page may use; each area adds its own.
func (s *server) baseFuncs(u *ui) template.FuncMap {
	return template.FuncMap{
		// asset is a static file's fingerprinted URL: {{asset "vendor/htmx.min.js"}}.
		"asset": u.asset,
		// ref is the page of a kind/name reference; "" when it has none.
		"refURL": refURL,
		// refName is how a kind/name reference reads (a person by their display name);
		// refKind is its kind.
		"refName": u.refLabel,
		"refKind": func(ref string) string { k, _, _ := strings.Cut(ref, "/"); return k },
		// findingText is a lint message as a page shows it: the chains the linter writes with
		// "->" for terminals read as arrows.
		"findingText": func(msg string) string { return strings.ReplaceAll(msg, " -> ", " → ") },
		// dur writes a span of time as people read it ("4h 30m"), "—" for none; it takes
		// seconds (int, int64, *int64), model.Duration, *model.Duration or time.Duration.
		"dur": humanDuration,
		// date writes a date or time as 2006-01-02.
		"date": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.Format("2006-01-02")
			case *model.Date:
				if v == nil {
					return "—"
				}
				return v.Format("2006-01-02")
			case model.Date:
				return v.Format("2006-01-02")
			}
			return fmt.Sprint(t)
		},
		// when writes a time to the minute, in UTC.
		"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		// money writes an amount with thousands separators and no decimals: 12,500.
		"money": money,
		"add":   func(a, b int) int { return a + b },
		// int64ToInt converts a count for plural and add.
		"int64ToInt": func(n int64) int { return int(n) },
		// plural picks the singular or plural noun for n: {{plural 3 "service" "services"}}.
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		// deref reads a pointer for display: nil gives "".
		"deref": func(v any) any {
			switch p := v.(type) {
			case *int64:
				if p == nil {
					return ""
				}
				return *p
			case *int:
				if p == nil {
					return ""
				}
				return *p
			case *bool:
				if p == nil {
					return ""
				}
				return *p
			case *string:
				if p == nil {
					return ""
				}
				return *p
			}
			return v
		},
	}
}

// humanDuration writes a span as people read it, exactly (binder.Dur: "4h 30m", "1d 20m",
// "2w"), and "—" for nothing.
func humanDuration(v any) string {
	var secs int64
	switch d := v.(type) {
	case nil:
		return "—"
	case int:
		secs = int64(d)
	case int64:
		secs = d
	case *int64:
		if d == nil {
			return "—"
		}
		secs = *d
	case model.Duration:
		secs = d.Seconds()
	case *model.Duration:
		if d == nil {
			return "—"
		}
		secs = d.Seconds()
	case time.Duration:
		secs = int64(d / time.Second)
	default:
		return fmt.Sprint(v)
	}
	return binder.Dur(secs)
}

// money writes an amount with thousands separators and no decimals.
func money(v float64) string {
	n := int64(v + 0.5)
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
