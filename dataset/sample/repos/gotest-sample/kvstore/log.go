package kvstore

// record is one entry of a Log.
type record struct {
	key   string
	value string
}

// Log is an append-only Storage: every Set appends a record and Get returns
// the newest record for a key. Compact drops records that were overwritten.
// The zero value is an empty log ready to use.
type Log struct {
	records []record
}

// Get returns the most recently set value for key.
func (l *Log) Get(key string) (string, error) {
	if err := checkKey("get", key); err != nil {
		return "", err
	}
	for i := len(l.records) - 1; i >= 0; i-- {
		if l.records[i].key == key {
			return l.records[i].value, nil
		}
	}
	return "", &OpError{Op: "get", Key: key, Err: ErrNotFound}
}

// Set appends a record assigning value to key.
func (l *Log) Set(key, value string) error {
	if err := checkKey("set", key); err != nil {
		return err
	}
	l.records = append(l.records, record{key: key, value: value})
	return nil
}

// Compact keeps only the newest record of each key, preserving the order in
// which those records were written, and returns how many records it dropped.
func (l *Log) Compact() int {
	latest := make(map[string]int, len(l.records))
	for i, r := range l.records {
		latest[r.key] = i
	}
	kept := l.records[:0]
	for i, r := range l.records {
		if latest[r.key] == i {
			kept = append(kept, r)
		}
	}
	dropped := len(l.records) - len(kept)
	l.records = kept
	return dropped
}
