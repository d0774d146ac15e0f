"""The register's recorded decisions fed to the independent model (``btxh_tools.model``):
what officers decided is the model's input; what is owed is the model's own answer, not the
list SQL's."""

from __future__ import annotations

from datetime import date

import asyncpg

from btxh_tools.model import ADJUST, DEATH, RESUME, START, STOP, SUSPEND, Model

STARTS = ("register", "import_new", "add_policy")
ADJUSTS = ("adjust", "import_adjust")
BY_STATUS = {
    "active": RESUME,
    "suspended": SUSPEND,
    "under_review": SUSPEND,
    "stopped": STOP,
    "deceased": DEATH,
}


async def model_of_register(register: asyncpg.Connection, district: str) -> Model:
    """A model holding every beneficiary of ``district`` with the decisions the register
    recorded (in the order recorded) and the arrears it holds."""
    model = Model()
    people = await register.fetch(
        "SELECT id, status, arrears_amount, arrears_period FROM beneficiary"
        " WHERE district_code = $1",
        district,
    )
    decisions = await register.fetch(
        "SELECT beneficiary_id, effective_month, action, status, category, children"
        " FROM policy_decision"
        " WHERE district_code = $1 ORDER BY id",
        district,
    )
    for p in people:
        person = model.add(str(p["id"]))
        person.removed = p["status"] == "removed"
        if p["arrears_amount"] and p["arrears_period"]:
            model.set_arrears(person.id, p["arrears_amount"], p["arrears_period"])
    for d in decisions:
        who, month = str(d["beneficiary_id"]), d["effective_month"]
        groups = {d["category"]: d["children"] or 1}  # children: DON_THAN is per child
        if d["action"] in STARTS:
            model.record(who, START, month, groups)
        elif d["action"] in ADJUSTS:
            model.record(who, ADJUST, month, groups)
        elif d["status"] in BY_STATUS:
            model.record(who, BY_STATUS[d["status"]], month)
    return model


async def register_owes(register: asyncpg.Connection, district: str, month: date) -> dict[str, int]:
    """What month ``month``'s first monthly list must pay each person, by the model, from the
    register's decisions and arrears (no earlier lists: nothing carried, nothing recovered)."""
    model = await model_of_register(register, district)
    model.open_period(month)
    return {person: line.total for person, line in model.expected(model.generate(month)).items()}
