"""Turn benchmark records into the results files.

Input: one record per `run.py` invocation (a dict: scale, machine, per-contender samples,
compile and start-up figures, notes).
Output: the record appended to `benchmarks/results.json` (a JSON list, oldest first), and
`benchmarks/results.md` rewritten from the newest record of each scale in that list.

Targets are judged here, from the record alone, so that an old record renders the same way.
The wall-time, speed and memory targets are set for the medium scale: at other scales they are
shown as "indicative" with the measured value, never as a pass or a fail.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "results.md"
SCALE_ORDER = ["tiny", "small", "medium", "large"]
LARGE_PEAK_LIMIT_MB = 12 * 1024


def append(record: dict) -> list[dict]:
    history = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else []
    history.append(record)
    RESULTS_JSON.write_text(json.dumps(history, indent=1) + "\n")
    RESULTS_MD.write_text(render(history))
    return history


def _target(name: str, measured: str, passed: bool | None, judged: bool = True) -> dict:
    if passed is None:
        status = "not measured"
    elif not judged:
        status = "indicative"
    else:
        status = "pass" if passed else "fail"
    return {"target": name, "measured": measured, "status": status}


def _failed(c: dict) -> bool:
    return bool(c) and not c.get("ok") and not c.get("skipped")


def targets(record: dict) -> list[dict]:
    """Each target with its measured value and status: pass, fail, indicative (measured at a
    scale the target is not set for) or not measured (skipped). A failed run fails."""
    scale, c = record["scale"], record["contenders"]
    seg, hand = c.get("segdsl", {}), c.get("hand_sql", {})
    at_medium = scale == "medium"
    out = []

    def unmeasured(name: str, *needed: dict) -> dict:
        failed = [n for n in needed if _failed(n)]
        return _target(name, "a contender failed" if failed else "-", False if failed else None)

    wall, mem = ("segdsl eval wall time <= 1.25x hand SQL (medium)",
                 "segdsl eval peak memory <= 1.5x hand SQL (medium)")
    if seg.get("ok") and hand.get("ok"):
        ratio = seg["median_wall_s"] / hand["median_wall_s"]
        out.append(_target(wall, f"{ratio:.2f}x", ratio <= 1.25, at_medium))
        ratio = seg["median_peak_mb"] / hand["median_peak_mb"]
        out.append(_target(mem, f"{ratio:.2f}x", ratio <= 1.5, at_medium))
    else:
        out += [unmeasured(wall, seg, hand), unmeasured(mem, seg, hand)]
    faster = "segdsl eval faster than pandas and polars (medium)"
    others = [c.get(name, {}) for name in ("pandas", "polars")]
    if seg.get("ok") and all(o.get("ok") for o in others):
        fastest = min(o["median_wall_s"] for o in others)
        out.append(_target(faster, f"{seg['median_wall_s']:.2f} s vs {fastest:.2f} s",
                           seg["median_wall_s"] < fastest, at_medium))
    else:
        out.append(unmeasured(faster, seg))
    if scale == "large":
        name, peak = "large completes under 12 GB peak", seg.get("median_peak_mb")
        out.append(_target(name, f"{peak:.0f} MB", peak < LARGE_PEAK_LIMIT_MB) if seg.get("ok")
                   else unmeasured(name, seg))
    comp, ver = record.get("compile", {}), record.get("version", {})
    compile_s, version_s = comp.get("api_median_s"), ver.get("median_s")
    name = f"compile {comp.get('segments', 1000)} segments <= 1 s"
    out.append(_target(name, f"{compile_s:.3f} s", compile_s <= 1.0) if compile_s is not None
               else _target(name, "failed" if comp.get("api_error") else "-",
                            False if comp.get("api_error") else None))
    name = "segdsl --version <= 0.3 s"
    out.append(_target(name, f"{version_s:.3f} s", version_s <= 0.3) if version_s is not None
               else _target(name, "failed" if ver.get("error") else "-",
                            False if ver.get("error") else None))
    compared = [v for v in c.values() if v.get("identical") is not None]
    out.append(_target("every contender's members.parquet identical to hand SQL's",
                       f"{sum(v['identical'] for v in compared)} of {len(compared)} identical",
                       None if not compared else all(v["identical"] for v in compared)))
    return out


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _section(record: dict) -> list[str]:
    rows = record["rows"]
    lines = [f"## {record['scale']}: {rows['customers']:,} customers, {rows['orders']:,} orders",
             "",
             f"Measured {record['date']}; median of {record['runs']} runs per contender; "
             f"segdsl {record['versions'].get('segdsl', '?')} at git {record['git']}.",
             "",
             "| contender | median wall s | median CPU s | peak memory MB | wall vs hand SQL "
             "| memory vs hand SQL | output | wall samples (s) |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for name, c in record["contenders"].items():
        if c.get("skipped"):
            lines.append(f"| {name} | skipped | | | | | | {c.get('reason', '')} |")
            continue
        if not c.get("ok"):
            lines.append(f"| {name} | **failed** | | | | | | see below |")
            continue
        same = {True: "identical", False: "**differs**", None: "-"}[c.get("identical")]
        samples = ", ".join(f"{s:.2f}" for s in c["wall_s"])
        lines.append(f"| {name} | {_fmt(c['median_wall_s'], 2)} | {_fmt(c.get('median_cpu_s'), 2)} "
                     f"| {_fmt(c['median_peak_mb'], 0)} "
                     f"| {_fmt(c.get('ratio_wall'), 2)}x | {_fmt(c.get('ratio_peak'), 2)}x "
                     f"| {same} | {samples} |")
    comp, ver = record.get("compile", {}), record.get("version", {})
    lines += ["",
              f"- compile {comp.get('segments', '?')} segments (Python API, in-process, "
              f"median): {_fmt(comp.get('api_median_s'), 3)} s wall, "
              f"{_fmt(comp.get('api_cpu_median_s'), 3)} s CPU; `segdsl compile` on the "
              f"command line, start-up included: {_fmt(comp.get('cli_median_s'), 3)} s",
              f"- `segdsl --version` (median of {len(ver.get('samples_s') or [])}): "
              f"{_fmt(ver.get('median_s'), 3)} s",
              "", "| target | measured | status |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {t['status']} |" for t in targets(record)]
    failures = [(n, c) for n, c in record["contenders"].items()
                if not c.get("ok") and not c.get("skipped")]
    for label, key in (("compile (API)", "api_error"), ("compile (CLI)", "cli_error")):
        if comp.get(key):
            failures.append((label, {"error": "\n".join(comp[key])}))
    if ver.get("error"):
        failures.append(("segdsl --version", {"error": "\n".join(ver["error"])}))
    for name, c in failures:
        lines += ["", f"{name} failed:", "", "```", c.get("error") or "(no stderr)", "```"]
    for name, c in record["contenders"].items():
        if c.get("identical") is False:
            lines += ["", f"{name}'s members differ from hand SQL's:", "", "```",
                      "\n".join(c.get("differences", [])), "```"]
    if record.get("notes"):
        lines += [""] + [f"Note: {note}" for note in record["notes"]]
    return lines + [""]


def render(history: list[dict]) -> str:
    latest = {r["scale"]: r for r in history}  # the newest record of each scale
    newest = history[-1]
    m = newest["machine"]
    lines = ["# Benchmark results", "",
             "Written by `python benchmarks/run.py`; see benchmarks/README.md for what is "
             "measured and how. Every record is kept in `results.json`; this page shows the "
             "newest run of each scale.", "",
             f"Machine (newest run): {m['cores']} cores ({m['cpu']}), {m['ram_gb']:.1f} GB RAM, "
             f"{m['os']}; Python {m['python']}"
             + (" with PYTHONDONTWRITEBYTECODE set (modules without a cached .pyc are compiled "
                "at every start)" if m.get("PYTHONDONTWRITEBYTECODE") else "") + "; "
             + ", ".join(f"{k} {v}" for k, v in newest["versions"].items()) + ".", ""]
    for scale in sorted(latest, key=lambda s: SCALE_ORDER.index(s) if s in SCALE_ORDER else 99):
        lines += _section(latest[scale])
    return "\n".join(lines)
