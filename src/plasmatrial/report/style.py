"""One figure style for the whole report: type sizes, and one colour per arm (decision 0810).

Arms take colours from the Okabe-Ito palette, which stays distinguishable under the common
colour-vision deficiencies, in protocol order (the order of the trial file): the first arm is
always blue, the second vermillion, and so on, in every figure of a report. Every artist drawn in
an arm's colour carries the SVG id ``arm:<code>:<part>``, so a test (or a reader of the SVG) can
check that an arm has one colour across all figures (:func:`arm_colours_in_svg`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from plasmatrial.errors import PlasmatrialError

__all__ = [
    "ARM_PALETTE",
    "FIGURE_RC",
    "NEUTRAL",
    "ArmStyle",
    "arm_colours_in_svg",
    "arm_gid",
    "svg_texts",
]

#: Okabe-Ito colours (Okabe and Ito 2008, "Color Universal Design"), the yellow moved last for
#: its low contrast on white and black left out (it is used for text and reference lines).
ARM_PALETTE: Final = (
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#e69f00",  # orange
    "#56b4e9",  # sky blue
    "#f0e442",  # yellow
)

#: Colours that belong to no arm: reference lines, follow-up bars, markers.
NEUTRAL: Final = {
    "reference": "#666666",
    "text": "#222222",
    "follow_up": "#d9d9d9",
    "crossover": "#7f7f7f",
    "grid": "#e5e5e5",
}

#: Matplotlib settings of every report figure: readable type (nothing under 8 pt on a figure
#: printed at its natural 7.2-inch width), light grid, no top/right spines.
FIGURE_RC: Final[dict[str, object]] = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": NEUTRAL["grid"],
    "svg.hashsalt": "plasmatrial",
    # text stays text in the SVG (selectable, searchable, ~30 % smaller than glyph paths); the
    # browser picks the first installed font of matplotlib's sans-serif list
    "svg.fonttype": "none",
}

_GID = re.compile(r'id="arm:([^:"]+):[^"]*"')
_HEX = re.compile(r"(?:fill|stroke|color)\s*[:=]\s*\"?\s*(#[0-9a-fA-F]{6})")


_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def svg_texts(svg: str) -> list[str]:
    """The text strings of an SVG written with ``svg.fonttype: none``, in document order."""
    return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in _TEXT.findall(svg)]


def arm_gid(code: str, part: str) -> str:
    """SVG id of an artist drawn in the colour of arm ``code`` (``part`` names the artist)."""
    if ":" in code:
        raise PlasmatrialError(f"arm code {code!r}: a colon cannot be part of an arm code")
    return f"arm:{code}:{part}"


@dataclass(frozen=True)
class ArmStyle:
    """Colour and display name of each arm, in protocol order.

    Attributes
    ----------
    codes : tuple of str
        Arm codes (ARMCD) in the order of the trial file.
    names : tuple of str
        Display names, same order (the code where no name is known).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, codes: Sequence[str], names: Mapping[str, str] | None = None) -> ArmStyle:
        """Style for arms ``codes`` in protocol order; ``names`` maps code to display name."""
        if len(set(codes)) != len(codes):
            raise PlasmatrialError(f"arm codes must be unique, got {list(codes)}")
        names = names or {}
        return cls(tuple(codes), tuple(names.get(c, c) for c in codes))

    def colour(self, code: str) -> str:
        """Colour of arm ``code``; an arm the trial does not list (e.g. "ALL") gets dark grey."""
        if code in self.codes:
            return ARM_PALETTE[self.codes.index(code) % len(ARM_PALETTE)]
        return NEUTRAL["text"]

    def name(self, code: str) -> str:
        """Display name of arm ``code`` (the code itself when unknown)."""
        return self.names[self.codes.index(code)] if code in self.codes else code

    def order(self, codes: Iterable[str]) -> list[str]:
        """``codes`` sorted in protocol order (unknown codes last, in their given order)."""
        given = list(dict.fromkeys(codes))
        known = [c for c in self.codes if c in given]
        return known + [c for c in given if c not in self.codes]


def arm_colours_in_svg(svg: str) -> dict[str, set[str]]:
    """Colours used by the arm-tagged artists of an SVG document: ``{arm code: {#rrggbb}}``.

    Looks at each element whose id is ``arm:<code>:...`` and collects the hex colours in its
    opening tag and its children up to the matching closing tag of a group."""
    found: dict[str, set[str]] = {}
    for m in _GID.finditer(svg):
        code = m.group(1)
        start = svg.rfind("<", 0, m.start())
        tag = svg[start + 1 : svg.find(" ", start)]
        end = _element_end(svg, start, tag)
        colours = {c.lower() for c in _HEX.findall(svg[start:end])}
        colours.discard("#ffffff")
        found.setdefault(code, set()).update(colours)
    return found


def _element_end(svg: str, start: int, tag: str) -> int:
    """Index just past the element opened at ``start`` (nested elements of the same tag)."""
    head_end = svg.find(">", start)
    if svg[head_end - 1] == "/":
        return head_end + 1
    depth, pos = 1, head_end + 1
    opening, closing = f"<{tag}", f"</{tag}>"
    while depth:
        nxt_close = svg.find(closing, pos)
        if nxt_close < 0:
            return len(svg)
        nxt_open = svg.find(opening, pos)
        if 0 <= nxt_open < nxt_close:
            depth += 1
            pos = nxt_open + len(opening)
        else:
            depth -= 1
            pos = nxt_close + len(closing)
    return pos
