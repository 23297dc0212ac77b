#!/usr/bin/env python3
"""The first `load-component` of a new `wassette run` process (no daemon), for one or more checkouts,
runs alternated so a noisy machine affects all alike.

    python3 bench/startup/first_load.py [--rounds N] [--pause S] COMPONENT.wasm LABEL=CHECKOUT ...

Each round starts `CHECKOUT/wassette run` (WASSETTE_DAEMON=off, an empty store of its own), lists its
tools, waits PAUSE seconds (default 1: a client's user rarely loads a component at once), then times
the load-component call of COMPONENT to its answer. The first round of each checkout is dropped (the
launcher records its JVM AOT cache then). Prints the median and range per checkout. Wasmtime's compile
cache (under XDG_CACHE_HOME, left alone) makes the compilation itself a cache hit after the first round:
what is timed is the rest of a first load.
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

from stdio_client import INITIALIZED, answer, initialize, send


def once(checkout, component, pause, scratch):
    home = tempfile.mkdtemp(dir=scratch)
    os.mkdir(os.path.join(home, "run"), 0o700)  # the early answers each new configuration records stay in scratch
    env = dict(os.environ, WASSETTE_DAEMON="off", XDG_DATA_HOME=home, XDG_RUNTIME_DIR=os.path.join(home, "run"))
    p = subprocess.Popen([os.path.join(checkout, "wassette"), "run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=env)
    send(p, initialize(1, "first-load"))
    answer(p, 1)
    send(p, INITIALIZED)
    send(p, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    answer(p, 2)
    time.sleep(pause)
    t0 = time.monotonic()
    send(p, {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
             "params": {"name": "load-component", "arguments": {"path": "file://" + component}}})
    result = answer(p, 3)
    took = 1000 * (time.monotonic() - t0)
    p.stdin.close()
    p.wait()
    if result.get("error") or result.get("result", {}).get("isError"):
        sys.exit(f"load-component failed: {result}")
    return took


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("component")
    parser.add_argument("checkouts", nargs="+", metavar="LABEL=CHECKOUT")
    args = parser.parse_args()
    component = os.path.abspath(args.component)
    configs = [spec.split("=", 1) for spec in args.checkouts]
    results = {label: [] for label, _ in configs}
    with tempfile.TemporaryDirectory(prefix="wassette-first-load-") as scratch:
        for r in range(args.rounds):
            for label, checkout in configs:
                took = once(os.path.abspath(checkout), component, args.pause, scratch)
                if r > 0:
                    results[label].append(took)
    for label, _ in configs:
        v = results[label]
        print(f"{label:10s} first load-component {statistics.median(v):5.0f} ms (range {min(v):.0f}-{max(v):.0f}, {len(v)} runs)"
              f"   all: {' '.join(str(round(x)) for x in v)}")


if __name__ == "__main__":
    main()
