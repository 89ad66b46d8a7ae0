package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams are OWASP's second argon2id setting (19 MiB, 2 passes, 1 lane). Measured on
// the project's 2-core machines under load: about 45 ms a hash, where 64 MiB took 150-270 ms;
// with at most GOMAXPROCS hashes at once that keeps a login far under 500 ms and memory at
// 19 MiB per core however many logins arrive. Hashes carry their parameters, so raising them
// later leaves old hashes verifiable.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// MinPasswordLen is the shortest password Hasher.Hash accepts.
const MinPasswordLen = 12

// ErrWeakPassword refuses a password shorter than MinPasswordLen.
var ErrWeakPassword = fmt.Errorf("a password needs at least %d characters", MinPasswordLen)

// Hasher hashes and verifies passwords with argon2id. Each hash takes Params.Memory, so a
// semaphore bounds how many run at once: 200 concurrent logins queue instead of taking
// 200 × 19 MiB.
type Hasher struct {
	params Params
	sem    chan struct{}
}

// NewHasher returns a hasher with params that runs at most concurrency hashes at once
// (0 = GOMAXPROCS: more would only queue on the CPUs while holding their memory).
func NewHasher(params Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Hasher{params: params, sem: make(chan struct{}, concurrency)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns password's argon2id hash as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, base64 without padding.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len([]rune(password)) < MinPasswordLen {
		return "", ErrWeakPassword
	}
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt) // never fails: crypto/rand panics rather than return weak bytes
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	h.release()
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether password matches the PHC hash, comparing in constant time. A hash
// that does not parse is an error, not a mismatch, so that a damaged row is seen in the logs.
func (h *Hasher) Verify(ctx context.Context, password, hash string) (bool, error) {
	p, salt, key, err := decodePHC(hash)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	h.release()
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether hash was made with other parameters than the hasher's, so a
// login can upgrade it.
func (h *Hasher) NeedsRehash(hash string) bool {
	p, salt, key, err := decodePHC(hash)
	return err != nil || p.Memory != h.params.Memory || p.Time != h.params.Time ||
		p.Threads != h.params.Threads || len(salt) != h.params.SaltLen || len(key) != int(h.params.KeyLen)
}

func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

var errBadHash = errors.New("password hash is not an argon2id PHC string")

func decodePHC(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("password hash: unsupported argon2 version %q", parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil {
			return p, nil, nil, errBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, errBadHash
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, errBadHash
		}
	}
	// Bounds keep a tampered row from making a login allocate gigabytes or spin forever.
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = len(salt), uint32(len(key))
	return p, salt, key, nil
}

// HashPassword hashes a password with DefaultParams, for one-off callers such as
// `perdura user add`; servers share one Hasher so that its semaphore bounds memory.
func HashPassword(password string) (string, error) {
	return NewHasher(DefaultParams(), 1).Hash(context.Background(), password)
}

// GeneratePassword returns a random password of 20 characters from an alphabet without
// look-alikes (no 0/O, 1/l/I), about 114 bits, for passwords that are printed once and typed.
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	rand.Read(b) // never fails: crypto/rand panics rather than return weak bytes
	for i := range b {
		// 256 is not a multiple of len(alphabet); the bias this leaves (under 2 percent per
		// character) costs well under a bit of the 114.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}
