"""The patient timeline SVG: escaped text, bands coloured by the category's rank."""

from __future__ import annotations

from plasmatrial.web.timeline import band_colour, render_timeline

SCALE = ("CR", "VGPR", "PR", "NR", "PROG", "NE")


def test_band_colours_follow_the_scale() -> None:
    assert band_colour("PROG", SCALE) == "#d62728"
    assert band_colour("NE", SCALE) == band_colour("unknown", SCALE) == "#bbbbbb"
    best, worst = band_colour("CR", SCALE), band_colour("NR", SCALE)
    assert best != worst and int(best[1:3], 16) < int(worst[1:3], 16)  # redder when worse


def test_timeline_escapes_text_and_draws_each_visit() -> None:
    svg = render_timeline(
        [("FLCLAM", "2024-01-01", 250.0), ("FLCLAM", "2024-04-01", 40.0)],
        [("2024-02-01", "PR"), ("2024-04-01", "<b>VGPR</b>")],
        title="S1 <x>",
        categories=SCALE,
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "&lt;b&gt;VGPR&lt;/b&gt;" in svg and "S1 &lt;x&gt;" in svg
    assert svg.count('class="band"') == 2 and 'data-marker="FLCLAM"' in svg


def test_timeline_without_data_says_so() -> None:
    assert "no dated markers" in render_timeline([], [], title="empty")
