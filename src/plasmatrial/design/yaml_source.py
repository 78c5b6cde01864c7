"""Safe, bounded YAML loading that remembers where each value is (decision 0747).

:func:`load_yaml` refuses, before building any Python object, a file over
:data:`MAX_YAML_BYTES`, nesting deeper than :data:`MAX_YAML_DEPTH` (PyYAML's composer recurses
per level: 10,000 brackets were a ``RecursionError``), anchors and aliases (a trial file needs
none; aliases can multiply the work of validation) and duplicate keys (PyYAML keeps the last
silently). It returns the data and the node tree, which :func:`locate` walks to turn a pydantic
error location (``("primary", 0, "options", "evnt")``) into ``primary.0.options.evnt`` and the
line of that value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import yaml

from plasmatrial.errors import DesignError

#: Largest trial file read, bytes.
MAX_YAML_BYTES: Final = 1_000_000
#: Deepest nesting of mappings and sequences in a trial file.
MAX_YAML_DEPTH: Final = 24

#: Every character ``str.splitlines`` breaks on, escaped.
_BREAKS: Final = {
    ord(c): c.encode("unicode_escape").decode("ascii")
    for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
}
_OPEN: Final = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE: Final = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def one_line(text: str) -> str:
    """``text`` with line breaks escaped, so that each problem stays one line."""
    return text.translate(_BREAKS)


def _line(mark: object) -> str:
    line = getattr(mark, "line", None)
    return f" (line {line + 1})" if isinstance(line, int) else ""


def _check_events(text: str, source: str) -> None:
    """Depth and alias checks on the event stream (iterative: no recursion, no objects)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise DesignError(
                    f"{source}: nesting deeper than {MAX_YAML_DEPTH} levels"
                    f"{_line(event.start_mark)}"
                )
        elif isinstance(event, _CLOSE):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise DesignError(
                f"{source}: anchors and aliases (&, *) are not supported in a trial file"
                f"{_line(event.start_mark)}"
            )


def _duplicates(node: yaml.Node, path: tuple[str | int, ...]) -> list[str]:
    out: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            k = str(key.value)
            if k in seen:
                where = ".".join(str(p) for p in (*path, k))
                out.append(
                    one_line(
                        f"{where} (line {key.start_mark.line + 1}): duplicate key '{k}' (first "
                        f"at line {seen[k] + 1}; a later value would silently replace the first)"
                    )
                )
            else:
                seen[k] = key.start_mark.line
            out += _duplicates(value, (*path, k))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _duplicates(item, (*path, i))
    return out


def load_yaml(text: str, *, source: str) -> tuple[Any, yaml.Node | None]:
    """Load one YAML document with the checks of the module docstring.

    Returns
    -------
    tuple
        The data (plain dicts, lists and scalars) and the root node (None for an empty file).

    Raises
    ------
    DesignError
        Too large, too deep, anchors/aliases, duplicate keys (all listed), or not valid YAML.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_YAML_BYTES:
        raise DesignError(f"{source}: {size:,} bytes; a trial file may have {MAX_YAML_BYTES:,}")
    try:
        _check_events(text, source)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, None
            dups = _duplicates(node, ())
            if dups:
                raise DesignError(
                    f"{len(dups)} problem(s) in trial definition\n"
                    + "\n".join(f"{source}: {d}" for d in dups)
                )
            return loader.construct_document(node), node
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise DesignError(f"{source}: not valid YAML{_line(mark)}: {what}") from None
    except yaml.YAMLError as exc:
        raise DesignError(f"{source}: not valid YAML: {exc}") from None


def locate(
    root: yaml.Node | None, loc: Sequence[str | int], *, tags: frozenset[str] = frozenset()
) -> tuple[str, int | None]:
    """Dotted path and 1-based line of a pydantic error location in the node tree.

    Elements in ``tags`` that are not keys of the mapping reached (a discriminated union's tag,
    such as the endpoint type pydantic puts after ``options``) are left out of the path; the line
    is that of the deepest value found (its key's line for a missing or unknown key).
    """
    node = root
    parts: list[str] = []
    line = None if root is None else root.start_mark.line + 1
    for p in loc:
        hit = None
        if isinstance(node, yaml.MappingNode):
            hit = next((kv for kv in node.value if str(kv[0].value) == str(p)), None)
        if hit is None and str(p) in tags:
            continue  # a discriminator tag, not in the file
        parts.append(str(p))
        if hit is not None:
            node, line = hit[1], hit[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(p, int) and p < len(node.value):
            node = node.value[p]
            line = node.start_mark.line + 1
        else:
            node = None
    return ".".join(parts) or "<top>", line


def line_map(root: yaml.Node | None) -> dict[str, int]:
    """Dotted path -> 1-based line of every key and item under ``root`` (iterative walk)."""
    out: dict[str, int] = {}
    stack: list[tuple[str, yaml.Node]] = [] if root is None else [("", root)]
    while stack:
        path, node = stack.pop()
        children: list[tuple[str, yaml.Node, int]] = []
        if isinstance(node, yaml.MappingNode):
            children = [(str(k.value), v, k.start_mark.line) for k, v in node.value]
        elif isinstance(node, yaml.SequenceNode):
            children = [(str(i), v, v.start_mark.line) for i, v in enumerate(node.value)]
        for name, child, line in children:
            sub = f"{path}.{name}" if path else name
            out[sub] = line + 1
            stack.append((sub, child))
    return out
