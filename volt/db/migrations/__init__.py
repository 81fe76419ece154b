"""Alembic migrations of the volt schema: raw SQL, run as the owner role by volt.db.migrate."""
