package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"
)

const protocolVersion = "2025-06-18"

// message is any JSON-RPC message from the server; Result stays raw until a caller needs it.
type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      *int64 `json:"id,omitempty"`
	Method  string `json:"method"`
	Params  any    `json:"params,omitempty"`
}

type toolResult struct {
	IsError           bool            `json:"isError"`
	StructuredContent json.RawMessage `json:"structuredContent"`
	Content           json.RawMessage `json:"content"`
}

func initializeParams() map[string]any {
	return map[string]any{
		"protocolVersion": protocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "wassette-bench-mcp", "version": "1"},
	}
}

// stdioClient speaks newline-delimited JSON-RPC to a server's stdin/stdout, one request at a time.
type stdioClient struct {
	p           *proc
	w           *bufio.Writer
	lines       chan []byte
	readErr     error
	nextID      int64
	listChanged int // notifications/tools/list_changed seen and not yet consumed
	timeout     time.Duration
}

func newStdioClient(p *proc) *stdioClient {
	c := &stdioClient{p: p, w: bufio.NewWriter(p.stdin), lines: make(chan []byte, 1024), timeout: 120 * time.Second}
	go func() {
		r := bufio.NewReaderSize(p.stdout, 1<<20)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				c.lines <- line
			}
			if err != nil {
				c.readErr = err
				close(c.lines)
				return
			}
		}
	}()
	return c
}

func (c *stdioClient) write(m request, flush bool) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	c.w.Write(b)
	c.w.WriteByte('\n')
	if flush {
		return c.w.Flush()
	}
	return nil
}

// send writes a request (flushed unless batched) and returns its id.
func (c *stdioClient) send(method string, params any, flush bool) (int64, error) {
	c.nextID++
	id := c.nextID
	return id, c.write(request{JSONRPC: "2.0", ID: &id, Method: method, Params: params}, flush)
}

func (c *stdioClient) notify(method string, flush bool) error {
	return c.write(request{JSONRPC: "2.0", Method: method}, flush)
}

// next returns the next message, answering server-to-client requests and counting list_changed.
func (c *stdioClient) next(deadline time.Time) (*message, error) {
	for {
		var line []byte
		var ok bool
		select {
		case line, ok = <-c.lines:
			if !ok {
				return nil, fmt.Errorf("server closed stdout (%v); its log ends:\n%s", c.readErr, c.p.logTail())
			}
		case <-time.After(time.Until(deadline)):
			return nil, fmt.Errorf("no answer within %v; server log ends:\n%s", c.timeout, c.p.logTail())
		}
		var m message
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("not JSON-RPC: %q", line)
		}
		if m.Method != "" && len(m.ID) > 0 { // a request from the server (ping, roots/list…)
			reply := map[string]any{"jsonrpc": "2.0", "id": m.ID}
			if m.Method == "ping" {
				reply["result"] = map[string]any{}
			} else {
				reply["error"] = rpcError{Code: -32601, Message: "not supported by the bench client"}
			}
			b, _ := json.Marshal(reply)
			c.w.Write(append(b, '\n'))
			c.w.Flush()
			continue
		}
		if m.Method == "notifications/tools/list_changed" {
			c.listChanged++
		}
		return &m, nil
	}
}

// await reads until the response to id.
func (c *stdioClient) await(id int64) (json.RawMessage, error) {
	deadline := time.Now().Add(c.timeout)
	for {
		m, err := c.next(deadline)
		if err != nil {
			return nil, err
		}
		if m.Method != "" || len(m.ID) == 0 {
			continue
		}
		var got int64
		if json.Unmarshal(m.ID, &got) != nil || got != id {
			continue
		}
		if m.Error != nil {
			return nil, fmt.Errorf("error %d: %s", m.Error.Code, m.Error.Message)
		}
		return m.Result, nil
	}
}

// awaitListChanged waits for a notifications/tools/list_changed not seen before.
func (c *stdioClient) awaitListChanged() error {
	deadline := time.Now().Add(c.timeout)
	for c.listChanged == 0 {
		if _, err := c.next(deadline); err != nil {
			return err
		}
	}
	c.listChanged--
	return nil
}

func (c *stdioClient) call(method string, params any) (json.RawMessage, error) {
	id, err := c.send(method, params, true)
	if err != nil {
		return nil, err
	}
	return c.await(id)
}

func (c *stdioClient) initialize() error {
	if _, err := c.call("initialize", initializeParams()); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	return c.notify("notifications/initialized", true)
}

func (c *stdioClient) callTool(name string, args any) (toolResult, error) {
	raw, err := c.call("tools/call", map[string]any{"name": name, "arguments": args})
	var r toolResult
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, err
	}
	return r, nil
}

func toolNames(listResult json.RawMessage) (map[string]bool, error) {
	var l struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(listResult, &l); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, t := range l.Tools {
		out[t.Name] = true
	}
	return out, nil
}
