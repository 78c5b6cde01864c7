"""The patient timeline SVG: escaped text, bands coloured by the category's rank."""

from __future__ import annotations

import re

from plasmatrial.web.timeline import AdverseEvent, DosePeriod, Panel, band_colour, render_timeline

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


PANELS = (Panel("FLC", ("FLCKAP", "FLCLAM")), Panel("NT-proBNP", ("NTPROBNP",)),
          Panel("Proteinuria", ("PROT24H",), log=False))
MARKERS = [
    ("FLCLAM", "2024-01-01", 250.0), ("FLCLAM", "2024-03-01", 40.0),
    ("NTPROBNP", "2024-01-01", 3000.0), ("NTPROBNP", "2024-03-01", 1200.0),
    ("PROT24H", "2024-01-01", 0.0), ("PROT24H", "2024-03-01", 2.5),
]
CALLS = [("2024-02-01", "PR"), ("2024-03-01", "VGPR"), ("2024-05-01", "PROG")]


def _panel_of(svg: str, code: str) -> str:
    """The data-panel of the group holding ``code``'s line."""
    for group in re.findall(r'<g class="panel" data-panel="([^"]+)">(.*?)</g>', svg):
        if f'data-marker="{code}"' in group[1]:
            return str(group[0])
    raise AssertionError(f"{code} drawn on no panel")


def test_each_unit_has_its_own_panel() -> None:
    svg = render_timeline(MARKERS, CALLS, title="t", categories=SCALE, panels=PANELS)
    assert _panel_of(svg, "FLCLAM") == "FLC"
    assert _panel_of(svg, "NTPROBNP") == "NT-proBNP"
    assert _panel_of(svg, "PROT24H") == "Proteinuria"
    # a linear panel keeps a zero value, a log panel cannot draw one
    prot = re.search(r'data-marker="PROT24H"', svg)
    assert prot and svg.count("<title>PROT24H ") == 2
    svg_log = render_timeline(MARKERS, CALLS, title="t", panels=[Panel("P", ("PROT24H",))])
    assert svg_log.count("<title>PROT24H ") == 1
    # a code no panel names still gets one of its own
    extra = render_timeline([*MARKERS, ("EGFR", "2024-01-01", 60.0)], CALLS, title="t",
                            panels=PANELS)
    assert _panel_of(extra, "EGFR") == "EGFR"


def test_progression_is_marked_by_line_shape_and_words() -> None:
    svg = render_timeline(MARKERS, CALLS, title="t", categories=SCALE, panels=PANELS)
    assert svg.count('class="progression-line"') == 1
    assert "<title>progression (PROG) on 2024-05-01</title>" in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)  # type: ignore[union-attr]
    assert "progression (PROG) from 2024-05-01 (1 visits called PROG)" in desc
    quiet = render_timeline(MARKERS, CALLS[:2], title="t", categories=SCALE, panels=PANELS)
    assert "progression-line" not in quiet and "no progression" in quiet
    assert 'href="#visit-2024-03-01"' in svg  # each visit label opens its explanation


def test_dose_changes_and_interruptions_are_drawn_and_described() -> None:
    doses = [
        DosePeriod("POM <x>", 4.0, "mg", "2024-01-01", "2024-02-18", 2),
        DosePeriod("POM <x>", 3.0, "mg", "2024-02-26", "2024-03-17", 1, change="reduced"),
        DosePeriod("POM <x>", 3.0, "mg", "2024-04-15", "2024-05-05", 1, interrupted=True,
                   gap_days=28),
    ]
    svg = render_timeline(MARKERS, CALLS, title="t", categories=SCALE, doses=doses)
    assert svg.count('class="dose"') == 3
    assert "▼3 mg" in svg and "POM &lt;x&gt; reduced to 3 mg on 2024-02-26" in svg
    assert svg.count('class="interruption"') == 1 and "28 days without it" in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)  # type: ignore[union-attr]
    assert "reduced to 3 mg on 2024-02-26" in desc and "1 interruption" in desc
    assert "<x>" not in svg


def test_adverse_events_sit_on_their_grade_row_serious_outlined() -> None:
    events = [
        AdverseEvent("Anaemia", 2, "2024-01-10", "2024-02-01", serious=False),
        AdverseEvent("Sepsis <b>", 4, "2024-03-01", None, serious=True),
        AdverseEvent("No grade", None, "2024-03-01", None, serious=False),
    ]
    svg = render_timeline(MARKERS, CALLS, title="t", categories=SCALE, events=events)
    rects = re.findall(r'<rect x="[\d.]+" y="([\d.]+)"[^>]*class="(ae[^"]*)" data-grade="(\d)"',
                       svg)
    assert [(c, g) for _, c, g in rects] == [("ae", "2"), ("ae serious", "4")]
    assert float(rects[1][0]) < float(rects[0][0])  # a higher grade is drawn higher
    assert "Sepsis &lt;b&gt;, grade 4, serious, 2024-03-01 to ongoing" in svg
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)  # type: ignore[union-attr]
    assert "3 adverse events, worst grade 4, 1 serious" in desc
    assert 'aria-labelledby="timeline-title timeline-desc"' in svg


def test_only_the_onset_of_progression_gets_the_triangle() -> None:
    calls = [*CALLS, ("2024-06-01", "PROG"), ("2024-07-01", "NR"), ("2024-08-01", "PROG")]
    svg = render_timeline(MARKERS, calls, title="t", categories=SCALE)
    assert svg.count('class="progression-line"') == 3  # every visit called PROG has its line
    assert svg.count('class="progression"') == 2  # a triangle where progression starts
    assert svg.count('stroke-width="2" class="progression-line"') == 2
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg).group(1)  # type: ignore[union-attr]
    assert "from 2024-05-01, 2024-08-01 (3 visits called PROG)" in desc
