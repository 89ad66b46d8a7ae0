package audit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func chain(n int) []Entry {
	var out []Entry
	prev := Genesis()
	at := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	for i := 1; i <= n; i++ {
		e := Entry{Seq: int64(i), At: at.Add(time.Duration(i) * time.Second), Actor: "alice", Door: "api",
			Action: "object.update", Target: "service/db", Detail: `{"revision":2}`}
		Seal(&e, prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func verify(entries []Entry) error {
	var v Verifier
	for _, e := range entries {
		if err := v.Check(e); err != nil {
			return err
		}
	}
	return nil
}

func TestVerify(t *testing.T) {
	if err := verify(chain(5)); err != nil {
		t.Fatalf("an intact chain fails: %v", err)
	}
	for _, tc := range []struct {
		name   string
		tamper func([]Entry) []Entry
		want   string
	}{
		{"changed field", func(es []Entry) []Entry { es[2].Actor = "mallory"; return es }, "entry 3 (object.update service/db by mallory"},
		{"deleted row", func(es []Entry) []Entry { return append(es[:2], es[3:]...) }, "entries 3 to 3 are missing"},
		{"deleted and renumbered", func(es []Entry) []Entry {
			es = append(es[:2], es[3:]...)
			for i := range es {
				es[i].Seq = int64(i + 1)
			}
			return es
		}, "entry 3 does not link"},
		{"resealed row", func(es []Entry) []Entry { es[1].Detail = "{}"; Seal(&es[1], es[0].Hash); return es }, "entry 3 does not link"},
		{"first row removed", func(es []Entry) []Entry { return es[1:] }, "entry 2 does not link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verify(tc.tamper(chain(5)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestHashIgnoresTimeZoneAndNanoseconds(t *testing.T) {
	e := chain(1)[0]
	f := e
	f.At = e.At.In(time.FixedZone("CET", 3600)).Truncate(time.Microsecond)
	if string(Hash(e)) != string(Hash(f)) {
		t.Error("the same instant in another zone, or stored at microsecond precision, hashes differently")
	}
}

// TestVerifierAfter checks the tail of a chain from an entry taken as intact: what the server
// verifies at start.
func TestVerifierAfter(t *testing.T) {
	tail := func(es []Entry) error {
		v, err := VerifierAfter(es[0])
		if err != nil {
			return err
		}
		for _, e := range es[1:] {
			if err := v.Check(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := tail(chain(6)[3:]); err != nil {
		t.Fatalf("an intact tail fails: %v", err)
	}
	for _, tc := range []struct {
		name   string
		tamper func([]Entry) []Entry
		want   string
	}{
		{"changed anchor", func(es []Entry) []Entry { es[3].Target = "service/x"; return es[3:] }, "entry 4 (object.update service/x"},
		{"changed field", func(es []Entry) []Entry { es[4].Actor = "mallory"; return es[3:] }, "entry 5 (object.update service/db by mallory"},
		{"deleted row after the anchor", func(es []Entry) []Entry { return append(es[3:4], es[5:]...) }, "entries 5 to 5 are missing"},
		{"resealed row", func(es []Entry) []Entry { es[4].Detail = "{}"; Seal(&es[4], es[3].Hash); return es[3:] }, "entry 6 does not link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tail(tc.tamper(chain(6)))
			var broken *BrokenError
			if !errors.As(err, &broken) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want a BrokenError containing %q", err, tc.want)
			}
		})
	}
}
