from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from supplyguard.risk import DeclarationRow, read_kcs_stream

SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
CUSTOMS = SHARED_DATA / "customs"


def read_slice(name: str, count: int) -> list[DeclarationRow]:
    """The first ``count`` rows of one KCS file (train, valid or test)."""
    path = CUSTOMS / f"df_syn_{name}_eng.csv"
    if not path.exists():
        pytest.skip(f"KCS data not found at {path} (../shared/data/customs)")
    with open(path, newline="", encoding="utf-8") as stream:
        text = "".join(itertools.islice(stream, count + 1))
    return read_kcs_stream(io.StringIO(text))


@pytest.fixture(scope="session")
def train_slice() -> list[DeclarationRow]:
    return read_slice("train", 6000)


@pytest.fixture(scope="session")
def valid_slice() -> list[DeclarationRow]:
    return read_slice("valid", 2500)
