// Package lru implements a fixed-capacity least-recently-used cache whose
// entries may expire after a time-to-live. The clock is injected so that
// expiry can be tested without sleeping.
package lru

import (
	"container/list"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors returned by New for invalid arguments.
var (
	ErrCapacity = errors.New("lru: capacity must be positive")
	ErrTTL      = errors.New("lru: ttl must not be negative")
)

type entry struct {
	key     string
	value   any
	expires time.Time // zero when the cache has no ttl
}

// Cache is a string-keyed LRU cache. It is safe for concurrent use.
type Cache struct {
	mu       sync.Mutex
	capacity int
	ttl      time.Duration
	now      func() time.Time
	order    *list.List // front is the most recently used entry
	items    map[string]*list.Element
}

// New returns a cache holding at most capacity entries. A ttl of zero means
// entries never expire. now supplies the current time; nil means time.Now.
func New(capacity int, ttl time.Duration, now func() time.Time) (*Cache, error) {
	if capacity <= 0 {
		return nil, fmt.Errorf("%w (got %d)", ErrCapacity, capacity)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("%w (got %v)", ErrTTL, ttl)
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{
		capacity: capacity,
		ttl:      ttl,
		now:      now,
		order:    list.New(),
		items:    make(map[string]*list.Element, capacity),
	}, nil
}

// Get returns the value stored under key and marks it most recently used.
// An expired entry is removed and reported as missing.
func (c *Cache) Get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if c.expired(e) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// Put stores value under key, replacing any previous value and restarting its
// time-to-live. It reports whether the least recently used entry was evicted
// to make room.
func (c *Cache) Put(key string, value any) (evicted bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var expires time.Time
	if c.ttl > 0 {
		expires = c.now().Add(c.ttl)
	}
	if el, ok := c.items[key]; ok {
		e := el.Value.(*entry)
		e.value, e.expires = value, expires
		c.order.MoveToFront(el)
		return false
	}
	c.items[key] = c.order.PushFront(&entry{key: key, value: value, expires: expires})
	if c.order.Len() > c.capacity {
		c.remove(c.order.Back())
		return true
	}
	return false
}

// Delete removes key and reports whether it was present and not yet expired.
func (c *Cache) Delete(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return false
	}
	live := !c.expired(el.Value.(*entry))
	c.remove(el)
	return live
}

// Len returns the number of entries that have not expired.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.order.Front(); el != nil; el = el.Next() {
		if !c.expired(el.Value.(*entry)) {
			n++
		}
	}
	return n
}

// expired reports whether e has outlived the cache's ttl.
func (c *Cache) expired(e *entry) bool {
	return c.ttl > 0 && !c.now().Before(e.expires)
}

// remove unlinks el from the recency list and the index.
func (c *Cache) remove(el *list.Element) {
	c.order.Remove(el)
	delete(c.items, el.Value.(*entry).key)
}
