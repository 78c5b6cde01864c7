"""``plasmatrial simulate TRIAL.yaml``: Monte Carlo operating characteristics of a trial design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER
from plasmatrial.cli._common import echo_json
from plasmatrial.cli._progress import QUIET_HELP, stderr_progress
from plasmatrial.errors import DesignError

console = Console()


def _floats(text: str | None, name: str) -> list[float] | None:
    if text is None:
        return None
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise DesignError(f"{name} must be comma-separated numbers, got {text!r}") from None
    if not vals:
        raise DesignError(f"{name} must list at least one number, got {text!r}")
    return vals


def _fmt(x: float, mcse: float | None = None, digits: int = 3) -> str:
    if mcse is None:
        return f"{x:.{digits}f}"
    return f"{x:.{digits}f} ({mcse:.{digits}f})"


def _print_result(res: Any) -> None:
    d = res.design
    table = Table(
        title=f"{d.label or 'design'}: {res.n_sims} simulated trials, seed {res.seed}, "
        f"backend {res.backend} (Monte Carlo SE in brackets)"
    )
    for col in ("comparison", "quantity", "value"):
        table.add_column(col, justify="left" if col != "value" else "right")
    for c in res.comparisons:
        name = f"{c.arm} vs {d.control}"
        p = c.primary
        rows = [
            (f"true {d.endpoint} HR (median-equivalent)", _fmt(p.true_hr)),
            ("rejection rate (power / type I error)", _fmt(c.rejection_rate, c.mcse_rejection)),
            ("reject at look 1..K", ", ".join(f"{v:.3f}" for v in c.reject_per_look)),
            ("stop at look 1..K", ", ".join(f"{v:.3f}" for v in c.stop_per_look)),
            ("expected events", _fmt(c.expected_events, c.mcse_events, 1)),
            ("expected patients", _fmt(c.expected_n, c.mcse_n, 1)),
            ("expected duration (months)", _fmt(c.expected_duration, c.mcse_duration, 2)),
            (f"{d.endpoint} HR (geometric mean)", _fmt(p.hr_geometric_mean)),
            (f"{d.endpoint} log HR bias / SD", f"{p.bias:+.4f} / {p.sd:.4f}"),
            (f"{d.endpoint} Wald CI coverage", _fmt(p.coverage, p.mcse_coverage)),
            (
                "OS HR observed vs without crossover",
                f"{c.os.hr_geometric_mean:.3f} vs {c.os_nocross.hr_geometric_mean:.3f} "
                f"(true {c.os.true_hr:.3f})",
            ),
        ]
        for i, (q, v) in enumerate(rows):
            table.add_row(name if i == 0 else "", q, v)
    console.print(table)
    console.print(
        "Boundaries (z, one-sided): " + ", ".join(f"{v:.4f}" for v in res.critical_values)
    )


#: Largest ``--n-sims`` per scenario (decision 0760): the Monte Carlo standard error of a
#: probability is at most 0.5 / sqrt(n) = 0.0005 here, far below any design question.
MAX_N_SIMS: Final[int] = 1_000_000


def simulate_cmd(
    trial_file: Annotated[Path, typer.Argument(help="Trial definition (YAML).")],
    n_sims: int = typer.Option(10000, "--n-sims", help="Simulated trials per scenario."),
    backend: str = typer.Option("numpy", "--backend", help="numpy or cupy (GPU)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address, or 'local' for a LocalCluster."
    ),
    seed: int = typer.Option(20240601, "--seed", help="Random seed."),
    hr: str | None = typer.Option(
        None, "--hr", help="Primary-endpoint hazard ratio(s), comma-separated (a sweep if several)."
    ),
    events: int | None = typer.Option(None, "--events", help="Event-driven final analysis."),
    analysis_time: float | None = typer.Option(
        None, "--analysis-time", help="Calendar time of the final analysis (months)."
    ),
    looks: str | None = typer.Option(
        None, "--looks", help="Information fractions of the looks, e.g. 0.5,1."
    ),
    endpoint: str | None = typer.Option(None, "--endpoint", help="Primary endpoint: PFS or OS."),
    crossover: float | None = typer.Option(
        None, "--crossover", help="Fraction of control patients switching at progression."
    ),
    crossover_hr: float | None = typer.Option(
        None, "--crossover-hr", help="Death-hazard factor after switching."
    ),
    dropout: float | None = typer.Option(
        None, "--dropout", help="Dropout proportion by 12 months."
    ),
    alpha: float | None = typer.Option(None, "--alpha", help="One-sided type I error."),
    batch_size: int = typer.Option(1000, "--batch-size", help="Trials per batch."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write an SVG of the results.")
    ] = None,
) -> None:
    """Simulate a trial file's design: power, type I error, stopping, HR estimates (with MC SE)."""
    from plasmatrial.design.protocol import parse_trial
    from plasmatrial.design.simulate import design_from_trial, simulate_sweep, simulate_trials

    if not 1 <= n_sims <= MAX_N_SIMS:
        raise DesignError(
            f"--n-sims must be between 1 and {MAX_N_SIMS:,} per scenario, got {n_sims:,} "
            f"({MAX_N_SIMS:,} trials already give a Monte Carlo SE below 0.0005 for any "
            "probability; decision 0760)"
        )
    if batch_size < 1:
        raise DesignError(f"--batch-size must be at least 1, got {batch_size}")
    if backend not in ("numpy", "cupy"):
        raise DesignError(f"--backend must be numpy or cupy, got {backend!r}")
    if endpoint is not None and endpoint not in ("PFS", "OS"):
        raise DesignError(f"--endpoint must be PFS or OS, got {endpoint!r}")
    if not trial_file.is_file():
        raise DesignError(f"trial file not found: {trial_file}")
    trial = parse_trial(trial_file.read_text(encoding="utf-8"), source=str(trial_file))
    rates = _floats(looks, "--looks")
    overrides: dict[str, Any] = {
        "events": events,
        "analysis_time_months": analysis_time,
        "information_rates": rates,
        "endpoint": endpoint,
        "crossover_fraction": crossover,
        "crossover_hr": crossover_hr,
        "dropout_rate": dropout,
        "alpha": alpha,
    }
    base = design_from_trial(trial, **overrides)
    hrs = _floats(hr, "--hr")
    designs = [base] if hrs is None else [base.with_hr(h) for h in hrs]
    if scheduler is not None and backend == "cupy":
        raise DesignError("--scheduler runs the numpy backend; drop --backend cupy")
    with stderr_progress(quiet=quiet or as_json) as bar:
        if scheduler is None and len(designs) == 1:
            task = bar.add_task("simulating trials", total=n_sims)
            results = [
                simulate_trials(
                    designs[0],
                    n_sims=n_sims,
                    seed=seed,
                    backend="cupy" if backend == "cupy" else "numpy",
                    batch_size=batch_size,
                    progress=lambda done, total: bar.update(task, completed=done),
                )
            ]
        else:
            if backend == "cupy":
                raise DesignError("several --hr values run the numpy backend; drop --backend cupy")
            task = bar.add_task("simulating trials", total=None)
            results = simulate_sweep(
                designs,
                n_sims=n_sims,
                seed=seed,
                scheduler=scheduler,
                batch_size=batch_size,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if plot is not None:
        from plasmatrial.intake.io import write_text
        from plasmatrial.report.design_figures import render_operating_characteristics

        write_text(plot, render_operating_characteristics(results))
    if as_json:
        echo_json(
            {
                "trial": trial.id,
                "scenarios": [r.to_dict() for r in results],
                "disclaimer": DISCLAIMER,
            }
        )
        return
    for r in results:
        _print_result(r)
    if plot is not None:
        console.print(f"Figure written to {plot}")
    console.print(DISCLAIMER)


def register(app: typer.Typer) -> None:
    """Attach ``simulate`` to the root app."""
    app.command("simulate")(simulate_cmd)
