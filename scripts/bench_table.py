#!/usr/bin/env python3
"""`make bench`'s table: reads the figures the benchmarks appended as JSON lines (the fields
are in bench/results/README.md), sets ours beside the peer or floor of the same workload at
the same durability, and writes the result as JSON and Markdown.

    scripts/bench_table.py criterion CRITERION_DIR JSONL   # criterion's estimates -> rows
    scripts/bench_table.py render JSONL OUT_DIR [--readme README.md] [--note TEXT]

`render` writes OUT_DIR/latest.json, OUT_DIR/latest.md and OUT_DIR/<date>.md, prints the
Markdown, and with --readme rewrites the README's table between its bench markers.
Standard library only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
LOWER_IS_BETTER = {"bytes/event", "p50 ms", "p99 ms", "ns/op", "server CPU µs/command",
                   "generator CPU µs/command"}

# One table row per workload: (label, ours, other, target, note). `ours` and `other` are
# (group, row, metric) keys into the figures; the target is (ratio, ">=" or "<=") or None.
Key = Tuple[str, str, str]
COMPARISONS: List[Tuple[str, Key, Key, Optional[Tuple[float, str]], str]] = [
    ("core (native Rust), in-memory lifecycle", ("core", "lifecycle in memory", "commands/s"),
     ("wasm", "lifecycle in memory", "commands/s"), None,
     "peer is Emmett in Node: a different runtime, for scale only"),
    ("wasm OrderEngine in Node, in-memory lifecycle",
     ("wasm", "lifecycle in memory", "commands/s"),
     ("wasm", "lifecycle in memory", "commands/s"), (5.0, ">="), "Emmett runs right after, same Node, N and rounds"),
    ("wasm: the same lifecycle from inside the module (floor)",
     ("wasm", "lifecycle inside wasm (floor)", "commands/s"),
     ("wasm", "lifecycle in memory", "commands/s"), None,
     "no JS values cross per command (feature bench-floor): the most any boundary could reach"),
    ("Python order_core, per command, FULL", ("python", "per command, FULL", "commands/s"),
     ("python", "per command, FULL", "commands/s"), (5.0, ">="), "issue 4's target"),
    ("Python order_core, per command, NORMAL", ("python", "per command, NORMAL", "commands/s"),
     ("python", "per command, NORMAL", "commands/s"), (10.0, ">="), "issue 4's target"),
    ("Python execute_many (group commit), FULL", ("python", "execute_many, FULL", "commands/s"),
     ("python", "per command, FULL", "commands/s"), None, "peer commits per command"),
    ("guest: a whole command in wasmtime vs native", (
        "decisions", "whole command: AddItem on a 10-line order", "ns/op"),
     ("decisions", "whole command: AddItem on a 10-line order", "ns/op"), (2.0, "<="),
     "decide, evolve and project in one typed guest call; ns per command, lower is better"),
    ("guest: only the state and view crossing, vs native whole command", (
        "decisions", "crossing only: 10-line state and view, in and out", "ns/op"),
     ("decisions", "whole command: AddItem on a 10-line order", "ns/op"), None,
     "the guest called with the same state and view and nothing to fold: what this "
     "interface costs before any work"),
    ("server HTTP c=1, FULL", ("server", "HTTP c=1, FULL", "commands/s"),
     ("server", "raw rusqlite, 1 txn/command, FULL", "commands/s"), None,
     "floor: the same writes straight through rusqlite"),
    ("server HTTP c=32, FULL", ("server", "HTTP c=32, FULL", "commands/s"),
     ("server", "raw rusqlite, 1 txn/command, FULL", "commands/s"), (2.0, ">="),
     "group commit can beat the one-fsync floor; the target also asks p99 < 10 ms"),
    ("server HTTP c=32, PostgreSQL", ("server", "HTTP c=32, PG", "commands/s"),
     ("server", "raw PG, 1 INSERT/txn", "commands/s"), None, "synchronous_commit on"),
    ("replay: order-server rebuild-read-models", ("replay", "rebuild-read-models", "events/s"),
     ("replay", "raw scan", "events/s"), (0.5, ">="), "the whole process, start-up and guest included"),
    ("replay: order-server verify", ("replay", "verify", "events/s"),
     ("replay", "raw scan", "events/s"), (0.5, ">="), "the whole process, start-up and guest included"),
    ("store: per command at 100,000 orders vs 1,000", ("scale", "per command, 100000 orders", "ns/op"),
     ("scale", "per command, 1000 orders", "ns/op"), (1.2, "<="),
     "ns per command, one transaction each, SQLite at NORMAL, native core (benches/scale.rs)"),
    ("store: state load through the snapshot, 10,000 events vs 100",
     ("scale", "load through snapshot, 10000 events", "ns/op"),
     ("scale", "load through snapshot, 100 events", "ns/op"), (2.0, "<="),
     "ns per load: the snapshot and the events after it"),
    ("SQLite file, bytes per event, FULL", ("python", "bytes per event, FULL", "bytes/event"),
     ("python", "bytes per event, FULL", "bytes/event"), (1.0, "<="),
     "ours also stores the read model and command records"),
    ("SQLite file, bytes per event, FULL, against the same writes",
     ("python", "bytes per event, FULL", "bytes/event"),
     ("python", "bytes per event, same writes, FULL", "bytes/event"), None,
     "the peer also writing the read model and checkpoint (the eventsourcing+rm run)"),
]


# Rows whose target also bounds the tail latency (issue 14: c=32 at p99 < 10 ms).
P99_LIMIT_MS = {"server HTTP c=32, FULL": 10.0}
# Rows whose target is a latency: p50 at most one fsync (the floor's p50) plus this much.
P50_OVER_FLOOR_MS = {"server HTTP c=1, FULL": 0.3}


def load(path: pathlib.Path) -> List[Dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: not JSON: {e}")
    return rows


def best(rows: List[Dict[str, Any]], key: Key, system: str) -> Optional[Dict[str, Any]]:
    """The best figure for `key` from `system` (several runs of a row: the fastest one)."""
    group, row, metric = key
    found = [r for r in rows if (r["group"], r["row"], r["metric"], r["system"])
             == (group, row, metric, system)]
    if not found:
        return None
    pick = min if metric in LOWER_IS_BETTER else max
    return pick(found, key=lambda r: r["value"])


def figure(value: float, metric: str) -> str:
    if metric == "bytes/event":
        return f"{value:,.0f} bytes/event"
    if metric == "ns/op":
        return f"{value:,.0f} ns/op"
    if metric.endswith("ms"):
        return f"{value:.2f} ms"
    unit = metric.split("/")[0]
    if value >= 1e6:
        return f"{value / 1e6:.2f} M {unit}/s"
    return f"{value:,.0f} {unit}/s"


def latency(rows: List[Dict[str, Any]], key: Key) -> str:
    p50, p99 = (best(rows, (key[0], key[1], m), "ours") for m in ("p50 ms", "p99 ms"))
    if not (p50 and p99):
        return ""
    servers, generator = (best(rows, (key[0], key[1], m), "ours")
                          for m in ("server CPU µs/command", "generator CPU µs/command"))
    cpu = (f"; CPU per command: server {servers['value']:.0f} µs, load generator "
           f"{generator['value']:.0f} µs" if servers and generator else "")
    return f" (p50 {p50['value']:.2f} ms, p99 {p99['value']:.2f} ms{cpu})"


def table(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for label, ours_key, other_key, target, note in COMPARISONS:
        ours = best(rows, ours_key, "ours")
        other = best(rows, other_key, "peer") or best(rows, other_key, "floor")
        if ours is None or other is None:
            continue
        ratio = ours["value"] / other["value"] if other["value"] else float("inf")
        met = None
        if target is not None:
            met = ratio >= target[0] if target[1] == ">=" else ratio <= target[0]
        p99_limit = P99_LIMIT_MS.get(label)
        if p99_limit is not None:
            p99 = best(rows, (ours_key[0], ours_key[1], "p99 ms"), "ours")
            met = bool(met) and p99 is not None and p99["value"] < p99_limit
        fsync_slack = P50_OVER_FLOOR_MS.get(label)
        if fsync_slack is not None:
            p50 = best(rows, (ours_key[0], ours_key[1], "p50 ms"), "ours")
            floor_p50 = best(rows, (other_key[0], other_key[1], "p50 ms"), "floor")
            met = (p50 is not None and floor_p50 is not None
                   and p50["value"] <= floor_p50["value"] + fsync_slack)
            target_note = f"p50 ≤ floor p50 + {fsync_slack} ms"
        else:
            target_note = None
        out.append({"workload": label, "durability": ours["durability"], "ours": ours,
                    "other": other, "ratio": ratio, "target": target, "met": met,
                    "latency": latency(rows, ours_key), "note": note,
                    "target_note": target_note})
    return out


def ratio_text(ratio: float, target: Optional[Tuple[float, str]]) -> str:
    if target and target[0] < 1:
        return f"{ratio:.1%}" if ratio < 0.1 else f"{ratio:.0%}"
    return f"{ratio:.2f}x"


def target_text(target: Optional[Tuple[float, str]]) -> str:
    if target is None:
        return "—"
    sign = "≥" if target[1] == ">=" else "≤"
    return f"{sign} {target[0]:.0%}" if target[0] < 1 else f"{sign} {target[0]:g}x"


def markdown(entries: List[Dict[str, Any]], header: Dict[str, Any]) -> str:
    lines = [
        f"Measured {header['date']} on {header['machine']['cpu']} "
        f"({header['machine']['nproc']} cores, load average {header['machine']['load']} at "
        f"the end), commit {header['commit']}"
        + (f"; {header['note']}" if header.get("note") else "") + ".",
        "",
        "| workload | durability | n | ours | peer / floor | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        ours, other, target = e["ours"], e["other"], e["target"]
        met = "—" if e["met"] is None else ("yes" if e["met"] else "**no**")
        lines.append(
            f"| {e['workload']} | {e['durability']} | {ours['n']:,} "
            f"| {figure(ours['value'], ours['metric'])}{e['latency']} | {other['name']} "
            f"({other['system']}): {figure(other['value'], other['metric'])} "
            f"| {ratio_text(e['ratio'], target)} | {e['target_note'] or target_text(target)} "
            f"| {met} |"
        )
    lines += [""] + [f"- {e['workload']}: {e['note']}." for e in entries]
    return "\n".join(lines) + "\n"


def machine() -> Dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = re.sub(r"\s+", " ", line.split(":", 1)[1]).strip()
                break
    except OSError:
        pass
    try:
        load = " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {"nproc": os.cpu_count(), "cpu": cpu, "load": load}


def commit() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def rewrite_readme(readme: pathlib.Path, md: str) -> None:
    text = readme.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        sys.exit(f"{readme} has no {BEGIN} ... {END} markers")
    readme.write_text(pattern.sub(lambda _: f"{BEGIN}\n{md}{END}", text, count=1))


def render(args: argparse.Namespace) -> None:
    rows = load(args.jsonl)
    now = datetime.datetime.now(datetime.timezone.utc)
    header = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
              "commit": commit(), "note": args.note}
    entries = table(rows)
    md = markdown(entries, header)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(
        json.dumps({**header, "table": entries, "figures": rows}, indent=1) + "\n")
    (args.out / "latest.md").write_text(md)
    (args.out / f"{now:%Y-%m-%d}.md").write_text(md)
    if args.readme:
        rewrite_readme(args.readme, md)
    print(md, end="")


def criterion(args: argparse.Namespace) -> None:
    """One row per criterion benchmark under CRITERION_DIR (its `new` estimates, median)."""
    names = {"replay": "replay evolve", "decide": "decide AddItem", "engine": "lifecycle in memory"}
    with args.jsonl.open("a") as out:
        for bench in sorted(args.dir.glob("*/*/new/benchmark.json")):
            meta = json.loads(bench.read_text())
            seconds = json.loads((bench.parent / "estimates.json").read_text())[
                "median"]["point_estimate"] / 1e9
            elements = (meta.get("throughput") or {}).get("Elements", 1)
            unit = "events/s" if meta["group_id"] == "replay" else "commands/s"
            out.write(json.dumps({
                "group": "core", "row": names.get(meta["group_id"], meta["full_id"]),
                "system": "ours", "name": f"native core: {meta['full_id']}", "metric": unit,
                "value": elements / seconds, "durability": "memory", "n": elements}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("criterion")
    c.add_argument("dir", type=pathlib.Path)
    c.add_argument("jsonl", type=pathlib.Path)
    r = sub.add_parser("render")
    r.add_argument("jsonl", type=pathlib.Path)
    r.add_argument("out", type=pathlib.Path)
    r.add_argument("--readme", type=pathlib.Path)
    r.add_argument("--note", default="")
    args = parser.parse_args()
    criterion(args) if args.command == "criterion" else render(args)


if __name__ == "__main__":
    main()
