"""``make bench``: this project, pyOpenSSL 26.4 and the stdlib, side by side.

One worker process per implementation (``worker.py``): ``ours``,
``stdlib`` and ``compat`` (``OpenSSL.ssl_compat``) under this interpreter,
``pyopenssl`` under the bench virtualenv (created on first use, see
``peers.py``). For every scenario the parent asks the workers for one
round each in turn (A B C A B C ...), takes the median per metric, and
prints a table with ratios; the whole result goes to
``bench/results/<timestamp>.json``. Progress goes to stderr.

    python bench/run.py            # full run, a few minutes
    python bench/run.py --smoke    # seconds: tiny sizes, ours + stdlib only
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:  # pragma: no cover - run as a script it is
    sys.path.insert(0, str(HERE))

from certs import write_certs  # noqa: E402
from peers import aes_gcm_ceiling, clean_env, ensure_pyopenssl_venv  # noqa: E402
from report import evaluate_targets, human, table, targets_text  # noqa: E402
from scenarios import IMPL_TITLES, IMPLS, SCENARIOS, Scenario  # noqa: E402


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class WorkerProcess:
    """A serving ``worker.py`` and its JSON-line conversation."""

    def __init__(
        self, impl: str, python: str, certs: Path, smoke: bool, env: dict[str, str]
    ) -> None:
        self.impl = impl
        cmd = [python, str(HERE / "worker.py"), "--impl", impl, "--serve"]
        cmd += ["--certs", str(certs)] + (["--smoke"] if smoke else [])
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**env, "BENCH_IMPL": impl},
            cwd=str(HERE),
        )
        self.hello: dict[str, Any] | None = None

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            return {"ok": False, "error": f"worker exited with status {code}"}
        return dict(json.loads(line))

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return {"ok": False, "error": "worker is gone"}
        return self.read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_workers(
    impls: list[str], pythons: dict[str, str], certs: Path, smoke: bool
) -> tuple[dict[str, WorkerProcess], dict[str, Any]]:
    """Start workers in parallel; return the live ones and every hello/skip."""
    env = clean_env()
    procs = {i: WorkerProcess(i, pythons[i], certs, smoke, env) for i in impls}
    live: dict[str, WorkerProcess] = {}
    facts: dict[str, Any] = {}
    for impl, proc in procs.items():
        first = proc.read()
        if first.get("ok"):
            proc.hello = first["hello"]
            facts[impl] = first["hello"]
            live[impl] = proc
        else:
            facts[impl] = {k: v for k, v in first.items() if k != "ok"}
            proc.close()
    return live, facts


def run_scenario(
    scenario: Scenario,
    workers: dict[str, WorkerProcess],
    rounds: int,
    index: str,
    ceiling: bool = False,
) -> dict[str, Any]:
    """Interleaved rounds of one scenario; with ``ceiling``, one
    ``openssl speed`` measurement per round too (see ``peers.py``)."""
    results: dict[str, Any] = {}
    ceilings: list[dict[str, Any]] = []
    active: list[str] = []
    for impl, worker in workers.items():
        if impl not in scenario.impls:
            continue
        answer = worker.ask(cmd="start", scenario=scenario.name)
        if answer.get("ok"):
            results[impl] = {"info": answer["info"], "rounds": []}
            active.append(impl)
        else:
            results[impl] = {k: v for k, v in answer.items() if k != "ok"}
            progress(f"{index} {scenario.name}: {impl} failed to start")
            if "error" in answer:
                progress(answer["error"])
    for r in range(rounds):
        shown: dict[str, str] = {}
        # A B C, B C A, C A B, ...: nobody always runs right after a peer.
        shift = r % len(active) if active else 0
        for impl in active[shift:] + active[:shift]:
            answer = workers[impl].ask(cmd="round")
            if not answer.get("ok"):
                results[impl] = {"error": answer.get("error", "?")}
                active.remove(impl)
                progress(f"{index} {scenario.name}: {impl} failed\n{answer['error']}")
                continue
            results[impl]["rounds"].append(answer["metrics"])
            first = scenario.metrics[0]
            value = human(answer["metrics"][first.key], first.unit)
            shown[impl] = f"{IMPL_TITLES[impl]} {value}"

        if ceiling:
            ceilings.append(aes_gcm_ceiling())
            if "ceiling_mb_per_s" in ceilings[-1]:
                value = human(ceilings[-1]["ceiling_mb_per_s"])
                shown["ceiling"] = f"ceiling {value}"
        unit = scenario.metrics[0].unit
        progress(
            f"{index} {scenario.name} round {r + 1}/{rounds}: "
            + ", ".join(shown[i] for i in (*IMPLS, "ceiling") if i in shown)
            + f" {unit}"
        )
    for impl in active:
        workers[impl].ask(cmd="stop")
        done = results[impl]["rounds"]
        keys = done[0].keys() if done else ()
        results[impl]["median"] = {
            k: statistics.median(r[k] for r in done) for k in keys
        }
    entry = {
        "title": scenario.title,
        "metrics": [m.__dict__ for m in scenario.metrics],
        "results": results,
    }
    if ceilings:
        entry["ceiling"] = summarize_ceiling(ceilings)
    return entry


def summarize_ceiling(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """One ceiling from per-round ``openssl speed`` runs (median, and all)."""
    figures = [m["ceiling_mb_per_s"] for m in measured if "ceiling_mb_per_s" in m]
    if len(figures) != len(measured):
        return next(m for m in measured if "ceiling_mb_per_s" not in m)
    summary = dict(measured[-1])
    summary["ceiling_mb_per_s"] = statistics.median(figures)
    summary["aes_256_gcm_16k_mb_per_s"] = 2 * summary["ceiling_mb_per_s"]
    summary["rounds"] = figures
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark this project against pyOpenSSL 26.4 and ssl."
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds: tiny sizes, one round, ours + stdlib only",
    )
    parser.add_argument(
        "--impls",
        help=f"comma-separated subset of {','.join(IMPLS)} "
        "(default: all; with --smoke: ours,stdlib)",
    )
    parser.add_argument(
        "--scenarios",
        help="comma-separated scenario names (default: all): "
        + ",".join(s.name for s in SCENARIOS),
    )
    parser.add_argument("--rounds", type=int, help="override rounds per scenario")
    parser.add_argument("--json", type=Path, help="where to write the JSON results")
    parser.add_argument(
        "--venv",
        type=Path,
        default=REPO / ".bench-venv",
        help="pyOpenSSL's virtualenv (created if missing)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    if args.impls:
        impls = [i.strip() for i in args.impls.split(",") if i.strip()]
    else:
        impls = ["ours", "stdlib"] if args.smoke else list(IMPLS)
    unknown = set(impls) - set(IMPLS)
    if unknown:
        progress(f"bench: unknown implementation(s): {', '.join(sorted(unknown))}")
        return 2
    impls = [i for i in IMPLS if i in impls]
    names = [s.name for s in SCENARIOS]
    if args.scenarios:
        wanted = [n.strip() for n in args.scenarios.split(",") if n.strip()]
        bad = [n for n in wanted if n not in names]
        if bad:
            progress(f"bench: unknown scenario(s): {', '.join(bad)}")
            return 2
        names = [n for n in names if n in wanted]
    scenarios = [s for s in SCENARIOS if s.name in names]

    pythons = {i: sys.executable for i in impls}
    facts: dict[str, Any] = {}
    if "pyopenssl" in impls:
        try:
            pythons["pyopenssl"] = str(ensure_pyopenssl_venv(args.venv))
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            progress(f"bench: pyOpenSSL is unavailable: {exc}")
            facts["pyopenssl"] = {"skip": f"pyOpenSSL virtualenv failed: {exc}"}
            impls.remove("pyopenssl")

    doc: dict[str, Any] = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "mode": "smoke" if args.smoke else "full",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "ceiling": None,
        "impls": facts,
        "scenarios": {},
    }

    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-certs-") as tmp:
        certs = Path(tmp)
        write_certs(certs)
        progress(f"bench: starting workers: {', '.join(impls)}")
        shared, hellos = start_workers(impls, pythons, certs, args.smoke)
        facts.update(hellos)
        for impl, fact in hellos.items():
            if "error" in fact:
                failed = True
                progress(f"bench: {impl} worker failed to start:\n{fact['error']}")
            elif "skip" in fact:
                progress(f"bench: {impl} skipped: {fact['skip']}")
        try:
            for n, scenario in enumerate(scenarios, 1):
                rounds = args.rounds or (1 if args.smoke else scenario.rounds)
                index = f"[{n}/{len(scenarios)}]"
                wanted = [i for i in shared if i in scenario.impls]
                # The ceiling is measured in every bulk round (1 s each), so
                # that ours/ceiling pairs figures taken moments apart.
                ceiling = scenario.notes == "ceiling" and not args.smoke
                if scenario.fresh_process:
                    fresh, _ = start_workers(wanted, pythons, certs, args.smoke)
                    try:
                        entry = run_scenario(scenario, fresh, rounds, index, ceiling)
                    finally:
                        for w in fresh.values():
                            w.close()
                else:
                    entry = run_scenario(scenario, shared, rounds, index, ceiling)
                for impl in scenario.impls:
                    if impl in facts and impl not in shared:
                        reason = facts[impl].get("skip") or "worker failed to start"
                        entry["results"][impl] = {"skip": reason}
                failed |= any("error" in r for r in entry["results"].values())
                doc["scenarios"][scenario.name] = entry
                if "ceiling" in entry:
                    doc["ceiling"] = entry.pop("ceiling")
        finally:
            for w in shared.values():
                w.close()

    doc["targets"] = [] if args.smoke else evaluate_targets(doc)
    doc["seconds"] = round(time.monotonic() - started, 1)
    path = args.json or HERE / "results" / (
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S") + ".json"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")

    print(header(doc))
    print(table(doc, [i for i in IMPLS if i in facts or i in impls]))
    print()
    if args.smoke:
        print("Smoke run: tiny sizes, targets not evaluated.")
    else:
        print(targets_text(doc["targets"]))
    print(f"\nJSON: {path}  ({doc['seconds']} s)")
    return 1 if failed else 0


def header(doc: dict[str, Any]) -> str:
    lines = [
        f"pyopenssl-ng benchmark ({doc['mode']}), {doc['timestamp']}",
        f"machine: {doc['machine']['platform']}, {doc['machine']['cpus']} CPUs",
    ]
    for impl, fact in doc["impls"].items():
        if "openssl" in fact:
            where = fact.get("module", "")
            lines.append(
                f"  {IMPL_TITLES[impl]:<10} python {fact['python']}, "
                f"{fact['openssl']}, cryptography {fact['cryptography']}"
                + (f", {where}" if impl in ("ours", "pyopenssl") else "")
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
