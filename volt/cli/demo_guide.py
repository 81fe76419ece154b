"""What `volt demo` prints before serving: where the API is, how to log in as the demo admin,
and example calls on the sample's data."""

from __future__ import annotations

import json
import shlex

from volt.auth import users
from volt.config import Mailer, Settings
from volt.db.connect import connect
from volt.db.dsn import DbRole
from volt.domain.roles import Role
from volt.errors import UsageError
from volt.sample.anchors import FIRST

# Not a special-use domain (.localhost, .test… are refused by the login route): the console
# mailer never sends anything, it prints the code in the server log.
DEMO_ADMIN = "demo-admin@example.org"


def ensure_demo_admin(settings: Settings) -> str:
    """Register the demo admin (or give it the role back); its e-mail."""
    with connect(settings, DbRole.WRITER) as conn:
        try:
            users.add_user(conn, settings, DEMO_ADMIN, admin=True)
        except UsageError:  # a previous demo registered it
            users.set_role(conn, settings, DEMO_ADMIN, Role.ADMIN)
    return DEMO_ADMIN


def example_commune(communes: int) -> tuple[str, str]:
    """(INSEE code, name) of a commune the sample holds: Cannes, else the first one."""
    anchor = FIRST[1] if communes > 1 else FIRST[0]
    return anchor.insee, anchor.name


def guide(settings: Settings, base: str, email: str, communes: int) -> list[str]:
    """Plain lines (no markup): copy-pasteable commands."""
    insee, name = example_commune(communes)
    code_request = json.dumps({"email": email})
    exchange = json.dumps({"email": email, "code": "CODE"})
    where = (
        "the console mailer prints it in this terminal, under the server log"
        if settings.mailer is Mailer.CONSOLE
        else f"it is e-mailed to {email} ({settings.mailer} mailer)"
    )
    bearer = '-H "Authorization: Bearer $TOKEN"'
    return [
        f"API:  {base}",
        f"Docs: {base}/docs (Swagger UI; *Authorize*: username = e-mail, password = code)",
        "",
        f"Log in as the demo admin {email}: request a code ({where}),",
        f"  curl -s -X POST {base}/v1/auth/code -H 'Content-Type: application/json' "
        f"-d {shlex.quote(code_request)}",
        "then exchange it (replace CODE) for a bearer token:",
        f"  TOKEN=$(curl -s -X POST {base}/v1/auth/token -H 'Content-Type: application/json' "
        f"-d {shlex.quote(exchange)} | python3 -c 'import json,sys; "
        'print(json.load(sys.stdin)["access_token"])\')',
        "",
        f"Examples ({name}, {insee}):",
        f"  curl -s {bearer} '{base}/v1/buildings?commune={insee}&limit=3'",
        f"  curl -s {bearer} '{base}/v1/map/areas.geojson?level=commune'",
        f"  curl -s {bearer} '{base}/v1/stats/commune?code={insee}&format=csv'",
    ]
