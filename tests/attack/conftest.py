"""A county on PostgreSQL and its users, for attacks written as an attacker would make them: a
login of `guanai user add`, psql (here: SQLAlchemy on a raw connection), no superuser, no one
else's password.

示例县 (C01): 示例镇 (T01) with 示例镇中学 (S001) and 示例镇中心小学 (S002); 河口乡 (T02) with 河口乡小学
(S003). 邻县 (C02) with 邻乡 (T03) and 邻县小学 (S004). S001 has the pupils K1–K3 (phones on file) and
the teacher T001, proxy parent of K1; S002 has K4 and P001.

The attackers, each with the schools it may see: a teacher of S001 (K2's phone is not theirs), a
school user of S002, a township user of T02, a county user of the neighbouring county, an
administrator of the neighbouring county, and a stranger — a school user of another guanai
database on the same server (here another schema: every guanai installation has its own group
roles, whatever it shares).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import FACTS, Db, pg_schema

ENGINE = FACTS.parent / "engine"
ORG = """代码,名称,类型,上级
C01,示例县,县,
T01,示例镇,乡镇,C01
T02,河口乡,乡镇,C01
S001,示例镇中学,学校,T01
S002,示例镇中心小学,学校,T01
S003,河口乡小学,学校,T02
C02,邻县,县,
T03,邻乡,乡镇,C02
S004,邻县小学,学校,T03
"""
ROSTER_S001 = """学籍号,姓名,班级,留守类型,外出开始,入学,监护人电话,身份证号
K1,刘小明,七(1)班,留守,2020-01,2024-09-01,13900001111,510722201203150022
K2,陈小红,七(1)班,留守,2020-01,2024-09-01,13900002222,510722201205050041
K3,孙悦,七(1)班,非留守,,2024-09-01,13900003333,
"""
ROSTER_S002 = "学籍号,姓名,班级,留守类型,外出开始,入学,监护人电话\nK4,周小,三年级1班,留守,2020-01,2024-09-01,13700004444\n"


@dataclass
class Attacker:
    """A login and what it may see."""

    role: str
    name: str
    schools: set[str]
    url: str


@dataclass
class County:
    db: Db
    schema: str
    users: dict[str, Attacker] = field(default_factory=dict)

    def url_as(self, name: str, **settings: str) -> str:
        url = self.db.url.replace("postgres@", f"{name}@", 1)
        for key, value in settings.items():
            url += f"%20-c{key}%3D{value}"
        return url

    def guanai(self, who: str, *args: str):
        return self.db._cli("--db", self.users[who].url if who in self.users else self.url_as(who), *args)

    def sql(self, who: str, *statements: str, **params) -> list[tuple]:
        """Run statements in one session and one transaction as `who`; the last one's rows."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.users[who].url if who in self.users else self.url_as(who))
        try:
            with engine.begin() as conn:
                result = None
                for statement in statements:
                    result = conn.execute(text(statement), params)
                return [tuple(r) for r in result] if result is not None and result.returns_rows else []
        finally:
            engine.dispose()

    def owner_sql(self, statement: str) -> list[tuple]:
        return self.db.query(statement)

    def figures(self) -> str:
        """What the county sees of S001: every figure a report is made of."""
        out = []
        for command in (("compliance", "--org", "S001", "--by", "duty", "--as-of", "2025-11-20", "--json"),
                        ("stats", "--org", "S001", "--as-of", "2025-11-20", "--json"),
                        ("children", "list", "--org", "S001", "--json")):
            result = self.guanai("county_c01", *command)
            assert result.exit_code == 0, result.stderr
            out.append(result.stdout)
        return "\n".join(out)


def _schema_of(url: str) -> str:
    return url.rsplit("search_path%3D", 1)[1].split("&")[0]


