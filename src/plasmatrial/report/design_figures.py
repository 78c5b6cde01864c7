"""Figures of simulated operating characteristics (power curves, rejection per look) as SVG."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from plasmatrial.design.simulate import SimulationResult
from plasmatrial.errors import DesignError
from plasmatrial.report.figures import PALETTE, figure_style, to_svg

__all__ = ["render_operating_characteristics"]

#: Error bars are +/- this many Monte Carlo standard errors (95% normal interval).
MCSE_BAR = 1.96


def render_operating_characteristics(
    results: Sequence[SimulationResult], *, title: str = ""
) -> str:
    """SVG of simulated operating characteristics.

    With several scenarios that differ in the true hazard ratio of the primary endpoint: the
    rejection rate (power; type I error at HR 1) against the true HR, one line per comparison,
    with +/- 1.96 Monte Carlo SE bars and the nominal alpha as a dashed line. Otherwise: the
    probability of rejecting at each look (stacked per scenario).

    Parameters
    ----------
    results : sequence of SimulationResult
        Simulated scenarios (at least one).
    title : str
        Figure title.

    Returns
    -------
    str
        The figure as SVG text.
    """
    if not results:
        raise DesignError("results: at least one simulation result is needed")
    hrs = [r.comparisons[0].primary.true_hr for r in results]
    with figure_style():
        return to_svg(_draw(results, hrs, title))


def _draw(results: Sequence[SimulationResult], hrs: list[float], title: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    if len(results) > 1 and len(set(hrs)) == len(hrs):
        order = np.argsort(hrs)
        n_comp = len(results[0].comparisons)
        for c in range(n_comp):
            x = np.array([results[i].comparisons[c].primary.true_hr for i in order])
            y = np.array([results[i].comparisons[c].rejection_rate for i in order])
            e = np.array([results[i].comparisons[c].mcse_rejection for i in order]) * MCSE_BAR
            ax.errorbar(
                x,
                y,
                yerr=e,
                marker="o",
                capsize=3,
                color=PALETTE[c % len(PALETTE)],
                label=f"{results[0].comparisons[c].arm} vs {results[0].design.control}",
            )
        ax.axhline(results[0].design.alpha, ls="--", color="grey", lw=1, label="one-sided alpha")
        ax.set_xlabel(f"True hazard ratio ({results[0].design.endpoint}, median-equivalent)")
        ax.set_ylabel("Rejection rate (power)")
        ax.set_ylim(0, 1.02)
        ax.legend(frameon=False)
    else:
        width = 0.8 / len(results)
        for i, r in enumerate(results):
            first = r.comparisons[0]
            looks = np.arange(1, r.design.n_looks + 1)
            ax.bar(
                looks + (i - (len(results) - 1) / 2) * width,
                first.reject_per_look,
                width=width,
                yerr=MCSE_BAR
                * np.sqrt(first.reject_per_look * (1 - first.reject_per_look) / r.n_sims),
                color=PALETTE[i % len(PALETTE)],
                label=r.design.label or f"scenario {i + 1}",
            )
        ax.set_xlabel("Look")
        ax.set_ylabel("P(reject at look)")
        ax.set_xticks(np.arange(1, results[0].design.n_looks + 1))
        ax.legend(frameon=False)
    ax.set_title(title or f"Simulated operating characteristics ({results[0].n_sims} trials each)")
    ax.grid(alpha=0.5)
    return fig
