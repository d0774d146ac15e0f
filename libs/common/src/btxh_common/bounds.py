"""The longest text each kind of field may hold, in characters, at every way in (the HTTP
request models and the Excel imports alike).

Every free-text value ends up in an event; these bounds keep the largest event (a chunk of
1,000 rows, ``chunks.MAX_CHUNK_ROWS``, each field at its bound and three UTF-8 bytes a
character) under ``outbox.MAX_EVENT_BYTES``, so no input can make an event the bus refuses.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

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