def _install(db: Db, tmp: Path) -> None:
    (tmp / "org.csv").write_text(ORG, encoding="utf-8")
    db.ok("org", "import", str(tmp / "org.csv"))
    db.ok("programme", "publish", str(ENGINE / "term.yaml"), "--to", "C01")
    db.ok("staff", "import", str(ENGINE / "staff.csv"), "--school", "S001")
    (tmp / "s001.csv").write_text(ROSTER_S001, encoding="utf-8")
    db.ok("roster", "import", str(tmp / "s001.csv"), "--school", "S001")
    db.ok("staff", "import", str(FACTS / "staff_s002.csv"), "--school", "S002")
    (tmp / "s002.csv").write_text(ROSTER_S002, encoding="utf-8")
    db.ok("roster", "import", str(tmp / "s002.csv"), "--school", "S002")
    (tmp / "pairs.csv").write_text("学籍号,工号,开始\nK1,T001,2025-09-01\n", encoding="utf-8")
    db.ok("assign", "import", str(tmp / "pairs.csv"), "--role", "proxy_parent")
    db.ok("record", "talk", "--child", "K1", "--by", "T001", "--at", "2025-10-09 16:00")


USERS = (  # key, role, org, staff, the schools it may see
    ("teacher_s001", "teacher", "S001", "T001", {"S001"}),
    ("school_s001", "school", "S001", None, {"S001"}),
    ("school_s002", "school", "S002", None, {"S002"}),
    ("township_t01", "township", "T01", None, {"S001", "S002"}),
    ("township_t02", "township", "T02", None, {"S003"}),
    ("county_c01", "county", "C01", None, {"S001", "S002", "S003"}),
    ("county_c02", "county", "C02", None, {"S004"}),
    ("admin_c02", "admin", "C02", None, {"S004"}),
)
ATTACKERS = ("teacher_s001", "school_s002", "township_t02", "county_c02", "admin_c02", "stranger")


@contextmanager
def _county(cli, tmp: Path) -> Iterator[County]:
    """Build the county above on a schema of its own, with its users and a stranger; drop it all after."""
    if not os.environ.get("GUANAI_TEST_PG"):
        pytest.skip("the attacks are on PostgreSQL's access control: set GUANAI_TEST_PG (.ci/run does)")
    with pg_schema() as url, pg_schema("o") as other_url:
        db = Db(url, cli)
        db.ok("init")
        _install(db, tmp)
        found = County(db, _schema_of(url))
        tag = uuid.uuid4().hex[:6]
        made: list[tuple[Db, str]] = []
        try:
            for key, role, org, staff, schools in USERS:
                name = f"a{tag}_{key}"
                args = ["user", "add", name, "--org", org, "--role", role] + (["--staff", staff] if staff else [])
                db.ok(*args)
                made.append((db, name))
                found.users[key] = Attacker(role, name, schools, found.url_as(name))
            other = _other_database(Db(other_url, cli), tmp)
            name = f"a{tag}_stranger"
            other.ok("user", "add", name, "--org", "S001", "--role", "school")
            made.append((other, name))
            found.users["stranger"] = Attacker("school", name, set(), found.url_as(name))
            yield found
        finally:
            for owner, name in made:
                owner.run("user", "remove", name)


@pytest.fixture
def county(cli, tmp_path) -> Iterator[County]:
    """A county of its own for an attack that changes what it finds (PostgreSQL only)."""
    with _county(cli, tmp_path) as found:
        yield found


@pytest.fixture(scope="module")
def shared_county(tmp_path_factory) -> Iterator[County]:
    """One county for a module's attacks that must change nothing (each asserts it did not)."""
    from click.testing import CliRunner
    from guanai.core.cli import build_cli

    def cli(*args: str, input: str | None = None):
        return CliRunner().invoke(build_cli(), list(args), input=input, catch_exceptions=False)

    with _county(cli, tmp_path_factory.mktemp("county")) as found:
        yield found


def _other_database(other: Db, tmp: Path) -> Db:
    """Another guanai installation on the same server, with a school of the same code."""
    other.ok("init")
    (tmp / "org_other.csv").write_text("代码,名称,类型,上级\nC01,外县,县,\nS001,外县中学,学校,C01\n", encoding="utf-8")
    other.ok("org", "import", str(tmp / "org_other.csv"))
    return other
