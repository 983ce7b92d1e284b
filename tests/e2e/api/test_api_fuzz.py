"""Every API operation, fuzzed from the app's own OpenAPI document (schemathesis strategies, in process).

The product rule: bad input always gets a clear error, never a crash or a 500, and nothing
half-written is left behind. For each operation in ``create_app(container).openapi()`` the driver
sends cases that schemathesis generates from the operation's schema, both fitting it (positive) and
breaking it (negative): path parameters, query parameters and bodies. An admin, who may call every
operation, sends them all. Operations whose body the schema does not describe (uploads read from the
raw request) also get arbitrary bytes under each media type they might be sent as. The no-token test
sends a few cases to each operation without credentials: all but ``PUBLIC_OPERATIONS`` must say 401.

Each answer must be below 500; each 4xx must be ``application/problem+json``, fit the Problem schema
the document declares for errors, and carry the members the app writes (``title`` and ``detail``
not empty, ``status`` equal to the HTTP status); each answer to a generated case must have the media
type and body the document declares for its operation and status (schemathesis's conformance
checks); an exception out of the app
fails the case; and a 4xx must leave every table's row count as it was, but for the tables in
``RECORDS_OF_REFUSALS``.

Schemathesis's own pytest plugin (``from_fixture``) fails under pytest 9 (it sets ``Function._nodeid``)
and is switched off in pyproject.toml, so this module walks the operations itself and reports every
failing one at the end. The default run sends a few derandomised cases an operation, so CI repeats
what it found, and does not shrink (a failure names its request); ``test_every_operation_at_length``
is the slow variant, with many more cases, shrunk. Web pages are HTML and not in the OpenAPI
document, so they are not fuzzed here; no operation is left out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import content_type_conformance
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import func, select

from supplyguard.api.app import create_app
from supplyguard.api.problems import PROBLEM_JSON
from supplyguard.bootstrap import Container
from supplyguard.services.accounts import create_token
from tests.factories import make_org, make_user
from tests.openapi_doc import problem_validator

#: Tables that exist to record refused requests, so a 4xx may add rows to them: the audit log, and the
#: capture jobs that the GS1 capture interface reports a refused EPCIS document through.
RECORDS_OF_REFUSALS = frozenset({"audit_log", "tracking_capture_jobs"})

FEW_EXAMPLES = 5
MANY_EXAMPLES = 100

#: Any JSON value, nested a few levels: for uploads whose body the schema does not describe.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

#: Media types an upload read from the raw body is sent as when its schema says nothing about it.
RAW_MEDIA_TYPES = (
    "application/json",
    "application/ld+json",
    "application/xml",
    "text/csv",
    "application/yaml",
    "application/octet-stream",
)


@dataclass
class FuzzNode:
    """The app under fuzz, its container and an admin's bearer token."""

    app: FastAPI
    client: TestClient
    container: Container
    admin_token: str

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    @cached_property
    def problems(self) -> Any:
        """The validator of the Problem schema the app's OpenAPI document declares for its errors."""
        return problem_validator(self.app.openapi())

    def row_counts(self) -> dict[str, int]:
        from supplyguard.adapters.db.schema import load_all_tables

        tables = load_all_tables().sorted_tables
        with self.container.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


@pytest.fixture
def fuzz_node(container: Container) -> Iterator[FuzzNode]:
    """The app on a test node (SQLite and PostgreSQL, as every storage test), with one admin."""
    org = make_org(container, "Customs A", "NL")
    make_user(container, org, "admin_a", ("admin",))
    token = create_token(container.uow(), container.clock, None, "admin_a", "fuzz").token
    app = create_app(container)
    try:
        with TestClient(app) as client:
            yield FuzzNode(app, client, container, token)
    finally:
        _stop_schemathesis_loop()


def _stop_schemathesis_loop() -> None:
    """End the event-loop thread schemathesis keeps for in-process ASGI calls (it would otherwise
    run until the interpreter exits, holding the app's lifespan) and its worker threads: a test
    process with other threads alive cannot fork, and the forked-worker tests that run after this
    one in the same process would be skipped."""
    asgi._shutdown()  # schemathesis's own exit hook: lifespans stopped, portal closed
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and thread.name.startswith(("asyncio-portal", "AnyIO")):
            thread.join(timeout=15)


def _content_type(response: Any) -> str:
    """The Content-Type of a schemathesis response (a list per header) or an httpx one."""
    value = response.headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)


def assert_answers_cleanly(node: FuzzNode, send: Callable[[], Any], label: str) -> Any:
    """Send one request; the answer must be a success or a problem+json 4xx that wrote nothing."""
    before = node.row_counts()
    response = send()
    status = response.status_code
    where = f"{label} -> {status}: {response.text[:400]!r}"
    assert status < 500, where
    if status < 400:
        return response
    assert _content_type(response).startswith(PROBLEM_JSON), where
    problem = response.json()
    assert isinstance(problem, dict), where
    failures = [error.message for error in node.problems.iter_errors(problem)]
    assert not failures, f"{where}: not the declared Problem: {failures}"
    assert problem.get("status") == status, where
    assert problem["title"] and problem["detail"], where
    after = node.row_counts()
    written = {name: after[name] - before[name] for name in after if after[name] != before[name]}
    assert set(written) <= RECORDS_OF_REFUSALS, f"{where}; rows written: {written}"
    return response


