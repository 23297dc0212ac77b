package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// quickAckConn sets TCP_QUICKACK after every read. Linux clears the flag by itself, so setting it
// once at connect is not enough; setting it after a read also sends at once an ACK still pending.
type quickAckConn struct {
	*net.TCPConn
	raw syscall.RawConn
}

func setQuickAck(raw syscall.RawConn) {
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}

func (c *quickAckConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	setQuickAck(c.raw)
	return n, err
}

// newHTTPClient is one keep-alive connection (Go's default TCP_NODELAY on the client side).
func newHTTPClient(quickAck bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	tr := &http.Transport{
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil || !quickAck {
				return conn, err
			}
			tc := conn.(*net.TCPConn)
			raw, err := tc.SyscallConn()
			if err != nil {
				return nil, err
			}
			setQuickAck(raw)
			return &quickAckConn{TCPConn: tc, raw: raw}, nil
		},
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// httpSession is one MCP session over streamable HTTP on one keep-alive connection.
type httpSession struct {
	url     string
	client  *http.Client
	session string
	nextID  int64
	// when the last response was parsed, before the rest of its stream was read
	responseAt time.Time
}

// post sends one message; for a request it returns the result of the response with its id,
// read from a JSON body or from the SSE stream, which it reads to the end (so the connection is reused).
func (h *httpSession) post(method string, params any, notification bool) (json.RawMessage, error) {
	req := request{JSONRPC: "2.0", Method: method, Params: params}
	var id int64
	if !notification {
		h.nextID++
		id = h.nextID
		req.ID = &id
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequest(http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json, text/event-stream")
	if h.session != "" {
		hr.Header.Set("Mcp-Session-Id", h.session)
		hr.Header.Set("MCP-Protocol-Version", protocolVersion)
	}
	resp, err := h.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if s := resp.Header.Get("Mcp-Session-Id"); s != "" {
		h.session = s
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("%s: HTTP %d: %s", method, resp.StatusCode, b)
	}
	if notification {
		_, err := io.Copy(io.Discard, resp.Body)
		return nil, err
	}
	var found *message
	consider := func(data []byte) error {
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("not JSON-RPC: %q", data)
		}
		var got int64
		if m.Method == "" && json.Unmarshal(m.ID, &got) == nil && got == id {
			found = &m
			h.responseAt = time.Now()
		}
		return nil
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		r := bufio.NewReader(resp.Body)
		var data []byte
		for {
			line, err := r.ReadBytes('\n')
			t := bytes.TrimRight(line, "\r\n")
			if len(t) == 0 && len(data) > 0 { // end of an event
				if e := consider(data); e != nil {
					return nil, e
				}
				data = data[:0]
			} else if after, ok := bytes.CutPrefix(t, []byte("data:")); ok {
				data = append(data, bytes.TrimPrefix(after, []byte(" "))...)
			}
			if err != nil {
				if err != io.EOF {
					return nil, err
				}
				break
			}
		}
		if len(data) > 0 {
			if e := consider(data); e != nil {
				return nil, e
			}
		}
	} else {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		if e := consider(b); e != nil {
			return nil, e
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%s: no response with id %d", method, id)
	}
	if found.Error != nil {
		return nil, fmt.Errorf("%s: error %d: %s", method, found.Error.Code, found.Error.Message)
	}
	return found.Result, nil
}

func (h *httpSession) initialize() error {
	if _, err := h.post("initialize", initializeParams(), false); err != nil {
		return err
	}
	_, err := h.post("notifications/initialized", nil, true)
	return err
}

func (h *httpSession) callTool(name string, args any) (toolResult, error) {
	var r toolResult
	raw, err := h.post("tools/call", map[string]any{"name": name, "arguments": args}, false)
	if err != nil {
		return r, err
	}
	err = json.Unmarshal(raw, &r)
	return r, err
}

func (h *httpSession) close() {
	if h.session == "" {
		return
	}
	req, _ := http.NewRequest(http.MethodDelete, h.url, nil)
	req.Header.Set("Mcp-Session-Id", h.session)
	req.Header.Set("MCP-Protocol-Version", protocolVersion)
	if resp, err := h.client.Do(req); err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	h.client.CloseIdleConnections()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// httpThroughput: a fresh server and store, the trivial component loaded over HTTP, then for each
// connection mode (plain, quickack) and client count, that many sessions, each on its own keep-alive
// connection, call the trivial tool back to back: httpWarm unmeasured, then httpWindow measured.
func httpThroughput(cfg *config, s server) (metrics, error) {
	dir, err := os.MkdirTemp(cfg.tmp, s.Name+"-store-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	url := "http://" + addr + "/mcp"
	p, err := startServer(s, s.serveArgs(dir, addr), cfg.tmp, false)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	m := metrics{}
	// Ready: the first initialize that succeeds.
	admin := &httpSession{url: url, client: newHTTPClient(true)}
	for {
		if err := admin.initialize(); err == nil {
			break
		} else if p.exited() || time.Since(p.start) > 2*time.Minute {
			return nil, fmt.Errorf("serve never answered (%v); log ends:\n%s", err, p.logTail())
		}
		admin.session = ""
		time.Sleep(20 * time.Millisecond)
	}
	m["ready_ms"] = ms(time.Since(p.start))
	if _, err := loadTrivial(cfg, admin.callTool); err != nil {
		return nil, err
	}
	admin.close()
	for _, mode := range []string{"plain", "quickack"} {
		for _, n := range cfg.httpClients {
			prefix := fmt.Sprintf("%s.c%d.", mode, n)
			if err := httpRun(cfg, p.pid(), url, mode == "quickack", n, m, prefix); err != nil {
				return nil, fmt.Errorf("%s%s; server exited: %v; its log ends:\n%s", prefix, err, p.exited(), p.logTail())
			}
		}
	}
	m["rss_after_http_mib"] = rssMiB(p.pid())
	return m, nil
}

func httpRun(cfg *config, pid int, url string, quickAck bool, n int, m metrics, prefix string) error {
	sessions := make([]*httpSession, n)
	for i := range sessions {
		sessions[i] = &httpSession{url: url, client: newHTTPClient(quickAck)}
		if err := sessions[i].initialize(); err != nil {
			return err
		}
	}
	defer func() {
		for _, h := range sessions {
			h.close()
		}
	}()
	start := time.Now()
	measureFrom := start.Add(cfg.httpWarm)
	end := measureFrom.Add(cfg.httpWindow)
	var mu sync.Mutex
	var all, toResponse []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	startCPU := make(chan [2]float64, 1)
	go func() { // CPU of both processes over the measured window
		time.Sleep(time.Until(measureFrom))
		startCPU <- [2]float64{cpuSeconds(pid), selfCPUSeconds()}
	}()
	for _, h := range sessions {
		wg.Add(1)
		go func(h *httpSession) {
			defer wg.Done()
			var mine, mineToResponse []time.Duration
			for {
				t := time.Now()
				if !t.Before(end) {
					break
				}
				r, err := h.callTool(cfg.trivialTool, cfg.trivialArgs)
				if err == nil && r.IsError {
					err = fmt.Errorf("tool error: %s", r.Content)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				// a call counts in the window it started in and only if it ended in it
				if done := time.Now(); !t.Before(measureFrom) && done.Before(end) {
					mine = append(mine, done.Sub(t))
					mineToResponse = append(mineToResponse, h.responseAt.Sub(t))
				}
			}
			mu.Lock()
			all = append(all, mine...)
			toResponse = append(toResponse, mineToResponse...)
			mu.Unlock()
		}(h)
	}
	c0 := <-startCPU
	cpu0, self0 := c0[0], c0[1]
	time.Sleep(time.Until(end))
	cpu1, self1 := cpuSeconds(pid), selfCPUSeconds()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	m[prefix+"calls_per_s"] = float64(len(all)) / cfg.httpWindow.Seconds()
	if len(all) > 0 {
		m[prefix+"cpu_per_call_us"] = (cpu1 - cpu0) * 1e6 / float64(len(all))
		m[prefix+"client_cpu_per_call_us"] = (self1 - self0) * 1e6 / float64(len(all))
	}
	latencyStats(m, prefix, all)
	// the same calls timed to the response event only: a gap to the above is the server ending the stream late
	sort.Slice(toResponse, func(i, j int) bool { return toResponse[i] < toResponse[j] })
	m[prefix+"to_response_p50_us"] = percentile(toResponse, 0.5)
	return nil
}
