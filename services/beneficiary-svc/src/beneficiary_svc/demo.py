"""A realistic generated district: Vietnamese names with diacritics, CCCDs whose province,
century/gender and year digits agree with the record, categories that fit the person's age,
and a sprinkle of real-world defects (shared IDs, missing IDs, old 9-digit CMNDs).

``python -m beneficiary_svc.demo --district 001 --size 5000`` seeds the database named by
``DATABASE_URL`` (the service's own) once; the same seed gives the same people.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
from datetime import date
from uuid import UUID

import asyncpg
from btxh_common.envelope import Envelope
from btxh_common.events import BeneficiaryRegistered
from btxh_common.outbox import enqueue_many
from btxh_common.topics import BENEFICIARY_EVENTS

from beneficiary_svc.adapters import db, positions, timeline, units
from beneficiary_svc.domain.register import Beneficiary
from beneficiary_svc.domain.timeline import decision_of, in_force

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trịnh",
]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Xuân", "Đình"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Thu", "Hồng", "Kim", "Minh", "Bích"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Tuấn",
    "Thắng",
    "Việt",
    "Khoa",
    "Đạt",
    "Lộc",
    "Toàn",
]
GIVEN_F = [
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Tâm",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
    "Nhung",
    "Huyền",
    "Ánh",
    "Loan",
    "Xuân",
]
ETHNICITIES = ["Kinh"] * 17 + ["Tày", "Thái", "Mường"]


def _category(rng: random.Random, age: int) -> str:
    if age >= 80:
        return rng.choice(["NCT_80", "NCT_80", "NCT_80", "NCT_NGHEO_80", "KT_DBN_TE_NCT"])
    if age >= 60:
        return rng.choice(["NCT_NGHEO_60_80", "KT_N_TE_NCT", "KT_DBN_TE_NCT", "NCT_CD"])
    if age < 4:
        return rng.choice(["TE_MC_U4", "TE_U3_DTTS" if age < 3 else "TE_MC_U4"])
    if age < 16:
        return rng.choice(["TE_MC_4_16", "KT_N_TE_NCT", "TE_HIV_4_16"])
    if age < 22:
        return rng.choice(["HS_16_22", "KT_N", "KT_DBN"])
    return rng.choice(["KT_N", "KT_N", "KT_DBN", "DON_THAN", "HIV_NGHEO"])


def _national_id(rng: random.Random, province: str, born: date, gender: str) -> str:
    century = 0 if born.year < 2000 else 2
    digit = century + (1 if gender == "female" else 0)
    return f"{int(province):03d}{digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"


def generate(
    district: str,
    province: str,
    communes: list[str],
    coefficients: dict[str, int],
    size: int,
    seed: int = 1,
) -> list[Beneficiary]:
    rng = random.Random(f"{seed}:{district}")
    people: list[Beneficiary] = []
    this_year = 2026
    for i in range(size):
        gender = rng.choice(["male", "female"])
        age = rng.choice(
            [
                rng.randrange(0, 16),
                rng.randrange(16, 60),
                rng.randrange(60, 100),
                rng.randrange(80, 100),
            ]
        )
        born = date(this_year - age, rng.randrange(1, 13), rng.randrange(1, 29))
        middle, given = (MIDDLE_F, GIVEN_F) if gender == "female" else (MIDDLE_M, GIVEN_M)
        name = f"{rng.choice(SURNAMES)} {rng.choice(middle)} {rng.choice(given)}"
        national_id: str | None = _national_id(rng, province, born, gender)
        roll = rng.random()
        if roll < 0.02:
            national_id = None  # never collected
        elif roll < 0.05:
            national_id = f"{rng.randrange(10**9):09d}"  # an old CMND
        elif roll < 0.055 and people:
            national_id = rng.choice(people).national_id  # typed twice by mistake
        category = _category(rng, age)
        start = date(rng.choice([2022, 2023, 2024, 2025]), rng.randrange(1, 13), 1)
        channel = "bank" if rng.random() < 0.15 else "cash"
        people.append(
            Beneficiary(
                id=UUID(int=rng.getrandbits(128), version=4),
                district_code=district,
                commune_code=communes[i % len(communes)],
                full_name=name,
                national_id=national_id,
                birth_date=born,
                gender=gender,
                ethnicity=rng.choice(ETHNICITIES),
                address=f"Tổ {rng.randrange(1, 40)}",
                phone=f"09{rng.randrange(10**8):08d}" if rng.random() < 0.6 else None,
                category=category,
                coefficient=coefficients[category],
                children=1 + i % 3 if category == "DON_THAN" else None,  # per child
                allowance_start_month=start,
                status_effective_month=start,
                decision_no=f"{rng.randrange(1, 9999)}/QĐ-UBND",
                decision_date=start,
                payment_channel=channel,
                bank_account=f"{rng.randrange(10**12):012d}" if channel == "bank" else None,
                bank_name="Agribank" if channel == "bank" else None,
            )
        )
    return people


async def seed(
    conn: asyncpg.Connection,
    district: str,
    size: int,
    *,
    seed: int = 1,
    publish: bool = True,
    topic: str = BENEFICIARY_EVENTS,
) -> int:
    """Insert a generated district once; returns how many people were added (0 if present).

    ``topic`` is where the registrations are published (a test stack's own topic name)."""
    await units.ensure_units(conn)
    if await db.district_has_people(conn, district):
        return 0
    unit = await units.unit(conn, district)
    if unit is None or unit["level"] != "district":
        raise ValueError(f"{district} is not a district code")
    communes = [r["code"] for r in await units.communes(conn, district)]
    coefficients = {r["code"]: r["coefficient"] for r in await db.categories(conn)}
    people = generate(district, unit["parent_code"], communes, coefficients, size, seed)
    decisions = [[d] for b in people if (d := decision_of("register", None, b))]
    timelines = [in_force(d) for d in decisions]
    async with conn.transaction():
        await db.insert_many(conn, people)
        await timeline.insert_many(
            conn,
            [
                (b.id, b.district_code, d, t)
                for b, d, t in zip(people, decisions, timelines, strict=True)
            ],
        )
        if publish:
            last = await positions.advance(conn, district, len(people))
            first = last - len(people) + 1
            await enqueue_many(
                conn,
                topic,
                (
                    Envelope.wrap(
                        BeneficiaryRegistered(
                            beneficiary=b.snapshot([p.contract() for p in t]),
                            source="demo",
                            position=first + i,
                        ),
                        producer="beneficiary-svc",
                        district_code=district,
                        correlation_id=str(b.id),
                    )
                    for i, (b, t) in enumerate(zip(people, timelines, strict=True))
                ),
            )
    return len(people)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m beneficiary_svc.demo")
    parser.add_argument("--district", default="001")
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    async def run() -> int:
        conn = await asyncpg.connect(os.environ["DATABASE_URL"])
        try:
            return await seed(conn, args.district, args.size, seed=args.seed)
        finally:
            await conn.close()

    added = asyncio.run(run())
    print(f"demo district {args.district}: {added} beneficiaries added")


if __name__ == "__main__":
    main()
