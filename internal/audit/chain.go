package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Genesis is the Prev of the first entry.
var genesis [sha256.Size]byte

// Genesis returns the Prev of the first entry: 32 zero bytes.
func Genesis() []byte { return genesis[:] }

// Hash is the SHA-256 that chains e to the entry before it: over Prev and every field but
// Hash itself, each length-prefixed so that no two different entries encode alike. At is taken
// in UTC at microsecond precision, the finest both SQLite and PostgreSQL keep.
func Hash(e Entry) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], uint64(e.Seq))
	field(e.Prev)
	field(seq[:])
	field([]byte(e.At.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)))
	for _, s := range []string{e.Actor, e.Door, e.Remote, e.Action, e.Target, e.Detail} {
		field([]byte(s))
	}
	return h.Sum(nil)
}

// Seal sets e.Prev to prev and e.Hash to the entry's hash; the store calls it on append.
func Seal(e *Entry, prev []byte) {
	e.Prev = append([]byte(nil), prev...)
	e.Hash = Hash(*e)
}

// BrokenError says that the chain does not verify: a row was changed, removed or resealed.
// Its text names the first entry that does not verify. Errors reading the chain are other
// errors, so that a caller tells a tampered trail from a database that did not answer.
type BrokenError struct{ msg string }

func (e *BrokenError) Error() string { return e.msg }

// Broken makes a BrokenError; stores use it for what only they can see (entries missing from
// the end of the trail).
func Broken(format string, args ...any) error {
	return &BrokenError{msg: fmt.Sprintf(format, args...)}
}

// Verifier checks a chain entry by entry, in Seq order, so a store can stream a long trail.
type Verifier struct {
	prev    []byte
	lastSeq int64
	checked int64
	resumed bool // started after an entry (VerifierAfter): the next must follow it
}

// VerifierAfter returns a verifier that checks the entries after prev, whose own hash it
// checks and then takes as the chain's state: it verifies the tail of a chain too long to read
// whole at every start. Only a whole-chain check proves the entries before prev.
func VerifierAfter(prev Entry) (*Verifier, error) {
	if !bytes.Equal(prev.Hash, Hash(prev)) {
		return nil, Broken("audit entry %d (%s %s by %s at %s) was changed after it was written", prev.Seq, prev.Action, prev.Target, prev.Actor, prev.At.UTC().Format(time.RFC3339))
	}
	return &Verifier{prev: prev.Hash, lastSeq: prev.Seq, resumed: true}, nil
}

// Check verifies the next entry: its Prev links to the previous entry's Hash, its Seq
// follows on, and its Hash is what its fields give. The error names the entry.
func (v *Verifier) Check(e Entry) error {
	if v.prev == nil {
		v.prev = Genesis()
	}
	switch {
	case (v.checked > 0 || v.resumed) && e.Seq != v.lastSeq+1:
		return Broken("audit entry %d follows entry %d: entries %d to %d are missing", e.Seq, v.lastSeq, v.lastSeq+1, e.Seq-1)
	case !bytes.Equal(e.Prev, v.prev):
		return Broken("audit entry %d does not link to the entry before it: an entry before it was changed or removed", e.Seq)
	case !bytes.Equal(e.Hash, Hash(e)):
		return Broken("audit entry %d (%s %s by %s at %s) was changed after it was written", e.Seq, e.Action, e.Target, e.Actor, e.At.UTC().Format(time.RFC3339))
	}
	v.prev, v.lastSeq = e.Hash, e.Seq
	v.checked++
	return nil
}

// Checked is how many entries verified so far.
func (v *Verifier) Checked() int64 { return v.checked }

// Head is the hash of the last verified entry: publishing it elsewhere (a ticket, an email)
// lets an auditor detect a rewrite of the whole chain, which no chain can detect by itself.
func (v *Verifier) Head() []byte { return v.prev }
