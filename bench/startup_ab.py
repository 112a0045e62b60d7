"""Start-up of `paperkg serve` from two checkouts over one data directory, interleaved in one run: time to a healthy
`/health`, to `graph_ready`, and resident memory then, with the ratio after / before.

    .venv/bin/python bench/startup_ab.py --before DIR [--after DIR] --data DATA [--rounds 2]

`--before` is another checkout (e.g. `git worktree add /tmp/before <commit>`), `--after` this one by default. Both
open DATA with the hashing encoder; DATA must already be built for the code of both (no re-extraction in between).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._server import free_port, stop  # noqa: E402


def start(root: Path, data: Path, limit: float) -> tuple[float, float, int]:
    """Seconds to a healthy /health, seconds to graph_ready, resident MB then."""
    port = free_port()
    env = dict(os.environ, PAPERKG_MODEL="hashing", PYTHONPATH=str(root), HF_HUB_OFFLINE="1")
    began = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "paperkg", "serve", "--data", str(data), "--port", str(port)],
                              cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    healthy = ready = float("nan")
    try:
        while time.perf_counter() - began < limit:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
                    health = json.load(answer)
            except OSError:
                time.sleep(0.05)
                continue
            if math.isnan(healthy):
                healthy = time.perf_counter() - began
            if health.get("graph_ready"):
                ready = time.perf_counter() - began
                break
            time.sleep(0.05)
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss = int(status.split("VmRSS:")[1].split()[0]) // 1024
    finally:
        stop(server, timeout=60)
    return healthy, ready, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--after", type=Path, default=ROOT, help="this checkout (default)")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--limit", type=float, default=600.0, help="seconds before giving up on a start")
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float, int]]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        for label, root in (("before", args.before), ("after", args.after)):
            runs[label].append(start(root.resolve(), args.data, args.limit))
            healthy, ready, rss = runs[label][-1]
            print(f"{label}: /health {healthy:.1f} s, graph_ready {ready:.1f} s, RSS {rss} MB", flush=True)
    medians = {label: [statistics.median(r[i] for r in rows) for i in range(3)] for label, rows in runs.items()}
    print(f"\nmedians over {args.rounds} rounds   {'before':>8} {'after':>8} {'after/before':>13}")
    for i, name in enumerate(("/health (s)", "graph_ready (s)", "RSS (MB)")):
        before, after = medians["before"][i], medians["after"][i]
        print(f"{name:<28} {before:>8.1f} {after:>8.1f} {after / before:>12.2f}x")


if __name__ == "__main__":
    main()
