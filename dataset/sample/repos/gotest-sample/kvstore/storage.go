// Package kvstore defines a small key/value Storage interface with two
// implementations: a map-backed Memory store and an append-only Log store.
package kvstore

import (
	"errors"
	"fmt"
)

// Storage is a string key/value store. Get returns an error wrapping
// ErrNotFound for a missing key; both methods wrap ErrInvalidKey for keys
// that are empty or hold control characters.
type Storage interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// Copy copies the given keys from src to dst and returns how many were
// copied. Keys missing from src are skipped; any other error stops the copy.
func Copy(dst, src Storage, keys []string) (int, error) {
	copied := 0
	for _, key := range keys {
		value, err := src.Get(key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return copied, err
		}
		if err := dst.Set(key, value); err != nil {
			return copied, fmt.Errorf("copy: %w", err)
		}
		copied++
	}
	return copied, nil
}
