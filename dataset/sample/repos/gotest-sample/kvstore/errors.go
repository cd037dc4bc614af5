package kvstore

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by the stores; test for them with errors.Is.
var (
	ErrNotFound   = errors.New("kvstore: key not found")
	ErrInvalidKey = errors.New("kvstore: invalid key")
)

// OpError records which operation failed on which key, and why.
type OpError struct {
	Op  string // "get" or "set"
	Key string
	Err error
}

// Error formats the error as "<op> "<key>": <cause>".
func (e *OpError) Error() string {
	return e.Op + " " + strconv.Quote(e.Key) + ": " + e.Err.Error()
}

// Unwrap returns the underlying cause so that errors.Is and errors.As see it.
func (e *OpError) Unwrap() error {
	return e.Err
}

// FailedKey returns the key of the first *OpError in err's chain, and false
// when there is none.
func FailedKey(err error) (string, bool) {
	var op *OpError
	if errors.As(err, &op) {
		return op.Key, true
	}
	return "", false
}

// checkKey rejects empty keys and keys holding control characters.
func checkKey(op, key string) error {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return &OpError{Op: op, Key: key, Err: ErrInvalidKey}
	}
	return nil
}
