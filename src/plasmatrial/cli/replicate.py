"""``plasmatrial replicate TRIAL.yaml --seeds N``: how often simulated data reproduce each
published figure.

Each seed runs what ``simulate-data`` then ``run`` would (the generated domains are written to a
temporary folder as CSV and read back, as the two commands do), in this process or in ``--workers``
worker processes. Per published figure it reports the share of seeds whose computed value agrees
by the figure's comparison rule (``plasmatrial.trial.compare``) and the spread of the computed
values (median, 2.5th and 97.5th percentiles).

The generator is calibrated to the published figures, so a share near 1 shows that the pipeline
recovers what the generator put in; it is not evidence about the trial.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from plasmatrial.cli._common import echo_json
from plasmatrial.errors import PlasmatrialError

console = Console(stderr=True)
CALIBRATION_NOTE = (
    "The simulated data are generated to match these published figures (the generator is "
    "calibrated to them): agreement shows that the pipeline recovers them from such data, not "
    "that the trial's results are reproduced."
)


def replicate_seed(trial_file: str, seed: int) -> list[dict[str, Any]]:
    """Simulate one seed of a trial, run its analysis and return its published-vs-computed rows.

    An error of the pipeline becomes one row with ``ERROR`` set (the seed then reproduces nothing).
    """
    from plasmatrial.cli.trial import read_inputs, read_trial, write_trial_data
    from plasmatrial.synth import simulate_trial_data
    from plasmatrial.trial import run_trial

    logging.disable(logging.INFO)
    trial = read_trial(Path(trial_file))
    try:
        data = simulate_trial_data(trial, seed=seed)
        with tempfile.TemporaryDirectory(prefix="plasmatrial-replicate-") as tmp:
            write_trial_data(data, Path(tmp))
            inputs = read_inputs(Path(tmp))
        res = run_trial(trial, inputs)
    except PlasmatrialError as exc:
        return [{"SEED": seed, "ERROR": str(exc).splitlines()[0]}]
    return [{"SEED": seed, "ERROR": None, **row} for row in res.published.to_dicts()]


def _pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarise(trial_file: str, per_seed: Sequence[list[dict[str, Any]]]) -> dict[str, Any]:
    """Per published figure: seeds judged, agreeing, the share and the spread of computed values."""
    from plasmatrial.cli.trial import read_trial
    from plasmatrial.trial.compare import rule_text

    trial = read_trial(Path(trial_file))
    errors = [rows[0] for rows in per_seed if rows and rows[0].get("ERROR")]
    ok_runs = [rows for rows in per_seed if rows and not rows[0].get("ERROR")]
    figures = []
    for i, fig in enumerate(trial.published):
        rows = [runs[i] for runs in ok_runs if i < len(runs)]
        judged = [r for r in rows if r["AGREES"] is not None]
        agree = sum(1 for r in judged if r["AGREES"])
        ci_judged = [r for r in rows if r.get("CI_AGREES") is not None]
        values = [
            float(r["COMPUTED"])
            for r in rows
            if r["COMPUTED"] is not None and math.isfinite(float(r["COMPUTED"]))
        ]
        n_seeds = len(per_seed)
        figures.append(
            {
                "endpoint": fig.endpoint,
                "arm": fig.arm or "ALL",
                "label": fig.label,
                "unit": fig.unit,
                "published": fig.value if fig.value is not None else list(fig.terms),
                "rule": rule_text(fig),
                "seeds": n_seeds,
                "judged": len(judged),
                "agree": agree,
                # a seed that failed or could not be judged does not reproduce the figure
                "share": agree / n_seeds if n_seeds and not fig.not_computed else None,
                "ci_share": (
                    sum(1 for r in ci_judged if r["CI_AGREES"]) / n_seeds
                    if ci_judged and n_seeds
                    else None
                ),
                "median": _pct(values, 50),
                "p2_5": _pct(values, 2.5),
                "p97_5": _pct(values, 97.5),
                "not_computed": fig.not_computed,
            }
        )
    return {
        "trial": trial.id,
        "seeds": [int(rows[0]["SEED"]) for rows in per_seed if rows],
        "n_seeds": len(per_seed),
        "errors": [{"seed": e["SEED"], "error": e["ERROR"]} for e in errors],
        "figures": figures,
        "note": CALIBRATION_NOTE if figures else "The trial file lists no published figures.",
    }


def run_seeds(
    trial_file: str,
    seeds: Sequence[int],
    *,
    workers: int = 1,
    on_done: Callable[[], None] | None = None,
) -> list[list[dict[str, Any]]]:
    """Rows of :func:`replicate_seed` for each seed, in seed order (``workers`` processes)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if workers <= 1:
        for s in seeds:
            out[s] = replicate_seed(trial_file, s)
            if on_done:
                on_done()
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(replicate_seed, trial_file, s): s for s in seeds}
            for fut in as_completed(futures):
                out[futures[fut]] = fut.result()
                if on_done:
                    on_done()
    return [out[s] for s in seeds]


