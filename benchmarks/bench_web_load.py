"""Benchmark: the workbench under load, MM-003 (455 patients) on SQLite (issue 14, decision 1009).

1. Prepares, in a temporary folder, a SQLite database holding the MM-003 study the way the CLI
   simulates it (``plasmatrial simulate-data examples/trials/mm_pom_lodex_vs_hidex.yaml``, seed
   20240601): DM, LB, EX and RS uploaded and their responses computed through the workbench's own
   services (``services.accept_upload``, ``services.compute_responses``, as the demo study is),
   plus ``--users`` reviewer accounts, members of the study.
2. Starts a real server, ``plasmatrial serve --no-demo --host 127.0.0.1`` (never another address),
   with ``--workers`` worker processes, and waits for ``/healthz``.
3. Logs every user in through the login form (httpx; one session each) and drives ``--users``
   concurrent clients (asyncio, one keep-alive HTTP/1.1 connection each, leaner than httpx so
   that the client leaves the two cores to the server; no think time unless ``--think``) for
   ``--duration`` seconds: each request is the patient page of a random patient (of those with
   response calls) or the first page of the review queue, half and half.
4. Prints, per page, requests/s and p50/p95/p99 latency (ms), the server's CPU seconds per
   request (all its processes, from ``/proc``), the client's CPU, and the load average before
   and after; ``--json`` writes the same as JSON. Target: p95 < 200 ms for both pages at 20 users.

Everything is bounded in time (the server is stopped at the end, or after a failure) and bound to
127.0.0.1. ``--subjects N`` loads the first N patients only (a quick run: ``--subjects 40
--duration 5``).

Usage: PYTHONPATH=src python benchmarks/bench_web_load.py [--duration 30] [--users 20]
       [--workers 2] [--think 0] [--subjects N] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
SRC: Final = ROOT / "src"
HOST: Final = "127.0.0.1"  # the benchmark never listens anywhere else
TRIAL: Final = "mm_pom_lodex_vs_hidex.yaml"  # MM-003
STUDY: Final = "MM-003 (simulated, load benchmark)"
SEED: Final = 20240601  # plasmatrial simulate-data's default
ADMIN: Final = "benchadmin"
PASSWORD: Final = "bench-password-1"
CSRF_RE: Final = re.compile(r'name="csrf" value="([^"]+)"')
CLI: Final = "from plasmatrial.cli.app import main; main()"
SESSION_COOKIE: Final = "plasmatrial_session"
PAGES: Final = ("patient", "queue")
CLK_TCK: Final = os.sysconf("SC_CLK_TCK")


@dataclass
class Prepared:
    """What the prepared database holds."""

    db: Path
    data_dir: Path
    study_id: int
    patients: list[str]
    queue_items: int
    calls: int
    users: list[str]
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (wall, cpu)
    enrolled: int = 0  # DM subjects (those without a post-baseline call have no patient page)


def _timed(timings: dict[str, tuple[float, float]], step: str, t0: float, c0: float) -> None:
    timings[step] = (time.perf_counter() - t0, time.process_time() - c0)


def prepare(folder: Path, n_users: int, n_subjects: int | None) -> Prepared:
    """The database with MM-003 loaded and computed, an admin and ``n_users`` reviewers."""
    import polars as pl
    from sqlalchemy import func, select

    from plasmatrial import api
    from plasmatrial.synth import simulate_trial_data
    from plasmatrial.web import services
    from plasmatrial.web.db import make_engine, session_factory, transaction, upgrade
    from plasmatrial.web.models import ResponseCall, User

    timings: dict[str, tuple[float, float]] = {}
    db, data_dir = folder / "bench.db", folder / "data"
    data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    factory = session_factory(engine)
    t0, c0 = time.perf_counter(), time.process_time()
    services.ensure_admin(factory, ADMIN, PASSWORD)
    users = [f"reviewer{i:02d}" for i in range(n_users)]
    with transaction(factory) as session:
        admin = session.scalar(select(User).where(User.username == ADMIN))
        assert admin is not None
        study = services.create_study(session, admin, STUDY, TRIAL)
        for name in users:
            services.create_user(session, admin, name, PASSWORD)
            session.flush()
            services.add_member(session, admin, study, name, "reviewer")
        study_id = study.id
    _timed(timings, "accounts (argon2 hashes)", t0, c0)

    t0, c0 = time.perf_counter(), time.process_time()
    data = simulate_trial_data(api.read_trial(services.seed_trials()[TRIAL]), seed=SEED)
    _timed(timings, "simulate MM-003", t0, c0)
    keep = data.dm.get_column("USUBJID")
    if n_subjects is not None:
        keep = keep.head(n_subjects)
    staging = data_dir / "staging" / secrets.token_hex(16)
    staging.mkdir(parents=True)
    staged = {}
    for domain in ("DM", "LB", "EX", "RS", "AE"):
        frame: pl.DataFrame = getattr(data, domain.lower())
        path = staging / f"{domain.lower()}.csv"
        frame.filter(pl.col("USUBJID").is_in(keep.implode())).write_csv(path)
        staged[domain] = (f"mm003_{domain.lower()}.csv", path)
    t0, c0 = time.perf_counter(), time.process_time()
    outcome = services.accept_upload(factory, data_dir, study_id, admin, staged, staging)
    _timed(timings, "upload (validate, hash, store)", t0, c0)
    if outcome.version is None:
        raise SystemExit(f"MM-003 data refused: {outcome.problems[:3]}")
    t0, c0 = time.perf_counter(), time.process_time()
    run = services.compute_responses(factory, study, outcome.version, admin)
    _timed(timings, "compute responses", t0, c0)
    with factory() as session:
        patients = list(
            session.scalars(
                select(ResponseCall.usubjid).where(ResponseCall.run_id == run.id).distinct()
            )
        )
        queued = session.scalar(
            select(func.count(ResponseCall.id)).where(
                ResponseCall.run_id == run.id, ResponseCall.queue_reason.is_not(None)
            )
        )
    engine.dispose()
    return Prepared(db, data_dir, study_id, sorted(patients), int(queued or 0), run.n_calls,
                    users, timings, keep.len())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(prep: Prepared, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``plasmatrial serve`` on ``prep``'s database, 127.0.0.1 only."""
    env = {k: v for k, v in os.environ.items() if k != "PLASMATRIAL_DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env.pop("PLASMATRIAL_ADMIN_USER", None)
    args = [
        sys.executable, "-c", CLI, "serve", "--db", str(prep.db), "--data-dir",
        str(prep.data_dir), "--host", HOST, "--port", str(port), "--no-demo",
    ]
    if workers != 1:
        args += ["--workers", str(workers)]
    with log.open("wb") as fh:
        return subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Until ``/healthz`` answers (SystemExit when the server died or never answered)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL after 15 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(c for c, pp in parents.items() if pp == p)
    return out


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the server's processes so far."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


@dataclass
class Measured:
    """Per page the latencies (s) of successful requests and the failures; the wall time (s),
    the server's and this process's CPU seconds over the load (logins excluded)."""

    latencies: dict[str, list[float]]
    failures: dict[str, int]
    wall: float
    server_cpu: float
    client_cpu: float


class Connection:
    """One user's keep-alive HTTP/1.1 connection to the server: GET with the session cookie,
    read the whole body. Leaner than httpx (which logs the users in), so that the load
    generator, on the same two cores, leaves the CPU to the server."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def _request(self, path: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(HOST, self.port)
        reader, writer = self.streams
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
            f"Cookie: {SESSION_COOKIE}={self.cookie}\r\n\r\n".encode("ascii")
        )
        await writer.drain()
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        headers = {
            k.strip().lower(): v.strip()
            for k, v in (line.split(":", 1) for line in head[1:] if ":" in line)
        }
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def get(self, path: str) -> int:
        """The response's status (one reconnection when the server closed an idle connection)."""
        try:
            return await self._request(path)
        except (OSError, asyncio.IncompleteReadError):
            await self.close()
            return await self._request(path)

    async def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        if self.streams is not None:
            writer = self.streams[1]
            self.streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def log_in(base: str, users: list[str]) -> list[str]:
    """Each user's session cookie, logged in through the login form (httpx)."""
    import httpx

    cookies = []
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as client:
        for name in users:
            client.cookies.clear()
            form = await client.get("/login")
            match = CSRF_RE.search(form.text)
            assert match, "no CSRF token on /login"
            r = await client.post(
                "/login", data={"username": name, "password": PASSWORD, "csrf": match.group(1)}
            )
            cookie = r.cookies.get(SESSION_COOKIE)
            if r.status_code != 303 or not cookie:
                raise SystemExit(f"login of {name} failed: {r.status_code}")
            cookies.append(cookie)
    return cookies


async def drive(
    base: str, port: int, prep: Prepared, duration: float, think: float, seed: int,
    server_pid: int,
) -> Measured:
    """Log every user in, then ``len(users)`` clients for ``duration`` seconds."""
    rng = random.Random(seed)
    cookies = await log_in(base, prep.users)
    connections = [Connection(port, c) for c in cookies]
    latencies: dict[str, list[float]] = {p: [] for p in PAGES}
    failures: dict[str, int] = dict.fromkeys(PAGES, 0)
    try:
        print(f"{len(connections)} users logged in; {duration:.0f} s of load", flush=True)
        # one warm-up request per page and user, outside the measurement
        for conn in connections:
            for path in (f"/studies/{prep.study_id}/queue",
                         f"/studies/{prep.study_id}/patients/{prep.patients[0]}"):
                if (status := await conn.get(path)) != 200:
                    raise SystemExit(f"warm-up {path}: HTTP {status}")
        cpu0, ccpu0 = server_cpu(server_pid), time.process_time()
        start = time.perf_counter()
        stop = start + duration

        async def user(conn: Connection, r: random.Random) -> None:
            while time.perf_counter() < stop:
                page = r.choice(PAGES)
                path = (
                    f"/studies/{prep.study_id}/queue"
                    if page == "queue"
                    else f"/studies/{prep.study_id}/patients/{r.choice(prep.patients)}"
                )
                t0 = time.perf_counter()
                try:
                    ok = await conn.get(path) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    await conn.close()
                if ok:
                    latencies[page].append(time.perf_counter() - t0)
                else:
                    failures[page] += 1
                if think:
                    await asyncio.sleep(r.expovariate(1.0 / think))

        await asyncio.gather(
            *(user(c, random.Random(rng.random())) for c in connections)
        )
        wall = time.perf_counter() - start
        cpu, ccpu = server_cpu(server_pid) - cpu0, time.process_time() - ccpu0
    finally:
        for c in connections:
            await c.close()
    return Measured(latencies, failures, wall, cpu, ccpu)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (20)")
    parser.add_argument("--workers", type=int, default=2,
                        help="server worker processes, plasmatrial serve --workers (2)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean think time between a user's requests, s (0: none)")
    parser.add_argument("--subjects", type=int, default=None, help="first N patients only")
    parser.add_argument("--seed", type=int, default=1, help="random page choice seed")
    parser.add_argument("--keep", type=Path, default=None,
                        help="prepare into / reuse this folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    # run by benchmarks/run_all.py (runpy): its arguments name benchmarks, not options
    own = Path(sys.argv[0]).resolve() == Path(__file__).resolve()
    opts = parser.parse_args(sys.argv[1:] if own else [])
    if not 0 < opts.duration <= 600:
        parser.error("--duration must be in (0, 600] seconds")
    sys.path.insert(0, str(SRC))

    tmp = Path(tempfile.mkdtemp(prefix="plasmatrial-webload-")) if opts.keep is None else None
    folder = opts.keep or tmp
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "prepared.json"
    load0 = os.getloadavg()
    try:
        if cache.is_file():
            raw = json.loads(cache.read_text())
            prep = Prepared(**{**raw, "db": Path(raw["db"]), "data_dir": Path(raw["data_dir"])})
            print(f"reusing {folder}")
        else:
            print(f"preparing MM-003 in {folder} ...", flush=True)
            prep = prepare(folder, opts.users, opts.subjects)
            cache.write_text(json.dumps({**prep.__dict__, "db": str(prep.db),
                                         "data_dir": str(prep.data_dir)}))
        if len(prep.users) < opts.users:
            raise SystemExit(f"{folder} was prepared for {len(prep.users)} users")
        prep.users = prep.users[: opts.users]
        for step, (w, c) in prep.timings.items():
            print(f"  {step:32s} {w:7.2f} s wall {c:7.2f} s CPU")
        print(f"  {prep.enrolled} patients enrolled, {len(prep.patients)} with response calls "
              f"(the patient pages requested), {prep.calls} calls, {prep.queue_items} in the "
              f"review queue")
        port = _free_port()
        base = f"http://{HOST}:{port}"
        proc = start_server(prep, port, opts.workers, folder / "server.log")
        try:
            try:
                wait_healthy(base, proc)
            except SystemExit:
                print((folder / "server.log").read_text(errors="replace")[-3000:])
                raise
            m = asyncio.run(
                drive(base, port, prep, opts.duration, opts.think, opts.seed, proc.pid)
            )
        finally:
            stop_server(proc)
        load1 = os.getloadavg()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    latencies, failures, wall, cpu, client_cpu = (
        m.latencies, m.failures, m.wall, m.server_cpu, m.client_cpu
    )
    total = sum(len(v) for v in latencies.values())
    result: dict[str, Any] = {
        "users": opts.users, "workers": opts.workers, "think_s": opts.think,
        "duration_s": round(wall, 2), "enrolled": prep.enrolled,
        "patients_with_calls": len(prep.patients),
        "queue_items": prep.queue_items, "requests": total,
        "requests_per_s": round(total / wall, 1),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_request": round(1000 * cpu / max(total, 1), 2),
        "client_cpu_s": round(client_cpu, 2),
        "loadavg_before": [round(x, 2) for x in load0],
        "loadavg_after": [round(x, 2) for x in load1],
        "cpus": os.cpu_count(),
        "pages": {},
    }
    print(f"\n{opts.users} users, {opts.workers} worker(s), think {opts.think} s, "
          f"{wall:.1f} s, {os.cpu_count()} CPUs")
    print(f"{'page':8s} {'requests':>8s} {'req/s':>7s} {'p50 ms':>8s} {'p95 ms':>8s} "
          f"{'p99 ms':>8s} {'mean ms':>8s} {'failed':>6s}")
    for page in PAGES:
        lat = latencies[page]
        row = {
            "requests": len(lat), "requests_per_s": round(len(lat) / wall, 1),
            "p50_ms": round(_pct(lat, 50), 1), "p95_ms": round(_pct(lat, 95), 1),
            "p99_ms": round(_pct(lat, 99), 1),
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else float("nan"),
            "failed": failures[page],
        }
        result["pages"][page] = row
        print(f"{page:8s} {row['requests']:8d} {row['requests_per_s']:7.1f} {row['p50_ms']:8.1f} "
              f"{row['p95_ms']:8.1f} {row['p99_ms']:8.1f} {row['mean_ms']:8.1f} "
              f"{row['failed']:6d}")
    print(f"all      {total:8d} {total / wall:7.1f}")
    print(f"server CPU {cpu:.2f} s = {result['server_cpu_ms_per_request']:.2f} ms per request; "
          f"client CPU {client_cpu:.2f} s")
    print(f"load average before {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
          f"after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    met = all(result["pages"][p]["p95_ms"] < 200 for p in PAGES)
    print(f"target p95 < 200 ms for both pages: {'met' if met else 'NOT met'}")
    if opts.json is not None:
        opts.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
