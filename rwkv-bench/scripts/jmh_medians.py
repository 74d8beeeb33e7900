#!/usr/bin/env python3
"""Medians (not means) of JMH results, for a noisy shared machine.

Usage: jmh_medians.py results.json [more.json ...]
Prints one line per benchmark and parameter set: the median over all measurement iterations of ops/s and of
each secondary counter (gbytes = GB/s, gflops = GFLOP/s). For MatVecBenchmark rows it adds the ratio to the
ReadBandwidthBenchmark median with the same thread count, when that is among the inputs.
"""
import json
import statistics
import sys


def median(raw):
    values = [v for fork in raw for v in fork]
    return statistics.median(values) if values else float("nan")


def main(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            rows.extend(json.load(f))
    bandwidth = {}
    for r in rows:
        if r["benchmark"].endswith("ReadBandwidthBenchmark.sum"):
            sec = r.get("secondaryMetrics", {})
            if "gbytes" in sec:
                bandwidth.setdefault(r["params"]["threads"], []).append(median(sec["gbytes"]["rawData"]))
    bandwidth = {k: statistics.median(v) for k, v in bandwidth.items()}
    for r in rows:
        name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
        params = " ".join(f"{k}={v}" for k, v in r.get("params", {}).items())
        line = f"{name:32s} {params:70s} ops/s {median(r['primaryMetric']['rawData']):10.2f}"
        for key, sec in sorted(r.get("secondaryMetrics", {}).items()):
            m = median(sec["rawData"])
            line += f"  {key} {m:8.2f}"
            if key == "gbytes" and "MatVec" in name and r["params"].get("threads") in bandwidth:
                line += f"  ({100 * m / bandwidth[r['params']['threads']]:5.1f} % of read bandwidth)"
        print(line)
    for threads, bw in sorted(bandwidth.items()):
        print(f"read bandwidth, {threads} thread(s): median {bw:.2f} GB/s")


if __name__ == "__main__":
    main(sys.argv[1:])
