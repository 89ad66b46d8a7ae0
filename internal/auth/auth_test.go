package auth

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastParams keep the tests quick; the parameters travel in the hash, so the code paths are
// the same as with DefaultParams.
func fastParams() Params { return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32} }

func TestAllowed(t *testing.T) {
	// The permission table as the docs state it; a change to Allowed must change this too.
	want := map[string][]Permission{
		RoleAdmin:     {PermSelf, PermRead, PermEdit, PermRespond, PermAudit, PermAdmin},
		RoleEditor:    {PermSelf, PermRead, PermEdit},
		RoleResponder: {PermSelf, PermRead, PermRespond},
		RoleViewer:    {PermSelf, PermRead},
		RoleAuditor:   {PermSelf, PermRead, PermAudit},
		"":            {},
		"root":        {},
	}
	for role, perms := range want {
		for _, p := range Permissions() {
			wantOK := false
			for _, q := range perms {
				wantOK = wantOK || q == p
			}
			if got := Allowed(role, p); got != wantOK {
				t.Errorf("Allowed(%q, %q) = %v, want %v", role, p, got, wantOK)
			}
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{RoleAdmin, RoleAuditor, true},
		{RoleAdmin, RoleAdmin, true},
		{RoleEditor, RoleViewer, true},
		{RoleEditor, RoleAuditor, false},
		{RoleAuditor, RoleEditor, false},
		{RoleViewer, RoleEditor, false},
		{RoleViewer, "nobody", false},
	}
	for _, tt := range tests {
		if got := Covers(tt.a, tt.b); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fastParams(), 0)
	hash, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash = %q, want a PHC argon2id string with its parameters", hash)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterz": false, "": false} {
		got, err := h.Verify(ctx, pw, hash)
		if err != nil || got != want {
			t.Errorf("Verify(%q) = %v, %v; want %v, nil", pw, got, err, want)
		}
	}
	// Another hasher with other parameters still verifies: they travel in the hash.
	if ok, err := NewHasher(DefaultParams(), 1).Verify(ctx, "correct horse battery", hash); !ok || err != nil {
		t.Errorf("Verify with other default params = %v, %v; want true, nil", ok, err)
	}
	if !NewHasher(DefaultParams(), 1).NeedsRehash(hash) || h.NeedsRehash(hash) {
		t.Errorf("NeedsRehash: want true for other params, false for the same")
	}
	again, _ := h.Hash(ctx, "correct horse battery")
	if again == hash {
		t.Errorf("two hashes of one password are equal; want distinct salts")
	}
	if _, err := h.Hash(ctx, "short"); err != ErrWeakPassword {
		t.Errorf("Hash(short) error = %v, want ErrWeakPassword", err)
	}
}

func TestVerifyRejectsBadHashes(t *testing.T) {
	h := NewHasher(fastParams(), 0)
	for _, bad := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5", // would allocate 95 GiB
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if ok, err := h.Verify(context.Background(), "password", bad); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want false and an error", bad, ok, err)
		}
	}
}

func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			h.release()
		})
	}
	wg.Wait()
	if got := peak.Load(); got > 2 {
		t.Errorf("peak concurrent hashes = %d, want at most 2", got)
	}
	// A caller that gives up while waiting gets its context's error, not a hash.
	h.sem <- struct{}{}
	h.sem <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "long enough password"); err != context.Canceled {
		t.Errorf("Hash with a full semaphore and a cancelled context: error = %v, want context.Canceled", err)
	}
}

func TestTokenFormat(t *testing.T) {
	id, secret := NewToken()
	if !strings.HasPrefix(secret, "pdr_"+id+"_") || len(secret) != 4+12+1+64 {
		t.Fatalf("NewToken() = %q, %q; want pdr_<12 hex>_<64 hex>", id, secret)
	}
	if got, ok := TokenID(secret); !ok || got != id {
		t.Errorf("TokenID(%q) = %q, %v; want %q, true", secret, got, ok, id)
	}
	for _, bad := range []string{"", "pdr_", "pdr_abc_def", secret[:len(secret)-1], strings.ToUpper(secret), "xyz" + secret[3:]} {
		if _, ok := TokenID(bad); ok {
			t.Errorf("TokenID(%q) ok; want not a token", bad)
		}
	}
	_, other := NewToken()
	if other == secret {
		t.Errorf("two tokens are equal")
	}
	if len(HashSecret(secret)) != 32 {
		t.Errorf("HashSecret length = %d, want 32", len(HashSecret(secret)))
	}
	if a, b := NewSecret(32), NewSecret(32); a == b || len(a) != 43 {
		t.Errorf("NewSecret(32) = %q, %q; want two distinct 43-character strings", a, b)
	}
}

// BenchmarkHashDefault measures one login's hashing cost with DefaultParams (about 45 ms on
// an idle 2-core machine); a wall-clock test would fail on the shared, loaded machines.
func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams(), 0)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "a password of some length"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	a, err := GeneratePassword()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GeneratePassword()
	if len(a) != 20 || a == b || strings.ContainsAny(a, "0O1lI") {
		t.Errorf("GeneratePassword() = %q, %q; want two distinct 20-character passwords without look-alikes", a, b)
	}
	hash, err := HashPassword(a)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := NewHasher(DefaultParams(), 0).Verify(context.Background(), a, hash); !ok || err != nil {
		t.Errorf("Verify(generated password) = %v, %v; want true, nil", ok, err)
	}
}