def _settings(max_examples: int, shrink: bool) -> settings:
    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])]
    return settings(
        max_examples=max_examples,
        derandomize=True,  # the same cases on every run, so CI repeats what it found
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=phases,
    )


def _run(failures: list[str], label: str, test: Callable[[], None]) -> None:
    try:
        test()
    except Unsatisfiable:
        return  # no case breaks this schema (an operation without parameters has no negative case)
    except Exception as exc:  # each operation's failure is collected; all are reported at the end
        notes = "\n    ".join(getattr(exc, "__notes__", []))
        failures.append(f"{label}: {type(exc).__name__}: {exc}\n    {notes}")


@dataclass(frozen=True)
class Fuzz:
    """How to fuzz: who calls, how many cases an operation and mode, which modes, what else to check.

    ``check(operation_label, response)`` is an extra assertion on each answer.
    """

    headers: dict[str, str]
    max_examples: int
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    shrink: bool = False
    check: Callable[[str, Any], None] | None = None

    def answer(self, node: FuzzNode, operation_label: str, label: str, send: Callable[[], Any]) -> Any:
        response = assert_answers_cleanly(node, send, label)
        if self.check is not None:
            self.check(operation_label, response)
        return response


#: Schemathesis's checks that an answer is what the OpenAPI document declares for its operation and
#: status: the media type, and the body against the declared schema (errors: the Problem schema).
CONFORMANCE = (content_type_conformance, response_schema_conformance)


def _fuzz_cases(node: FuzzNode, how: Fuzz, operation: Any, mode: GenerationMode) -> Callable[[], None]:
    @_settings(how.max_examples, how.shrink)
    @given(case=operation.as_strategy(generation_mode=mode))
    def send_case(case: Any) -> None:
        label = f"{case.method} {case.formatted_path} ({mode.value})"
        response = how.answer(
            node, operation.label, label, lambda: case.call(app=node.app, headers=how.headers)
        )
        try:
            case.validate_response(response, checks=list(CONFORMANCE))
        except FailureGroup as failures:  # a BaseExceptionGroup: as an assertion, so it is collected
            raise AssertionError(f"not the answer the OpenAPI document declares: {failures}") from None

    return send_case


def _fuzz_raw_bodies(node: FuzzNode, how: Fuzz, operation: Any) -> Callable[[], None]:
    """Uploads read from the raw request (EPCIS capture, imports, telemetry, rule files) have no body
    in their schema, so arbitrary bytes or JSON values under each media type stand in for one."""
    method = operation.method.upper()

    @_settings(how.max_examples, how.shrink)
    @given(
        path=operation.as_strategy().map(lambda case: case.formatted_path),
        media_type=st.sampled_from(RAW_MEDIA_TYPES),
        content=st.binary(max_size=2048) | JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    )
    def send_bytes(path: str, media_type: str, content: bytes) -> None:
        headers = how.headers | {"Content-Type": media_type}
        how.answer(
            node,
            operation.label,
            f"{method} {path} ({media_type}, {content[:200]!r})",
            lambda: node.client.request(method, path, content=content, headers=headers),
        )

    return send_bytes


def fuzz(node: FuzzNode, how: Fuzz) -> list[str]:
    """Fuzz every operation in the OpenAPI document; one line for each operation and mode that failed."""
    schema = schemathesis.openapi.from_dict(node.app.openapi())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in how.modes:
            _run(failures, f"{operation.label} ({mode.value})", _fuzz_cases(node, how, operation, mode))
        if operation.method.upper() in {"POST", "PUT"} and len(operation.body) == 0:
            _run(failures, f"{operation.label} (raw bytes)", _fuzz_raw_bodies(node, how, operation))
    assert operations > 50, f"only {operations} operations in the OpenAPI document"
    return failures


#: Operations anyone may call without a token.
PUBLIC_OPERATIONS = frozenset({"GET /v1/health"})


def _needs_a_token(operation_label: str, response: Any) -> None:
    if operation_label not in PUBLIC_OPERATIONS:
        assert response.status_code == 401, (
            f"{operation_label} answered {response.status_code} without a token"
        )


def test_every_operation_as_admin(fuzz_node: FuzzNode) -> None:
    failures = fuzz(fuzz_node, Fuzz(fuzz_node.admin, FEW_EXAMPLES))
    assert not failures, "\n".join(failures)


def test_every_operation_without_a_token(fuzz_node: FuzzNode) -> None:
    failures = fuzz(fuzz_node, Fuzz({}, 2, modes=(GenerationMode.POSITIVE,), check=_needs_a_token))
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_every_operation_at_length(fuzz_node: FuzzNode) -> None:
    failures = fuzz(fuzz_node, Fuzz(fuzz_node.admin, MANY_EXAMPLES, shrink=True))
    assert not failures, "\n".join(failures)
