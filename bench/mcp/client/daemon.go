package main

// The scenarios of this server's per-user daemon: several sessions of one configuration, which for
// this server all reach the one daemon that the first of them starts. Upstream has no daemon: each
// of its sessions is a process of its own, started cold.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxSocketPath is the room for a Unix socket's path (sun_path, less its terminating NUL).
const maxSocketPath = 107

// shared is one configuration for several sessions: one state directory and one component
// directory and, for this server, a private runtime directory (XDG_RUNTIME_DIR, 0700, under the
// harness's temp dir), so that its sessions share a daemon key and never reach a daemon of the user's.
type shared struct {
	s        server
	state    string
	store    string
	runDir   string // this server's XDG_RUNTIME_DIR; "" for upstream
	sessions []*proc
	served   map[int]bool // daemon pids that the sessions' shims reported
}

func newShared(cfg *config, s server) (*shared, error) {
	sh := &shared{s: s, served: map[int]bool{}}
	var err error
	if sh.state, err = os.MkdirTemp(cfg.tmp, s.Name+"-state-"); err != nil {
		return nil, err
	}
	if sh.store, err = os.MkdirTemp(cfg.tmp, s.Name+"-store-"); err != nil {
		return nil, err
	}
	if s.Name != "this" {
		return sh, nil
	}
	if sh.runDir, err = os.MkdirTemp(cfg.tmp, "rt-"); err != nil { // MkdirTemp makes it 0700
		return nil, err
	}
	// The shim's socket is <runDir>/wassette/<16 hex digits>.sock.
	if n := len(sh.runDir) + len("/wassette/0123456789abcdef.sock"); n > maxSocketPath {
		return nil, fmt.Errorf("the daemon's socket path would take %d bytes, more than the %d of a Unix socket: set TMPDIR to a shorter directory", n, maxSocketPath)
	}
	return sh, nil
}

// env is what this server's sessions get beyond the harness's environment: the daemon on (whatever
// the user's WASSETTE_DAEMON), in the private runtime directory. The idle time only matters if the
// harness dies before close: the daemon then exits by itself 2 minutes later.
func (sh *shared) env() []string {
	if sh.runDir == "" {
		return nil
	}
	return []string{"XDG_RUNTIME_DIR=" + sh.runDir, "WASSETTE_DAEMON=on", "WASSETTE_DAEMON_IDLE=2m"}
}

// open starts a session and lists tools as the cold scenario does (see firstList). For this server
// it checks that the session is served by a daemon, not by the shim's in-process fallback.
func (sh *shared) open() (*proc, *stdioClient, time.Duration, map[string]bool, error) {
	p, err := startIn(sh.s, sh.s.runArgs(sh.store), sh.state, sh.env(), true)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	sh.sessions = append(sh.sessions, p)
	c, took, listed, err := firstList(p)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if sh.runDir != "" {
		pid, err := servedBy(p)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		sh.served[pid] = true
	}
	return p, c, took, listed, nil
}

// The shim's stderr line when the daemon accepted the session.
var servedLine = regexp.MustCompile(`served by the per-user daemon \(pid (\d+)`)

// servedBy is the pid of the daemon that the shim says serves session p (it says so before
// relaying anything, so before the first answer).
func servedBy(p *proc) (int, error) {
	b, _ := os.ReadFile(p.logPath)
	m := servedLine.FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("the session was not served by the daemon; its stderr:\n%s", p.logTail())
	}
	return strconv.Atoi(string(m[1]))
}

// end closes the session's stdin and waits for its process to exit, with SIGTERM after 1 s (upstream
// 0.8.0 logs "serve finished" on EOF but its process stays), and says how long that took.
func (sh *shared) end(p *proc) time.Duration {
	t := time.Now()
	p.stopWithin(time.Second)
	sh.sessions = slices.DeleteFunc(sh.sessions, func(q *proc) bool { return q == p })
	return time.Since(t)
}

