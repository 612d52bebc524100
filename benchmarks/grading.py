"""Grading accuracy, latency and throughput on the public corpora, through batch mode
(`check --batch`).

Prints, for each corpus and for all together, accuracy (verdict and diagnosis both as expected)
and per-case latency, median and p95, measured inside one batch run on one worker so interpreter
start-up is excluded; then the throughput of all the corpora in one batch, on one worker and on
one a core (each worker starts cold, as a real batch does).

    .venv/bin/python benchmarks/grading.py [tests/data/check_corpus.jsonl ...]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from backprop_coach.grading.sandbox import default_jobs
from backprop_coach.grading.service import check_batch

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def run(path: Path) -> tuple[int, list[str], list[float]]:
    """(cases, misses, latencies in ms) for one corpus file."""
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = [(i, json.dumps(c)) for i, c in enumerate(cases, start=1)]
    latencies: list[float] = []
    misses: list[str] = []
    results = check_batch(iter(lines))
    for case in cases:
        start = time.perf_counter()
        result = next(results)
        latencies.append((time.perf_counter() - start) * 1000)
        expected = case["expect"]
        if (result["verdict"], result["diagnosis"]) != (expected["verdict"], expected["diagnosis"]):
            misses.append(f"{case['id']}: got {result['verdict']}/{result['diagnosis']}")
    return len(cases), misses, latencies


def line(name: str, count: int, misses: list[str], ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    right = count - len(misses)
    return (
        f"{name:24} {count:4} cases  accuracy {right}/{count} = {100 * right / count:5.1f}%  "
        f"median {statistics.median(ms):5.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"
    )


def main() -> int:
    paths = [Path(p) for p in sys.argv[1:]] or sorted(DATA.glob("*_corpus.jsonl"))
    total, all_misses, all_ms = 0, [], []
    for path in paths:
        count, misses, ms = run(path)
        print(line(path.stem, count, misses, ms))
        total, all_misses, all_ms = total + count, all_misses + misses, all_ms + ms
    if len(paths) > 1:
        print(line("all", total, all_misses, all_ms))
    lines = [text for path in paths for text in path.read_text().splitlines() if text.strip()]
    for jobs in sorted({1, default_jobs()}):
        start = time.perf_counter()
        count = sum(1 for _ in check_batch(enumerate(lines, start=1), jobs=jobs))
        seconds = time.perf_counter() - start
        print(
            f"throughput, {jobs} worker(s): {count} cases in {seconds:.1f} s = {count / seconds:.0f} cases/s"
        )
    for miss in all_misses:
        print("  miss", miss)
    return 1 if all_misses else 0


if __name__ == "__main__":
    raise SystemExit(main())
