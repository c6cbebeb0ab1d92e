"""Clients: companies, contacts with their phones, emails and channel identities, consents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Versioned
from models.entities.enums import Channel, ConsentPurpose

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.org import Office, User


class Segment(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "segment"


class Source(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "source"


class Company(Versioned):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=300)
    legal_name = fields.CharField(max_length=500, default="")
    inn = fields.CharField(max_length=12, null=True, db_index=True)
    kpp = fields.CharField(max_length=9, null=True)
    ogrn = fields.CharField(max_length=15, null=True)
    phone = fields.CharField(max_length=16, null=True, db_index=True)
    email = fields.CharField(max_length=254, null=True, db_index=True)
    website = fields.CharField(max_length=300, default="")
    address = fields.CharField(max_length=500, default="")
    notes = fields.TextField(default="")
    segment: ForeignKeyNullableRelation[Segment] = fields.ForeignKeyField(
        "voronka.Segment", related_name="companies", null=True, on_delete=fields.SET_NULL
    )
    source: ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "voronka.Source", related_name="companies", null=True, on_delete=fields.SET_NULL
    )
    owner: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="companies", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="companies", on_delete=fields.RESTRICT
    )

    owner_id: int
    office_id: int
    segment_id: int | None
    source_id: int | None

    class Meta:
        table = "company"
        # "my companies, latest first" and sync by updated_at: the lists the mobile app opens
        indexes = (
            ("owner_id", "updated_at"),
            ("office_id", "updated_at"),
        )


class Contact(Versioned):
    id = fields.IntField(primary_key=True)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    middle_name = fields.CharField(max_length=100, default="")
    position = fields.CharField(max_length=200, default="")
    birthday = fields.DateField(null=True)
    notes = fields.TextField(default="")
    preferred_channels: list[str] = fields.JSONField(default=list)
    # The language messages to the contact are written in (ru, en); null: VORONKA_LANGUAGE.
    language = fields.CharField(max_length=2, null=True)
    company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    source: ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "voronka.Source", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    segment: ForeignKeyNullableRelation[Segment] = fields.ForeignKeyField(
        "voronka.Segment", related_name="contacts", null=True, on_delete=fields.SET_NULL
    )
    owner: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="contacts", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="contacts", on_delete=fields.RESTRICT
    )

    owner_id: int
    office_id: int
    company_id: int | None
    source_id: int | None
    segment_id: int | None

    class Meta:
        table = "contact"
        indexes = (
            ("owner_id", "updated_at"),
            ("office_id", "updated_at"),
            ("company_id",),
        )


class ContactPhone(Model):
    """A contact phone in E.164. `last4` makes "find by the last four digits" an index lookup."""

    id = fields.IntField(primary_key=True)
    contact: ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="phones", on_delete=fields.CASCADE
    )
    number = fields.CharField(max_length=16, db_index=True)
    last4 = fields.CharField(max_length=4, db_index=True)
    position = fields.SmallIntField(default=0)

    contact_id: int

    class Meta:
        table = "contact_phone"
        unique_together = (("contact", "number"),)
        # Covers "a contact's numbers in order", read for every row of the contact list.
        indexes = (("contact_id", "position", "number"),)


class ContactEmail(Model):
    id = fields.IntField(primary_key=True)
    contact: ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="emails", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254, db_index=True)
    position = fields.SmallIntField(default=0)

    contact_id: int

    class Meta:
        table = "contact_email"
        unique_together = (("contact", "email"),)
        # Covers "a contact's emails in order", read for every row of the contact list.
        indexes = (("contact_id", "position", "email"),)


class ChannelIdentity(Model):
    """The address book of every channel: where a contact or a user can be reached."""

    id = fields.IntField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=16)
    address = fields.CharField(max_length=255)
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="identities", null=True, on_delete=fields.CASCADE
    )
    user: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="identities", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(default=now)

    class Meta:
        table = "channel_identity"
        indexes = (
            ("channel", "address"),
            ("contact_id",),
            ("user_id",),
        )


class Consent(Model):
    """A consent under 152-FZ: per purpose, with the version of the text the person agreed to."""

    id = fields.IntField(primary_key=True)
    contact: ForeignKeyRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="consents", on_delete=fields.CASCADE
    )
    purpose = fields.CharEnumField(ConsentPurpose, max_length=16)
    channel = fields.CharEnumField(Channel, max_length=16, null=True)
    text_version = fields.CharField(max_length=32)
    given_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)
    recorded_by: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="recorded_consents", null=True, on_delete=fields.SET_NULL
    )

    contact_id: int
    recorded_by_id: int | None

    class Meta:
        table = "consent"
        indexes = (("contact_id",),)
