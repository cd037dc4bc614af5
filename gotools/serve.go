package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

type serveRequest struct {
	ID   json.RawMessage            `json:"id"`
	Cmd  string                     `json:"cmd"`
	Args map[string]json.RawMessage `json:"args"`
}

type serveResponse struct {
	ID     json.RawMessage `json:"id"`
	Result any             `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// serve answers one JSON request per line of in with one JSON line on out,
// in order, until in ends. A bad request gets an error response; only a
// failure to read in or write out ends serve early.
func serve(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for {
		line, readErr := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if err := writeJSON(w, handle(line)); err != nil {
				return err
			}
			// The scorer waits for each answer before it sends more.
			if err := w.Flush(); err != nil {
				return fmt.Errorf("serve: %w", err)
			}
		}
		if readErr == io.EOF {
			return nil
		}
		if readErr != nil {
			return fmt.Errorf("serve: reading request: %w", readErr)
		}
	}
}

// handle answers one request line. It recovers from panics so that one
// pathological input cannot take down a long-running scorer.
func handle(line []byte) (resp serveResponse) {
	var req serveRequest
	if err := json.Unmarshal(line, &req); err != nil {
		// The id may still be readable when another field is malformed.
		var idOnly struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(line, &idOnly)
		return serveResponse{ID: idOnly.ID, Error: fmt.Sprintf("bad request: %v", err)}
	}
	resp.ID = req.ID
	defer func() {
		if p := recover(); p != nil {
			resp = serveResponse{ID: req.ID, Error: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	result, err := dispatch(req)
	if err != nil {
		resp.Error = err.Error()
		return resp
	}
	resp.Result = result
	return resp
}

func dispatch(req serveRequest) (any, error) {
	c := lookupCommand(req.Cmd)
	if c == nil || c.name == "serve" {
		return nil, fmt.Errorf("unknown cmd %q", req.Cmd)
	}
	a := make(arguments)
	for name, raw := range req.Args {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s: argument %q is not a string", c.name, name)
		}
		a[name] = v
	}
	result, err := c.execute(a)
	if err != nil {
		var uerr usageError
		if errors.As(err, &uerr) {
			return nil, uerr.err
		}
		return nil, err
	}
	return result, nil
}
