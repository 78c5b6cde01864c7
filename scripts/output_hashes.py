"""Print SHA-256 hashes of the ``respond`` and ``run`` outputs, to check that a refactor changes none.

Usage (from the repository root)::

    python scripts/output_hashes.py [WORKDIR] [--src SRC]

``--src`` runs another checkout's ``src`` (e.g. the base commit, ``git archive BASE src``).

``respond``: AL on ``examples/al/*.csv`` (with and without ``--cm``-free defaults) and MM on
``tests/e2e/data/mm_imaging`` (with TU/TR). ``run``: the five seed trials of ``examples/trials``,
simulated with the default seed (``simulate-data`` then ``run``); ``results.json`` is hashed
without its provenance (git, version, time, paths), also with the rows of every table sorted
(``results.json~rows``: the EQ-5D table's visit order is not deterministic between runs of one
checkout), and every ADaM Parquet file is hashed by its frame content. Run it before and after a
change and diff the two listings.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
SRC = [ROOT / "src"]
TRIALS = ROOT / "examples" / "trials"
MM = ROOT / "tests" / "e2e" / "data" / "mm_imaging"
AL = ROOT / "examples" / "al"
#: results.json keys that vary between runs or checkouts (not outputs of the analysis).
VOLATILE = ("provenance", "git", "git_sha", "generated", "created", "version", "paths")


def cli(*args: str) -> None:
    """Run the CLI of this checkout's ``src``."""
    code = "from plasmatrial.cli.app import main; main()"
    env = {"PYTHONPATH": str(SRC[0]), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    res = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    if res.returncode != 0:
        raise SystemExit(f"plasmatrial {' '.join(args)} failed:\n{res.stderr[-3000:]}")


def frame_hash(path: Path) -> str:
    """Hash of a CSV/Parquet frame's schema and rows (independent of file metadata)."""
    df = pl.read_parquet(path) if path.suffix == ".parquet" else pl.read_csv(path)
    h = hashlib.sha256(str(df.schema).encode())
    h.update(df.write_csv().encode())
    return h.hexdigest()[:16]


def _strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _sort_rows(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sort_rows(v) for k, v in obj.items()}
    if isinstance(obj, list):
        items = [_sort_rows(v) for v in obj]
        if items and all(isinstance(v, dict) for v in items):
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return obj


def json_hash(path: Path, *, sort_rows: bool = False) -> str:
    """Hash of results.json without the provenance fields (optionally rows sorted)."""
    doc = _strip(json.loads(path.read_text(encoding="utf-8")))
    if sort_rows:
        doc = _sort_rows(doc)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def respond_hashes(work: Path) -> list[tuple[str, str]]:
    """Hashes of the per-visit and subject files of ``respond`` (AL and MM)."""
    rows = []
    al = work / "al.csv"
    cli("respond", "--dm", str(AL / "dm.csv"), "--lb", str(AL / "lb.csv"), "--ex",
        str(AL / "ex.csv"), "-o", str(al), "--show", "0")  # fmt: skip
    mm = work / "mm.csv"
    cli("respond", "--disease", "mm", "--dm", str(MM / "dm.csv"), "--lb", str(MM / "lb.csv"),
        "--ex", str(MM / "ex.csv"), "--tu", str(MM / "tu.csv"), "--tr", str(MM / "tr.csv"),
        "-o", str(mm), "--show", "0")  # fmt: skip
    for p in (al, mm):
        rows.append((f"respond/{p.name}", frame_hash(p)))
        subj = p.with_name(f"{p.stem}.subjects{p.suffix}")
        rows.append((f"respond/{subj.name}", frame_hash(subj)))
    return rows


def run_hashes(work: Path) -> list[tuple[str, str]]:
    """Hashes of results.json (no provenance) and every Parquet file of ``run``, per seed trial."""
    rows = []
    for trial in sorted(TRIALS.glob("*.yaml")):
        data, out = work / trial.stem / "data", work / trial.stem / "out"
        cli("simulate-data", str(trial), "--out", str(data))
        cli("run", str(trial), "--data", str(data), "--out", str(out))
        rows.append((f"run/{trial.stem}/results.json", json_hash(out / "results.json")))
        rows.append(
            (f"run/{trial.stem}/results.json~rows", json_hash(out / "results.json", sort_rows=True))
        )
        for pq in sorted(out.rglob("*.parquet")):
            rows.append((f"run/{trial.stem}/{pq.relative_to(out)}", frame_hash(pq)))
    return rows


def main() -> None:
    """Print ``NAME HASH`` lines."""
    args = sys.argv[1:]
    if "--src" in args:
        i = args.index("--src")
        SRC[0] = Path(args[i + 1]).resolve()
        del args[i : i + 2]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args[0]) if args else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name, digest in [*respond_hashes(work), *run_hashes(work)]:
            print(f"{name} {digest}")


if __name__ == "__main__":
    main()
