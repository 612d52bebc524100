"""Grading accuracy and latency on the public corpus, through batch mode (`check --batch`).

Prints accuracy (verdict and diagnosis both as expected) and per-case latency, median and p95,
measured inside one batch run so interpreter start-up is excluded.

    .venv/bin/python benchmarks/grading.py [tests/data/check_corpus.jsonl]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from backprop_coach.grading.service import check_batch

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "check_corpus.jsonl"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = [(i, json.dumps(c)) for i, c in enumerate(cases, start=1)]
    latencies: list[float] = []
    misses: list[str] = []
    results = check_batch(iter(lines))
    for case in cases:
        start = time.perf_counter()
        result = next(results)
        latencies.append(time.perf_counter() - start)
        expected = case["expect"]
        if (result["verdict"], result["diagnosis"]) != (expected["verdict"], expected["diagnosis"]):
            misses.append(f"{case['id']}: got {result['verdict']}/{result['diagnosis']}")
    latencies.sort()
    ms = [t * 1000 for t in latencies]
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    right = len(cases) - len(misses)
    print(f"cases: {len(cases)}")
    print(f"accuracy: {right}/{len(cases)} = {100 * right / len(cases):.1f}%")
    print(
        f"latency per case: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"
    )
    for miss in misses:
        print("  miss", miss)
    return 1 if misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
