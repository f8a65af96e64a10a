"""Turning rounds into the table and the target verdicts (no I/O here).

Figures are medians over rounds; ratios are medians of per-round ratios
(see :func:`paired_ratio`).
"""

from __future__ import annotations

import statistics
from typing import Any

from scenarios import BY_NAME, IMPL_TITLES, SCENARIOS, TARGETS, Target

#: Ratio columns: (label, numerator impl, denominator impl).
RATIOS = (
    ("ours/pyO", "ours", "pyopenssl"),
    ("ours/std", "ours", "stdlib"),
    ("compat/std", "compat", "stdlib"),
)


def human(value: float | None, unit: str = "") -> str:
    """A short figure: three significant digits with a k/M suffix."""
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= 10 * scale or (suffix == "M" and abs(value) >= scale):
            value /= scale
            break
    else:
        suffix = ""
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f}{suffix}"


def median_of(results: dict[str, Any], scenario: str, impl: str, key: str) -> Any:
    entry = results.get(scenario, {}).get("results", {}).get(impl, {})
    return entry.get("median", {}).get(key)


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def paired_ratio(
    results: dict[str, Any],
    scenario: str,
    num: tuple[str, str],
    den: tuple[str, str],
) -> float | None:
    """Median over rounds of ``num / den``, each pair from the same round.

    ``num`` and ``den`` are ``(impl, metric key)``. The implementations of
    one round run back to back, so a slow spell of the machine hits both
    sides of each quotient alike. Falls back to the ratio of the medians
    when the rounds do not pair up.
    """
    entries = results.get(scenario, {}).get("results", {})
    a = entries.get(num[0], {}).get("rounds")
    b = entries.get(den[0], {}).get("rounds")
    if a and b and len(a) == len(b):
        quotients = [x[num[1]] / y[den[1]] for x, y in zip(a, b) if y.get(den[1])]
        if quotients:
            return float(statistics.median(quotients))
    return ratio(median_of(results, scenario, *num), median_of(results, scenario, *den))


def ceiling_share(doc: dict[str, Any], scenario: str, impl: str = "ours") -> Any:
    """Bulk figure / ceiling: median of per-round quotients when paired."""
    ceiling = doc.get("ceiling") or {}
    if "ceiling_mb_per_s" not in ceiling:
        return None
    entry = doc["scenarios"].get(scenario, {}).get("results", {}).get(impl, {})
    mine = [r["mb_per_s"] for r in entry.get("rounds", [])]
    theirs = ceiling.get("rounds", [])
    if mine and len(mine) == len(theirs):
        return statistics.median(a / b for a, b in zip(mine, theirs))
    return ratio(
        median_of(doc["scenarios"], scenario, impl, "mb_per_s"),
        ceiling["ceiling_mb_per_s"],
    )


def table(doc: dict[str, Any], impls: list[str]) -> str:
    """The readable table: one row per metric, medians and ratios."""
    results = doc["scenarios"]
    cols = [i for i in ("ours", "pyopenssl", "stdlib", "compat") if i in impls]
    ratio_cols = [r for r in RATIOS if r[1] in cols and r[2] in cols]
    head = ["scenario / metric", "unit"]
    head += [IMPL_TITLES[i] for i in cols] + [r[0] for r in ratio_cols]
    rows: list[list[str]] = []
    notes: list[str] = []
    for scenario in SCENARIOS:
        if scenario.name not in results:
            continue
        entry = results[scenario.name]
        rows.append([f"{scenario.name}: {scenario.title}"])
        for metric in scenario.metrics:
            unit = metric.unit + ("" if metric.higher_is_better else " (lower=better)")
            row = [f"  {metric.label}", unit]
            values = {}
            for impl in cols:
                res = entry["results"].get(impl)
                if res is None:
                    row.append("")
                elif "skip" in res:
                    row.append("skip")
                    note = f"{scenario.name}/{IMPL_TITLES[impl]}: {res['skip']}"
                    if note not in notes:
                        notes.append(note)
                elif "error" in res:
                    row.append("ERROR")
                else:
                    values[impl] = res["median"].get(metric.key)
                    row.append(human(values[impl], metric.unit))
            for _, num, den in ratio_cols:
                if num in values and den in values:
                    value = paired_ratio(
                        results, scenario.name, (num, metric.key), (den, metric.key)
                    )
                else:
                    value = None
                row.append(human(value, "x"))
            rows.append(row)
        if scenario.notes == "ceiling" and doc.get("ceiling"):
            ceiling = doc["ceiling"]
            if "ceiling_mb_per_s" in ceiling:
                share = ceiling_share(doc, scenario.name)
                text = f"; ours {share * 100:.0f}% of it" if share is not None else ""
                rows.append(
                    [
                        "  ceiling: openssl speed aes-256-gcm 16 KiB / 2 "
                        f"= {ceiling['ceiling_mb_per_s']:.0f} MB/s{text}"
                    ]
                )
            else:
                rows.append([f"  ceiling: {ceiling.get('note', 'unknown')}"])

    widths = [len(h) for h in head]
    for row in rows:
        if len(row) > 1:
            widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def fmt(row: list[str]) -> str:
        if len(row) == 1:
            return row[0]
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(row[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    lines = [fmt(head), "-" * len(fmt(head))]
    lines += [fmt(r) for r in rows]
    for note in notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _target_value(doc: dict[str, Any], target: Target) -> float | None:
    results = doc["scenarios"]
    metric = next(m for m in BY_NAME[target.scenario].metrics if m.key == target.metric)
    mine = (target.impl, target.metric)
    if target.peer == "ceiling":
        return ceiling_share(doc, target.scenario, target.impl)
    if target.peer.startswith("self:"):
        other = (target.impl, target.peer[5:])
    else:
        other = (target.peer, target.metric)
    if metric.higher_is_better:
        return paired_ratio(results, target.scenario, mine, other)
    return paired_ratio(results, target.scenario, other, mine)


def evaluate_targets(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with its measured ratio and verdict."""
    verdicts = []
    for target in TARGETS:
        if target.scenario not in doc["scenarios"]:
            continue
        value = _target_value(doc, target)
        peer = target.peer
        versus = (
            "the ceiling"
            if peer == "ceiling"
            else "itself"
            if peer.startswith("self:")
            else IMPL_TITLES[peer]
        )
        verdicts.append(
            {
                "scenario": target.scenario,
                "metric": target.metric,
                "impl": target.impl,
                "versus": peer,
                "text": f"{IMPL_TITLES[target.impl]} vs {versus}: {target.text}",
                "minimum": target.minimum,
                "value": value,
                "ok": None if value is None else value >= target.minimum,
            }
        )
    return verdicts


def targets_text(verdicts: list[dict[str, Any]]) -> str:
    lines = ["Targets (ratio; for memory, stdlib/ours):"]
    for v in verdicts:
        mark = {True: "PASS", False: "MISS", None: "n/a "}[v["ok"]]
        value = "-" if v["value"] is None else f"{v['value']:.2f}"
        lines.append(f"  [{mark}] {v['text']:<48} {value:>6} (need {v['minimum']})")
    return "\n".join(lines)
