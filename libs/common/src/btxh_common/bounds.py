"""The longest text each kind of field may hold, in characters, at every way in (the HTTP
request models and the Excel imports alike).

Every free-text value ends up in an event; these bounds keep the largest event (a chunk of
1,000 rows, ``chunks.MAX_CHUNK_ROWS``, each field at its bound and three UTF-8 bytes a
character) under ``outbox.MAX_EVENT_BYTES``, so no input can make an event the bus refuses.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from btxh_common.clock import today

NAME = 200  # a person's full name, a funeral recipient, a bank's name
ADDRESS = 300
PHONE = 20
BANK_ACCOUNT = 34  # the longest account number (IBAN) is 34 characters
CODE = 50  # category, ethnicity and other catalogue codes
DECISION_NO = 100
REASON = 1000  # reasons and notes an officer writes
SEARCH = 200  # a search text
FIELD_KEY = 64  # the key of a column or field named in a request
TEXT = 300  # any other text column of an import

Name = Annotated[str, Field(min_length=1, max_length=NAME)]
Address = Annotated[str, Field(max_length=ADDRESS)]
Phone = Annotated[str, Field(max_length=PHONE)]
BankAccount = Annotated[str, Field(max_length=BANK_ACCOUNT)]
BankName = Annotated[str, Field(max_length=NAME)]
Code = Annotated[str, Field(min_length=1, max_length=CODE)]
DecisionNo = Annotated[str, Field(min_length=1, max_length=DECISION_NO)]
Reason = Annotated[str, Field(min_length=1, max_length=REASON)]

# Codes, amounts and identities on the bus and at the APIs.
DISTRICT_PATTERN = r"^\d{3}$"  # a district's code (the unit list has 3 digits)
COMMUNE_PATTERN = r"^\d{5}$"  # a commune's (ward's) code: 5 digits
MAX_AMOUNT = 10**12  # VND: any one person's amount (an allowance, arrears, a recovery)
MAX_TOTAL = 10**15  # VND: the sum over a list or a settlement
MAX_COEFFICIENT = 100  # tenths: 10.0 × the standard level, far above any category's
OFFICER = 128  # an officer's id (the token's ``sub``)
SOURCE = 100  # where a change came from ("manual", "import:<batch id>", …)
TRACE = 128  # correlation and trace ids
MAX_TIMELINE = 1200  # policy periods of one person (a century of months)

DistrictCode = Annotated[str, Field(pattern=DISTRICT_PATTERN)]
CommuneCode = Annotated[str, Field(pattern=COMMUNE_PATTERN)]
Amount = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
Total = Annotated[int, Field(ge=0, le=MAX_TOTAL)]
Coefficient = Annotated[int, Field(ge=0, le=MAX_COEFFICIENT, description="tenths: 15 = 1.5")]
Officer = Annotated[str, Field(max_length=OFFICER)]
Note = Annotated[str, Field(max_length=REASON)]
Source = Annotated[str, Field(max_length=SOURCE)]
FieldKey = Annotated[str, Field(max_length=FIELD_KEY)]
OptionalCode = Annotated[str, Field(max_length=CODE)]

# Dates of record an officer types: a birth, a death, a decision, a payment. None lies before
# 1900 or after today (Asia/Ho_Chi_Minh): a year 20025 or 0001 is a typing error, not a date.
EARLIEST_DATE = date(1900, 1, 1)


def _past(value: date) -> date:
    if not EARLIEST_DATE <= value <= today():
        raise PydanticCustomError(
            "date_out_of_range",
            "Ngày phải từ 01/01/1900 đến hôm nay",
        )
    return value


PastDate = Annotated[date, AfterValidator(_past)]
# A number typed into an import row's cell: wide enough for any amount, never beyond bigint.
CellInt = Annotated[int, Field(ge=-MAX_TOTAL, le=MAX_TOTAL)]

ListKind = Literal["monthly", "funeral"]
Month = str  # "YYYY-MM"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
