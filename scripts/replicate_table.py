"""Print the README's "Replication over seeds" table from ``plasmatrial replicate --json`` files.

Usage: ``python scripts/replicate_table.py OUT1.json [OUT2.json ...]`` where each file is the
output of ``plasmatrial replicate TRIAL.yaml --seeds N --json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _g(x: object) -> str:
    if isinstance(x, list):
        return ", ".join(str(v) for v in x)
    return f"{x:.4g}" if isinstance(x, int | float) else "-"


def main(paths: list[str]) -> None:
    print("| Trial (seeds) | Figure | Published | Rule | Reproduced | Computed: median (2.5-97.5 %) |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        head = f"{d['trial']} ({d['n_seeds']})"
        if not d["figures"]:
            print(f"| {head} | no published figures | | | | |")
        for f in d["figures"]:
            if f.get("not_computed"):
                print(f"| {head} | {f['label']} | {_g(f['published'])} | not computed | - | - |")
                continue
            share = f"{f['agree']}/{f['judged']} ({100 * f['share']:.0f} %)"
            spread = f"{_g(f['median'])} ({_g(f['p2_5'])}-{_g(f['p97_5'])})"
            pub = _g(f["published"])
            print(f"| {head} | {f['label']} | {pub} | {f['rule']} | {share} | {spread} |")


if __name__ == "__main__":
    main(sys.argv[1:])
