package kvstore

// Memory is a map-backed Storage. The zero value is an empty store ready to
// use. It is not safe for concurrent use.
type Memory struct {
	data map[string]string
}

// Get returns the value stored under key.
func (m *Memory) Get(key string) (string, error) {
	if err := checkKey("get", key); err != nil {
		return "", err
	}
	v, ok := m.data[key]
	if !ok {
		return "", &OpError{Op: "get", Key: key, Err: ErrNotFound}
	}
	return v, nil
}

// Set stores value under key, replacing any previous value.
func (m *Memory) Set(key, value string) error {
	if err := checkKey("set", key); err != nil {
		return err
	}
	if m.data == nil {
		m.data = make(map[string]string)
	}
	m.data[key] = value
	return nil
}
