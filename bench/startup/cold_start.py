#!/usr/bin/env python3
"""Cold start of `wassette run` (the JVM path, no daemon): process start to the answer of the first
tools/list over stdio, for one or more jars, runs alternated so a noisy machine affects all alike.

    python3 bench/startup/cold_start.py [--rounds N] [--js-store DIR] LABEL=JAR[@JVM_FLAG,JVM_FLAG...] ...

Each jar runs with the launcher's JVM settings for `run` (a copy of `java_opts` in ./wassette), the
label's own JVM flags after them, and an AOT cache recorded for it as the launcher records it
(`aot-train`, with the same flags), kept beside the jar as JAR.<label>.aot. Every run gets an empty
XDG_DATA_HOME (no stored components) and its own runtime directory, so nothing is answered from a
recording. Prints, per jar, the medians of the time to the initialize answer and to the tools/list
answer, the process CPU time (user + system, all threads, to exit), the RSS when tools/list is
answered, and the ratio of the tools/list median to the first jar's.

With --js-store (a store of the ten JavaScript components of bench/mcp, e.g. one that
bench/mcp/run.sh prepared under bench/target/mcp/stores/this-*/components, made by the same native
library), each round also times a run over a copy of that store, as bench/mcp's coldrjs scenario
does: a priming run per jar first lists all tools and records the early answers, then each timed
run writes initialize, initialized and tools/list at once and calls each JS tool once. Printed: the
medians of the time from the process start to the tools/list answer, to the first call's answer and
to the last call's answer. With --workspaces as well, each timed run starts in a new working
directory (the priming run in another), as an MCP client that starts a server per workspace does. With
--new-configurations instead, each timed run gets new state, config and runtime directories: a
configuration no run recorded, over a store whose content the priming run served (bench/README.md, V).
"""
import argparse, glob, os, shutil, statistics, subprocess, tempfile, time

from stdio_client import INITIALIZED, answer, initialize, send

JS_TOOLS = ["http-ge" + c for c in "abcdefghij"]

JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
JAVA_OPTS = ["--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms16m", "-Xmn6m", "-XX:MinHeapFreeRatio=10",
             "-XX:MaxHeapFreeRatio=30", "-XX:TrimNativeHeapInterval=2000", "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:TieredStopAtLevel=1"]