// daemonPids are the processes whose command line has `daemon` and then `--socket PATH` with PATH in
// this configuration's runtime directory: the daemons of these sessions and of nobody else.
func (sh *shared) daemonPids() []int {
	if sh.runDir == "" {
		return nil
	}
	prefix := sh.runDir + string(filepath.Separator)
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		i := slices.Index(args, "--socket")
		if i > 0 && i+1 < len(args) && strings.HasPrefix(args[i+1], prefix) && slices.Contains(args[:i], "daemon") {
			out = append(out, pid)
		}
	}
	return out
}

// rssOnce is the RSS of each process in the trees of the given sessions and of the daemons, each
// process counted once (the daemon descends from the shim that started it until that shim exits),
// and how many processes that is.
func rssOnce(sessions []*proc, daemons []int) (float64, int) {
	roots := slices.Clone(daemons)
	for _, p := range sessions {
		roots = append(roots, p.pid())
	}
	pids := trees(roots)
	return rssSum(pids), len(pids)
}

// sessionRSS is the RSS of session p's process tree without the daemons and their descendants.
func sessionRSS(p *proc, daemons []int) float64 {
	own := tree(p.pid())
	for _, d := range trees(daemons) {
		own = slices.DeleteFunc(own, func(x int) bool { return x == d })
	}
	return rssSum(own)
}

// close ends the sessions still open, all at once (stdin closed, SIGTERM 1 s later, then SIGKILL),
// then the daemons of this configuration (stopDaemons).
func (sh *shared) close() {
	var wg sync.WaitGroup
	for _, p := range sh.sessions {
		wg.Go(func() { p.stopWithin(time.Second) })
	}
	wg.Wait()
	sh.sessions = nil
	sh.stopDaemons()
}

