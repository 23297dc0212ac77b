// mcpbench runs two MCP servers side by side, alternately, and prints ratios (this ÷ upstream).
// Started by bench/mcp/run.sh, which builds it, prepares the stores and passes the paths.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type run struct {
	Round    int     `json:"round"`
	Scenario string  `json:"scenario"`
	Server   string  `json:"server"`
	LoadAvg  string  `json:"loadavg_before"`
	Metrics  metrics `json:"metrics,omitempty"`
	Error    string  `json:"error,omitempty"`
}

type report struct {
	Meta    map[string]any                `json:"meta"`
	Runs    []run                         `json:"runs"`
	Medians map[string]map[string]float64 `json:"medians"`
	Ratios  map[string]float64            `json:"ratios"`
	Table   []row                         `json:"table"`
}

func main() {
	thisCmd := flag.String("this", "", "this project's launcher (<checkout>/wassette)")
	upCmd := flag.String("upstream", "", "upstream wassette binary or wrapper")
	trivial := flag.String("trivial", "", "component with the trivial tool (types.wasm)")
	thisJS := flag.String("this-js-store", "", "this server's component dir holding 10 JS components")
	upJS := flag.String("upstream-js-store", "", "upstream's component dir holding 10 JS components")
	out := flag.String("out", "", "JSON result file")
	rounds := flag.Int("rounds", 3, "rounds; each runs every scenario on both servers, alternating which goes first")
	quick := flag.Bool("quick", false, "one round, short HTTP windows")
	thisServeArgs := flag.String("this-serve-args", "", "more arguments of this server's serve, space-separated (e.g. --stateless)")
	only := flag.String("only", "stdio,stdiod,cold,coldjs,coldr,coldrjs,coldd,colddjs,http,warm,warmjs,sessions4", "scenarios to run")
	httpSecs := flag.Float64("http-secs", 5, "measured seconds per HTTP configuration")
	httpWarm := flag.Float64("http-warm", 1, "unmeasured seconds before each HTTP window")
	warmSessions := flag.Int("warm-sessions", 15, "timed sessions of the warm scenario, after the priming one (5 with -quick)")
	flag.Parse()
	if *thisCmd == "" || *upCmd == "" || *trivial == "" {
		fmt.Fprintln(os.Stderr, "usage: mcpbench -this CMD -upstream CMD -trivial types.wasm [-this-js-store DIR -upstream-js-store DIR] [-quick] [-rounds N] [-out FILE]")
		os.Exit(2)
	}
	cfg := &config{
		this:        server{Name: "this", Cmd: *thisCmd, ServeArgs: strings.Fields(*thisServeArgs)},
		upstream:    server{Name: "upstream", Cmd: *upCmd},
		trivialWasm: mustAbs(*trivial),
		trivialTool: "wassette_fixtures_types_0_1_0_add",
		trivialArgs: map[string]any{"a": 40, "b": 2},
		trivialWant: `{"result":42}`,
		thisJSStore: *thisJS, upJSStore: *upJS,
		earlyWarm: 200, earlyCalls: 2000,
		steadyWarm: 8000, steadyCalls: 2000,
		httpWarm:     time.Duration(*httpWarm * float64(time.Second)),
		httpWindow:   time.Duration(*httpSecs * float64(time.Second)),
		httpClients:  []int{1, 4, 16},
		rssSettle:    2 * time.Second,
		rssIdle:      10 * time.Second,
		warmSessions: *warmSessions,
	}
	for i := 0; i < 10; i++ {
		cfg.jsTools = append(cfg.jsTools, "http-ge"+string(rune('a'+i)))
	}
	if *quick {
		*rounds = 1
		cfg.httpWarm, cfg.httpWindow, cfg.rssSettle = 500*time.Millisecond, 2*time.Second, time.Second
		if !flagSet("warm-sessions") {
			cfg.warmSessions = 5
		}
	}
	scenarios := strings.Split(*only, ",")
	if (cfg.thisJSStore == "" || cfg.upJSStore == "") && (contains(scenarios, "coldjs") || contains(scenarios, "colddjs") || contains(scenarios, "coldrjs") || contains(scenarios, "warmjs")) {
		fmt.Fprintln(os.Stderr, "coldjs, coldrjs, colddjs and warmjs need -this-js-store and -upstream-js-store; skipping them")
		scenarios = remove(remove(remove(remove(scenarios, "coldjs"), "colddjs"), "coldrjs"), "warmjs")
	}
	tmp, err := os.MkdirTemp("", "wassette-mcpbench-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)
	cfg.tmp = tmp

	rep := &report{Meta: meta(cfg, *rounds, *quick, scenarios)}
	started := time.Now()
	for r := 1; r <= *rounds; r++ {
		order := []server{cfg.this, cfg.upstream}
		if r%2 == 0 {
			order = []server{cfg.upstream, cfg.this}
		}
		for _, sc := range scenarios {
			for _, s := range order {
				ru := run{Round: r, Scenario: sc, Server: s.Name, LoadAvg: loadAvg()}
				fmt.Fprintf(os.Stderr, "round %d/%d %-9s %-8s load %s ... ", r, *rounds, sc, s.Name, ru.LoadAvg)
				t := time.Now()
				m, err := runScenario(cfg, sc, s)
				if err != nil {
					ru.Error = err.Error()
					fmt.Fprintf(os.Stderr, "FAILED: %v\n", err)
				} else {
					ru.Metrics = m
					fmt.Fprintf(os.Stderr, "%.1f s  %s\n", time.Since(t).Seconds(), summary(sc, m))
				}
				rep.Runs = append(rep.Runs, ru)
			}
		}
	}
	rep.Meta["duration_s"] = math.Round(time.Since(started).Seconds())
	rep.Meta["loadavg_end"] = loadAvg()
	rep.Medians, rep.Ratios = aggregate(rep.Runs)
	rep.Table = table(rep.Medians, rep.Ratios)
	printTable(os.Stdout, rep)
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
		fmt.Printf("\nJSON: %s\n", *out)
	}
	for _, ru := range rep.Runs {
		if ru.Error != "" {
			os.RemoveAll(tmp) // deferred calls do not run on os.Exit
			os.Exit(1)
		}
	}
}

