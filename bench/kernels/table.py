#!/usr/bin/env python3
"""Prints the kernel results of a JMH JSON file (bench/target/jmh-result.json) as Markdown:
ms per run for each engine, each engine's time divided by Wasmtime-FFM's, and (when the native
baseline ran) each engine's time divided by the native code's: the ratio no engine can beat.

    python3 bench/kernels/table.py bench/target/jmh-result.json
"""
import json
import sys

ENGINES = ["native", "wasmtime", "wasmtimeLimits", "chicoryInterpreter", "chicoryCompiler", "endiveCompiler", "graalwasm"]
KERNELS = ["sha256", "json", "sort", "coremark"]

scores = {}
for r in json.load(open(sys.argv[1] if len(sys.argv) > 1 else "bench/target/jmh-result.json")):
    name = r["benchmark"].rsplit(".", 2)[-2]
    if name not in ("KernelBenchmark", "KernelInterpreterBenchmark", "GraalKernelBenchmark"):
        continue
    p = r.get("params", {})
    engine = p.get("engine", "graalwasm")
    m = r["primaryMetric"]
    scores[(p["kernel"], engine)] = (m["score"], m["scoreError"])

present = [e for e in ENGINES if any((k, e) in scores for k in KERNELS)]
print("| kernel | " + " | ".join(present) + " |")
print("|---|" + "---:|" * len(present))
for k in KERNELS:
    cells = []
    for e in present:
        s = scores.get((k, e))
        cells.append("—" if s is None else f"{s[0]:,.1f} ± {s[1]:,.1f}")
    print(f"| {k} (ms) | " + " | ".join(cells) + " |")
print()
print("| kernel | " + " | ".join(f"{e} ÷ wasmtime" for e in present if e != "wasmtime") + " |")
print("|---|" + "---:|" * (len(present) - 1))
for k in KERNELS:
    base = scores.get((k, "wasmtime"))
    cells = []
    for e in present:
        if e == "wasmtime":
            continue
        s = scores.get((k, e))
        cells.append("—" if s is None or base is None else f"{s[0] / base[0]:.2f}×")
    print(f"| {k} | " + " | ".join(cells) + " |")

if any((k, "native") in scores for k in KERNELS):
    others = [e for e in present if e != "native"]
    print()
    print("| kernel | " + " | ".join(f"{e} ÷ native" for e in others) + " |")
    print("|---|" + "---:|" * len(others))
    for k in KERNELS:
        base = scores.get((k, "native"))
        cells = []
        for e in others:
            s = scores.get((k, e))
            cells.append("—" if s is None or base is None else f"{s[0] / base[0]:.2f}×")
        print(f"| {k} | " + " | ".join(cells) + " |")
