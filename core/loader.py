"""Programme files: YAML with positions → `extends` merge → `Programme` model → diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guanai.core.checker import check_programme
from guanai.core.diagnostics import Diagnostic, diag
from guanai.core.programme import Programme
from guanai.core.validation import locate, pydantic_diagnostics
from guanai.core.yamlsafe import Pos, Positions, load_yaml
from pydantic import ValidationError

# Lists merged across `extends` by a key; an item with a base item's key replaces it.
MERGED_LISTS: dict[tuple[str, ...], str] = {
    ("phases",): "id",
    ("duties",): "id",
    ("triggers",): "id",
    ("indicators",): "id",
    ("activities",): "id",
    ("assignments",): "role",
    ("calendar", "terms"): "id",
    ("calendar", "breaks"): "name",
}
MERGED_MAPS = {("target",), ("calendar",), ("settings",), ("limits",)}
REMOVABLE = ("phases", "duties", "triggers", "indicators", "activities")


@dataclass
class Loaded:
    """A loaded programme (None when it has errors) with everything needed to explain it."""

    file: str
    programme: Programme | None
    data: Any
    positions: Positions
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity != "error"]

    def locate(self, path: tuple[Any, ...], at_key: bool = False) -> tuple[str, tuple[int, int] | None, str]:
        return locate(self.data, self.positions, path, self.file, at_key)


def display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_programme(path: str | Path, registry: Any = None) -> Loaded:
    """Load, merge, validate and check a programme file. Never raises for bad input."""

    path = Path(path)
    display = display_name(path)
    positions = Positions()
    diagnostics: list[Diagnostic] = []
    files: list[str] = []
    data = _load_chain(path, display, positions, diagnostics, files, chain=())
    loaded = Loaded(display, None, data, positions, diagnostics, files)
    if data is None or diagnostics:
        loaded.diagnostics = _sorted(diagnostics)
        return loaded
    if not isinstance(data, dict):
        diagnostics.append(diag(display, (1, 1), "", "programme.not_mapping"))
        loaded.diagnostics = diagnostics
        return loaded
    _codes_for_words(data, registry)
    try:
        programme = Programme.model_validate(data)
    except ValidationError as exc:
        diagnostics.extend(pydantic_diagnostics(exc, data, positions, display, Programme))
        diagnostics.extend(_check_the_rest(exc, loaded, registry))
        loaded.diagnostics = _sorted(diagnostics)
        return loaded
    diagnostics.extend(check_programme(programme, loaded, registry))
    loaded.diagnostics = _sorted(diagnostics)
    if not loaded.errors:
        loaded.programme = programme
        from guanai.core.render import name_roles

        name_roles(programme.assignments)  # 爱心辅导员, not love_tutor, in what this command prints
    return loaded


def _codes_for_words(data: dict[str, Any], registry: Any) -> None:
    """A `match` may give a coded field's value in words, as a record may (`with: 父母` is
    `with: parents`): the code is what is kept, so the engine compares like with like."""
    if registry is None:
        from guanai.core.plugins import load_registry

        registry = load_registry()
    steps = getattr(registry, "steps", {}) or {}

    def items() -> Any:
        for key in ("duties", "indicators"):
            yield from data.get(key) or ()
        for holder, inner in (("phases", "tasks"), ("activities", "tasks"), ("triggers", "then")):
            for outer in data.get(holder) or ():
                yield from (outer.get(inner) or ()) if isinstance(outer, dict) else ()

    for item in items():
        if not isinstance(item, dict) or not isinstance(item.get("match"), dict):
            continue
        step = steps.get(item.get("step")) if isinstance(item.get("step"), str) else None
        if step is None:
            continue
        words = {f.name: {v: k for k, v in f.labels.items()} for f in step.field_info() if f.labels}
        for key, value in list(item["match"].items()):
            if isinstance(value, str) and value in words.get(key, {}):
                item["match"][key] = words[key][value]


@dataclass
class _Pruned(Loaded):
    """The programme without its invalid list items, located in the original file: an index into a
    pruned list is translated back to the item's own index."""

    kept: dict[str, list[int]] = field(default_factory=dict)
    original: Any = None

    def locate(self, path: tuple[Any, ...], at_key: bool = False) -> tuple[str, tuple[int, int] | None, str]:
        if len(path) > 1 and path[0] in self.kept and isinstance(path[1], int) and path[1] < len(self.kept[path[0]]):
            path = (path[0], self.kept[path[0]][path[1]], *path[2:])
        return locate(self.original, self.positions, path, self.file, at_key)


