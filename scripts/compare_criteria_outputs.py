"""Write the 1M-visit criteria benchmark outputs, or compare two such sets.

Engine optimisations must not change results. ``write PREFIX`` runs ``adjudicate`` on the AL
benchmark input (full, sorted; hem parameters, ``sort=False``) and ``respond_mm`` on the IMWG
benchmark input, and writes ``PREFIX_<name>.parquet``. ``compare OLD NEW`` reports, per output,
whether the frames are identical and, if not, which columns differ on how many rows (``hem`` is
compared as a multiset of rows, since ``sort=False`` promises no order).

Run ``write`` once with the old engine on the path (``PYTHONPATH=<old checkout>/src``) and once
with the new one, then ``compare``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
SEED = 20240601


def write(prefix: str) -> None:
    sys.path.insert(0, str(BENCH))
    import bench_criteria_al
    import bench_criteria_mm

    from plasmatrial.criteria import adjudicate
    from plasmatrial.criteria.mm.response import respond_mm

    al = bench_criteria_al.synthetic(np.random.default_rng(SEED))
    adjudicate(al, "CR_2012_RATIO").write_parquet(f"{prefix}_al.parquet")
    hem = adjudicate(al, parameters=["HEMRESP", "HEMCAT", "HEMPROG"], sort=False)
    hem.write_parquet(f"{prefix}_hem.parquet")
    mm = bench_criteria_mm.synthetic(np.random.default_rng(SEED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = respond_mm(mm)
    res.visits.write_parquet(f"{prefix}_mmvisits.parquet")
    res.best.write_parquet(f"{prefix}_mmbest.parquet")
    res.adjudicated.write_parquet(f"{prefix}_mmall.parquet")


def compare(old: str, new: str) -> None:
    for name in ("al", "hem", "mmvisits", "mmbest", "mmall"):
        a = pl.read_parquet(f"{old}_{name}.parquet")
        b = pl.read_parquet(f"{new}_{name}.parquet")
        if name == "hem":
            a, b = a.sort(a.columns, nulls_last=True), b.sort(b.columns, nulls_last=True)
        if a.columns != b.columns or a.height != b.height:
            print(f"{name}: shapes differ {a.shape} vs {b.shape}")
            continue
        diff = {c: int((a[c].ne_missing(b[c])).sum()) for c in a.columns if not a[c].equals(b[c])}
        verdict = "identical" if not diff else f"differs: {diff} (rows per column)"
        print(f"{name}: {a.height:,} rows, {verdict}")
        if diff and "AVALC" in a.columns:
            rows = pl.any_horizontal(a[c].ne_missing(b[c]) for c in diff)
            cats = a.filter(rows).group_by("AVALC", "RULEID").len().sort("AVALC").rows()
            print(f"  differing rows by (AVALC, RULEID, count): {cats}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