def record(jar, flags, aot):
    if not os.path.exists(aot):
        print(f"recording {aot} ...", flush=True)
        subprocess.run([JAVA] + JAVA_OPTS + flags + [f"-XX:AOTCacheOutput={aot}", "-jar", jar, "aot-train"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def once(jar, flags, aot, scratch):
    home = tempfile.mkdtemp(dir=scratch)
    os.mkdir(os.path.join(home, "run"), 0o700)
    env = dict(os.environ, XDG_DATA_HOME=home, XDG_RUNTIME_DIR=os.path.join(home, "run"))
    t0 = time.monotonic()
    p = subprocess.Popen([JAVA] + JAVA_OPTS + flags + [f"-XX:AOTCache={aot}", "-jar", jar, "run"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    send(p, initialize(1, "cold-start"))
    answer(p, 1)
    t1 = time.monotonic()
    send(p, INITIALIZED)
    send(p, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    tools = len(answer(p, 2)["result"]["tools"])
    t2 = time.monotonic()
    with open(f"/proc/{p.pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    return 1000 * (t1 - t0), 1000 * (t2 - t0), 1000 * (usage.ru_utime + usage.ru_stime), tools, rss


class JsStore:
    """A jar's copy of the JS store, with state and runtime directories that persist across its runs."""

    def __init__(self, source, scratch, label, workspaces, new_configurations=False):
        self.workspaces = workspaces
        self.new_configurations = new_configurations
        self.home = os.path.join(scratch, "js-" + label)
        self.store = os.path.join(self.home, "components")
        shutil.copytree(source, self.store)
        self.runtime = os.path.join(self.home, "run")
        os.mkdir(self.runtime, 0o700)

    def start(self, jar, flags, aot, cwd=None, fresh=False):
        base, runtime = self.home, self.runtime
        if fresh:  # a configuration of its own: new state and runtime directories, so no recording of it exists
            base = tempfile.mkdtemp(dir=self.home, prefix="configuration-")
            runtime = os.path.join(base, "run")
            os.mkdir(runtime, 0o700)
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(base, "data"),
                   XDG_CONFIG_HOME=os.path.join(base, "config"), XDG_STATE_HOME=os.path.join(base, "state"),
                   XDG_RUNTIME_DIR=runtime)
        return subprocess.Popen([JAVA] + JAVA_OPTS + flags + [f"-XX:AOTCache={aot}", "-jar", jar, "run", "--component-dir", self.store],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd or self.home)

    def prime(self, jar, flags, aot):
        """Lists until every JS tool is listed, then waits (at most 30 s) for the recorded answers."""
        p = self.start(jar, flags, aot)
        opening(p)
        listed = set(t["name"] for t in answer(p, 2)["result"]["tools"])
        for attempt in range(300):
            if set(JS_TOOLS) <= listed:
                break
            time.sleep(0.1)
            send(p, {"jsonrpc": "2.0", "id": 100 + attempt, "method": "tools/list"})
            listed = set(t["name"] for t in answer(p, 100 + attempt)["result"]["tools"])
        else:
            raise RuntimeError("the JS tools were not all listed within 30 s")
        for _ in range(300):
            if glob.glob(os.path.join(self.runtime, "wassette", "run-*.early.json")):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("no early answers recorded within 30 s")
        p.stdin.close()
        p.wait()

    def timed(self, jar, flags, aot):
        """Process start to the tools/list answer, to the first call's answer and to the last call's (ms)."""
        cwd = tempfile.mkdtemp(dir=self.home, prefix="workspace-") if self.workspaces else None
        t0 = time.monotonic()
        p = self.start(jar, flags, aot, cwd, fresh=self.new_configurations)
        opening(p)
        answer(p, 2)
        times = [time.monotonic() - t0]
        for i, tool in enumerate(JS_TOOLS):
            send(p, {"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call",
                     "params": {"name": tool, "arguments": {"url": "https://example.org/"}}})
            reply = answer(p, 10 + i)
            if "result" not in reply:  # a tool result, even an isError one (the empty policy denies the fetch), not a JSON-RPC error
                raise RuntimeError(f"{tool}: {reply}")
            times.append(time.monotonic() - t0)
        p.stdin.close()
        p.wait()
        return [1000 * times[0], 1000 * times[1], 1000 * times[-1]]



def opening(p):
    """initialize, initialized and tools/list (id 2), written at once as a client that lists at start does."""
    send(p, initialize(1, "cold-start"))
    send(p, INITIALIZED)
    send(p, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--js-store", metavar="DIR", help="also time runs over a copy of this store of the ten JS components")
    parser.add_argument("--workspaces", action="store_true", help="with --js-store: each timed run in a new working directory")
    parser.add_argument("--new-configurations", action="store_true",
                        help="with --js-store: each timed run a new configuration (new state and runtime directories)")
    parser.add_argument("jars", nargs="+", metavar="LABEL=JAR[@FLAGS]")
    args = parser.parse_args()
    configs = []
    for spec in args.jars:
        label, rest = spec.split("=", 1)
        jar, _, flags = rest.partition("@")
        configs.append((label, os.path.abspath(jar), [f for f in flags.split(",") if f]))
    for label, jar, flags in configs:
        record(jar, flags, f"{jar}.{label}.aot")
    with tempfile.TemporaryDirectory(prefix="wassette-cold-") as scratch:
        stores = {}
        if args.js_store:
            for label, jar, flags in configs:
                stores[label] = JsStore(args.js_store, scratch, label, args.workspaces, args.new_configurations)
                stores[label].prime(jar, flags, f"{jar}.{label}.aot")
        results = {label: [] for label, _, _ in configs}
        js = {label: [] for label, _, _ in configs}
        for _ in range(args.rounds):
            for label, jar, flags in configs:
                results[label].append(once(jar, flags, f"{jar}.{label}.aot", scratch))
                if label in stores:
                    js[label].append(stores[label].timed(jar, flags, f"{jar}.{label}.aot"))
    first = None
    for label, _, _ in configs:
        runs = results[label]
        listed = statistics.median(r[1] for r in runs)
        first = first or listed
        print(f"{label:10s} initialize {statistics.median(r[0] for r in runs):5.0f} ms   tools/list {listed:5.0f} ms"
              f" ({listed / first:.2f}x)   process CPU {statistics.median(r[2] for r in runs):5.0f} ms"
              f"   RSS {statistics.median(r[4] for r in runs):3.0f} MiB   tools {runs[0][3]}"
              f"   all tools/list: {' '.join(str(round(r[1])) for r in runs)}")
    for label, _, _ in configs:
        if js[label]:
            runs = js[label]
            where = "new configuration" if args.new_configurations else "run before elsewhere" if args.workspaces else "run before"
            print(f"{label:10s} 10 JS, {where}: tools/list {statistics.median(r[0] for r in runs):5.0f} ms"
                  f"   first call answered {statistics.median(r[1] for r in runs):5.0f} ms"
                  f"   each tool answered {statistics.median(r[2] for r in runs):5.0f} ms"
                  f"   (each answered, all runs: {' '.join(str(round(r[2])) for r in runs)})")


if __name__ == "__main__":
    main()