def _check_the_rest(exc: ValidationError, loaded: Loaded, registry: Any) -> list[Diagnostic]:
    """Every independent error at once: when the model errors lie only in items of the top-level
    lists (a duty, an assignment, a phase …), the rest of the programme is checked too — without
    those items, and without the errors that only follow from their absence (a duty naming the
    role of an assignment that was wrong is not a second mistake)."""

    data = loaded.data
    bad: dict[str, set[int]] = {}
    for error in exc.errors():
        loc = error["loc"]
        if len(loc) < 2 or not isinstance(data.get(loc[0]), list) or not isinstance(loc[1], int):
            return []  # a scalar or a mapping is wrong (the calendar, an id): nothing sound to check against
        bad.setdefault(str(loc[0]), set()).add(loc[1])
    pruned, kept, gone = dict(data), {}, set()
    for section, indexes in bad.items():
        kept[section] = [i for i in range(len(data[section])) if i not in indexes]
        pruned[section] = [data[section][i] for i in kept[section]]
        for i in indexes:
            item = data[section][i]
            if isinstance(item, dict):
                gone |= {str(item[k]) for k in ("id", "role", "name") if isinstance(item.get(k), (str, int))}
    try:
        programme = Programme.model_validate(pruned)
    except ValidationError:
        return []
    view = _Pruned(loaded.file, None, pruned, loaded.positions, [], loaded.files, kept=kept, original=data)
    return [d for d in check_programme(programme, view, registry)
            if not any(str(v) in gone for _, v in d.params)]


