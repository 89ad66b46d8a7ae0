package model

import (
	"encoding/json"
	"testing"
)

func TestDurationRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"90s", "1m30s"}, {"15m", "15m"}, {"4h", "4h"}, {"2d", "2d"}, {"1w", "1w"}, {"14d", "2w"},
		{"180d", "180d"}, {"1h30m", "1h30m"}, {"1w2d", "9d"}, {"0", "0s"}, {"1d12h", "1d12h"},
	} {
		d, err := ParseDuration(tc.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tc.in, err)
			continue
		}
		if got := d.String(); got != tc.want {
			t.Errorf("ParseDuration(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("%q does not round-trip: %v, %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"", "1", "h", "1h1h", "30m1h", "1.5h", "-1h", "1x", " 1h", "9999999999h", "1000000w"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted a malformed duration", bad)
		}
	}
}

func TestDateJSON(t *testing.T) {
	var d Date
	if err := d.UnmarshalText([]byte("2026-05-01")); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		D Date  `json:"d"`
		P *Date `json:"p"`
	}{d, &d})
	if got, want := string(b), `{"d":"2026-05-01","p":"2026-05-01"}`; err != nil || got != want {
		t.Errorf("json = %s, %v; want %s", got, err, want)
	}
	var back Date
	if err := json.Unmarshal([]byte(`"2026-05-01"`), &back); err != nil || !back.Equal(d.Time) {
		t.Errorf("round trip: %v, %v", back, err)
	}
}
