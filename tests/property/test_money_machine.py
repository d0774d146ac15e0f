"""The money rules, property-tested: Hypothesis drives the real beneficiary-svc and
payment-svc (processes, real PostgreSQL, the embedded broker) through random sequences over
four months — decisions effective in past, present and future months, periods, generate /
regenerate / delete, submit, statuses by hand (the payment unit's results, as a supervisor),
split, pull, locks, recoveries — and after every step compares every line of every list with
the independent model (``btxh_tools.model``, written from DOMAIN.md, not from the code).

Invariants, after every step: each list's status, version and lines (allowance, arrears,
carried over, recovery, total, status, what carries them) are the model's; per person, what
the service's lines say was paid, is pending, carried, unpaid-stopped, returned and recovered
equals the model's books, and those add up to what the model says is owed, to the đồng; a
person-month is paid from at most one list; nothing in a locked month changes. A refused
action (its code) is one the model refuses with the same code, and vice versa.

Each example is a fresh district of the unit list (its own register and periods) on one
stack started once for the module.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest
import pytest_asyncio
from btxh_common.auth import Role
from btxh_common.clock import current_month
from btxh_tools.harness import Stack, start_stack
from btxh_tools.model import (
    ADJUST,
    DEATH,
    RESUME,
    STOP,
    SUSPEND,
    Line,
    Model,
    Refused,
    add_months,
    books_of,
    text,
)
from btxh_tools.model.ledger import PAYABLE
from btxh_tools.property_driver import Answer, Driver
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

M0 = current_month()
MONTHS = [add_months(M0, i) for i in range(4)]
START = add_months(M0, -2)
CATEGORIES = ["NCT_80", "KT_DBN", "NCT_NGHEO_60_80", "KT_N", "NCT_CD", "HIV_NGHEO"]
STATUSES = ["paid", "unpaid", "unpaid_stopped", "returned", "pending", "recovered"]
SUP = Role.DISTRICT_SUPERVISOR
NAMES = ["import-svc", "beneficiary-svc", "payment-svc"]
SHORT_SEED = 20261126  # make test: this seed, fixed


@pytest_asyncio.fixture(scope="module")
async def world(pg_server: str, kafka_bootstrap: str, module_tmp: Path) -> AsyncIterator[Stack]:
    async with start_stack(pg_server, kafka_bootstrap, module_tmp, NAMES) as run:
        yield run


# The officer's actions: (weight, when it can run, the strategy of its arguments). One rule,
# ``step``, draws an action by weight among those that can run, then its arguments: every
# action keeps a share of each example (Hypothesis' per-rule swarm left some out entirely).
Can = Callable[["MoneyMachine"], bool]
ALWAYS: Can = lambda self: True  # noqa: E731
ACTIONS: dict[str, tuple[int, Can, st.SearchStrategy[Any]]] = {
    "decide": (
        3,
        ALWAYS,
        st.tuples(
            st.integers(0, 7),
            st.sampled_from([ADJUST, ADJUST, SUSPEND, RESUME, STOP, DEATH]),
            st.integers(-1, 3),
            st.sampled_from(CATEGORIES),
        ),
    ),
    "arrears": (
        1,
        ALWAYS,
        st.tuples(st.integers(0, 7), st.integers(1, 40), st.integers(0, 3)),
    ),
    "open_period": (2, lambda self: len(self.model.periods) < len(MONTHS), st.integers(0, 3)),
    "generate": (4, ALWAYS, st.integers(0, 63)),
    "submit": (4, lambda self: self.has_list("draft"), st.integers(0, 63)),
    "delete": (1, lambda self: self.has_list("draft"), st.integers(0, 63)),
    "pull": (
        2,
        lambda self: self.has_list(*PAYABLE),
        st.tuples(st.integers(0, 63), st.integers(0, 63)),
    ),
    "lock": (1, ALWAYS, st.tuples(st.integers(0, 63), st.booleans())),
    "statuses": (
        6,
        lambda self: self.has_list(*PAYABLE),
        st.tuples(
            st.integers(0, 63),
            st.sampled_from([None, "paid", "paid", "unpaid", "unpaid_stopped"]),
            st.lists(st.tuples(st.integers(0, 50), st.sampled_from(STATUSES)), max_size=3),
            st.sampled_from([True, True, True, False]),
        ),
    ),
    "split": (
        2,
        lambda self: self.has_list("draft", *PAYABLE),
        st.tuples(st.integers(0, 63), st.integers(0, 50), st.integers(1, 99)),
    ),
    "create_recovery": (
        2,
        lambda self: self.has_recoveries,
        st.tuples(st.integers(0, 7), st.integers(1, 40), st.integers(1, 40), st.integers(0, 3)),
    ),
    "cancel_recovery": (
        1,
        lambda self: bool(self.has_recoveries and self.recoveries),
        st.tuples(st.integers(0, 20), st.booleans()),
    ),
}


class MoneyMachine(RuleBasedStateMachine):
    driver: Driver
    districts: Iterator[tuple[str, str]]
    has_recoveries = False
    examples = itertools.count(1)
    seen: ClassVar[Counter[str]] = Counter()  # actions and their answers, over the whole run
    steps = 0

    def __init__(self) -> None:
        super().__init__()
        self.d = self.driver
        self.d.district, self.commune = next(self.districts)
        self.n = next(self.examples)
        self.model = Model()
        self.people: list[str] = []
        self.versions: dict[str, int] = {}
        self.list_ids: dict[tuple[date, int], str] = {}
        self.id_of: dict[str, str] = {}  # model line key → service line id
        self.frozen: dict[date, Any] = {}
        self.recoveries: list[str] = []

    # -- helpers ------------------------------------------------------------------------
    def agree(self, answer: Answer, refused: Refused | None, what: str) -> None:
        expected = None if refused is None else refused.code
        self.seen[f"{what.split()[0]}: {answer.code or 'ok'}"] += 1
        assert answer.code == expected, (
            f"{what}: service {answer.status} {answer.body}, model {expected}"
        )

    def model_does(self, action: Any, *args: Any, **kw: Any) -> tuple[Any, Refused | None]:
        try:
            return action(*args, **kw), None
        except Refused as refused:
            return None, refused

    def all_lists(self) -> list[Any]:
        return [x for m in sorted(self.model.lists) for x in self.model.lists[m]]

    def pick_list(self, pick: int, wanted: tuple[str, ...]) -> Any:
        """Mostly a list in one of the ``wanted`` statuses; one pick in eight any list (the
        refusals are checked too)."""
        every = self.all_lists()
        fitting = [x for x in every if x.status in wanted] if pick % 8 != 7 else []
        choice = fitting or every
        return choice[pick // 8 % len(choice)] if choice else None

    def pick_month(self, pick: int) -> date:
        """Mostly an opened month; one pick in eight any of the four."""
        opened = sorted(self.model.periods) if pick % 8 != 7 else []
        choice = opened or MONTHS
        return choice[pick // 8 % len(choice)]

    def has_list(self, *wanted: str) -> bool:
        return any(x.status in wanted for x in self.all_lists())

    def settle(self, answer: Answer, who: str) -> None:
        if answer.ok:
            self.versions[who] = answer.body["version"]
            self.d.until_learned({who: self.versions[who]})

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        can = [name for name, (w, ok, _) in ACTIONS.items() if ok(self) for _ in range(w)]
        name = data.draw(st.sampled_from(can), label="action")
        getattr(self, name)(data.draw(ACTIONS[name][2], label=name))

    # -- the register ---------------------------------------------------------------------
    @initialize(categories=st.lists(st.sampled_from(CATEGORIES), min_size=5, max_size=8))
    def people_and_the_first_month(self, categories: list[str]) -> None:
        for i, category in enumerate(categories):
            answer = self.d.ben(
                "POST",
                "/v1/beneficiaries",
                {
                    "full_name": f"Người thứ {i}",
                    "national_id": f"{self.d.district}{self.n % 10_000:04d}{i:05d}",
                    "commune_code": self.commune,
                    "category": category,
                    "allowance_start_month": text(START),
                    "decision_no": f"{i}/QĐ-UBND",
                },
            )
            assert answer.status == 201, answer.body
            who = answer.body["id"]
            self.people.append(who)
            self.versions[who] = answer.body["version"]
            self.model.start(who, START, {category: 1})
        self.d.until_learned(self.versions)
        self.open_period(0)

    def decide(self, a: tuple[Any, ...]) -> None:
        who, kind, offset, category = a
        person = self.people[who % len(self.people)]
        month = add_months(M0, min(offset, 0) if kind == DEATH else offset)
        base = {"effective_month": text(month)}
        route, body = {
            ADJUST: ("adjust", {**base, "category": category, "decision_no": "9/QĐ"}),
            SUSPEND: ("suspend", {**base, "reason": "Đang xác minh"}),
            RESUME: ("resume", {**base, "reason": "Đã xác minh"}),
            STOP: ("stop", {**base, "decision_no": "8/QĐ", "reason": "Thôi hưởng"}),
            DEATH: ("death", {"death_date": str(month), "decision_no": "7/QĐ"}),
        }[kind]
        answer = self.d.ben("POST", f"/v1/beneficiaries/{person}/{route}", body)
        groups = {category: 1} if kind == ADJUST else None
        _, refused = self.model_does(self.model.decide, person, kind, month, groups)
        self.agree(answer, refused, f"{kind} {text(month)}")
        self.settle(answer, person)

    def arrears(self, a: tuple[Any, ...]) -> None:
        """The 10C import: an amount for a payment month (the current one or later)."""
        who, amount, offset = a
        # The 10C template with data lists the people receiving or suspended (import-svc's
        # choice; DOMAIN is silent): a stopped or dead person's arrears go another way.
        listed = [p for p in self.people if self.model.people[p].current()[0] != "stopped"]
        listed = [p for p in listed if self.model.people[p].current()[0] != "deceased"]
        if not listed:
            return
        person = listed[who % len(listed)]
        month = MONTHS[offset]
        self.d.until_imported(self.people)
        batch = self.d.import_arrears(
            self.commune, {person: (amount * 50_000, f"{month:%m/%Y}")}
        ).body
        self.seen[f"arrears: {batch['status']}"] += 1
        assert batch["status"] == "applied", batch
        self.model.set_arrears(person, amount * 50_000, month)
        self.settle(self.d.ben("GET", f"/v1/beneficiaries/{person}"), person)

    # -- periods and lists ----------------------------------------------------------------
    def open_period(self, month: int) -> None:
        m = MONTHS[0] if month == 3 else MONTHS[len(self.model.periods)]  # 3: opened already
        answer = self.d.pay("POST", f"/v1/districts/{self.d.district}/periods", {"month": text(m)})
        _, refused = self.model_does(self.model.open_period, m)
        self.agree(answer, refused, f"open {text(m)}")

    def generate(self, month: int) -> None:
        m = self.pick_month(month)
        path = f"/v1/districts/{self.d.district}/periods/{text(m)}/lists"
        answer = self.d.pay("POST", path, {"kind": "monthly"})
        made, refused = self.model_does(self.model.generate, m)
        self.agree(answer, refused, f"generate {text(m)}")
        if made is not None:
            self.list_ids[(m, made.version)] = answer.body["id"]

    def submit(self, pick: int) -> None:
        x = self.pick_list(pick, ("draft",))
        answer = self.d.pay("POST", f"/v1/lists/{self.list_ids[(x.month, x.version)]}/submit")
        self.agree(answer, self.model_does(self.model.submit, x)[1], "submit")

    def delete(self, pick: int) -> None:
        x = self.pick_list(pick, ("draft",))
        answer = self.d.pay("DELETE", f"/v1/lists/{self.list_ids[(x.month, x.version)]}")
        self.agree(answer, self.model_does(self.model.delete, x)[1], "delete")

    def pull(self, a: tuple[Any, ...]) -> None:
        month, to_month = a
        source, target = self.pick_month(month), self.pick_month(to_month)
        if target <= source and to_month % 8 != 7:  # mostly into a later month (§4.3)
            target = add_months(source, 2 if to_month % 2 else 1)
        path = f"/v1/districts/{self.d.district}/periods/{text(target)}/pull"
        answer = self.d.pay("POST", path, {"from_month": text(source)})
        moved, refused = self.model_does(self.model.pull, target, source)
        self.agree(answer, refused, f"pull {text(source)} → {text(target)}")
        if answer.ok:
            assert answer.body["lines"] == moved

    def lock(self, a: tuple[Any, ...]) -> None:
        month, locked = a
        m = self.pick_month(month)
        held = [k for k, v in self.model.periods.items() if v == "locked"]
        if held and locked:  # a lock is short-lived: the next lock step unlocks it
            m, locked = held[0], False
        path = f"/v1/districts/{self.d.district}/periods/{text(m)}/{'lock' if locked else 'unlock'}"
        answer = self.d.pay(
            "POST", path, {"note": "kiểm tra"}, role=Role.DISTRICT_OFFICER if locked else SUP
        )
        self.agree(answer, self.model_does(self.model.lock, m, locked)[1], f"lock {locked}")
        self.frozen.pop(m, None)
        if answer.ok and locked:
            self.frozen[m] = self.month_as_served(m)

    # -- lines ----------------------------------------------------------------------------
    def statuses(self, a: tuple[Any, ...]) -> None:
        pick, everyone, exceptions, supervisor = a
        x = self.pick_list(pick, PAYABLE)
        leaves = sorted(line.key for line in x.leaves())
        chosen = [(leaves[i % len(leaves)], s) for i, s in exceptions] if leaves else []
        body = {
            "everyone": everyone,
            "paid_on": str(M0) if everyone == "paid" else None,
            "exceptions": [{"line_id": self.id_of[k], "status": s} for k, s in chosen],
            "reason": "Kết quả chi trả",
        }
        path = f"/v1/lists/{self.list_ids[(x.month, x.version)]}/statuses"
        answer = self.d.pay("POST", path, body, role=SUP if supervisor else Role.DISTRICT_OFFICER)
        _, refused = self.model_does(self.model.statuses, x, everyone, chosen, supervisor)
        self.agree(answer, refused, f"statuses {everyone} {chosen}")

    def split(self, a: tuple[Any, ...]) -> None:
        pick, line, share = a
        x = self.pick_list(pick, ("draft", *PAYABLE))
        leaves = sorted(k.key for k in x.leaves() if k.status == "pending" or line % 4 == 0)
        if not leaves:
            return
        key = leaves[line % len(leaves)]
        total = x.lines[key].total
        first = max(1, total * share // 100)
        if total < 2 or first >= total:
            return
        amounts = [first, total - first]
        body = {"parts": [{"amount": a} for a in amounts]}
        answer = self.d.pay("POST", f"/v1/lines/{self.id_of[key]}/split", body)
        parts = answer.body["parts"] if answer.ok else ["?1", "?2"]
        _, refused = self.model_does(self.model.split, key, amounts, parts)
        self.agree(answer, refused, f"split {key} {amounts} ({x.lines[key].status})")
        for part in parts if answer.ok else []:
            self.id_of[part] = part

    # -- recoveries (truy thu): run once payment-svc has the route ------------------------
    def create_recovery(self, a: tuple[Any, ...]) -> None:
        who, total, per, offset = a
        person = self.people[who % len(self.people)]
        amount, per_period = total * 50_000, min(per, total) * 50_000
        body = {
            "beneficiary_id": person,
            "decision_no": "5/QĐ-TT",
            "decision_date": str(M0),
            "reason": "Hưởng sai",
            "total": amount,
            "per_period": per_period,
            "from_month": text(MONTHS[offset]),
        }
        answer = self.d.pay("POST", f"/v1/districts/{self.d.district}/recoveries", body)
        assert answer.status == 201, answer.body
        self.seen["recovery: created"] += 1
        rid = answer.body["recovery_id"]
        self.model.create_recovery(rid, person, amount, per_period, MONTHS[offset])
        self.recoveries.append(rid)

    def cancel_recovery(self, a: tuple[Any, ...]) -> None:
        which, supervisor = a
        rid = self.recoveries[which % len(self.recoveries)]
        path = f"/v1/districts/{self.d.district}/recoveries/{rid}/cancel"
        answer = self.d.pay(
            "POST", path, {"reason": "Hủy"}, role=SUP if supervisor else Role.DISTRICT_OFFICER
        )
        _, refused = self.model_does(self.model.cancel_recovery, rid, supervisor)
        if refused is not None and refused.code == "recovery_closed":
            assert answer.status == 409, answer.body  # the contract names no code for it
        else:
            self.agree(answer, refused, "cancel recovery")

    # -- what is served, against the model ------------------------------------------------
    def month_as_served(self, month: date) -> Any:
        """A month's lists and lines as served, but for which later line carries a line's
        money (carrying a closed month's unpaid money on is how the next month is made)."""
        path = f"/v1/districts/{self.d.district}/periods/{text(month)}/lists"
        answer = self.d.pay("GET", path)
        lists = sorted(answer.body["lists"], key=lambda x: x["version"]) if answer.ok else []
        return [
            (x["status"], x["version"], [fixed(line) for line in self.d.lines(x["id"])])
            for x in lists
            if x["kind"] == "monthly"
        ]

    def served_lines(self) -> dict[tuple[date, int], tuple[str, list[dict[str, Any]]]]:
        served = {}
        for (month, version), list_id in self.list_ids.items():
            answer = self.d.pay("GET", f"/v1/lists/{list_id}")
            assert answer.ok, answer.body
            served[(month, version)] = (answer.body["status"], self.d.lines(list_id))
        return served

    def key(self, month: date, version: int, line: dict[str, Any]) -> str:
        return (
            line["id"] if line["parent_id"] else f"{text(month)}/{version}/{line['beneficiary_id']}"
        )

    def check(self) -> None:
        self.every_line_is_the_models()
        if self.has_recoveries:
            self.recoveries_are_the_models()

    @invariant()
    def every_line_is_the_models(self) -> None:
        if not self.people:
            return
        MoneyMachine.steps += 1
        served = self.served_lines()
        keys: dict[str, str] = {}
        for (month, version), (_, lines) in served.items():
            for line in lines:
                keys[line["id"]] = self.key(month, version, line)
                self.id_of[keys[line["id"]]] = line["id"]
        as_model: list[Line] = []
        for (month, version), (status, lines) in served.items():
            x = next(v for v in self.model.lists[month] if v.version == version)
            where = f"{text(month)} v{version}"
            assert status == x.status, f"{where}: list {status}, model {x.status}"
            got = {keys[line["id"]]: line for line in lines}
            assert sorted(got) == sorted(x.lines), f"{where}: lines differ"
            for k, line in got.items():
                want = x.lines[k]
                have = (
                    line["allowance"],
                    line["arrears"],
                    line["carried_over"],
                    line["recovery"],
                    line["total"],
                )
                assert have == want.amounts(), f"{where} {k}: {have}, model {want.amounts()}"
                assert line["status"] == want.status, (
                    f"{where} {k}: {line['status']}, model {want.status}"
                )
                carried = keys.get(line["carried_into"]) if line["carried_into"] else None
                assert carried == want.carried_into, (
                    f"{where} {k}: carried into {carried}, model {want.carried_into}"
                )
                if status not in ("superseded", "deleted"):
                    as_model.append(self.as_line(month, k, line, carried))
        self.books_balance(as_model)
        self.paid_once(served)
        self.locked_months_unchanged()

    def as_line(self, month: date, key: str, line: dict[str, Any], carried: str | None) -> Line:
        return Line(
            key,
            line["beneficiary_id"],
            month,
            allowance=line["allowance"],
            arrears=line["arrears"],
            carried_over=line["carried_over"],
            recovery=line["recovery"],
            total=line["total"],
            status=line["status"],
            parent=line["parent_id"],
            carried_into=carried,
        )

    def books_balance(self, served: list[Line]) -> None:
        for person in self.people:
            books = books_of(person, served)
            assert books == self.model.books(person), (
                f"{person}: served {books}, model {self.model.books(person)}"
            )
            assert books.owed == books.accounted(), f"{person}: owed {books.owed} ≠ {books}"

    def paid_once(self, served: dict[tuple[date, int], tuple[str, list[dict[str, Any]]]]) -> None:
        paid_from: dict[tuple[str, date], set[int]] = {}
        for (month, version), (_, lines) in served.items():
            for line in lines:
                if line["status"] == "paid":
                    paid_from.setdefault((line["beneficiary_id"], month), set()).add(version)
        twice = {k: v for k, v in paid_from.items() if len(v) > 1}
        assert twice == {}, f"a person-month paid from two lists: {twice}"

    def locked_months_unchanged(self) -> None:
        for month, snapshot in self.frozen.items():
            assert self.month_as_served(month) == snapshot, f"{text(month)} changed while locked"

    @invariant()
    def recoveries_are_the_models(self) -> None:
        for rid in self.recoveries:
            answer = self.d.pay("GET", f"/v1/districts/{self.d.district}/recoveries/{rid}")
            assert answer.ok, answer.body
            have = (answer.body["status"], answer.body["recovered"], answer.body["outstanding"])
            want = (
                self.model.recovery_status(rid),
                self.model.deducted(rid),
                self.model.outstanding(rid),
            )
            assert have == want, f"recovery {rid}: {have}, model {want}"


def fixed(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "carried_into"}


def recoveries_exist(driver: Driver) -> bool:
    """Recoveries arrive with another change; their rules run once the route exists."""
    paths = driver.pay("GET", "/openapi.json").body["paths"]
    return "/v1/districts/{district}/recoveries" in paths


SOAK = os.environ.get("BTXH_PROPERTY_PROFILE") == "soak"
SEED = int(os.environ["SOAK_SEED"]) if SOAK else SHORT_SEED


@pytest.fixture(scope="module")
def driver(world: Stack) -> Iterator[Driver]:
    hand = Driver(world)
    try:
        MoneyMachine.driver = hand
        MoneyMachine.districts = iter(hand.communes())
        MoneyMachine.has_recoveries = recoveries_exist(hand)
        yield hand
    finally:
        hand.close()


@pytest.mark.timeout(int(os.environ.get("PROPERTY_TIMEOUT", "1800")))
def test_the_services_keep_the_models_books(driver: Driver) -> None:
    fixed_seed(SEED)(MoneyMachine)
    run_state_machine_as_test(MoneyMachine)
    print(f"\nmoney machine: {MoneyMachine.steps} checked steps", dict(MoneyMachine.seen))
    done = {what for what, n in MoneyMachine.seen.items() if n}
    wanted = {"generate: ok", "submit: ok", "statuses: ok", "split: ok", "arrears: applied"}
    wanted |= {"recovery: created", "cancel: ok"} if MoneyMachine.has_recoveries else set()
    assert wanted <= done, f"the run never did {wanted - done}"
    assert MoneyMachine.steps >= (10_000 if SOAK else 200)


def replay(categories: list[str], *steps: tuple[str, Any]) -> None:
    """A counterexample the shrinker found, step by step, checked after each step."""
    machine = MoneyMachine()
    machine.people_and_the_first_month(categories)
    machine.check()
    for name, args in steps:
        getattr(machine, name)(args)
        machine.check()


# -- every counterexample the shrinker found, kept --------------------------------------------


def test_a_list_whose_unpaid_money_a_later_list_carries_gets_no_new_version(
    driver: Driver,
) -> None:
    """M0 submitted, everyone unpaid; M1's list carries the money; a new version of M0 would
    owe M0 again while M1 still pays it: refused (``list_carried_over``)."""
    replay(
        ["NCT_80"] * 5,
        ("generate", 0),
        ("submit", 0),
        ("statuses", (0, "unpaid", [], True)),
        ("open_period", 0),
        ("generate", 8),
        ("generate", 0),
    )
