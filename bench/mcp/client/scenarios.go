package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

type config struct {
	this, upstream          server
	trivialWasm             string // component with the trivial tool
	trivialTool             string
	trivialArgs             map[string]any
	trivialWant             string // structuredContent of a correct answer
	thisJSStore, upJSStore  string
	jsTools                 []string
	tmp                     string
	earlyWarm, earlyCalls   int
	steadyWarm, steadyCalls int
	httpWarm, httpWindow    time.Duration
	httpClients             []int
	rssSettle               time.Duration
	rssIdle                 time.Duration // sessions4's second RSS reading, from the last answer
	warmSessions            int           // timed sessions of the warm scenario, after the priming one
}

func (c *config) jsStore(s server) string {
	if s.Name == "upstream" {
		return c.upJSStore
	}
	return c.thisJSStore
}

// metrics of one scenario on one server in one round.
type metrics map[string]float64

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return float64(sorted[i].Nanoseconds()) / 1000 // µs
}

func latencyStats(m metrics, prefix string, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	m[prefix+"p50_us"] = percentile(d, 0.50)
	m[prefix+"p90_us"] = percentile(d, 0.90)
	m[prefix+"p99_us"] = percentile(d, 0.99)
	m[prefix+"max_us"] = percentile(d, 1.0)
}

// loadTrivial loads the trivial component through the load-component tool and checks one call.
func loadTrivial(cfg *config, call func(string, any) (toolResult, error)) (time.Duration, error) {
	t := time.Now()
	r, err := call("load-component", map[string]any{"path": "file://" + cfg.trivialWasm})
	if err != nil {
		return 0, fmt.Errorf("load-component: %w", err)
	}
	if r.IsError {
		return 0, fmt.Errorf("load-component failed: %s", r.Content)
	}
	took := time.Since(t)
	return took, checkTrivial(cfg, call)
}

func checkTrivial(cfg *config, call func(string, any) (toolResult, error)) error {
	r, err := call(cfg.trivialTool, cfg.trivialArgs)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.trivialTool, err)
	}
	if r.IsError || !jsonEqual(r.StructuredContent, cfg.trivialWant) {
		return fmt.Errorf("%s answered %s %s, want structuredContent %s", cfg.trivialTool, r.StructuredContent, r.Content, cfg.trivialWant)
	}
	return nil
}

