package auth

import (
	"sync"
	"time"
)

// credCache remembers recently seen sessions and tokens with their users for a moment, so
// that a script's burst of reads costs two lookups per second instead of two per request.
// What it trades: a change made by another process (another server sharing the database,
// `perdura user` on the command line) takes effect up to one TTL late. Changes made through
// this Authenticator's server call Forget, and take effect at once.
type credCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	at      time.Time
	session Session
	token   Token
	user    User
}

// maxCacheEntries bounds the cache; past it, stale entries are dropped, and if that is not
// enough, everything (a flood of distinct credentials must not grow memory).
const maxCacheEntries = 10000

func (c *credCache) get(key string, now time.Time) (cacheEntry, bool) {
	if c.ttl <= 0 {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) >= c.ttl || now.Before(e.at) {
		return cacheEntry{}, false
	}
	return e, true
}

func (c *credCache) put(key string, e cacheEntry) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cacheEntry{}
	}
	if len(c.m) >= maxCacheEntries {
		for k, old := range c.m {
			if e.at.Sub(old.at) >= c.ttl {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCacheEntries {
			clear(c.m)
		}
	}
	c.m[key] = e
}

// forget drops every entry of a user, or with user "" the entry of key.
func (c *credCache) forget(user, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if key != "" {
		delete(c.m, key)
	}
	if user == "" {
		return
	}
	for k, e := range c.m {
		if e.user.Name == user {
			delete(c.m, k)
		}
	}
}

// Forget makes the next request of any of user's sessions and tokens read them and the
// user from the store again: call it after changing or deleting a user or revoking a token.
func (a *Authenticator) Forget(user string) { a.cache.forget(user, "") }
