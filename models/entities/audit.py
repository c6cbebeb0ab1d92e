"""The append-only audit trail."""

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One changed field of one entity (or one event such as `create`), who did it and when.

    `actor_id` is a plain column, not a foreign key, so the trail never blocks or follows a change
    to the users table.
    """

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    actor_id = fields.IntField(null=True)
    entity = fields.CharField(max_length=32)
    entity_id = fields.IntField()
    action = fields.CharField(max_length=32)
    field = fields.CharField(max_length=64, null=True)
    old_value = fields.TextField(null=True)
    new_value = fields.TextField(null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("entity", "entity_id"),)
