"""The one catalogue of user-facing strings: core/locale/<lang>.toml, looked up by key."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

DEFAULT_LANG = "zh"
LOCALE = Path(__file__).resolve().parent / "locale"
_lang: str | None = None


def set_lang(lang: str | None) -> None:
    global _lang
    _lang = lang


def current_lang() -> str:
    lang = _lang or os.environ.get("GUANAI_LANG") or DEFAULT_LANG
    lang = lang.split("_")[0].split(".")[0].lower()
    return lang if lang in available_langs() else DEFAULT_LANG


@cache
def available_langs() -> tuple[str, ...]:
    return tuple(sorted(name[:-5] for name in os.listdir(LOCALE) if name.endswith(".toml")))


@cache
def _catalogue(lang: str) -> dict[str, str]:
    """The TOML catalogue, read through the file cache (parsing TOML took ~12 ms of start-up)."""
    from guanai.core.cache import cached_json

    path = LOCALE / f"{lang}.toml"
    stat = path.stat()

    def parse() -> dict[str, str]:
        import tomllib

        return tomllib.loads(path.read_text("utf-8"))

    return cached_json(f"catalogue-{lang}-{stat.st_mtime_ns}-{stat.st_size}", parse, stale=f"catalogue-{lang}-*.json")


def has(key: str) -> bool:
    return key in _catalogue(DEFAULT_LANG)


def t(key: str, /, **params: object) -> str:
    """The message `key` in the current language, formatted with `params`.

    Falls back to the default language, then to the key itself, so a missing
    translation shows something rather than failing.
    """
    text = _catalogue(current_lang()).get(key) or _catalogue(DEFAULT_LANG).get(key) or key
    if params:  # what a user typed or the database said may hold a phone, an ID or a password
        from guanai.core.privacy import redact

        params = {k: redact(v) if isinstance(v, str) else v for k, v in params.items()}
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def click_text(message: str) -> str:
    """click's own English (usage, errors, "Show this message and exit.") in the run's language:
    the catalogue's `click.<English>` entry, a template click then formats itself."""
    return _catalogue(current_lang()).get(f"click.{message}") or message


def click_plural(singular: str, plural: str, n: int) -> str:
    return click_text(singular if n == 1 else plural)


def speak_for_click() -> None:
    """Route click's gettext calls through the catalogue (click has no translations of its own;
    each of its modules calls the module-level `_` / `ngettext` it imported from gettext)."""
    import importlib

    for name in ("core", "exceptions", "types", "decorators", "formatting", "parser", "termui", "utils"):
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = click_text  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = click_plural  # type: ignore[attr-defined]
