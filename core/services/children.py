"""A child's file (一人一档) as plain data: what `children show` prints and the teacher's page shows,
from one derivation (the open items are the engine's own, as `due` lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from guanai.core.diagnostics import Refusal
from guanai.core.obligations import OVERDUE
from guanai.core.services.engine import Scope, due_items, school_year, scope

if TYPE_CHECKING:
    from guanai.core.app import App


@dataclass
class ChildView:
    """一人一档 as plain data: the stored file (pairings, records, follow-ups, past schools), the
    child's row as shown (masked unless asked), the items open on as_of, and the engine's scope."""

    file: dict[str, Any]
    child: dict[str, Any]
    open: list[dict[str, Any]]
    context: Scope
    staff_names: dict[str, str]  # who is responsible or recorded, by 工号, as the text shows them

    @property
    def public(self) -> dict[str, Any]:
        """As `children show --json` gives it."""
        return {**self.file, "child": self.child, "open": self.open}


def child_view(app: App, child_id: str, moment: date | datetime | None = None, show_contacts: bool = False,
               source: str = "cli") -> ChildView:
    """The child's profile, pairings over time, every record, the follow-ups they obliged and the
    items open on as_of (due and overdue), from the engine's own derivation. `show_contacts`: the
    full contacts the session may see, audited (as `source`)."""
    from guanai.core.privacy import masked
    from guanai.core.store import contacts
    from guanai.core.store.facts import staff_names
    from guanai.core.store.pipl import child_file

    store = app.store
    with store.write() if show_contacts else store.read() as conn:
        found = child_file(conn, child_id)
        if found is None:
            raise Refusal("record.child_unknown", value=child_id)
        school = found["child"]["school"]
        kid = masked(contacts.shown(conn, "child", [found["child"]], show_contacts, f"org={school},child={child_id}",
                                    school, source)[0], show_contacts)
    earlier = tuple(dict.fromkeys(p["school"] for p in found["past_schools"]))
    c = scope(app, kid["school"], moment, also=earlier)
    # the items `due` lists for the child (the same service, the same default period)
    listed = due_items(c, period=school_year(c.asof.day), subject=("child", child_id))
    keys = ("duty", "name", "window_start", "due", "status", "responsible", "done", "required")
    open_items = [{k: item[k] for k in keys} for item in listed.public]
    found["history"] = history(found, c.orgs)
    with store.read() as conn:
        names = staff_names(conn, [*(r["responsible"] for r in open_items), *(r["by_staff"] for r in found["records"])])
    open_items.sort(key=lambda r: (r["status"] != OVERDUE, r["due"], r["name"]))
    return ChildView(found, kid, open_items, c, names)


def history(found: dict[str, Any], orgs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The child's schools and classes over time, oldest first: the spans kept by the schools it
    left (转学) and the classes it left (转班), then where it is now (`last` None)."""
    kid = found["child"]
    spans = [{"school": p["school"], "class": p["class_name"], "start": p["start"], "end": p["end"]}
             for p in (*found["past_schools"], *found["past_classes"])]
    here = [p["end"] for p in found["past_classes"] if p["school"] == kid["school"]]
    spans.append({"school": kid["school"], "class": kid["class_name"],
                  "start": max([kid["enrolled_on"], *here]), "end": kid["left_on"]})
    spans.sort(key=lambda p: (p["start"], p["end"] is None, p["end"] or p["start"]))
    # stored ends are first days away; a child's file shows the last day there, as pairings do
    return [{"school": p["school"], "school_name": orgs.get(p["school"], {}).get("name", p["school"]),
             "class": p["class"], "start": p["start"], "last": p["end"] - timedelta(days=1) if p["end"] else None}
            for p in spans]
