package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// goal of issue 8 for one measure: on the ratio (this ÷ upstream) or on this server's own value.
type goal struct {
	On    string  // "ratio" or "this"
	Op    string  // "<=" or ">="
	Value float64 // bound
}

// text is the goal as the table shows it; unit is that of this server's own value.
func (g goal) text(unit string) string {
	if g.On == "ratio" {
		return fmt.Sprintf("%s %g×", g.Op, g.Value)
	}
	return fmt.Sprintf("%s %g%s", g.Op, g.Value, unit)
}

// met is whether the row's figures meet g; ok is false when the figure it is on is missing.
func (g goal) met(r row) (met, ok bool) {
	x := r.This
	if g.On == "ratio" {
		x = r.Ratio
	}
	if x == nil {
		return false, false
	}
	if g.Op == ">=" {
		return *x >= g.Value, true
	}
	return *x <= g.Value, true
}

// goalsText is the goals of a row, all of which must be met.
func goalsText(gs []goal, unit string) string {
	var t []string
	for _, g := range gs {
		t = append(t, g.text(unit))
	}
	return strings.Join(t, " and ")
}

type row struct {
	Label    string   `json:"label"`
	Key      string   `json:"key"`
	This     *float64 `json:"this,omitempty"`
	Upstream *float64 `json:"upstream,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Goal     string   `json:"goal,omitempty"`
	Met      *bool    `json:"met,omitempty"`
}

var rows = []struct {
	label, key string
	goals      []goal // all to be met
}{
	{"stdio, first 2 000 calls after 200: p50", "stdio.early.p50_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, first 2 000 calls after 200: p90", "stdio.early.p90_us", nil},
	{"stdio, first 2 000 calls after 200: p99", "stdio.early.p99_us", []goal{{"ratio", "<=", 1.5}}},
	{"stdio, first 2 000 calls: server CPU per call", "stdio.early.cpu_per_call_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, 2 000 calls after 8 000: p50", "stdio.steady.p50_us", []goal{{"ratio", "<=", 0.8}}},
	{"stdio, 2 000 calls after 8 000: p90", "stdio.steady.p90_us", nil},
	{"stdio, 2 000 calls after 8 000: p99", "stdio.steady.p99_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, 2 000 calls after 8 000: server CPU per call", "stdio.steady.cpu_per_call_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, first 2 000 calls: client CPU per call", "stdio.early.client_cpu_per_call_us", nil},
	{"stdio, next session on a warm daemon (this) / a new process (upstream), first 2 000 calls: p50", "stdiod.early.p50_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, next session, first 2 000 calls: p99", "stdiod.early.p99_us", []goal{{"ratio", "<=", 1.5}}},
	{"stdio, next session, first 2 000 calls: server CPU per call (with the daemon's)", "stdiod.early.cpu_per_call_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, next session, 2 000 calls after 8 000: p50", "stdiod.steady.p50_us", []goal{{"ratio", "<=", 0.8}}},
	{"stdio, next session, 2 000 calls after 8 000: p99", "stdiod.steady.p99_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, next session, 2 000 calls after 8 000: server CPU per call", "stdiod.steady.cpu_per_call_us", []goal{{"ratio", "<=", 1.0}}},
	{"stdio, load-component of types.wasm", "stdio.load_component_ms", nil},
	{"cold start to first tools/list, empty store", "cold.first_list_ms", []goal{{"this", "<=", 150}}},
	{"cold start, 10 JS: first tools/list", "coldjs.first_list_ms", []goal{{"this", "<=", 250}}},
	{"cold start, 10 JS: component tools in first list", "coldjs.tools_in_first_list", []goal{{"this", ">=", 10}}},
	{"cold start, 10 JS: all tools listed", "coldjs.all_listed_ms", nil},
	{"cold start, 10 JS: each tool answered once", "coldjs.all_answered_ms", []goal{{"this", "<=", 300}}},
	{"cold start without the daemon, same configuration as a run before (this: answered from its answers): first tools/list, empty store", "coldr.first_list_ms", []goal{{"this", "<=", 150}}},
	{"cold start without the daemon, run before, 10 JS: first tools/list", "coldrjs.first_list_ms", []goal{{"this", "<=", 250}}},
	{"cold start without the daemon, run before, 10 JS: component tools in first list", "coldrjs.tools_in_first_list", []goal{{"this", ">=", 10}}},
	{"cold start without the daemon, run before, 10 JS: each tool answered once", "coldrjs.all_answered_ms", []goal{{"this", "<=", 300}}},
	{"cold start without the daemon, run before: timed runs that answered their opening early (1 per run: yes)", "coldr.answered_early", nil},
	{"cold start without the daemon, run before, 10 JS: timed runs that answered early", "coldrjs.answered_early", nil},
	{"cold start without the daemon, run before: RSS, empty store", "coldr.rss_mib", nil},
	{"cold start, daemon stopped (this: the shim answers from its answers): first tools/list, empty store", "coldd.first_list_ms", []goal{{"this", "<=", 150}}},
	{"cold start, daemon stopped, 10 JS: first tools/list", "colddjs.first_list_ms", []goal{{"this", "<=", 250}}},
	{"cold start, daemon stopped, 10 JS: component tools in first list", "colddjs.tools_in_first_list", []goal{{"this", ">=", 10}}},
	{"cold start, daemon stopped, 10 JS: each tool answered once", "colddjs.all_answered_ms", []goal{{"this", "<=", 300}}},
	{"cold start, daemon stopped: timed sessions whose opening the shim answered (1 per run: yes)", "coldd.answered_by_shim", nil},
	{"cold start, daemon stopped: RSS, empty store (this: shim + daemon)", "coldd.rss_mib", nil},
	{"cold start, daemon stopped: RSS, 10 JS (this: shim + daemon)", "colddjs.rss_mib", nil},
	{"RSS, empty store, after first tools/list", "cold.rss_mib", []goal{{"this", "<=", 60}}},
	{"RSS, 10 JS components idle (each called once)", "coldjs.rss_mib", []goal{{"ratio", "<=", 2.0}}},
	{"RSS after the stdio calls", "stdio.rss_after_stdio_mib", nil},
	{"RSS after the HTTP runs", "http.rss_after_http_mib", nil},
	{"warm start (daemon running): first tools/list of a new session, p50", "warm.first_list_ms", []goal{{"this", "<=", 10}, {"ratio", "<=", 0.7}}},
	{"warm start (daemon running): first tools/list of a new session, p90", "warm.first_list_p90_ms", nil},
	{"warm start: the priming session's first tools/list (this: starts the daemon)", "warm.first_start_first_list_ms", nil},
	{"warm start: RSS of one session's processes (this: the shim)", "warm.session_rss_mib", nil},
	{"warm start: RSS of the daemon", "warm.daemon_rss_mib", nil},
	{"warm start, 10 JS (daemon running; upstream: a new process): first tools/list", "warmjs.first_list_ms", []goal{{"this", "<=", 250}}},
	{"warm start, 10 JS: each tool answered once", "warmjs.all_answered_ms", []goal{{"this", "<=", 300}}},
	{"warm start, 10 JS: RSS of the session and the daemon", "warmjs.rss_mib", nil},
	{"4 concurrent sessions: total RSS (this: 4 shims + the daemon)", "sessions4.total_rss_mib", []goal{{"ratio", "<=", 1.0}}},
	{"4 concurrent sessions: RSS of the daemon", "sessions4.daemon_rss_mib", nil},
	{"4 concurrent sessions: total RSS after 10 s idle", "sessions4.total_rss_idle_mib", []goal{{"ratio", "<=", 1.0}}},
	{"4 concurrent sessions: all 4 listed tools (incl. load-component in the first)", "sessions4.all_listed_ms", nil},
	{"HTTP ready (first initialize answered)", "http.ready_ms", nil},
	{"HTTP plain keep-alive, 1 client", "http.plain.c1.calls_per_s", nil},
	{"HTTP plain keep-alive, 1 client: p50", "http.plain.c1.p50_us", nil},
	{"HTTP plain keep-alive, 1 client: p50 to the response event", "http.plain.c1.to_response_p50_us", nil},
	{"HTTP plain keep-alive, 4 clients", "http.plain.c4.calls_per_s", nil},
	{"HTTP plain keep-alive, 16 clients", "http.plain.c16.calls_per_s", nil},
	{"HTTP TCP_QUICKACK, 1 client", "http.quickack.c1.calls_per_s", nil},
	{"HTTP TCP_QUICKACK, 1 client: p50", "http.quickack.c1.p50_us", nil},
	{"HTTP TCP_QUICKACK, 1 client: p50 to the response event", "http.quickack.c1.to_response_p50_us", nil},
	{"HTTP TCP_QUICKACK, 4 clients", "http.quickack.c4.calls_per_s", nil},
	{"HTTP TCP_QUICKACK, 16 clients", "http.quickack.c16.calls_per_s", []goal{{"ratio", ">=", 1.5}}},
	{"HTTP TCP_QUICKACK, 16 clients: p99", "http.quickack.c16.p99_us", nil},
	{"HTTP TCP_QUICKACK, 16 clients: server CPU per call", "http.quickack.c16.cpu_per_call_us", nil},
	{"HTTP TCP_QUICKACK, 16 clients: client CPU per call", "http.quickack.c16.client_cpu_per_call_us", nil},
}

func table(med map[string]map[string]float64, ratios map[string]float64) []row {
	var out []row
	for _, d := range rows {
		r := row{Label: d.label, Key: d.key, Goal: goalsText(d.goals, unitOfGoal(d.key))}
		if v, ok := med["this"][d.key]; ok {
			r.This = &v
		}
		if v, ok := med["upstream"][d.key]; ok {
			r.Upstream = &v
		}
		if v, ok := ratios[d.key]; ok {
			r.Ratio = &v
		}
		if r.This == nil && r.Upstream == nil {
			continue
		}
		if len(d.goals) > 0 {
			missed, unknown := false, false
			for _, g := range d.goals {
				met, ok := g.met(r)
				missed = missed || ok && !met
				unknown = unknown || !ok
			}
			if missed || !unknown { // one goal missed is enough to say no
				met := !missed
				r.Met = &met
			}
		}
		out = append(out, r)
	}
	return out
}

func format(key string, v *float64) string {
	if v == nil {
		return "–"
	}
	x := *v
	switch {
	case strings.HasSuffix(key, "_us"):
		if x >= 1000 {
			return fmt.Sprintf("%.2f ms", x/1000)
		}
		return fmt.Sprintf("%.0f µs", x)
	case strings.HasSuffix(key, "_ms"):
		return fmt.Sprintf("%.0f ms", x)
	case strings.HasSuffix(key, "_mib"):
		return fmt.Sprintf("%.0f MiB", x)
	case strings.HasSuffix(key, "calls_per_s"):
		return fmt.Sprintf("%.0f/s", x)
	}
	return fmt.Sprintf("%g", x)
}

func unitOfGoal(key string) string {
	switch {
	case strings.HasSuffix(key, "_ms"):
		return " ms"
	case strings.HasSuffix(key, "_mib"):
		return " MiB"
	}
	return ""
}

func printTable(w io.Writer, rep *report) {
	m := rep.Meta
	fmt.Fprintf(w, "\n%s, %v × %v, %v, %v rounds (medians); load average %v at start, %v at end, %v s\n",
		m["date"], m["cpus"], m["cpu_model"], m["kernel"], m["rounds"], m["loadavg_start"], m["loadavg_end"], m["duration_s"])
	fmt.Fprintf(w, "this: %v (%v; server code as of %v)\nupstream: %v (%v)\n", m["this_cmd"], m["this_git"], m["this_server_code"], m["upstream_cmd"], m["upstream_version"])
	fmt.Fprintf(w, "%v\n\n", m["this_daemon"])
	fmt.Fprintln(w, "| measure | this | Wassette 0.8.0 | ratio | goal | met |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for _, r := range rep.Table {
		ratio := "–"
		if r.Ratio != nil && !math.IsInf(*r.Ratio, 0) {
			ratio = fmt.Sprintf("%.2f", *r.Ratio)
		}
		met := ""
		if r.Met != nil {
			met = map[bool]string{true: "yes", false: "**no**"}[*r.Met]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Label, format(r.Key, r.This), format(r.Key, r.Upstream), ratio, r.Goal, met)
	}
	loads := []string{}
	for _, ru := range rep.Runs {
		loads = append(loads, strings.Fields(ru.LoadAvg + " ?")[0])
	}
	fmt.Fprintf(w, "\n1-minute load average before each run: %s\n", strings.Join(loads, " "))
	for _, ru := range rep.Runs {
		if ru.Error != "" {
			fmt.Fprintf(w, "FAILED: round %d %s %s: %s\n", ru.Round, ru.Scenario, ru.Server, ru.Error)
		}
	}
}
