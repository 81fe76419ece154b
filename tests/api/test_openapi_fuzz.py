"""Schemathesis against the real app and its own `/openapi.json`: no 5xx, every answer documented.

In process over ASGI (schemathesis starts the app's lifespan: real pools on a migrated PostgreSQL
of this module's own, the memory cache, the console mailer), once with a reader's token and once
with an admin's. Each case gets a freshly minted token, so `POST /v1/auth/logout` revokes only its
own and no operation has to be left out. Every built-in check runs: no 5xx, status code, content
type, headers and body as documented, invalid input refused, auth enforced (re-sent without it).

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
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import (
    CODE_IN_MAIL,
    GENEROUS_LIMITS,
    add_user,
    bearer,
    migrated_database,
    new_email,
)
from volt.api.tokens import issue_token
from volt.app import create_app
from volt.config import Settings, load_settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.mail.console import ConsoleMailer

# Per operation, mode and role: (7 positive + 3 negative) x 2 roles x 25 ≈ 500 requests, ~5 s.
MAX_EXAMPLES = 25

# Every operation of the document; the document test fails if one is added and not listed here.
OPERATIONS = [
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/v1/admin/audit"),
    ("GET", "/v1/auth/me"),
    ("GET", "/v1/buildings"),
    ("GET", "/v1/communes"),
    ("GET", "/v1/communes/{code_insee}"),
    ("GET", "/v1/map/areas.geojson"),
    ("GET", "/v1/map/buildings.geojson"),
    ("GET", "/v1/metrics"),
    ("GET", "/v1/places/search"),
    ("GET", "/v1/stats/{level}"),
    ("GET", "/v1/stats/{level}/{code}/breakdown"),
    ("GET", "/v1/stats/{level}/{code}/distribution"),
    ("GET", "/v1/stats/{level}/{code}/dpe-vs-metered"),
    ("GET", "/v1/stats/{level}/{code}/labels"),
    ("POST", "/v1/auth/code"),
    ("POST", "/v1/auth/logout"),
    ("POST", "/v1/auth/token"),
]
# Negative cases (invalid parameters or bodies) exist only for operations that take some; for the
# others schemathesis has nothing to break (Unsatisfiable). The document test checks this list.
WITH_INPUT = [
    ("GET", "/v1/admin/audit"),
    ("GET", "/v1/buildings"),
    ("GET", "/v1/communes"),
    ("GET", "/v1/communes/{code_insee}"),
    ("GET", "/v1/map/areas.geojson"),
    ("GET", "/v1/map/buildings.geojson"),
    ("GET", "/v1/places/search"),
    ("GET", "/v1/stats/{level}"),
    ("GET", "/v1/stats/{level}/{code}/breakdown"),
    ("GET", "/v1/stats/{level}/{code}/distribution"),
    ("GET", "/v1/stats/{level}/{code}/dpe-vs-metered"),
    ("GET", "/v1/stats/{level}/{code}/labels"),
    ("POST", "/v1/auth/code"),
    ("POST", "/v1/auth/token"),
]
# Rules OpenAPI cannot state, answered 422 for input the schema allows: /v1/buildings needs
# exactly one of `commune` and `street`; the areas layer refuses a `parent` at level=france;
# the statistics take one DPE filter at a time, from the commune up, with the metrics a cut
# holds, and breakdowns exist from the commune up.
CROSS_FIELD_RULES = {
    ("GET", "/v1/buildings"),
    ("GET", "/v1/map/areas.geojson"),
    ("GET", "/v1/stats/{level}"),
    ("GET", "/v1/stats/{level}/{code}/breakdown"),
}
CASES = [(*op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (*op, GenerationMode.NEGATIVE) for op in WITH_INPUT
]
ROLES = [Role.READER, Role.ADMIN]

# schemathesis' negative generator calls `random` inside a strategy; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)


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
def users(fuzz_settings: Settings) -> dict[Role, tuple[int, str]]:
    """(id, e-mail) of a reader and of an admin."""
    accounts = {role: new_email(f"fuzz-{role}") for role in ROLES}
    return {
        role: (add_user(fuzz_settings, email, admin=role.is_admin), email)
        for role, email in accounts.items()
    }


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[" ".join(c) for c in CASES])
def test_every_operation_answers_as_documented(
    api_schema: Any,
    fuzz_settings: Settings,
    users: dict[Role, tuple[int, str]],
    method: str,
    path: str,
    mode: GenerationMode,
    role: Role,
) -> None:
    user_id = users[role][0]

    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    def answers_as_documented(case: Any) -> None:
        token = issue_token(fuzz_settings, user_id, role).access_token
        excluded = [positive_data_acceptance] if (method, path) in CROSS_FIELD_RULES else []
        case.call_and_validate(headers=bearer(token), excluded_checks=excluded)

    answers_as_documented()


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize("media_type", ["application/json", "application/x-www-form-urlencoded"])
def test_the_login_flow_answers_as_documented(
    api_schema: Any, users: dict[Role, tuple[int, str]], role: Role, media_type: str
) -> None:
    """The successes the fuzzer cannot reach (it never guesses a code), validated the same way:
    code → token (either body) → me → logout → me again, refused."""
    email = users[role][1]
    sent = api_schema["/v1/auth/code"]["POST"].Case(body={"email": email})
    assert sent.call_and_validate().status_code == 202
    code = mailed_code(api_schema, email)
    if media_type == "application/json":
        body = {"email": email, "code": code}
    else:
        body = {"grant_type": "password", "username": email, "password": code}
    exchange = api_schema["/v1/auth/token"]["POST"].Case(body=body, media_type=media_type)
    token = exchange.call_and_validate().json()
    assert (token["role"], token["token_type"]) == (role.value, "bearer")
    me = api_schema["/v1/auth/me"]["GET"].Case()
    auth = bearer(token["access_token"])
    assert me.call_and_validate(headers=auth).json()["role"] == role.value
    logout = api_schema["/v1/auth/logout"]["POST"].Case()
    assert logout.call_and_validate(headers=auth).status_code == 204
    revoked = me.call_and_validate(headers=auth)
    assert (revoked.status_code, revoked.json()["detail"]) == (401, "The token has been revoked.")


def mailed_code(api_schema: Any, email: str) -> str:
    mailer = api_schema.app.state.volt.mailer
    assert isinstance(mailer, ConsoleMailer)
    bodies = [mail.body for mail in mailer.sent if mail.to == email.lower()]
    match = CODE_IN_MAIL.search(bodies[-1])
    assert match is not None
    return match.group(1)


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
    with_input = [k for k, op in operations.items() if op.get("parameters") or "requestBody" in op]
    assert sorted(with_input) == WITH_INPUT
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
