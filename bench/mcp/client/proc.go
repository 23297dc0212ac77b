package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one of the two implementations under test.
type server struct {
	Name      string   // "this" or "upstream"
	Cmd       string   // launcher: <checkout>/wassette, or the upstream wrapper
	ServeArgs []string // more arguments of `serve` (this server's -this-serve-args)
}

func (s server) runArgs(componentDir string) []string {
	return []string{"run", "--component-dir", componentDir}
}

func (s server) serveArgs(componentDir, addr string) []string {
	if s.Name == "upstream" {
		return []string{"serve", "--streamable-http", "--bind-address", addr, "--component-dir", componentDir}
	}
	return append([]string{"serve", "--bind-address", addr, "--component-dir", componentDir}, s.ServeArgs...)
}

// standaloneEnv is what a server process gets beyond the harness's environment when it must run on
// its own: this server's `run` without the per-user daemon (the start-up, latency and RSS
// goals are for `wassette run` in one process; the daemon is measured by the warm and sessions4
// scenarios). Later entries of cmd.Env win, so this overrides a WASSETTE_DAEMON of the user's.
func (s server) standaloneEnv() []string {
	if s.Name == "this" {
		return []string{"WASSETTE_DAEMON=off"}
	}
	return nil
}

// proc is a started server process, in its own process group so that it and only it can be ended.
type proc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  io.ReadCloser
	start   time.Time
	logPath string // its stderr (and stdout without pipes)
	done    chan struct{}
}

// startServer runs s with args on its own. Its XDG data, config and state homes point at a fresh
// directory under tmp, so neither server sees the user's components, policies or secrets, nor the
// other's; HOME and XDG_CACHE_HOME are left alone (a user's compile caches are part of what a user gets).
// This server's runtime directory is there too: each run is a new configuration, and the answers it
// records for the next run of it (run-*.early.json) would otherwise pile up in the user's.
func startServer(s server, args []string, tmp string, withPipes bool) (*proc, error) {
	state, err := os.MkdirTemp(tmp, s.Name+"-state-")
	if err != nil {
		return nil, err
	}
	env := s.standaloneEnv()
	if s.Name == "this" {
		runDir := filepath.Join(state, "run")
		if err := os.Mkdir(runDir, 0o700); err != nil {
			return nil, err
		}
		env = append(env, "XDG_RUNTIME_DIR="+runDir)
	}
	return startIn(s, args, state, env, withPipes)
}

// startIn runs s with args, its XDG data, config and state homes under state, and env added to the
// harness's environment. Each process gets its own log file in state.
func startIn(s server, args []string, state string, env []string, withPipes bool) (*proc, error) {
	cmd := exec.Command(s.Cmd, args...)
	cmd.Env = append(os.Environ(),
		"XDG_DATA_HOME="+filepath.Join(state, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(state, "config"),
		"XDG_STATE_HOME="+filepath.Join(state, "state"),
	)
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.CreateTemp(state, "server-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	p := &proc{cmd: cmd, logPath: logf.Name(), done: make(chan struct{})}
	if withPipes {
		if p.stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
		if p.stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, err
		}
	} else {
		cmd.Stdout = logf
	}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop closes stdin (a stdio server exits on EOF), then 5 s later sends SIGTERM, then SIGKILL, to the group.
func (p *proc) stop() {
	p.stopWithin(5 * time.Second)
}

// stopWithin is stop with grace between closing stdin and SIGTERM.
func (p *proc) stopWithin(grace time.Duration) {
	if p.stdin != nil {
		p.stdin.Close()
		select {
		case <-p.done:
			return
		case <-time.After(grace):
		}
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// logTail is the end of the server's stderr, for error messages.
func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// tree is pid and all its descendants (a launcher may start the server as a child).
func tree(pid int) []int {
	return trees([]int{pid})
}

// trees is each of roots and all their descendants, each pid once (a root may descend from another).
func trees(roots []int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := statFields(n)
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], n)
	}
	seen := map[int]bool{}
	var out []int
	for _, r := range roots {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// statFields are the fields of /proc/<pid>/stat after the command name: [0] is state (field 3).
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("bad stat for %d", pid)
	}
	return strings.Fields(s[i+1:]), nil
}

var clkTck = func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && v > 0 {
			return float64(v)
		}
	}
	return 100
}()

// cpuSeconds is utime+stime of pid and its descendants (all threads), from /proc/<pid>/stat.
func cpuSeconds(pid int) float64 {
	var s float64
	for _, p := range tree(pid) {
		s += ownCPUSeconds(p)
	}
	return s
}

func ownCPUSeconds(pid int) float64 {
	f, err := statFields(pid)
	if err != nil || len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64) // field 14 utime
	s, _ := strconv.ParseInt(f[12], 10, 64) // field 15 stime
	return float64(u+s) / clkTck
}

// rssMiB is VmRSS of pid and its descendants, from /proc/<pid>/status.
func rssMiB(pid int) float64 {
	return rssSum(tree(pid))
}

// rssSum is the VmRSS of each process in pids (which must not repeat a pid), in MiB.
func rssSum(pids []int) float64 {
	var kb int64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				v, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				kb += v
			}
		}
	}
	return float64(kb) / 1024
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func loadAvg1() float64 {
	f := strings.Fields(loadAvg())
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// selfCPUSeconds is the client's own utime+stime (all threads), without the servers it started.
func selfCPUSeconds() float64 {
	return ownCPUSeconds(os.Getpid())
}