// stopDaemons ends the daemons of this configuration: SIGTERM, and SIGKILL to any still there 10 s later.
func (sh *shared) stopDaemons() {
	daemons := sh.daemonPids()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		for _, pid := range daemons {
			_ = syscall.Kill(pid, sig)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			daemons = slices.DeleteFunc(daemons, gone)
			if len(daemons) == 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(daemons) > 0 {
		fmt.Fprintf(os.Stderr, "mcpbench: daemons %v outlived SIGKILL\n", daemons)
	}
}

// gone is true when pid has exited (a zombie has: only its parent has not reaped it yet).
func gone(pid int) bool {
	f, err := statFields(pid)
	return err != nil || f[0] == "Z"
}

// explain adds the end of the daemons' logs (<runDir>/wassette/<key>.log) to err.
func (sh *shared) explain(err error) error {
	if err == nil || sh.runDir == "" {
		return err
	}
	logs, _ := filepath.Glob(filepath.Join(sh.runDir, "wassette", "*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		err = fmt.Errorf("%w\ndaemon log %s ends:\n%s", err, l, b)
	}
	return err
}

// warmStart: sessions of one configuration one after the other. A priming session (initialize,
// initialized, tools/list, stdin closed, exit awaited) starts this server's daemon; then each of
// cfg.warmSessions sessions is timed as in the cold scenario, from just before fork/exec to the
// first tools/list answer, and ends before the next starts. RSS is read rssSettle after the last
// session's list: the session's own processes (for this server the shim) and the daemon's.
// withShared runs a scenario on one shared configuration (newShared): afterwards its sessions and
// daemons are ended, and an error carries the end of the daemon's log.
func withShared(cfg *config, s server, scenario func(sh *shared) (metrics, error)) (m metrics, err error) {
	sh, err := newShared(cfg, s)
	if err != nil {
		return nil, err
	}
	defer func() {
		err = sh.explain(err)
		sh.close()
	}()
	return scenario(sh)
}

func warmStart(cfg *config, s server) (metrics, error) {
	return withShared(cfg, s, func(sh *shared) (metrics, error) {
		m := metrics{}
		p, _, took, _, err := sh.open()
		if err != nil {
			return nil, fmt.Errorf("priming session: %w", err)
		}
		m["first_start_first_list_ms"] = ms(took)
		sh.end(p)
		var lists, exits []time.Duration
		for i := 1; i <= cfg.warmSessions; i++ {
			p, _, took, _, err := sh.open()
			if err != nil {
				return nil, fmt.Errorf("session %d: %w", i, err)
			}
			lists = append(lists, took)
			if i == cfg.warmSessions {
				time.Sleep(cfg.rssSettle)
				daemons := sh.daemonPids()
				m["session_rss_mib"] = sessionRSS(p, daemons)
				if sh.runDir != "" {
					if len(daemons) != 1 {
						return nil, fmt.Errorf("%d daemon processes under %s, want 1: %v", len(daemons), sh.runDir, daemons)
					}
					m["daemon_rss_mib"] = rssSum(trees(daemons))
				}
			}
			exits = append(exits, sh.end(p))
		}
		if sh.runDir != "" {
			m["daemons_serving"] = float64(len(sh.served)) // 1 unless a daemon was replaced
		}
		sort.Slice(lists, func(i, j int) bool { return lists[i] < lists[j] })
		sort.Slice(exits, func(i, j int) bool { return exits[i] < exits[j] })
		m["first_list_ms"] = percentile(lists, 0.50) / 1000
		m["first_list_p90_ms"] = percentile(lists, 0.90) / 1000
		m["first_list_max_ms"] = percentile(lists, 1.0) / 1000
		m["exit_p50_ms"] = percentile(exits, 0.50) / 1000
		return m, nil
	})
}

// concurrentSessions: 4 sessions of one configuration open at once, started one after the other,
// each when the previous one has listed tools (initialize, initialized, tools/list at once); the
// first then loads the trivial component with load-component before the next starts (upstream's
// later processes find it in the store). With all 4 open, every session calls the trivial tool once
// (after waiting for it to be listed) and checks the answer; rssSettle later the RSS of every
// process of the 4 sessions and of the daemon is summed, each process once.
func concurrentSessions(cfg *config, s server) (metrics, error) {
	return withShared(cfg, s, func(sh *shared) (metrics, error) {
		const n = 4
		m := metrics{}
		var start time.Time
		type session struct {
			p      *proc
			c      *stdioClient
			listed map[string]bool
		}
		var open []session
		for i := 1; i <= n; i++ {
			p, c, _, listed, err := sh.open()
			if err != nil {
				return nil, fmt.Errorf("session %d: %w", i, err)
			}
			if i == 1 {
				start = p.start
				took, err := loadTrivial(cfg, c.callTool)
				if err != nil {
					return nil, fmt.Errorf("session 1: %w", err)
				}
				m["load_component_ms"] = ms(took)
			}
			open = append(open, session{p, c, listed})
		}
		m["all_listed_ms"] = ms(time.Since(start))
		for i, x := range open {
			if i > 0 { // the first already has it: it loaded it
				if err := awaitTools(x.c, x.listed, []string{cfg.trivialTool}); err != nil {
					return nil, fmt.Errorf("session %d: %w", i+1, err)
				}
			}
			if err := checkTrivial(cfg, x.c.callTool); err != nil {
				return nil, fmt.Errorf("session %d: %w", i+1, err)
			}
		}
		m["all_answered_ms"] = ms(time.Since(start))
		time.Sleep(cfg.rssSettle)
		daemons := sh.daemonPids()
		if sh.runDir != "" && len(daemons) != 1 {
			return nil, fmt.Errorf("%d daemon processes under %s, want 1: %v", len(daemons), sh.runDir, daemons)
		}
		var procs []*proc
		for _, x := range open {
			procs = append(procs, x.p)
		}
		total, count := rssOnce(procs, daemons)
		m["total_rss_mib"] = total
		m["processes"] = float64(count)
		if len(daemons) > 0 {
			m["daemon_rss_mib"] = rssSum(trees(daemons))
			m["daemons_serving"] = float64(len(sh.served))
		}
		// Again once the sessions have sat idle for a while, as they mostly do: what a server gives
		// back after the burst of starting, loading and compiling (freed C-heap memory, for one).
		time.Sleep(cfg.rssIdle - cfg.rssSettle)
		total, _ = rssOnce(procs, daemons)
		m["total_rss_idle_mib"] = total
		return m, nil
	})
}

// coldStopped: the cold start of a session when no daemon runs for its configuration but one has
// run before (as after the daemon's idle exit, the first session of the day). A priming session
// lists tools (with the JS store: all of them), ends, and rssSettle later its daemon is stopped
// (SIGTERM); then one session is timed as in the cold scenario, from just before fork/exec: its first
// tools/list, and with the JS store every tool listed and each called once. For this server the shim
// answers the opening from the stopped daemon's answers while it starts a new daemon, which answers
// the calls. Upstream has no daemon: both of its sessions are processes started cold. RSS is read
// rssSettle after the last answer: the session's processes and the daemon.
// starter starts sessions of sh's configuration over store, each kept for close.
func (sh *shared) starter(store string) func() (*proc, error) {
	return func() (*proc, error) {
		p, err := startIn(sh.s, sh.s.runArgs(store), sh.state, sh.env(), true)
		if err == nil {
			sh.sessions = append(sh.sessions, p)
		}
		return p, err
	}
}

// prime runs a priming session (for this server it starts the daemon): it lists the tools, with
// withJS until all JS tools are listed, and ends.
func (sh *shared) prime(cfg *config, session func() (*proc, error), withJS bool) error {
	primer, err := session()
	if err != nil {
		return fmt.Errorf("priming session: %w", err)
	}
	c, _, listed, err := firstList(primer)
	if err != nil {
		return fmt.Errorf("priming session: %w", err)
	}
	if withJS {
		if err := awaitTools(c, listed, cfg.jsTools); err != nil {
			return fmt.Errorf("priming session: %w", err)
		}
	}
	sh.end(primer)
	return nil
}

// warmJS: the store of ten JS components, with the daemon running. A priming session starts this
// server's daemon, waits until every JS tool is listed and ends; rssSettle later (the daemon has
// mapped the components' code by then) a session is timed as in the coldjs scenario, from just
// before fork/exec: its first list, then each JS tool called once. For this server it must have been
// served by the daemon that the priming session started. Upstream has no daemon: its timed session
// is a new process, as in coldjs. RSS is read rssSettle after the last answer: the session's
// processes and the daemon's.
func warmJS(cfg *config, s server) (metrics, error) {
	return withShared(cfg, s, func(sh *shared) (metrics, error) {
		session := sh.starter(cfg.jsStore(s))
		if err := sh.prime(cfg, session, true); err != nil {
			return nil, err
		}
		time.Sleep(cfg.rssSettle)
		daemons := sh.daemonPids()
		p, err := session()
		if err != nil {
			return nil, err
		}
		m, err := coldMetrics(cfg, p, true)
		if err != nil {
			return nil, err
		}
		if sh.runDir != "" {
			pid, err := servedBy(p)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(daemons, pid) {
				return nil, fmt.Errorf("the timed session was served by daemon %d, not by the priming session's %v", pid, daemons)
			}
		}
		time.Sleep(cfg.rssSettle)
		m["rss_mib"], _ = rssOnce([]*proc{p}, sh.daemonPids())
		return m, nil
	})
}

func coldStopped(cfg *config, s server, withJS bool) (metrics, error) {
	return withShared(cfg, s, func(sh *shared) (metrics, error) {
		store := sh.store
		if withJS {
			store = cfg.jsStore(s)
		}
		session := sh.starter(store)
		if err := sh.prime(cfg, session, withJS); err != nil {
			return nil, err
		}
		time.Sleep(cfg.rssSettle)
		sh.stopDaemons()
		p, err := session()
		if err != nil {
			return nil, err
		}
		m, err := coldMetrics(cfg, p, withJS)
		if err != nil {
			return nil, err
		}
		time.Sleep(cfg.rssSettle)
		m["rss_mib"], _ = rssOnce([]*proc{p}, sh.daemonPids())
		if sh.runDir != "" {
			// Whether the shim answered the timed session's opening (the daemon logs it when it takes over).
			logs, _ := filepath.Glob(filepath.Join(sh.runDir, "wassette", "*.log"))
			answered := 0
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				answered += strings.Count(string(b), "the shim answered")
			}
			m["answered_by_shim"] = float64(answered)
		}
		return m, nil
	})
}
