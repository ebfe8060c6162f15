"""One command's world: where the data is, which plugins, which language, what time it is.

Built once, in the root command (`main()` → click's root callback), and handed to every command
and, through them, to the hooks' contexts; nothing below it opens the database, loads the plugins
or reads the clock on its own. The store is opened on first use (`guanai --help` opens nothing);
the registry is the process's (core/plugins.py builds it once); the clock is read once, so one
command sees one "now" even when it runs across midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from guanai.core.registry import Registry
    from guanai.core.store.db import Store


DEFAULT_DB = "sqlite:///guanai.db"


@dataclass
class App:
    db_url: str
    lang: str = "zh"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))  # the command's "now", aware
    _store: Store | None = None
    _init_store: Store | None = None
    _declared: tuple[Any, ...] | None = None
    quiet_plugins: bool = False  # `plugins check` and `plugins list` tell the plugins' problems themselves
    _told: bool = False

    @property
    def store(self) -> Store:
        """The database, opened once and checked to be initialised and current."""
        if self._store is None:
            self._store = self.raw_store.ready()
        return self._store

    @property
    def raw_store(self) -> Store:
        """The database as found, for `init` (which creates or upgrades it)."""
        if self._init_store is None:
            from guanai.core.store.db import Store

            self._init_store = Store(self.db_url)
        return self._init_store

    def use_db(self, url: str) -> None:
        """Point the rest of the command at another database (`guanai demo` builds one, then asks it)."""
        self.db_url, self._store, self._init_store = url, None, None

    @property
    def registry(self) -> Registry:
        """The plugins' step types, with the record types the published programmes declare
        (`steps:`) once the database is there to say which (never created to find out)."""
        from guanai.core.plugins import current_registry, remember_declared

        if self._declared is None:
            self._declared = self._declared_steps()
            remember_declared(self._declared)
        found = current_registry()
        if not self._told and not self.quiet_plugins:  # every command says, once, which plugins it left out
            import sys

            self._told = True
            for problem in found.problems:
                print(problem.line(), file=sys.stderr)
        return found

    def existing_store(self) -> Store | None:
        """The database when it is there and guanai's; None when there is none (yet), it is not
        guanai's, or its server does not answer — never created to find out."""
        from guanai.core.diagnostics import Refusal
        from guanai.core.store.db import sqlite_path
        from sqlalchemy.exc import SQLAlchemyError

        if self._store is not None:
            return self._store
        try:
            from sqlalchemy.engine import make_url

            url = make_url(self.db_url)
            path = sqlite_path(url.database) if url.get_backend_name() == "sqlite" else None
            if url.get_backend_name() == "sqlite" and (path is None or not path.exists()):
                return None
            return self.store
        except (Refusal, ValueError, ImportError, SQLAlchemyError):
            return None

    def _declared_steps(self) -> tuple[Any, ...]:
        from guanai.core.store.programmes import declared_steps
        from sqlalchemy.exc import SQLAlchemyError

        store = self.existing_store()  # none: the plugins' steps (programme check needs no database)
        if store is None:
            return ()
        try:
            with store.read() as conn:
                return declared_steps(conn)
        except SQLAlchemyError:
            return ()

    def now(self, zone: ZoneInfo | None = None) -> datetime:
        """The command's moment as a naive local time in `zone` (the machine's zone when None)."""
        local = self.started.astimezone(zone) if zone is not None else self.started.astimezone()
        return local.replace(tzinfo=None, microsecond=0)

    def today(self, zone: ZoneInfo | None = None) -> date:
        return self.now(zone).date()

    def close(self) -> None:
        for store in {id(s): s for s in (self._store, self._init_store) if s is not None}.values():
            store.engine.dispose()
