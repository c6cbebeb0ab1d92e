"""The full-text condition of a list query, per dialect (ADR 0010)."""

from __future__ import annotations

from typing import TypeVar

from tortoise import connections
from tortoise.expressions import RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.rules.search_text import search_terms

M = TypeVar("M", bound=Model)


def _sqlite_match(terms: list[str]) -> str:
    return " ".join(f'"{term}"*' for term in terms)


def _postgres_query(terms: list[str]) -> str:
    return " & ".join(f"{term}:*" for term in terms)


def fulltext_condition(entity: str, table: str, raw: str) -> RawSQL | None:
    """`<table>.id IN (ids of `entity` records whose documents hold every term as a prefix)`.

    Terms are letters and digits only, so they are safe to inline: no quote can reach the SQL.
    None when the text has no terms.
    """
    terms = search_terms(raw)
    if not terms:
        return None
    assert all(term.isalnum() for term in terms)
    if connections.get("default").capabilities.dialect == "sqlite":
        hits = (
            "SELECT e.entity_id FROM search_fts JOIN search_entry e ON e.id = search_fts.rowid "
            f"WHERE search_fts MATCH '{_sqlite_match(terms)}' AND e.entity = '{entity}'"
        )
    else:
        hits = (
            f"SELECT e.entity_id FROM search_entry e WHERE e.entity = '{entity}' AND "
            f"to_tsvector('simple', e.document) @@ to_tsquery('simple', '{_postgres_query(terms)}')"
        )
    return RawSQL(f'"{table}"."id" IN ({hits})')


def search(query: QuerySet[M], entity: str, raw: str) -> QuerySet[M]:
    """Narrow `query` to the records found by `raw`; text without terms finds nothing."""
    condition = fulltext_condition(entity, query.model._meta.db_table, raw)
    if condition is None:
        return query.filter(id__in=[])
    return query.annotate(found=condition).filter(found=True)
