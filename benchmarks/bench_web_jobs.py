"""Benchmark: the workbench's worker processes on MM-003 (decision 1001).

A simulated MM-003 study (``BENCH_WEB_SUBJECTS`` patients, default all 455) is uploaded to a fresh
workbench (SQLite in a temporary folder, FastAPI's TestClient); its responses are computed by a
worker process (the compute route hands versions over 100 subjects to one), then the trial
analysis runs in another. For each job: the start request's time, wall time to ``done``, the
worker's CPU time (``RUSAGE_CHILDREN``), and the latency of ``/healthz`` plus the study page
polled meanwhile (the server must stay responsive), beside the load average.

Usage: python benchmarks/bench_web_jobs.py
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = int(os.environ.get("BENCH_WEB_SUBJECTS", "455"))
TRIAL = "mm_pom_lodex_vs_hidex.yaml"
ADMIN, PASSWORD = "admin", "bench-admin-password"


def _token(client: object, url: str) -> str:
    page = client.get(url).text  # type: ignore[attr-defined]
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, url
    return match.group(1)


def main() -> None:
    """Upload, compute responses and analyse MM-003 through worker processes; print figures."""
    sys.path.insert(0, str(ROOT / "src"))
    import polars as pl
    from fastapi.testclient import TestClient

    import plasmatrial as pt
    from plasmatrial.synth import simulate_trial_data
    from plasmatrial.web.app import create_app
    from plasmatrial.web.db import session_factory
    from plasmatrial.web.services import ensure_admin
    from plasmatrial.web.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="bench-web-jobs-"))
    try:
        trial = pt.read_trial(ROOT / "examples" / "trials" / TRIAL)
        data = simulate_trial_data(trial, seed=1)
        keep = data.dm.get_column("USUBJID").head(SUBJECTS).implode()
        files = {}
        for name in ("dm", "lb", "ex"):
            frame: pl.DataFrame = getattr(data, name)
            files[name] = tmp / f"{name}.csv"
            frame.filter(pl.col("USUBJID").is_in(keep)).write_csv(files[name])
        app = create_app(Settings(f"sqlite:///{tmp / 'web.db'}", tmp / "data", "bench-key"))
        ensure_admin(session_factory(app.state.engine), ADMIN, PASSWORD)
        client = TestClient(app)
        client.post("/login", data={"username": ADMIN, "password": PASSWORD,
                                    "csrf": _token(client, "/login")})  # fmt: skip
        r = client.post("/studies", data={"name": "MM-003", "trial_file": TRIAL,
                                          "csrf": _token(client, "/studies")},
                        follow_redirects=False)  # fmt: skip
        sid = int(r.headers["location"].rsplit("/", 1)[1])
        parts = {k: (p.name, p.read_bytes(), "text/csv") for k, p in files.items()}
        t = time.perf_counter()
        client.post(f"/studies/{sid}/uploads", data={"csrf": _token(client, f"/studies/{sid}")},
                    files=parts, follow_redirects=False)  # fmt: skip
        print(f"MM-003, {SUBJECTS} subjects: upload {time.perf_counter() - t:.1f} s")
        for kind, url in (
            ("responses", f"/studies/{sid}/versions/1/compute"),
            ("analysis", f"/studies/{sid}/versions/1/analyses"),
        ):
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            r = client.post(url, data={"csrf": _token(client, "/studies")}, follow_redirects=False)
            request_s = time.perf_counter() - t0
            job = r.headers["location"]
            assert "/analyses/" in job, f"{kind}: not run by a worker ({job})"
            latencies = []
            while True:
                t = time.perf_counter()
                client.get("/healthz")
                client.get(f"/studies/{sid}")
                latencies.append(time.perf_counter() - t)
                page = client.get(job + "/status").text
                state = re.search(r'id="job-state">(\w+)<', page)
                if state and state.group(1) in ("done", "failed"):
                    break
                time.sleep(0.5)
            wall = time.perf_counter() - t0
            while app.state.jobs.running():  # the worker is reaped: its CPU time is counted
                time.sleep(0.05)
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
            latencies.sort()
            p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
            print(
                f"{kind:<9} {state.group(1) if state else '?'}: request {request_s * 1000:.0f} ms, "
                f"wall {wall:.1f} s, worker CPU {cpu:.1f} s; /healthz + study page while it ran: "
                f"p95 {p95:.0f} ms, max {latencies[-1] * 1000:.0f} ms ({len(latencies)} polls); "
                f"load {os.getloadavg()[0]:.1f}"
            )
        app.state.engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
