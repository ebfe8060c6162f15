"""YAML → plain data with positions, refusing hostile input before it costs anything.

Refused: files over 1 MB, tab indentation, any explicit tag, nesting deeper than 50,
alias expansion beyond a node budget (billion laughs), duplicate keys, non-scalar keys,
several documents. Everything else becomes dicts, lists and scalars; every container
and entry keeps its 1-based (line, col).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from guanai.core.diagnostics import Diagnostic, diag

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 500_000
MAX_INT_DIGITS = 18  # a longer integer is no version, count or sum of money (int() refuses > 4,300 digits)

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
    if not path.is_file():  # a directory, /dev/zero, a pipe: nothing to read as YAML (or endless)
        return None, positions, [diag(display, None, "", "yaml.not_file")]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, positions, [diag(display, _line_col_of(raw, exc.start), "", "yaml.not_utf8")]
    errors: list[Diagnostic] = []
    try:
        _refuse_tabs(text, display)
        found, data = _build(text, display, positions, errors)
    except _Refused as refused:
        return None, positions, [refused.diagnostic]
    if errors:
        return None, positions, errors
    if not found:
        return None, positions, [diag(display, (1, 1), "", "yaml.empty")]
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


def _scalar(event: Any, resolver: Any) -> Any:
    value = event.value
    if event.style in ("'", '"', "|", ">"):
        return value
    tag = resolver(value, event.implicit)
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":int"):
        if len(value) > MAX_INT_DIGITS:
            return value  # kept as text: the model says it is not a usable number (int() would refuse it)
        try:
            return int(value.replace("_", ""), 10 if _INT.match(value) else 0)
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


def _events(text: str) -> Iterator[Any]:
    """Parser events from libyaml (ruamel.yaml.clib) when installed, else the pure parser.

    The C parser is ~30x faster on large programmes (see docs/BENCHMARKS.md); both give marks.
    """
    try:
        from ruamel.yaml.cyaml import CParser
    except ImportError:
        from ruamel.yaml import YAML

        yield from YAML(typ="safe", pure=True).parse(text)
        return
    parser = CParser(text)
    try:
        while parser.check_event():
            yield parser.get_event()
    finally:
        parser.dispose()


class _Frame:
    __slots__ = ("obj", "anchor", "size", "key", "key_pos", "pos")

    def __init__(self, obj: Any, anchor: str | None, pos: Pos):
        self.obj, self.anchor, self.size, self.pos = obj, anchor, 1, pos
        self.key: Any = _NO_KEY
        self.key_pos: tuple[int, int] = (0, 0)


_NO_KEY = object()


def _build(text: str, display: str, positions: Positions, errors: list[Diagnostic]) -> tuple[bool, Any]:
    """One streaming pass over parser events: refuse tags, depth, alias bombs and several
    documents as they come; build dicts, lists and scalars with their positions."""
    from ruamel.yaml import events as ev
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.resolver import VersionedResolver

    versioned = VersionedResolver()
    from ruamel.yaml.nodes import ScalarNode

    @functools.lru_cache(maxsize=4096)
    def resolver(value: str, implicit: tuple[bool, bool]) -> str:
        # ruamel's resolver re-derives the YAML version on every call; keys repeat, so memoise
        tag = versioned.resolve(ScalarNode, value, implicit)
        return getattr(tag, "value", tag) or ""
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    total = 0
    documents = 0
    root: Any = None
    found = False

    def attach(value: Any, size: int, mark: tuple[int, int], is_scalar: bool, counted: int = 1) -> None:
        """`size`: the nodes `value` holds (a collection's whole subtree); `counted`: the nodes it
        adds to the document (1, or for an alias the whole subtree it repeats)."""
        nonlocal total, root, found
        total += counted
        if total > MAX_NODES:
            code = "yaml.alias_bomb" if counted > 1 else "yaml.too_many_nodes"
            raise _Refused(diag(display, mark, "", code, limit=MAX_NODES))
        if not stack:
            root, found = value, True
            return
        frame = stack[-1]
        frame.size += size
        if isinstance(frame.obj, list):
            positions.add_entry(frame.obj, len(frame.obj), Pos(display, *mark, *mark))
            frame.obj.append(value)
            return
        if frame.key is _NO_KEY:
            if not is_scalar:
                errors.append(diag(display, mark, "", "yaml.complex_key"))
                frame.key = None
                return
            frame.key, frame.key_pos = ("" if value is None else str(value)), mark
            return
        key, frame.key = frame.key, _NO_KEY
        if key is None:
            return
        if key == "<<":
            errors.append(diag(display, frame.key_pos, "", "yaml.merge_key"))
            return
        if key in frame.obj:
            first = positions.entries[(id(frame.obj), key)]
            errors.append(diag(display, frame.key_pos, "", "yaml.duplicate_key", key=key, line=first.line))
            return
        positions.add_entry(frame.obj, key, Pos(display, *frame.key_pos, *mark))
        frame.obj[key] = value

    try:
        for event in _events(text):
            mark = _mark(event.start_mark)
            if isinstance(event, ev.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(diag(display, mark, "", "yaml.many_documents"))
                continue
            if isinstance(event, (ev.ScalarEvent, ev.CollectionStartEvent)) and event.tag is not None:
                raise _Refused(diag(display, mark, "", "yaml.tag", tag=str(event.tag)))
            if isinstance(event, ev.ScalarEvent):
                value = _scalar(event, resolver)
                if event.anchor:
                    anchors[event.anchor] = (value, 1)
                attach(value, 1, mark, True)
            elif isinstance(event, ev.AliasEvent):
                if event.anchor not in anchors:
                    raise _Refused(diag(display, mark, "", "yaml.syntax", problem=f"unknown alias *{event.anchor}"))
                value, size = anchors[event.anchor]
                attach(value, size, mark, not isinstance(value, (dict, list)), counted=size)
            elif isinstance(event, ev.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(diag(display, mark, "", "yaml.too_deep", limit=MAX_DEPTH))
                obj: Any = {} if isinstance(event, ev.MappingStartEvent) else []
                positions.add_node(obj, Pos(display, *mark))
                stack.append(_Frame(obj, event.anchor, Pos(display, *mark)))
            elif isinstance(event, ev.CollectionEndEvent):
                frame = stack.pop()
                if frame.anchor:
                    anchors[frame.anchor] = (frame.obj, frame.size)
                attach(frame.obj, frame.size, (frame.pos.line, frame.pos.col), False)
    except MarkedYAMLError as exc:
        raise _syntax_error(display, exc) from None
    except YAMLError as exc:  # libyaml reports plain YAMLError with the position in the text
        raise _Refused(diag(display, _position_in(str(exc)), "", "yaml.syntax", problem=_problem_in(str(exc)))) from None
    return found, root


_C_POSITION = re.compile(r"line (\d+), column (\d+)")


def _position_in(message: str) -> tuple[int, int]:
    found = _C_POSITION.findall(message)
    return (int(found[-1][0]), int(found[-1][1])) if found else (1, 1)


def _problem_in(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip() and "line " not in line]
    return lines[-1] if lines else message.splitlines()[0]