func runScenario(cfg *config, sc string, s server) (metrics, error) {
	switch sc {
	case "stdio":
		return stdioLatency(cfg, s)
	case "stdiod":
		return stdioWarmDaemon(cfg, s)
	case "cold":
		return coldStart(cfg, s, false)
	case "coldjs":
		return coldStart(cfg, s, true)
	case "coldr":
		return coldRepeat(cfg, s, false)
	case "coldrjs":
		return coldRepeat(cfg, s, true)
	case "coldd":
		return coldStopped(cfg, s, false)
	case "colddjs":
		return coldStopped(cfg, s, true)
	case "http":
		return httpThroughput(cfg, s)
	case "warm":
		return warmStart(cfg, s)
	case "warmjs":
		return warmJS(cfg, s)
	case "sessions4":
		return concurrentSessions(cfg, s)
	}
	return nil, fmt.Errorf("unknown scenario %q (stdio, stdiod, cold, coldjs, coldr, coldrjs, coldd, colddjs, http, warm, warmjs, sessions4)", sc)
}

func summary(sc string, m metrics) string {
	switch sc {
	case "stdio", "stdiod":
		return fmt.Sprintf("early p50/p99 %.0f/%.0f µs cpu %.0f µs; steady p50/p99 %.0f/%.0f µs cpu %.0f µs",
			m["early.p50_us"], m["early.p99_us"], m["early.cpu_per_call_us"], m["steady.p50_us"], m["steady.p99_us"], m["steady.cpu_per_call_us"])
	case "cold", "coldr":
		return fmt.Sprintf("first tools/list %.0f ms, RSS %.0f MiB", m["first_list_ms"], m["rss_mib"])
	case "coldjs", "colddjs", "coldrjs", "warmjs":
		return fmt.Sprintf("first tools/list %.0f ms (%g/10 tools), all listed %.0f ms, all answered %.0f ms, RSS %.0f MiB",
			m["first_list_ms"], m["tools_in_first_list"], m["all_listed_ms"], m["all_answered_ms"], m["rss_mib"])
	case "coldd":
		return fmt.Sprintf("first tools/list %.0f ms, RSS %.0f MiB", m["first_list_ms"], m["rss_mib"])
	case "http":
		return fmt.Sprintf("plain 1/4/16: %.0f/%.0f/%.0f calls/s; quickack 1/4/16: %.0f/%.0f/%.0f calls/s; RSS %.0f MiB",
			m["plain.c1.calls_per_s"], m["plain.c4.calls_per_s"], m["plain.c16.calls_per_s"],
			m["quickack.c1.calls_per_s"], m["quickack.c4.calls_per_s"], m["quickack.c16.calls_per_s"], m["rss_after_http_mib"])
	case "warm":
		return fmt.Sprintf("priming session %.0f ms; first tools/list p50/p90/max %.1f/%.1f/%.1f ms, exit p50 %.1f ms; RSS session %.1f MiB, daemon %.0f MiB",
			m["first_start_first_list_ms"], m["first_list_ms"], m["first_list_p90_ms"], m["first_list_max_ms"], m["exit_p50_ms"], m["session_rss_mib"], m["daemon_rss_mib"])
	case "sessions4":
		return fmt.Sprintf("all listed %.0f ms (load-component %.0f ms), all answered %.0f ms; total RSS %.0f MiB over %g processes (daemon %.0f MiB), %.0f MiB after 10 s idle",
			m["all_listed_ms"], m["load_component_ms"], m["all_answered_ms"], m["total_rss_mib"], m["processes"], m["daemon_rss_mib"], m["total_rss_idle_mib"])
	}
	return ""
}

