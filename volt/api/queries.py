"""SQL of the shared HTTP glue: the account re-check behind every token, and audit records.

Run with the WRITER pool: the API's reader role cannot read `users` nor `audit_log`.
"""

from __future__ import annotations

USER_STATUS_SQL = """
SELECT is_active, role FROM users WHERE id = %(user_id)s
"""

INSERT_AUDIT_SQL = """
INSERT INTO audit_log (actor_user_id, actor_email_hash, action, ip, details)
VALUES (%(actor_user_id)s, %(actor_email_hash)s, %(action)s, %(ip)s::inet, %(details)s)
"""

# The load the API serves, with the manifest whose entries give each source's vintage.
CURRENT_LOAD_SQL = """
SELECT data_version, loaded_at, manifest FROM data_loads WHERE is_current
"""
