#!/usr/bin/env python3
"""The resident memory of `wassette run` (the JVM path, no daemon) under JVM settings from the
launcher's down to the leanest HotSpot runs it with: how low a JVM process serving this server can go
(bench/README.md, W).

    python3 bench/startup/memory_floor.py [--rounds N] JAR

Each run gets an empty store and empty runtime and cache directories (so nothing is answered early:
the full server answers), writes initialize, initialized and tools/list at once, and reads VmRSS 2 s
and 9 s after the tools/list answer. The settings alternate within each round. Printed per setting:
the medians of the time to the tools/list answer and of the two RSS readings. The AOT cache is the
one cold_start.py records for the jar (JAR.base.aot), recorded first if missing.
"""
import argparse, os, statistics, subprocess, tempfile, time

import cold_start
from stdio_client import INITIALIZED, answer, initialize, send

LEAN = ["-Xms4m", "-Xmn1m", "-Xss256k", "-XX:CICompilerCount=1"]


def settings(aot):
    launcher = cold_start.JAVA_OPTS
    lean = [o for o in launcher if not o.startswith(("-Xms", "-Xmn"))] + LEAN
    return [
        ("launcher's options, AOT cache", launcher + [f"-XX:AOTCache={aot}"]),
        ("no AOT cache (the JDK's CDS archive)", launcher),
        ("no class sharing (-Xshare:off)", launcher + ["-Xshare:off"]),
        ("lean heap and stacks, AOT cache", lean + [f"-XX:AOTCache={aot}"]),
        ("lean, no AOT cache", lean),
        ("lean, -Xshare:off", lean + ["-Xshare:off"]),
        ("lean, -Xshare:off, -Xint (no JIT)", lean + ["-Xshare:off", "-Xint"]),
    ]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) / 1024


def once(jar, options, scratch):
    home = tempfile.mkdtemp(dir=scratch)
    os.mkdir(os.path.join(home, "run"), 0o700)
    env = dict(os.environ, XDG_DATA_HOME=home, XDG_RUNTIME_DIR=os.path.join(home, "run"), XDG_CACHE_HOME=os.path.join(home, "cache"),
               XDG_CONFIG_HOME=os.path.join(home, "config"), XDG_STATE_HOME=os.path.join(home, "state"))
    t0 = time.monotonic()
    p = subprocess.Popen([cold_start.JAVA] + options + ["-jar", jar, "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    try:
        send(p, initialize(1, "memory-floor"))
        send(p, INITIALIZED)
        send(p, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        answer(p, 2)
        listed = 1000 * (time.monotonic() - t0)
        time.sleep(2)
        early = rss_mib(p.pid)
        time.sleep(7)
        late = rss_mib(p.pid)
    finally:
        p.stdin.close()
        p.wait()
    return listed, early, late


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("jar")
    args = parser.parse_args()
    jar = os.path.abspath(args.jar)
    aot = f"{jar}.base.aot"
    cold_start.record(jar, [], aot)
    runs = {label: [] for label, _ in settings(aot)}
    with tempfile.TemporaryDirectory(prefix="wassette-memory-") as scratch:
        for _ in range(args.rounds):
            for label, options in settings(aot):
                runs[label].append(once(jar, options, scratch))
    for label, results in runs.items():
        print(f"{label:38s} first tools/list {statistics.median(r[0] for r in results):5.0f} ms"
              f"   RSS at 2 s {statistics.median(r[1] for r in results):5.1f} MiB   at 9 s {statistics.median(r[2] for r in results):5.1f} MiB")


if __name__ == "__main__":
    main()
