"""The whole fault-injection suite, one command: every fault run, one figure per fault.

    python bench/faults/run.py [--quick] [--only fuzz,broker_loss] [--out bench/results/faults.json]

Runs, each as its own process (a crash in one cannot hide another's figures):

- sigkill       bench/faults/sigkill.py        worker SIGKILLed mid-stream, restarted
- delivery      bench/delivery_faults.py       receivers failing (5xx, 429, hangs) and a SIGKILL
- llm_mixed     bench/llm_faults.py            scripted LLM faults, grounding, cache
- llm_outage    bench/faults/llm_outage.py     LLM down / hanging / 503 / garbage for every alert
- fuzz          bench/faults/fuzz.py           >= 10,000 generated payloads over both input topics
- broker_loss   bench/faults/broker_loss.py    dev broker killed and restarted empty under a worker

Each writes its own bench/results/faults/<name>.json (a temporary folder with --quick); this
script reads them back and writes bench/results/faults.json with, per fault: inputs, alerts, deliveries, lost, duplicated,
crashes (None where a figure does not apply), the command, its exit code and wall time.
``--quick`` shrinks the runs (for a smoke check, not for the docs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from report import emit

Figures = dict[str, Any]


def sigkill(data: dict) -> Figures:
    runs = data["runs"]
    alerts = [r["alerts"] for r in runs]
    return {"inputs": 30 * len(runs), "alerts": sum(a["expected"] for a in alerts), "deliveries": None,
            "lost": sum(len(a["lost"]) for a in alerts),
            "duplicated": sum(a["duplicate_lines"] for a in alerts),
            "crashes": sum(1 for r in runs if not r["finished"]),  # the deliberate kill is not counted
            "notes": {k: v for k, v in data["summary"].items() if k != "runs"}}


def delivery(data: dict) -> Figures:
    receivers = [k for k in ("webhook", "slack", "archive") if k in data]
    return {"inputs": data["alerts"], "alerts": data["alerts"],
            "deliveries": sum(data[k]["unique_delivered"] for k in receivers),
            "lost": sum(data["lost"].values()),
            "duplicated": data["slack"].get("duplicate_messages", 0) if "slack" in data else None,
            "crashes": None,  # not measured by that run (its worker is killed on purpose)
            "notes": {"receivers": len(receivers), "completed": data.get("completed"),
                      "ledger_states": data.get("ledger", {}).get("states"),
                      "faults_injected": data.get("faults_injected"),
                      "webhook_raw_duplicates_deduplicated": data.get("webhook", {}).get("raw_duplicates_deduplicated"),
                      "uncertain_resends_after_kill": data.get("ledger", {}).get("uncertain_resends_after_kill")}}


def llm_mixed(data: dict) -> Figures:
    first = data["rounds"][0]
    delivered = sum(first["generated_by"].values())
    return {"inputs": data["alerts"], "alerts": data["alerts"], "deliveries": delivered,
            "lost": data["alerts"] - delivered, "duplicated": 0, "crashes": 0,
            "notes": {"generated_by": first["generated_by"], "ungrounded_delivered": first["ungrounded_delivered"],
                      "replay_cache_hit_rate": data["rounds"][-1]["cache_hit_rate"]}}


def llm_outage(data: dict) -> Figures:
    total = {k: sum(s[k] for s in data.values()) for k in ("inputs", "alerts", "deliveries", "lost", "duplicated",
                                                           "crashes")}
    return {**total, "notes": {name: {"template_fallbacks": s["template_fallbacks"],
                                      "max_alert_seconds": s["max_alert_seconds"],
                                      "within_deadline": s["within_deadline"]} for name, s in data.items()}}


def fuzz(data: dict) -> Figures:
    total = data["total"]
    return {"inputs": total["inputs"], "alerts": total["alerts"], "deliveries": None,
            "lost": total["lost"], "duplicated": total["duplicated"], "crashes": total["crashes"],
            "notes": {k: total[k] for k in ("accepted", "dead_lettered", "internal_errors", "failures",
                                            "seconds", "cpu_seconds") if k in total}}


def broker_loss(data: dict) -> Figures:
    keep = ("alive_during_outage", "readyz_503_after_seconds", "worker_cpu_share_during_outage",
            "error_log_lines_per_second", "exit_code", "exit_after_seconds", "processed_after_restart")
    return {"inputs": data.get("inputs"), "alerts": data.get("alerts"), "deliveries": None,
            "lost": data.get("lost"), "duplicated": data.get("duplicated"), "crashes": data.get("crashes"),
            "notes": {k: data.get(k) for k in keep}}


# name -> (script, full arguments, quick arguments, figures)
FAULTS: dict[str, tuple[str, list[str], list[str], Callable[[dict], Figures]]] = {
    "sigkill": ("bench/faults/sigkill.py", ["--runs", "10"], ["--runs", "2"], sigkill),
    "delivery": ("bench/delivery_faults.py", [], ["--alerts", "40", "--kill-at", "10"], delivery),
    "llm_mixed": ("bench/llm_faults.py", [], ["--rounds", "2"], llm_mixed),
    "llm_outage": ("bench/faults/llm_outage.py", [], [], llm_outage),
    "fuzz": ("bench/faults/fuzz.py", [], ["--releases", "600", "--articles", "400"], fuzz),
    "broker_loss": ("bench/faults/broker_loss.py", [], ["--outage", "20"], broker_loss),
}


def run_one(name: str, quick: bool, timeout: float, folder: Path) -> Figures:
    script, full, small, figures = FAULTS[name]
    out = folder / f"{name}.json"
    command = [sys.executable, script, *(small if quick else full), "--out", str(out)]
    # bench/llm_faults.py imports bench/report.py as a top-level module, as when run from bench/.
    env_path = f"{ROOT / 'bench'}:{ROOT}"
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": env_path}, timeout=timeout,
                              capture_output=True, text=True, check=False)
        code, tail = done.returncode, (done.stdout + done.stderr)[-1500:]
    except subprocess.TimeoutExpired:
        code, tail = None, f"timed out after {timeout:.0f} s"
    seconds = round(time.monotonic() - started, 1)
    shown = [*command[1:-1], str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else out.name]
    base = {"command": " ".join(["python", *map(str, shown)]), "exit_code": code, "seconds": seconds}
    try:
        return {**base, **figures(json.loads(out.read_text("utf-8")))} if code is not None else {**base, "error": tail}
    except (OSError, KeyError, TypeError, ValueError) as exc:
        return {**base, "error": f"no figures ({exc!r}); output ends: {tail}"}


def table(faults: dict[str, Figures]) -> str:
    """The summary table of docs/reliability.md, from faults.json."""
    cols = ("inputs", "alerts", "deliveries", "lost", "duplicated", "crashes")
    rows = ["| fault | " + " | ".join(cols) + " | wall s |", "| --- |" + " ---: |" * (len(cols) + 1)]
    for name, figures in faults.items():
        cells = ["—" if figures.get(c) is None else str(figures[c]) for c in (*cols, "seconds")]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="Smaller runs: a smoke check, not figures for the docs.")
    parser.add_argument("--only", default=",".join(FAULTS), help=f"Comma-separated subset of: {', '.join(FAULTS)}")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Per fault run, in seconds.")
    parser.add_argument("--out", type=Path, default=None,
                        help="Default bench/results/faults.json; with --quick, nothing is written unless given.")
    parser.add_argument("--table", action="store_true", help="Print the markdown summary of --out and stop.")
    args = parser.parse_args()
    out = args.out or (None if args.quick else RESULTS / "faults.json")
    if args.table:
        print(table(json.loads((args.out or RESULTS / "faults.json").read_text("utf-8"))["faults"]))
        return
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        parser.error(f"unknown fault runs: {', '.join(unknown)}")
    results: dict[str, Figures] = {}
    if out is not None and out.exists() and set(names) != set(FAULTS):  # a subset re-run keeps the other figures
        previous = json.loads(out.read_text("utf-8"))
        if previous.get("quick") == args.quick:
            results.update(previous.get("faults", {}))
    scratch = tempfile.TemporaryDirectory(prefix="cloudpulse-faults-")
    folder = Path(scratch.name) if args.quick else RESULTS / "faults"  # quick figures never replace real ones
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(f"{name}: running {FAULTS[name][0]} …", flush=True)
        results[name] = run_one(name, args.quick, args.timeout, folder)
        row = {k: results[name].get(k) for k in ("inputs", "alerts", "deliveries", "lost", "duplicated", "crashes",
                                                 "exit_code", "seconds")}
        print(f"{name}: {json.dumps(row)}", flush=True)
    scratch.cleanup()
    emit({"quick": args.quick, "faults": results}, out, show=False)
    print(table(results))
    if out is not None:
        print(f"wrote {out}")
    failed = [n for n, r in results.items() if r.get("error") or r.get("lost") or r.get("crashes")]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
