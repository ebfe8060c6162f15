"""YAML → plain data with positions, refusing hostile input before it costs anything.

Refused: files over 1 MB, tab indentation, any explicit tag, nesting deeper than 50,
alias expansion beyond a node budget (billion laughs), duplicate keys, non-scalar keys,
several documents. Everything else becomes dicts, lists and scalars; every container
and entry keeps its 1-based (line, col).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Diagnostic, diag

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 500_000

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


@dataclass(frozen=True)
class Pos:
    """Where a key and its value were written (1-based lines and columns)."""

    file: str
    line: int
    col: int
    value_line: int = 0
    value_col: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.line, self.col)

    @property
    def value(self) -> tuple[int, int]:
        return (self.value_line or self.line, self.value_col or self.col)


@dataclass
class Positions:
    """Positions of containers and entries, keyed by the identity of the Python objects.

    Keying by identity lets `extends` merging move items between lists while each item
    keeps the position in the file that defined it.
    """

    entries: dict[tuple[int, Any], Pos] = field(default_factory=dict)
    nodes: dict[int, Pos] = field(default_factory=dict)
    _keep: list[Any] = field(default_factory=list)

    def add_node(self, obj: Any, pos: Pos) -> None:
        self.nodes[id(obj)] = pos
        self._keep.append(obj)

    def add_entry(self, container: Any, key: Any, pos: Pos) -> None:
        self.entries[(id(container), key)] = pos

    def merge(self, other: Positions) -> None:
        self.entries.update(other.entries)
        self.nodes.update(other.nodes)
        self._keep.extend(other._keep)

    def copy_entry(self, src: Any, src_key: Any, dst: Any, dst_key: Any) -> None:
        pos = self.entries.get((id(src), src_key))
        if pos is not None:
            self.entries[(id(dst), dst_key)] = pos
            self._keep.append(dst)


class _Refused(Exception):
    def __init__(self, d: Diagnostic):
        self.diagnostic = d


def load_yaml(path: Path, display: str) -> tuple[Any, Positions, list[Diagnostic]]:
    """Parse `path` safely; return (data, positions, diagnostics). Data is None on failure."""
    positions = Positions()
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, positions, [diag(display, None, "", "yaml.cannot_read", error=exc.strerror or str(exc))]
    if size > MAX_BYTES:
        return None, positions, [diag(display, (1, 1), "", "yaml.too_big", size=size, limit=MAX_BYTES)]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, positions, [diag(display, _line_col_of(raw, exc.start), "", "yaml.not_utf8")]
    try:
        _refuse_tabs(text, display)
        _scan_events(text, display)
        node = _compose(text, display)
    except _Refused as refused:
        return None, positions, [refused.diagnostic]
    if node is None:
        return None, positions, [diag(display, (1, 1), "", "yaml.empty")]
    errors: list[Diagnostic] = []
    data = _convert(node, display, positions, errors)
    if errors:
        return None, positions, errors
    return data, positions, []


def _line_col_of(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


def _refuse_tabs(text: str, display: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            raise _Refused(diag(display, (number, line.index("\t") + 1), "", "yaml.tab"))


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _syntax_error(display: str, exc: Any) -> _Refused:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return _Refused(diag(display, _mark(mark) if mark else (1, 1), "", "yaml.syntax", problem=problem))


def _scan_events(text: str, display: str) -> None:
    """One streaming pass over parser events: tags, depth and expanded size, before composing."""
    from ruamel.yaml import YAML
    from ruamel.yaml import events as ev
    from ruamel.yaml.error import MarkedYAMLError

    anchor_size: dict[str, int] = {}
    stack: list[list[Any]] = []  # [anchor, expanded node count]
    total = 0
    documents = 0
    try:
        for event in YAML(typ="rt").parse(text):
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(diag(display, _mark(event.start_mark), "", "yaml.many_documents"))
            if isinstance(event, (ev.ScalarEvent, ev.CollectionStartEvent)) and event.tag is not None:
                raise _Refused(diag(display, _mark(event.start_mark), "", "yaml.tag", tag=str(event.tag)))
            size = 0
            if isinstance(event, ev.ScalarEvent):
                size = 1
                if event.anchor:
                    anchor_size[event.anchor] = 1
            elif isinstance(event, ev.AliasEvent):
                size = anchor_size.get(event.anchor, 1)
            elif isinstance(event, ev.CollectionStartEvent):
                stack.append([event.anchor, 1])
                if len(stack) > MAX_DEPTH:
                    raise _Refused(diag(display, _mark(event.start_mark), "", "yaml.too_deep", limit=MAX_DEPTH))
                continue
            elif isinstance(event, ev.CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor:
                    anchor_size[anchor] = size
            else:
                continue
            if stack:
                stack[-1][1] += size
            total += size
            if total > MAX_NODES or (stack and stack[-1][1] > MAX_NODES):
                raise _Refused(diag(display, _mark(event.start_mark), "", "yaml.alias_bomb", limit=MAX_NODES))
    except MarkedYAMLError as exc:
        raise _syntax_error(display, exc) from None


def _compose(text: str, display: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        return YAML(typ="rt").compose(text)
    except MarkedYAMLError as exc:
        raise _syntax_error(display, exc) from None


def _scalar(node: Any) -> Any:
    value, tag = node.value, node.tag
    tag = getattr(tag, "value", tag) or ""
    if node.style in ("'", '"', "|", ">"):
        return value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":int"):
        if _INT.match(value):
            return int(value.replace("_", ""))
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    if tag.endswith(":timestamp") and _DATE.match(value):
        y, m, d = (int(p) for p in value.split("-"))
        try:
            return date(y, m, d)
        except ValueError:
            return value  # kept as text so the model reports the impossible date precisely
    return value


def _convert(node: Any, display: str, positions: Positions, errors: list[Diagnostic]) -> Any:
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    memo: dict[int, Any] = {}

    def walk(n: Any) -> Any:
        if id(n) in memo:
            return memo[id(n)]
        line, col = _mark(n.start_mark)
        if isinstance(n, ScalarNode):
            return _scalar(n)
        if isinstance(n, SequenceNode):
            out: list[Any] = []
            memo[id(n)] = out
            positions.add_node(out, Pos(display, line, col))
            for index, item in enumerate(n.value):
                il, ic = _mark(item.start_mark)
                positions.add_entry(out, index, Pos(display, il, ic, il, ic))
                out.append(walk(item))
            return out
        if isinstance(n, MappingNode):
            mapping: dict[str, Any] = {}
            memo[id(n)] = mapping
            positions.add_node(mapping, Pos(display, line, col))
            for key_node, value_node in n.value:
                kl, kc = _mark(key_node.start_mark)
                if not isinstance(key_node, ScalarNode):
                    errors.append(diag(display, (kl, kc), "", "yaml.complex_key"))
                    continue
                key = key_node.value
                if key == "<<":
                    errors.append(diag(display, (kl, kc), "", "yaml.merge_key"))
                    continue
                if key in mapping:
                    first = positions.entries[(id(mapping), key)]
                    errors.append(diag(display, (kl, kc), "", "yaml.duplicate_key", key=key, line=first.line))
                    continue
                vl, vc = _mark(value_node.start_mark)
                positions.add_entry(mapping, key, Pos(display, kl, kc, vl, vc))
                mapping[key] = walk(value_node)
            return mapping
        return None

    return walk(node)
