package model

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of time written as a string of whole-number units: `90s`, `15m`, `4h`,
// `2d`, `1w`, or combined from largest to smallest unit, `1h30m`. A day is 24 hours and a week
// 7 days: continuity targets count wall-clock time, not business days.
type Duration time.Duration

// Duration units, largest first, as written in the format.
var durationUnits = []struct {
	suffix byte
	d      time.Duration
}{
	{'w', 7 * 24 * time.Hour},
	{'d', 24 * time.Hour},
	{'h', time.Hour},
	{'m', time.Minute},
	{'s', time.Second},
}

// maxDuration bounds durations so sums over long chains cannot overflow: 100 years.
const maxDuration = 100 * 365 * 24 * time.Hour

// errDurationSyntax is what every malformed duration reports.
var errDurationSyntax = errors.New("expected a duration such as 90s, 15m, 4h, 2d, 1w or 1h30m")

// ParseDuration reads a duration in the format's syntax.
func ParseDuration(s string) (Duration, error) {
	if s == "" {
		return 0, errDurationSyntax
	}
	if s == "0" {
		return 0, nil
	}
	var total time.Duration
	next := 0 // index into durationUnits: units must come largest first, each once
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) || i > 9 {
			return 0, errDurationSyntax
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			return 0, errDurationSyntax
		}
		u := -1
		for j := next; j < len(durationUnits); j++ {
			if durationUnits[j].suffix == rest[i] {
				u = j
				break
			}
		}
		if u < 0 {
			return 0, errDurationSyntax
		}
		// Compare before multiplying: 1000000w would overflow int64 and wrap around.
		if time.Duration(n) > (maxDuration-total)/durationUnits[u].d {
			return 0, fmt.Errorf("duration %q is longer than 100 years", s)
		}
		total += time.Duration(n) * durationUnits[u].d
		next = u + 1
		rest = rest[i+1:]
	}
	return Duration(total), nil
}

// MustDuration parses s and panics on a malformed duration; for tests and literals.
func MustDuration(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(fmt.Sprintf("model.MustDuration(%q): %v", s, err))
	}
	return d
}

// Seconds is the duration in whole seconds.
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

// String writes the duration in the format's syntax, largest units first: 1h30m, 2d, 0s.
// Weeks are used only for whole weeks, so 180d stays 180d rather than 25w5d.
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	rest := time.Duration(d)
	units := durationUnits
	if rest%durationUnits[0].d != 0 {
		units = units[1:]
	}
	for _, u := range units {
		if n := rest / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.suffix)
			rest -= n * u.d
		}
	}
	if rest > 0 { // below a second: only from Go code, never parsed
		b.WriteString(time.Duration(rest).String())
	}
	return b.String()
}

// MarshalText writes the duration as the format writes it, for JSON and YAML.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the format's syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes the date as YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a YYYY-MM-DD date.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return errors.New("expected a date such as 2026-05-01")
	}
	d.Time = t
	return nil
}

// MarshalJSON writes the date as "YYYY-MM-DD". Without it, time.Time's MarshalJSON, promoted
// through the embedding, would win over MarshalText and write a timestamp.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return errors.New("expected a date such as 2026-05-01")
	}
	return d.UnmarshalText(b[1 : len(b)-1])
}
