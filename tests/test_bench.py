"""Smoke test of bench/ (`make bench`): a tiny run still starts, completes, and writes its JSON.

CI does not run the benchmark itself and no timing is asserted here: only that the machinery
(gunicorn from the Procfile, the fakes, the load generator, the report) keeps working.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_quick_bench_run_completes_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "result.json"

    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert {"config", "ready", "runs", "ratios", "budgets", "errors", "ok"} <= report.keys()
    assert report["ok"] and report["errors"] == 0
    assert [(run["target"], run["bunce_latency_ms"]) for run in report["runs"]] == [
        ("baseline", None),
        ("ours", 0),
    ]
    for run in report["runs"]:
        for kind in ("command", "submission"):
            assert {"count", "rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors"} <= run[
                kind
            ].keys()
            assert run[kind]["ok"] > 0
        assert run["views_open"]["count"] > 0
        assert run["memory"]["workers_mb"]
    ours = report["runs"][1]
    assert ours["announcement"]["count"] == ours["announcement"]["sent"] > 0
    assert report["ready"]["median_s"] is not None
    # Issue 15's targets, each printed with its value and verdict, and kept in the report.
    assert "Targets (issue 15" in result.stdout
    names = [b["budget"] for b in report["budgets"]]
    assert any(name.startswith("submission throughput >= 0.7x") for name in names)
    for target in report["budgets"]:
        verdict = "PASS" if target["pass"] else "FAIL"
        assert f"{verdict}  {target['budget']}" in result.stdout
