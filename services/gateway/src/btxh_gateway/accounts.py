"""Local officer accounts: a JSON file with argon2 password hashes, read at start.

``{"accounts": [{"username": "...", "name": "...", "role": "district_officer",
"units": ["001"], "password_hash": "$argon2id$..."}]}``. Make a hash with
``uv run python -m btxh_gateway.accounts hash``.
"""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from btxh_common.auth import Role

_HASHER = PasswordHasher()
# A hash to verify against when the user does not exist: the same time either way.
_ABSENT = _HASHER.hash("absent-user")

ROLE_VI = {
    Role.DISTRICT_OFFICER: "Cán bộ cấp huyện",
    Role.DISTRICT_SUPERVISOR: "Lãnh đạo phòng (cấp huyện)",
    Role.PROVINCE_OFFICER: "Cán bộ cấp tỉnh (chỉ xem)",
}


@dataclass(frozen=True)
class Officer:
    username: str
    name: str
    role: Role
    units: tuple[str, ...]

    @property
    def can_write(self) -> bool:
        return self.role in (Role.DISTRICT_OFFICER, Role.DISTRICT_SUPERVISOR)

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.DISTRICT_SUPERVISOR

    @property
    def role_vi(self) -> str:
        return ROLE_VI[self.role]


class Accounts:
    def __init__(self, officers: dict[str, tuple[Officer, str]]) -> None:
        self._officers = officers

    @classmethod
    def load(cls, path: str | Path) -> Accounts:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        officers: dict[str, tuple[Officer, str]] = {}
        for entry in document["accounts"]:
            units = tuple(sorted(str(u) for u in entry["units"]))
            if not units or not all(u.isdigit() and len(u) == 3 for u in units):
                raise ValueError(f"{path}: {entry['username']} needs district codes (3 digits)")
            officer = Officer(entry["username"], entry["name"], Role(entry["role"]), units)
            officers[officer.username] = (officer, entry["password_hash"])
        return cls(officers)

    def get(self, username: str) -> Officer | None:
        found = self._officers.get(username)
        return found[0] if found else None

    def check(self, username: str, password: str) -> Officer | None:
        """The officer when the password is theirs; None otherwise (same work either way)."""
        officer, hashed = self._officers.get(username, (None, _ABSENT))
        try:
            _HASHER.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return None
        return officer


def main() -> None:
    if sys.argv[1:] != ["hash"]:
        sys.exit("usage: python -m btxh_gateway.accounts hash  (reads the password, prints it)")
    print(_HASHER.hash(getpass.getpass("Mật khẩu: ")))


if __name__ == "__main__":
    main()
