"""Storage: migrations, key hashing, persistence across processes."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import inspect, select

from modlab.projects import ProjectStore
from modlab.projects.keys import hash_key
from modlab.storage.db import Database
from modlab.storage.models import ApiKey


def test_migrations_create_every_table(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/m.db").migrate()
    tables = set(inspect(db.engine).get_table_names())
    assert {"projects", "api_keys", "requests", "usage", "alembic_version"} <= tables


def test_migrate_twice_is_a_no_op(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    store = ProjectStore(Database(url).migrate())
    store.create("keep")
    ProjectStore(Database(url).migrate())  # a second process/start
    assert [p.name for p in ProjectStore(Database(url).migrate()).list()] == ["keep"]


def test_keys_are_stored_hashed(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/k.db").migrate()
    _, key = ProjectStore(db).create("hashy")
    with db.session() as s:
        stored = s.scalars(select(ApiKey.key_hash)).all()
    assert stored == [hash_key(key)] and key not in stored


def test_data_survives_a_new_process(tmp_path):
    url = f"sqlite:///{tmp_path}/p.db"
    _, key = ProjectStore(Database(url).migrate()).create(
        "durable", {"email": {"mode": "PARANOID"}}
    )
    code = (
        "from modlab.projects import ProjectStore;"
        "from modlab.storage.db import Database;"
        f"p=ProjectStore(Database({url!r}).migrate()).authenticate({key!r});"
        "print(p.name, p.filter['email']['mode'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "durable PARANOID"


def test_failed_update_rolls_back(tmp_path):
    from modlab.projects import FilterError

    store = ProjectStore(Database(f"sqlite:///{tmp_path}/r.db").migrate())
    project, _ = store.create("atomic")
    with pytest.raises(FilterError):
        store.update(project.id, name="renamed", filter_patch={"email": {"mode": "BAD"}})
    assert store.get(project.id).name == "atomic"