def _num(x: object) -> str:
    if not isinstance(x, int | float):
        return "-"
    return f"{x:.4g}"


def print_table(summary: dict[str, Any]) -> None:
    """The summary as a Rich table on standard output."""
    out = Console()
    if not summary["figures"]:
        out.print(f"{summary['trial']}: {summary['note']}")
        return
    table = Table(
        title=f"{summary['trial']}: published figures reproduced in {summary['n_seeds']} seeds",
        caption=summary["note"],
    )
    for col in ("Figure", "Arm", "Published", "Rule", "Reproduced", "Median", "2.5-97.5 %"):
        table.add_column(col)
    for f in summary["figures"]:
        pub = f["published"]
        pub_text = ", ".join(pub) if isinstance(pub, list) else _num(pub)
        share = (
            "not computed"
            if f["not_computed"]
            else f"{f['agree']}/{f['seeds']} ({100 * f['share']:.0f} %)"
            if f["share"] is not None
            else "-"
        )
        spread = f"{_num(f['p2_5'])}-{_num(f['p97_5'])}" if f["p2_5"] is not None else "-"
        table.add_row(f["label"], f["arm"], pub_text, f["rule"], share, _num(f["median"]), spread)
    out.print(table)
    for e in summary["errors"]:
        out.print(f"seed {e['seed']}: {e['error']}")


def register(app: typer.Typer) -> None:
    """Attach ``replicate`` to the root app."""

    @app.command("replicate")
    def replicate(
        trial_file: Annotated[Path, typer.Argument(help="Trial definition (YAML)")],
        seeds: Annotated[int, typer.Option("--seeds", min=1, help="Number of seeds")] = 20,
        start_seed: Annotated[int, typer.Option("--start-seed", help="First seed")] = 1,
        workers: Annotated[
            int, typer.Option("--workers", min=1, help="Worker processes (1: this process)")
        ] = 1,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Simulate and analyse N seeds; per published figure, the share of seeds reproducing it."""
        from plasmatrial.cli.trial import read_trial

        trial = read_trial(trial_file)  # fails early on a bad file
        path = str(trial_file)
        seed_list = list(range(start_seed, start_seed + seeds))
        if not trial.published:
            per_seed: list[list[dict[str, Any]]] = []
        else:
            with Progress(
                TextColumn(f"[bold]{trial.id}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=as_json,
            ) as bar:
                task = bar.add_task("seeds", total=len(seed_list))
                per_seed = run_seeds(
                    path, seed_list, workers=workers, on_done=lambda: bar.advance(task)
                )
        summary = summarise(path, per_seed)
        summary["seeds"] = seed_list
        summary["n_seeds"] = len(seed_list)
        if as_json:
            echo_json(summary)
        else:
            print_table(summary)