def _sorted(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    unique = {(d.file, d.line, d.col, d.path, d.code, d.params): d for d in diagnostics}
    return sorted(unique.values(), key=lambda d: (d.file, d.line, d.col, d.path))


def _load_chain(
    path: Path,
    display: str,
    positions: Positions,
    diagnostics: list[Diagnostic],
    files: list[str],
    chain: tuple[Path, ...],
) -> Any:
    data, pos, errors = load_yaml(path, display)
    files.append(display)
    if errors:
        diagnostics.extend(errors)
        return None
    positions.merge(pos)
    if not isinstance(data, dict) or "extends" not in data:
        return data
    target = data["extends"]
    where = positions.entries.get((id(data), "extends"))
    at = where.value if where else (1, 1)
    if not isinstance(target, str) or not target:
        diagnostics.append(diag(display, at, "extends", "extends.not_path"))
        return None
    base_path = (path.parent / target).resolve()
    here = path.resolve()
    if base_path in (*chain, here):
        cycle = " → ".join(display_name(p) for p in (*chain, here, base_path))
        diagnostics.append(diag(display, at, "extends", "extends.cycle", cycle=cycle))
        return None
    if not base_path.exists():
        diagnostics.append(diag(display, at, "extends", "extends.missing", target=target))
        return None
    if not base_path.is_file():  # a directory, a device (/dev/zero), a pipe: nothing to read as YAML
        diagnostics.append(diag(display, at, "extends", "extends.not_file", target=target))
        return None
    base = _load_chain(base_path, display_name(base_path), positions, diagnostics, files, (*chain, here))
    if base is None:
        return None
    if not isinstance(base, dict):
        diagnostics.append(diag(display, at, "extends", "programme.not_mapping"))
        return None
    return _merge(base, data, positions, display, diagnostics)


def _merge(base: dict, child: dict, positions: Positions, display: str, diagnostics: list[Diagnostic]) -> dict:
    """Child over base: keyed lists by key, maps shallowly, plugins as a union, scalars replaced."""
    merged: dict[str, Any] = {}
    removed = child.get("remove") or []
    base = dict(base)
    if isinstance(removed, list):
        for index, item_id in enumerate(removed):
            if not _remove_from(base, item_id, positions):
                pos = positions.entries.get((id(removed), index))
                diagnostics.append(diag(display, pos.value if pos else None, f"remove[{index}]", "extends.remove_unknown", id=item_id))
    for key in dict.fromkeys([*base, *child]):
        if key == "remove":
            continue
        source = child if key in child else base
        if key in base and key in child:
            value = _merge_value((key,), base[key], child[key], positions)
        else:
            value = source[key]
        merged[key] = value
        positions.copy_entry(source, key, merged, key)
    if "extends" in child:
        positions.copy_entry(child, "extends", merged, "extends")
    positions.add_node(merged, positions.nodes.get(id(child), Pos(display, 1, 1)))
    return merged


def _remove_from(base: dict, item_id: Any, positions: Positions) -> bool:
    for key in REMOVABLE:
        items = base.get(key)
        if isinstance(items, list):
            kept = [i for i in items if not (isinstance(i, dict) and i.get("id") == item_id)]
            if len(kept) != len(items):
                for new_index, item in enumerate(kept):
                    positions.copy_entry(items, items.index(item), kept, new_index)
                positions.copy_entry(base, key, base, key)
                positions.add_node(kept, positions.nodes.get(id(items), Pos("", 0, 0)))
                base[key] = kept
                return True
    return False


def _merge_value(path: tuple[str, ...], base: Any, child: Any, positions: Positions) -> Any:
    """`child`'s value for `path` over `base`'s (extends): plugins are a union, the lists in
    MERGED_LISTS merge by id, the maps in MERGED_MAPS key by key; anything else is the child's."""
    out: list[Any] | dict[str, Any]
    if path == ("plugins",) and isinstance(base, list) and isinstance(child, list):
        out = _union(base, child, positions)
    elif MERGED_LISTS.get(path) and isinstance(base, list) and isinstance(child, list):
        out = _by_id(MERGED_LISTS[path], base, child, positions)
    elif path in MERGED_MAPS and isinstance(base, dict) and isinstance(child, dict):
        out = _by_key(path, base, child, positions)
    else:
        return child
    positions.add_node(out, positions.nodes.get(id(child), Pos("", 0, 0)))
    return out


def _union(base: list[Any], child: list[Any], positions: Positions) -> list[Any]:
    """The base's items, then the child's not already there (plugins)."""
    out = list(base)
    for index in range(len(base)):
        positions.copy_entry(base, index, out, index)
    for index, item in enumerate(child):
        if item not in out:
            positions.copy_entry(child, index, out, len(out))
            out.append(item)
    return out


def _by_id(key: str, base: list[Any], child: list[Any], positions: Positions) -> list[Any]:
    """The base's items, a child's item replacing the base's of the same `key` in its place."""
    out: list[Any] = []
    where: dict[Any, int] = {}
    for source in (base, child):
        for index, item in enumerate(source):
            ident = item.get(key) if isinstance(item, dict) else None
            if ident is not None and ident in where:
                out[where[ident]] = item
                positions.copy_entry(source, index, out, where[ident])
                continue
            if ident is not None:
                where[ident] = len(out)
            positions.copy_entry(source, index, out, len(out))
            out.append(item)
    return out


def _by_key(path: tuple[str, ...], base: dict[str, Any], child: dict[str, Any], positions: Positions) -> dict[str, Any]:
    """Key by key: a key in both merged further down, else whichever has it."""
    out: dict[str, Any] = {}
    for sub in dict.fromkeys([*base, *child]):
        origin = child if sub in child else base
        if sub in base and sub in child:
            out[sub] = _merge_value((*path, sub), base[sub], child[sub], positions)
        else:
            out[sub] = origin[sub]
        positions.copy_entry(origin, sub, out, sub)
    return out
