"""PostgreSQL: embedded server, DSNs per role, connections and pools, roles and migrations."""
