"""Argilla search engine for the local ``noida-db`` Elasticsearch-compatible server.

This file runs inside the **Argilla server venv** (``.venv-argilla``), not in modlab's own
venv: :mod:`modlab.annotation.argilla_stack` puts this folder on that venv's ``PYTHONPATH`` and
starts every Argilla command through it (``python -m modlab_noida_engine <argilla cli args>``)
so the engine below is registered before the server looks it up by name
(``ARGILLA_SEARCH_ENGINE=modlab-noida``).

Why a subclass: noida-db ignores ``include_in_root`` on nested mappings, so Argilla's two
queries that read nested ``responses.*`` fields from the root document silently match
nothing:

* the "pending" status filter (the annotator's queue) -> ``must_not`` a *nested* query;
* the per-user progress (``/datasets/{id}/me/progress``) -> an explicit nested + filter +
  terms aggregation.

``info()`` also returns a plain ``dict`` (the ES client returns an ``ObjectApiResponse`` that
the ``/api/v1/status`` handler cannot serialise). Everything else is the stock
``ElasticSearchEngine``. With a real Elasticsearch/OpenSearch keep Argilla's own engines
(``ARGILLA_SEARCH_ENGINE=elasticsearch|opensearch``); this module is then not needed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import Any

from argilla_server.enums import ResponseStatusFilter
from argilla_server.search_engine import SearchEngine
from argilla_server.search_engine.base import TermsFilter
from argilla_server.search_engine.commons import (
    es_bool_query,
    es_exists_field_query,
    es_field_for_response_property,
    es_index_name_for_dataset,
    es_nested_query,
    es_term_query,
    es_terms_query,
)
from argilla_server.search_engine.elasticsearch import ElasticSearchEngine

ENGINE_NAME = "modlab-noida"


@SearchEngine.register(engine_name=ENGINE_NAME)
@dataclasses.dataclass
class NoidaSearchEngine(ElasticSearchEngine):
    """``ElasticSearchEngine`` with explicit nested queries instead of ``include_in_root``."""

    async def info(self) -> dict:
        response = await self.client.info()
        body = getattr(response, "body", response)
        return dict(body)

    def _response_status_filter_to_es_filter(self, filter: TermsFilter) -> dict:
        if ResponseStatusFilter.pending in filter.values:
            user = filter.scope.user
            inner = (
                es_term_query(es_field_for_response_property("user_id"), str(user.id))
                if user
                else es_exists_field_query(es_field_for_response_property("id"))
            )
            # "pending" = no response (of this user) at all: must_not over the nested docs.
            es_filter = es_bool_query(must_not=es_nested_query(path="responses", query=inner))

            values = [v for v in filter.values if v != ResponseStatusFilter.pending]
            if not values:
                return es_filter
            rest = TermsFilter(scope=filter.scope, values=values)
            return es_bool_query(
                should=[es_filter, self._response_status_filter_to_es_filter(rest)],
                minimum_should_match=1,
            )
        return super()._response_status_filter_to_es_filter(filter)

    async def get_dataset_user_progress(self, dataset: Any, user: Any) -> dict:
        if dataset.is_draft:
            return {}

        index_name = es_index_name_for_dataset(dataset)
        user_filter = es_terms_query(es_field_for_response_property("user_id"), [str(user.id)])
        aggregations = {
            "responses": {
                "nested": {"path": "responses"},
                "aggs": {
                    "user": {
                        "filter": user_filter,
                        "aggs": {
                            "status": {
                                "terms": {
                                    "field": es_field_for_response_property("status"),
                                    "size": 10,
                                }
                            }
                        },
                    }
                },
            }
        }
        response = await self._index_search_request(
            index_name,
            query=es_nested_query(path="responses", query=user_filter),
            aggregations=aggregations,
            size=0,
        )
        user_agg = response["aggregations"]["responses"]["user"]
        buckets = user_agg.get("status", {}).get("buckets", [])
        counts = {bucket["key"]: int(bucket["doc_count"]) for bucket in buckets}
        return {"total": sum(counts.values()), **counts}


def init_database() -> None:
    """``database migrate`` + ``database users create_default`` in one process (saves ~10 s).

    The owner's API key and password come from ``MODLAB_ARGILLA_INIT_API_KEY`` /
    ``MODLAB_ARGILLA_INIT_PASSWORD`` (kept out of the process list). Idempotent: migrating an
    up-to-date database and creating an existing default user are both no-ops.
    """
    from argilla_server.cli.database.migrate import migrate_db
    from argilla_server.cli.database.users.create_default import create_default

    migrate_db(revision="head")
    create_default(
        api_key=os.environ["MODLAB_ARGILLA_INIT_API_KEY"],
        password=os.environ["MODLAB_ARGILLA_INIT_PASSWORD"],
        quiet=False,
    )


def main(argv: list[str] | None = None) -> None:
    """Run Argilla's own CLI (``start``, ``worker``, ``database ...``) with the engine loaded.

    ``modlab-init`` runs :func:`init_database` instead.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["modlab-init"]:
        init_database()
        return
    from argilla_server.cli import app

    app(args=args, prog_name="argilla_server")


if __name__ == "__main__":
    main()