func jsonEqual(a json.RawMessage, b string) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// stdioLatency: a fresh server and store, the trivial component loaded, then calls one at a time:
// earlyWarm calls, earlyCalls measured, more calls up to steadyWarm in all, steadyCalls measured.
// Server CPU is utime+stime over each measured window.
func stdioLatency(cfg *config, s server) (metrics, error) {
	dir, err := os.MkdirTemp(cfg.tmp, s.Name+"-store-")
	if err != nil {
		return nil, err
	}
	p, err := startServer(s, s.runArgs(dir), cfg.tmp, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	c := newStdioClient(p)
	if err := c.initialize(); err != nil {
		return nil, err
	}
	m, err := callWindows(cfg, c, func() float64 { return cpuSeconds(p.pid()) })
	if err != nil {
		return nil, err
	}
	m["rss_after_stdio_mib"] = rssMiB(p.pid())
	return m, nil
}

// stdioWarmDaemon: the stdio scenario in the second of two sessions of one configuration, the
// first having done the same calls — for this server both reach one daemon (the first session
// starts it), so the second is what an MCP client's next session meets; for upstream each session
// is a new process. Server CPU is the session's processes plus the daemon.
func stdioWarmDaemon(cfg *config, s server) (metrics, error) {
	return withShared(cfg, s, func(sh *shared) (metrics, error) {
		var m metrics
		for session := 1; session <= 2; session++ {
			p, c, _, _, err := sh.open()
			if err != nil {
				return nil, fmt.Errorf("session %d: %w", session, err)
			}
			daemons := sh.daemonPids()
			cpu := func() float64 {
				total := cpuSeconds(p.pid())
				for _, d := range daemons {
					if !slices.Contains(tree(p.pid()), d) {
						total += ownCPUSeconds(d)
					}
				}
				return total
			}
			if m, err = callWindows(cfg, c, cpu); err != nil {
				return nil, fmt.Errorf("session %d: %w", session, err)
			}
			sh.end(p)
		}
		return m, nil
	})
}

// traceCalls appends each measured call of a window (its start, from the window's, and its
// latency, in µs) to the file named by MCPBENCH_TRACE, to find what the slow calls line up with
// (a server's GC log, its log flushes). The window's start is given as Unix µs.
func traceCalls(prefix string, t0 time.Time, starts, d []time.Duration) {
	path := os.Getenv("MCPBENCH_TRACE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "MCPBENCH_TRACE:", err)
		return
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "# window %s t0=%d\n", prefix, t0.UnixMicro())
	for i := range d {
		fmt.Fprintf(w, "%d %d %d\n", i, starts[i].Microseconds(), d[i].Microseconds())
	}
	w.Flush()
}

// callWindows loads the trivial component through an initialized client, then calls it one at a
// time: earlyWarm calls, earlyCalls measured, more calls up to steadyWarm in all, steadyCalls
// measured. Server CPU (cpu, in seconds) is taken over each measured window.
func callWindows(cfg *config, c *stdioClient, cpu func() float64) (metrics, error) {
	m := metrics{}
	loadTook, err := loadTrivial(cfg, c.callTool)
	if err != nil {
		return nil, err
	}
	m["load_component_ms"] = ms(loadTook)
	done := 1 // checkTrivial made one call
	params := map[string]any{"name": cfg.trivialTool, "arguments": cfg.trivialArgs}
	one := func() (time.Duration, error) {
		t := time.Now()
		id, err := c.send("tools/call", params, true)
		if err != nil {
			return 0, err
		}
		raw, err := c.await(id)
		d := time.Since(t)
		if err != nil {
			return 0, fmt.Errorf("call %d: %w", done+1, err)
		}
		var r toolResult
		if err := json.Unmarshal(raw, &r); err != nil || r.IsError {
			return 0, fmt.Errorf("call %d failed: %s", done, raw)
		}
		done++
		return d, nil
	}
	window := func(prefix string, warmTo, n int) error {
		for done < warmTo {
			if _, err := one(); err != nil {
				return err
			}
		}
		d := make([]time.Duration, 0, n)
		starts := make([]time.Duration, 0, n)
		cpu0, self0 := cpu(), selfCPUSeconds()
		t0 := time.Now()
		for i := 0; i < n; i++ {
			starts = append(starts, time.Since(t0))
			x, err := one()
			if err != nil {
				return err
			}
			d = append(d, x)
		}
		wall := time.Since(t0)
		traceCalls(prefix, t0, starts, d)
		m[prefix+"cpu_per_call_us"] = (cpu() - cpu0) * 1e6 / float64(n)
		m[prefix+"client_cpu_per_call_us"] = (selfCPUSeconds() - self0) * 1e6 / float64(n)
		m[prefix+"calls_per_s"] = float64(n) / wall.Seconds()
		latencyStats(m, prefix, d)
		return nil
	}
	if err := window("early.", cfg.earlyWarm, cfg.earlyCalls); err != nil {
		return nil, err
	}
	if err := window("steady.", cfg.steadyWarm, cfg.steadyCalls); err != nil {
		return nil, err
	}
	return m, nil
}

// coldStart: a client that writes initialize, initialized and tools/list at once, timed from just
// before the process starts. With a store of JS components it then waits for list_changed until
// every component tool is listed, and calls each tool once (any answer counts: the empty policy
// denies the fetch). RSS is read rssSettle after the last answer.
func coldStart(cfg *config, s server, withJS bool) (metrics, error) {
	var dir string
	var err error
	if withJS {
		dir = cfg.jsStore(s)
	} else if dir, err = os.MkdirTemp(cfg.tmp, s.Name+"-store-"); err != nil {
		return nil, err
	}
	p, err := startServer(s, s.runArgs(dir), cfg.tmp, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	return timedCold(cfg, p, withJS)
}

// timedCold: coldMetrics for a server just started, and its RSS rssSettle after the last answer.
func timedCold(cfg *config, p *proc, withJS bool) (metrics, error) {
	m, err := coldMetrics(cfg, p, withJS)
	if err != nil {
		return nil, err
	}
	time.Sleep(cfg.rssSettle)
	m["rss_mib"] = rssMiB(p.pid())
	return m, nil
}

// coldRepeat: the cold start of a process without the daemon when a run of the same configuration
// (store, state directories and, for this server, runtime directory) has run before, as for every
// session of an MCP client after its first. A priming run lists tools (with the JS store: all of
// them) and, for this server, waits (at most 30 s) until it has recorded its answers (run-*.early.json
// in its runtime directory), and is stopped; then one run is timed as in the cold scenario. This
// server answers the opening from the priming run's answers while its own server starts
// (EarlyResponder); upstream's two runs are both processes started cold. RSS is read rssSettle after
// the last answer.
func coldRepeat(cfg *config, s server, withJS bool) (metrics, error) {
	state, err := os.MkdirTemp(cfg.tmp, s.Name+"-state-")
	if err != nil {
		return nil, err
	}
	store := ""
	if withJS {
		store = cfg.jsStore(s)
	} else if store, err = os.MkdirTemp(cfg.tmp, s.Name+"-store-"); err != nil {
		return nil, err
	}
	env := s.standaloneEnv()
	runDir := filepath.Join(state, "run")
	if s.Name == "this" {
		if err := os.Mkdir(runDir, 0o700); err != nil {
			return nil, err
		}
		env = append(env, "XDG_RUNTIME_DIR="+runDir)
	}
	primer, err := startIn(s, s.runArgs(store), state, env, true)
	if err != nil {
		return nil, err
	}
	if err := primeRun(cfg, s, primer, withJS, runDir); err != nil {
		primer.stop()
		return nil, fmt.Errorf("priming run: %w", err)
	}
	primer.stop()
	p, err := startIn(s, s.runArgs(store), state, env, true)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	m, err := timedCold(cfg, p, withJS)
	if err != nil {
		return nil, err
	}
	if s.Name == "this" {
		// Whether the timed run answered its opening from the recorded answers (it logs it at the hand-over).
		b, _ := os.ReadFile(p.logPath)
		m["answered_early"] = float64(strings.Count(string(b), "of the session's first requests from"))
	}
	return m, nil
}

// primeRun: the priming run of coldRepeat lists its tools (all of the JS store's) and, for this
// server, has recorded its answers.
func primeRun(cfg *config, s server, primer *proc, withJS bool, runDir string) error {
	c, _, listed, err := firstList(primer)
	if err != nil {
		return err
	}
	if withJS {
		if err := awaitTools(c, listed, cfg.jsTools); err != nil {
			return err
		}
	}
	if s.Name != "this" {
		return nil
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if files, _ := filepath.Glob(filepath.Join(runDir, "wassette", "run-*.early.json")); len(files) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answers recorded in %s within 30 s", runDir)
		}
	}
}

// coldMetrics, for a server just started: the time to its first list (firstList) and, with the JS
// store, callEachJSTool's figures.
func coldMetrics(cfg *config, p *proc, withJS bool) (metrics, error) {
	c, took, listed, err := firstList(p)
	if err != nil {
		return nil, err
	}
	m := metrics{"first_list_ms": ms(took)}
	if withJS {
		if err := callEachJSTool(cfg, p, c, listed, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// callEachJSTool, after a first list of the JS store's tools: how many of them it had, then (waiting
// for list_changed until all are listed) when all were listed and when each had been answered once,
// from p's start. Any answer counts (the empty policy denies the fetch).
func callEachJSTool(cfg *config, p *proc, c *stdioClient, listed map[string]bool, m metrics) error {
	in := 0
	for _, t := range cfg.jsTools {
		if listed[t] {
			in++
		}
	}
	m["tools_in_first_list"] = float64(in)
	if err := awaitTools(c, listed, cfg.jsTools); err != nil {
		return err
	}
	m["all_listed_ms"] = ms(time.Since(p.start))
	errs := 0
	for _, t := range cfg.jsTools {
		r, err := c.callTool(t, map[string]any{"url": "https://example.org/"})
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		if r.IsError {
			errs++
		}
	}
	m["all_answered_ms"] = ms(time.Since(p.start))
	m["answers_with_isError"] = float64(errs)
	return nil
}

// firstList speaks to a server just started as a client that lists once: it writes initialize,
// initialized and tools/list at once and returns the time from just before the process started to
// the tools/list answer, and the tools listed.
func firstList(p *proc) (*stdioClient, time.Duration, map[string]bool, error) {
	c := newStdioClient(p)
	if _, err := c.send("initialize", initializeParams(), false); err != nil {
		return nil, 0, nil, err
	}
	if err := c.notify("notifications/initialized", false); err != nil {
		return nil, 0, nil, err
	}
	listID, err := c.send("tools/list", nil, true)
	if err != nil {
		return nil, 0, nil, err
	}
	raw, err := c.await(listID)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("first tools/list: %w", err)
	}
	took := time.Since(p.start)
	listed, err := toolNames(raw)
	if err != nil {
		return nil, 0, nil, err
	}
	return c, took, listed, nil
}

// awaitTools waits for list_changed and lists again until every tool of want is listed.
func awaitTools(c *stdioClient, listed map[string]bool, want []string) error {
	for !hasAll(listed, want) {
		if err := c.awaitListChanged(); err != nil {
			return fmt.Errorf("waiting for the component tools: %w", err)
		}
		raw, err := c.call("tools/list", nil)
		if err != nil {
			return err
		}
		if listed, err = toolNames(raw); err != nil {
			return err
		}
	}
	return nil
}

func hasAll(listed map[string]bool, want []string) bool {
	for _, t := range want {
		if !listed[t] {
			return false
		}
	}
	return true
}
