package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// NewSecret returns n random bytes from crypto/rand, base64url-encoded without padding:
// session cookies and CSRF tokens.
func NewSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails: crypto/rand panics rather than return weak bytes
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what the store keeps of a session cookie or an API token: its SHA-256. The
// secrets carry 256 random bits, so a fast hash suffices: nothing can be guessed from it.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// tokenPrefix starts every API token, so secret scanners and people recognise one.
const tokenPrefix = "pdr_"

// NewToken returns a new API token's public id and its whole secret,
// "pdr_<id>_<secret>": the id (12 hex digits) names the token in lists and logs, the
// secret (32 random bytes, hex) is what authenticates. Hex keeps "_" a separator only.
func NewToken() (id, secret string) {
	idb := make([]byte, 6)
	sb := make([]byte, 32)
	rand.Read(idb)
	rand.Read(sb)
	id = hex.EncodeToString(idb)
	return id, tokenPrefix + id + "_" + hex.EncodeToString(sb)
}

// TokenID returns the public id inside an API token, and false when s does not have the
// token's shape; it never needs the store, so a log line can name a token without a lookup.
func TokenID(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return "", false
	}
	id, sec, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 || len(sec) != 64 || !isHex(id) || !isHex(sec) {
		return "", false
	}
	return id, true
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