func aggregate(runs []run) (map[string]map[string]float64, map[string]float64) {
	vals := map[string]map[string][]float64{}
	for _, ru := range runs {
		if ru.Metrics == nil {
			continue
		}
		if vals[ru.Server] == nil {
			vals[ru.Server] = map[string][]float64{}
		}
		for k, v := range ru.Metrics {
			key := ru.Scenario + "." + k
			vals[ru.Server][key] = append(vals[ru.Server][key], v)
		}
	}
	med := map[string]map[string]float64{}
	for s, kv := range vals {
		med[s] = map[string]float64{}
		for k, v := range kv {
			med[s][k] = median(v)
		}
	}
	ratios := map[string]float64{}
	for k, v := range med["this"] {
		if u, ok := med["upstream"][k]; ok && u != 0 {
			ratios[k] = v / u
		}
	}
	return med, ratios
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func meta(cfg *config, rounds int, quick bool, scenarios []string) map[string]any {
	host, _ := os.Hostname()
	m := map[string]any{
		"date":              time.Now().UTC().Format(time.RFC3339),
		"host":              host,
		"cpus":              runtime.NumCPU(),
		"cpu_model":         cpuModel(),
		"kernel":            strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		"loadavg_start":     loadAvg(),
		"rounds":            rounds,
		"quick":             quick,
		"scenarios":         scenarios,
		"this_cmd":          cfg.this.Cmd,
		"this_version":      firstLine(cfg.this.Cmd, "--version"),
		"this_git":          gitDescribe(filepath.Dir(cfg.this.Cmd)),
		"this_server_code":  gitLast(filepath.Dir(cfg.this.Cmd), "src/main", "pom.xml", "native", "wassette"),
		"upstream_cmd":      cfg.upstream.Cmd,
		"upstream_version":  firstLine(cfg.upstream.Cmd, "--version"),
		"trivial_component": cfg.trivialWasm,
		"trivial_tool":      cfg.trivialTool,
		"stdio_calls":       fmt.Sprintf("early: %d measured after %d; steady: %d measured after %d", cfg.earlyCalls, cfg.earlyWarm, cfg.steadyCalls, cfg.steadyWarm),
		"http_window_s":     cfg.httpWindow.Seconds(),
		"http_warm_s":       cfg.httpWarm.Seconds(),
		"rss_settle_s":      cfg.rssSettle.Seconds(),
		"rss_idle_s":        cfg.rssIdle.Seconds(),
		"warm_sessions":     cfg.warmSessions,
		"this_daemon":       thisDaemon,
		"go":                runtime.Version(),
	}
	return m
}

// thisDaemon says how this server is run in which scenario.
const thisDaemon = "stdio, cold, coldjs, coldr, coldrjs, http: this server without the daemon (WASSETTE_DAEMON=off; coldr and coldrjs after a priming run of the same configuration); stdiod, warm, warmjs, sessions4, coldd, colddjs: with it (a private XDG_RUNTIME_DIR per run; coldd and colddjs with the daemon stopped before the timed session)"

// flagSet is true when the flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func cpuModel() string {
	for _, l := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func firstLine(cmd string, args ...string) string {
	b, err := exec.Command(cmd, args...).Output()
	if err != nil {
		return "error: " + err.Error()
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}

func gitDescribe(dir string) string {
	b, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%h %cs %s").Output()
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if d, _ := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); len(d) > 0 {
		s += " (with uncommitted changes)"
	}
	return s
}

// gitLast is the last commit that changed paths (the server's own code, not the benchmarks).
func gitLast(dir string, paths ...string) string {
	b, err := exec.Command("git", append([]string{"-C", dir, "log", "-1", "--format=%h %cs %s", "--"}, paths...)...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		fatal(err)
	}
	return a
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func remove(s []string, x string) []string {
	var out []string
	for _, v := range s {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mcpbench:", err)
	os.Exit(1)
}
