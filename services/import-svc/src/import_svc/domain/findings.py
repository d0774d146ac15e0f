"""A checked row: its findings, the identities it was checked against, its status.

A finding names the field, its column (Excel letter and header), a stable code, the value
and the Vietnamese message saying all of these and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from import_svc.domain.columns import Kind
from import_svc.domain.errors import ROW_RULES as MESSAGES
from import_svc.domain.explain import sentence, shown, where


@dataclass(frozen=True)
class Identity:
    """A beneficiary as import-svc's read model of the register knows them."""

    beneficiary_id: str
    national_id: str
    commune_code: str
    full_name: str
    status: str
    birth_date: date | None = None
    gender: str | None = None
    arrears_amount: int = 0
    arrears_period: str | None = None  # YYYY-MM


@dataclass
class Checked:
    row_no: int
    values: dict[str, Any]
    commune_code: str | None = None
    beneficiary_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: list[dict[str, Any]] = field(default_factory=list)
    skipped: bool = False  # an untouched row of a template with data: nothing to apply
    kind: Kind = "arrears"
    letters: dict[str, str] | None = None  # column letters where the file differs from the template

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.errors:
            return "invalid"
        if self.duplicate_of:
            return "duplicate"
        return "valid"

    def error(self, key: str, code: str, value: Any = None, message_vi: str | None = None) -> None:
        """One error per field: the first found is the one to fix. ``message_vi`` replaces
        the rule of ``code`` when the rule is said with the row's own details."""
        if not any(e["field"] == key for e in self.errors):
            self.errors.append(self.finding(key, code, value, message_vi))

    def warn(self, key: str, code: str, value: Any = None) -> None:
        self.warnings.append(self.finding(key, code, value))

    def finding(self, key: str, code: str, value: Any, rule: str | None = None) -> dict[str, Any]:
        value = shown(value if isinstance(value, str | int | None) else str(value))
        place = where(self.kind, key, self.letters)
        message = sentence(self.row_no, place, code, value, rule or MESSAGES[code])
        return {"field": key, **place, "code": code, "message_vi": message, "value": value}
