#!/usr/bin/env python3
"""Prints medians and ratios against tokio from criterion's last run (target/criterion).

Usage: python3 benches/summarize.py [scheduler|io] [--json OUT]
  scheduler (default): after `cargo bench --bench scheduler`, zokio against tokio by median time.
  io: after `cargo bench --bench io`, zokio_uring and zokio_poll against tokio by throughput.
"""
import json
import pathlib
import statistics
import sys

GROUPS = ["spawn_many", "spawn_remote", "yield_many", "ping_pong", "chained_spawn", "mpsc", "timers"]
IO_GROUPS = ["tcp_echo", "http_hello", "file_read"]
IO_FUNCS = ["zokio_uring", "zokio_poll", "tokio"]


def median_ns(root, group, func):
    path = root / group / func / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def throughput(root, group, func):
    """Criterion's throughput per iteration: ("Elements" | "Bytes", count), or None."""
    path = root / group / func / "new" / "benchmark.json"
    if not path.exists():
        return None
    t = json.loads(path.read_text()).get("throughput") or {}
    return next(iter(t.items()), None)


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    return f"{ns / 1e3:.1f} µs"


def fmt_rate(per_iter, ns):
    kind, count = per_iter
    per_s = count / (ns / 1e9)
    if kind == "Bytes":
        return f"{per_s / 2**30:.2f} GiB/s"
    return f"{per_s / 1e3:.1f} k/s"


def scheduler(root):
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
    return rows


def io_cell(root, g, f):
    ns, per_iter = median_ns(root, g, f), throughput(root, g, f)
    if ns is None or per_iter is None:
        return None, "missing"
    return ns, f"{fmt(ns)} ({fmt_rate(per_iter, ns)})"


def io(root):
    """Ratios are throughput zokio / throughput tokio (= tokio median time / zokio median time)."""
    rows = {}
    print("| workload | zokio_uring | zokio_poll | tokio | uring/tokio | poll/tokio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for g in IO_GROUPS:
        cells = {f: io_cell(root, g, f) for f in IO_FUNCS}
        t = cells["tokio"][0]
        ratios = [
            f"{t / cells[f][0]:.2f}" if t is not None and cells[f][0] is not None else ""
            for f in IO_FUNCS[:2]
        ]
        rows[g] = {f"{f}_ns": cells[f][0] for f in IO_FUNCS}
        print(f"| {g} | " + " | ".join(cells[f][1] for f in IO_FUNCS) + " | " + " | ".join(ratios) + " |")
    return rows


def main():
    args = sys.argv[1:]
    mode = args.pop(0) if args and args[0] in ("scheduler", "io") else "scheduler"
    root = pathlib.Path("target/criterion")
    rows = io(root) if mode == "io" else scheduler(root)
    if len(args) == 2 and args[0] == "--json":
        pathlib.Path(args[1]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
