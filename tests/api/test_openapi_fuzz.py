"""Schemathesis against the real app and its own `/openapi.json`: no 5xx, every answer documented.

In process over ASGI (schemathesis starts the app's lifespan: real pools on a migrated PostgreSQL
of this module's own, the memory cache, the console mailer), once with a reader's token and once
with an admin's. Each case gets a freshly minted token, so `POST /v1/auth/logout` revokes only its
own and no operation has to be left out.

Cases come from `operation.as_strategy()` under our own `@given`: schemathesis' pytest wrapper
(`schema.parametrize()`) does not run on pytest 9.2 (it reads `Node._nodeid`, which is gone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.python import asgi

from tests.api.conftest import GENEROUS_LIMITS, add_user, bearer, migrated_database, new_email
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role

# Per operation, mode and role: 7 operations x 2 modes x 2 roles x 25 = 700 requests.
MAX_EXAMPLES = 25

# Every operation of the document; the document test below fails if one is added and not here.
OPERATIONS = [
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/v1/admin/audit"),
    ("GET", "/v1/auth/me"),
    ("POST", "/v1/auth/code"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/token"),
]


@pytest.fixture(scope="module")
def fuzz_settings(
    database_factory: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    """A database of its own: the fuzzer commits users and audit events by the hundred, and
    /ready needs a published load, which tests/api/test_serve.py expects to be absent."""
    migrated = migrated_database(database_factory, tmp_path_factory.mktemp("fuzz"), "fuzz")
    with connect(migrated, DbRole.OWNER) as conn:
        conn.execute(
            "INSERT INTO data_loads (data_version, run_id, is_current) VALUES ('fuzz', 'r', true)"
        )
    overrides = {
        "redis_url": None,
        "mailer": "console",
        "rate_limits": GENEROUS_LIMITS,
        "login_code_min_response_ms": 0,
    }
    return load_settings(**migrated.model_dump() | overrides)


@pytest.fixture(scope="module")
def api_schema(fuzz_settings: Settings) -> Iterator[Any]:
    """The schema as the running app serves it; loading it starts the app's lifespan."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_settings))
    yield schema
    asgi.shutdown_lifespans()  # closes the pools before the database is dropped


@pytest.fixture(scope="module")
def user_ids(fuzz_settings: Settings) -> dict[Role, int]:
    return {
        Role.READER: add_user(fuzz_settings, new_email("fuzz-reader")),
        Role.ADMIN: add_user(fuzz_settings, new_email("fuzz-admin"), admin=True),
    }


@pytest.mark.parametrize("role", [Role.READER, Role.ADMIN], ids=str)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
def test_every_operation_answers_as_documented(
    api_schema: Any,
    fuzz_settings: Settings,
    user_ids: dict[Role, int],
    method: str,
    path: str,
    mode: GenerationMode,
    role: Role,
) -> None:
    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def answers_as_documented(case: Any) -> None:
        token = issue_token(fuzz_settings, user_ids[role], role).access_token
        case.call_and_validate(headers=bearer(token))

    answers_as_documented()


def test_the_document_is_openapi_3_1_with_summaries_and_the_bearer_scheme(
    fuzz_settings: Settings,
) -> None:
    document = create_app(fuzz_settings).openapi()
    assert document["openapi"].startswith("3.1.")
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert sorted(operations) == OPERATIONS
    assert [key for key, op in operations.items() if not op.get("summary")] == []
    assert document["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "description": (
                "username = your e-mail, password = the code it received (POST /v1/auth/code)."
            ),
            "flows": {"password": {"scopes": {}, "tokenUrl": "/v1/auth/token"}},
        }
    }
