"""Diagnostics: one problem at one place, printed gcc-style as FILE:LINE:COL: path: message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from guanai.core.i18n import t


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem in an input file. `line` and `col` are 1-based (0 when unknown).

    For tables, `line` is the spreadsheet row (header = 1) and `column` the header as written.
    """

    file: str
    line: int = 0
    col: int = 0
    path: str = ""
    code: str = field(default="", compare=False)
    params: tuple[tuple[str, object], ...] = field(default=(), compare=False)
    severity: str = field(default="error", compare=False)
    column: str = field(default="", compare=False)

    @property
    def message(self) -> str:
        return t(self.code, **dict(self.params))

    def render(self) -> str:
        if self.column:
            where = f"{self.file}:{self.line}:{self.column}"
        elif self.line:
            where = f"{self.file}:{self.line}:{self.col}"
        else:
            where = self.file
        prefix = "" if self.severity == "error" else t("diag.warning")
        path = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{path}{self.message}"

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["params"] = {k: _jsonable(v) for k, v in self.params}
        data["message"] = self.message
        return data


def _jsonable(value: object) -> object:
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def diag(file: str, pos: tuple[int, int] | None, path: str, code: str, **params: object) -> Diagnostic:
    line, col = pos or (0, 0)
    return Diagnostic(file, line, col, path, code, tuple(params.items()))


class InputError(Exception):
    """Bad input: carries every diagnostic found; the CLI prints them and exits 2."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(d.render() for d in diagnostics))
        self.diagnostics = sorted(diagnostics)


class Refusal(Exception):
    """A command that cannot go ahead (no database, unknown school …): one message, exit 2."""

    def __init__(self, code: str, /, **params: object):
        super().__init__(code)
        self.code, self.params = code, params

    @property
    def message(self) -> str:
        return t(self.code, **self.params)
