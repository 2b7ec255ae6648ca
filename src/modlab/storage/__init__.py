"""Persistence: SQLAlchemy tables, Alembic migrations, sessions."""

from modlab.storage.db import Base, Database, get_database

__all__ = ["Base", "Database", "get_database"]
