#!/usr/bin/env python3
"""Cold start of `wassette run` (the JVM path, no daemon): process start to the answer of the first
tools/list over stdio, for one or more jars, runs alternated so a noisy machine affects all alike.

    python3 bench/startup/cold_start.py [--rounds N] LABEL=JAR[@JVM_FLAG,JVM_FLAG...] ...

Each jar runs with the launcher's JVM settings for `run` (a copy of `java_opts` in ./wassette), the
label's own JVM flags after them, and an AOT cache recorded for it as the launcher records it
(`aot-train`, with the same flags), kept beside the jar as JAR.<label>.aot. Every run gets an empty
XDG_DATA_HOME (no stored components). Prints, per jar, the medians of the time to the initialize
answer and to the tools/list answer, the process CPU time (user + system, all threads, to exit), the
RSS when tools/list is answered, and the ratio of the tools/list median to the first jar's.
"""
import argparse, json, os, statistics, subprocess, tempfile, time

JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
JAVA_OPTS = ["--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms16m", "-Xmn6m", "-XX:MinHeapFreeRatio=10",
             "-XX:MaxHeapFreeRatio=30", "-XX:TrimNativeHeapInterval=2000", "-Xlog:disable", "-Xlog:all=warning:stderr", "-XX:TieredStopAtLevel=1"]


def record(jar, flags, aot):
    if not os.path.exists(aot):
        print(f"recording {aot} ...", flush=True)
        subprocess.run([JAVA] + JAVA_OPTS + flags + [f"-XX:AOTCacheOutput={aot}", "-jar", jar, "aot-train"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def once(jar, flags, aot):
    env = dict(os.environ, XDG_DATA_HOME=tempfile.mkdtemp(prefix="wassette-cold-"))
    t0 = time.monotonic()
    p = subprocess.Popen([JAVA] + JAVA_OPTS + flags + [f"-XX:AOTCache={aot}", "-jar", jar, "run"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def send(message):
        p.stdin.write((json.dumps(message) + "\n").encode())
        p.stdin.flush()

    send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
          "capabilities": {}, "clientInfo": {"name": "cold-start", "version": "1"}}})
    p.stdout.readline()
    t1 = time.monotonic()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    tools = len(json.loads(p.stdout.readline())["result"]["tools"])
    t2 = time.monotonic()
    with open(f"/proc/{p.pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    return 1000 * (t1 - t0), 1000 * (t2 - t0), 1000 * (usage.ru_utime + usage.ru_stime), tools, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("jars", nargs="+", metavar="LABEL=JAR[@FLAGS]")
    args = parser.parse_args()
    configs = []
    for spec in args.jars:
        label, rest = spec.split("=", 1)
        jar, _, flags = rest.partition("@")
        configs.append((label, os.path.abspath(jar), [f for f in flags.split(",") if f]))
    for label, jar, flags in configs:
        record(jar, flags, f"{jar}.{label}.aot")
    results = {label: [] for label, _, _ in configs}
    for _ in range(args.rounds):
        for label, jar, flags in configs:
            results[label].append(once(jar, flags, f"{jar}.{label}.aot"))
    first = None
    for label, _, _ in configs:
        runs = results[label]
        listed = statistics.median(r[1] for r in runs)
        first = first or listed
        print(f"{label:10s} initialize {statistics.median(r[0] for r in runs):5.0f} ms   tools/list {listed:5.0f} ms"
              f" ({listed / first:.2f}x)   process CPU {statistics.median(r[2] for r in runs):5.0f} ms"
              f"   RSS {statistics.median(r[4] for r in runs):3.0f} MiB   tools {runs[0][3]}"
              f"   all tools/list: {' '.join(str(round(r[1])) for r in runs)}")


if __name__ == "__main__":
    main()
