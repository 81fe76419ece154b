"""SQL of the admin routes (writer pool: the API's reader role cannot read the audit log)."""

from __future__ import annotations

# Newest first by id (identity: increases with time); `before` is the id where the previous page
# stopped. `action` matches exactly or as a dotted prefix: "auth" and "auth.login" both match
# "auth.login.failed", "aut" does not.
LIST_AUDIT_SQL = """
SELECT id, at, actor_user_id, actor_email_hash, action, host(ip), details
FROM audit_log
WHERE (%(before)s::bigint IS NULL OR id < %(before)s::bigint)
  AND (%(action)s::text IS NULL
       OR action = %(action)s::text
       OR starts_with(action, %(action)s::text || '.'))
ORDER BY id DESC
LIMIT %(limit)s
"""
