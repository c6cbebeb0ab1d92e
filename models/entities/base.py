"""Field helpers shared by the entities."""

from tortoise import fields
from tortoise.models import Model

from models.clock import now


class Timestamped(Model):
    """Times come from the domain clock, so tests that travel in time see consistent rows.

    `updated_at` is bumped by the operations that change a row (see models.ops.versioning).
    """

    created_at = fields.DatetimeField(default=now)
    updated_at = fields.DatetimeField(default=now, db_index=True)

    class Meta:
        abstract = True


class Versioned(Timestamped):
    """An aggregate updated with optimistic concurrency (see models.ops.versioning)."""

    version = fields.IntField(default=1)

    class Meta:
        abstract = True
