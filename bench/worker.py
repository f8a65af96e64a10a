"""One implementation's benchmark process.

Run by ``run.py``, one process per implementation, with the interpreter
that has that implementation (the repo's ``.venv`` for ``ours``,
``stdlib`` and ``compat``; the bench virtualenv for ``pyopenssl``).

Standalone, it runs one scenario and prints one JSON document::

    python bench/worker.py --impl ours --scenario small_records --rounds 5

With ``--serve`` it answers JSON-line commands on stdin, one JSON line on
stdout each, so the parent can interleave rounds across processes:

``{"cmd": "start", "scenario": NAME}``
    set up and warm up; replies ``{"ok": true, "info": {...}}``;
``{"cmd": "round"}``
    one round; replies ``{"ok": true, "metrics": {...}}``;
``{"cmd": "stop"}``
    tear the scenario down.

On failure a reply is ``{"ok": false, "error": "<traceback>"}``, or
``{"ok": false, "skip": "<reason>"}`` when the implementation is absent.
The first line a serving worker prints is its hello (library facts).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, TextIO

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

if str(HERE) not in sys.path:  # pragma: no cover - run as a script it is
    sys.path.insert(0, str(HERE))
if os.environ.get("BENCH_IMPL") == "pyopenssl" or "pyopenssl" in sys.argv:
    # The pyOpenSSL worker must never see this repo's ``src``.
    sys.path[:] = [p for p in sys.path if not p.startswith(str(REPO / "src"))]

from certs import cert_files_in, write_certs  # noqa: E402
from common import Env  # noqa: E402
from scenarios import FULL, SMOKE  # noqa: E402


class Skip(Exception):
    """The implementation is not available in this interpreter."""


def load_impl(impl: str) -> Any:
    """Import the scenario module for ``impl`` and check it is the right one."""
    if impl in ("ours", "pyopenssl"):
        try:
            import OpenSSL
        except ImportError as exc:
            if impl == "pyopenssl":
                raise RuntimeError(f"expected pyOpenSSL, import failed: {exc}") from exc
            raise

        title = getattr(OpenSSL, "__title__", "?")
        where = str(Path(OpenSSL.__file__ or "?").resolve())
        if impl == "pyopenssl":
            if title != "pyOpenSSL" or where.startswith(str(REPO / "src")):
                raise RuntimeError(f"expected pyOpenSSL, imported {title} at {where}")
        elif title == "pyOpenSSL":
            raise RuntimeError(f"expected this project, imported pyOpenSSL at {where}")
        import impl_openssl

        return impl_openssl

    import impl_stdlib

    if impl == "compat":
        try:
            from OpenSSL import ssl_compat
        except ImportError as exc:
            raise Skip(f"OpenSSL.ssl_compat is not importable ({exc})") from exc
        impl_stdlib.use_module(ssl_compat)
    elif impl != "stdlib":
        raise ValueError(f"unknown implementation {impl!r}")
    return impl_stdlib


def hello(module: Any) -> dict[str, Any]:
    import cryptography

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "cryptography": cryptography.__version__,
        **module.library_info(),
    }


class Worker:
    def __init__(self, impl: str, env: Env) -> None:
        self.impl = impl
        self.env = env
        self.module = load_impl(impl)
        self.current: Any = None

    def start(self, scenario: str) -> dict[str, Any]:
        self.stop()
        try:
            func = self.module.SCENARIOS[scenario]
        except KeyError:
            raise ValueError(f"unknown scenario {scenario!r}") from None
        self.current = func(self.env)
        info = next(self.current)
        return dict(info)

    def round(self) -> dict[str, float]:
        if self.current is None:
            raise RuntimeError("no scenario started")
        return dict(next(self.current))

    def stop(self) -> None:
        if self.current is not None:
            current, self.current = self.current, None
            current.close()


def reply(out: TextIO, **fields: Any) -> None:
    out.write(json.dumps(fields) + "\n")
    out.flush()


def failure() -> dict[str, Any]:
    return {"ok": False, "error": traceback.format_exc()}


def serve(worker_factory: Any, out: TextIO) -> int:
    try:
        worker = worker_factory()
    except Skip as exc:
        reply(out, ok=False, skip=str(exc))
        return 0
    except Exception:
        reply(out, **failure())
        return 1
    reply(out, ok=True, hello=hello(worker.module))
    for line in sys.stdin:
        command = json.loads(line)
        cmd = command.get("cmd")
        try:
            if cmd == "start":
                reply(out, ok=True, info=worker.start(command["scenario"]))
            elif cmd == "round":
                reply(out, ok=True, metrics=worker.round())
            elif cmd == "stop":
                worker.stop()
                reply(out, ok=True)
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception:
            worker.current = None
            reply(out, **failure())
    worker.stop()
    return 0


def profiled(worker: Worker, rounds: int, path: Path) -> list[dict[str, float]]:
    """Run the rounds under cProfile; save the stats, print the top to stderr."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    done = []
    for _ in range(rounds):
        profiler.enable()
        try:
            done.append(worker.round())
        finally:
            profiler.disable()
    profiler.dump_stats(str(path))
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(25)
    return done


def standalone(
    worker_factory: Any,
    scenario: str,
    rounds: int,
    out: TextIO,
    profile: Path | None = None,
) -> int:
    doc: dict[str, Any] = {"scenario": scenario}
    try:
        worker = worker_factory()
        doc["impl"] = worker.impl
        doc["hello"] = hello(worker.module)
        doc["info"] = worker.start(scenario)
        if profile is None:
            doc["rounds"] = [worker.round() for _ in range(rounds)]
        else:
            doc["rounds"] = profiled(worker, rounds, profile)
        worker.stop()
    except Skip as exc:
        doc["skip"] = str(exc)
        reply(out, **doc)
        return 0
    except Exception:
        doc.update(failure())
        reply(out, **doc)
        return 1
    keys = doc["rounds"][0].keys() if doc["rounds"] else ()
    doc["median"] = {k: statistics.median(r[k] for r in doc["rounds"]) for k in keys}
    reply(out, **doc)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--impl", required=True, choices=("ours", "pyopenssl", "stdlib", "compat")
    )
    parser.add_argument("--scenario", help="run this scenario and print JSON")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    parser.add_argument("--certs", type=Path, help="directory from run.py")
    parser.add_argument("--serve", action="store_true", help="JSON-line protocol")
    parser.add_argument(
        "--profile",
        type=Path,
        help="with --scenario: run the rounds under cProfile, save stats here",
    )
    args = parser.parse_args(argv)
    if not args.serve and not args.scenario:
        parser.error("give --scenario NAME, or --serve")

    # Replies go to the real stdout; anything else printed goes to stderr.
    out = sys.stdout
    sys.stdout = sys.stderr

    with tempfile.TemporaryDirectory(prefix="bench-certs-") as tmp:
        certs = cert_files_in(args.certs) if args.certs else write_certs(Path(tmp))
        env = Env(certs=certs, sizes=SMOKE if args.smoke else FULL)

        def factory() -> Worker:
            return Worker(args.impl, env)

        if args.serve:
            return serve(factory, out)
        return standalone(factory, args.scenario, args.rounds, out, args.profile)


if __name__ == "__main__":
    sys.exit(main())
