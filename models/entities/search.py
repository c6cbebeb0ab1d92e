"""The search index: one text document per searchable record."""

from tortoise import fields
from tortoise.models import Model


class SearchEntry(Model):
    """The words a record is found by. Full-text indexed per dialect: an FTS5 table on SQLite,
    a GIN index over to_tsvector('simple', document) on PostgreSQL (see ADR 0010)."""

    id = fields.BigIntField(primary_key=True)
    entity = fields.CharField(max_length=16)
    entity_id = fields.IntField()
    document = fields.TextField()

    class Meta:
        table = "search_entry"
        unique_together = (("entity", "entity_id"),)
