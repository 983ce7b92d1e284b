"""Reference data shipped in the package: ISO 3166 countries and HS 2017 / HS 2022 subheadings.

Loaded on first use (never at import time) and cached; :func:`load_reference_data` is cheap after the
first call.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

HS2022_IN_FORCE = date(2022, 1, 1)
UNKNOWN_COUNTRY = "ZZ"


@dataclass(frozen=True, slots=True)
class ReferenceData:
    countries: dict[str, str]
    hs2017: dict[str, str]
    hs2022: dict[str, str]

    def hs_edition(self, on: date) -> str:
        """The HS edition in force on a date: HS 2017 before 2022-01-01, HS 2022 from then on."""
        return "HS2022" if on >= HS2022_IN_FORCE else "HS2017"

    def hs_codes(self, on: date) -> dict[str, str]:
        return self.hs2022 if on >= HS2022_IN_FORCE else self.hs2017

    def hs_description(self, code: str, on: date) -> str | None:
        return self.hs_codes(on).get(code)

    def is_country(self, code: str) -> bool:
        return code in self.countries or code == UNKNOWN_COUNTRY


def _read_csv(name: str, gzipped: bool) -> dict[str, str]:
    raw = resources.files("supplyguard.refdata").joinpath(name).read_bytes()
    if gzipped:
        raw = gzip.decompress(raw)
    reader = csv.reader(io.StringIO(raw.decode("utf-8")))
    next(reader)
    return {row[0]: row[1] for row in reader}


@lru_cache(maxsize=1)
def load_reference_data() -> ReferenceData:
    return ReferenceData(
        countries=_read_csv("countries.csv", gzipped=False),
        hs2017=_read_csv("hs2017.csv.gz", gzipped=True),
        hs2022=_read_csv("hs2022.csv.gz", gzipped=True),
    )
