#!/usr/bin/env python3
"""Prints zokio/tokio medians and ratios from criterion's last run (target/criterion).

Usage: python3 benches/summarize.py [--json OUT]   (run after `cargo bench --bench scheduler`)
"""
import json
import pathlib
import statistics
import sys

GROUPS = ["spawn_many", "spawn_remote", "yield_many", "ping_pong", "chained_spawn", "mpsc", "timers"]


def median_ns(root, group, func):
    path = root / group / func / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    return f"{ns / 1e3:.1f} µs"


def main():
    root = pathlib.Path("target/criterion")
    rows, ratios = {}, []
    print("| workload | zokio median | tokio median | ratio tokio/zokio |")
    print("| --- | ---: | ---: | ---: |")
    for g in GROUPS:
        z, t = median_ns(root, g, "zokio"), median_ns(root, g, "tokio")
        if z is None or t is None:
            print(f"| {g} | missing | missing | |")
            continue
        rows[g] = {"zokio_ns": z, "tokio_ns": t}
        ratios.append(t / z)
        print(f"| {g} | {fmt(z)} | {fmt(t)} | {t / z:.2f} |")
    if ratios:
        print(f"\nmedian of ratios: {statistics.median(ratios):.2f}")
    if len(sys.argv) == 3 and sys.argv[1] == "--json":
        pathlib.Path(sys.argv[2]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
