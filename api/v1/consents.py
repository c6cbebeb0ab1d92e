"""A contact's consents (152-FZ) and channels: /v1/contacts/{id}/consents and …/channels.

Consents are kept as a history: giving one adds a row, withdrawing stamps `withdrawn_at` and
never deletes. Withdrawing marketing cancels the marketing messages still waiting for that client
through a channel no current consent covers any more.
Every change is audited. The preferred channels are set with `PATCH /v1/contacts/{id}`
(`preferred_channels`); `GET …/channels` shows them with the order and addresses the outbox uses
and the language its messages are written in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import Channel, Consent, ConsentPurpose
from models.ops.consents import (
    contact_channels,
    give_consent,
    list_consents,
    withdraw_consent,
    withdraw_consent_by_id,
)

router = APIRouter(prefix="/contacts", tags=["consents"], responses=problem_responses(401))

TextVersion = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        description="Which text the person agreed to (your own label, e.g. marketing-2026-01)",
    ),
]


class ConsentIn(Input):
    purpose: ConsentPurpose = Field(description="service: notifications, marketing: advertising")
    text_version: TextVersion
    channel: Channel | None = Field(default=None, description="Null: every channel")


class ConsentWithdrawIn(Input):
    purpose: ConsentPurpose
    channel: Channel | None = Field(
        default=None, description="Withdraw only the consents for this channel; null: all of them"
    )


class ConsentOut(Output):
    id: int
    purpose: ConsentPurpose
    channel: Channel | None = Field(description="Null: every channel")
    text_version: str
    given_at: datetime
    withdrawn_at: datetime | None
    recorded_by_id: Id | None = Field(
        description="Who recorded it; null when the client gave it themselves (the Telegram bot)"
    )
    current: bool = Field(description="Given and not withdrawn")


class ConsentsOut(Output):
    items: list[ConsentOut] = Field(description="Newest first, withdrawn ones included")


class ConsentsWithdrawnOut(ConsentsOut):
    cancelled_messages: int = Field(description="Marketing messages cancelled before they went")


class IdentityOut(Output):
    id: int
    channel: Channel
    address: str = Field(description="A Telegram chat id, a device token…")
    created_at: datetime


class AddressOut(Output):
    channel: Channel
    address: str


class ContactChannelsOut(Output):
    preferred_channels: list[Channel] = Field(
        description="As set on the contact (PATCH /v1/contacts/{id}); empty: the default order"
    )
    order: list[Channel] = Field(description="The order the outbox tries them in")
    identities: list[IdentityOut] = Field(description="Telegram subscriptions and the like")
    addresses: list[AddressOut] = Field(
        description="Per channel, the address a message would go to, in `order`"
    )
    language: Literal["ru", "en"] = Field(
        description="The language messages are written in: the contact's `language`, else the "
        "installation's. A purpose with no template in it goes in the installation's language"
    )


def _consent(consent: Consent) -> ConsentOut:
    return ConsentOut(
        id=consent.id,
        purpose=ConsentPurpose(consent.purpose),
        channel=Channel(consent.channel) if consent.channel is not None else None,
        text_version=consent.text_version,
        given_at=consent.given_at,
        withdrawn_at=consent.withdrawn_at,
        recorded_by_id=consent.recorded_by_id,
        current=consent.withdrawn_at is None,
    )


async def _history(actor: CurrentActor, contact_id: int) -> list[ConsentOut]:
    return [_consent(c) for c in await list_consents(actor, contact_id)]


@router.get(
    "/{contact_id}/consents", operation_id="listContactConsents", responses=problem_responses(404)
)
async def list_(contact_id: Id, actor: CurrentActor, _: Transaction) -> ConsentsOut:
    return ConsentsOut(items=await _history(actor, contact_id))


@router.post(
    "/{contact_id}/consents",
    operation_id="giveContactConsent",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 422),
)
async def give(contact_id: Id, body: ConsentIn, actor: CurrentActor, _: Transaction) -> ConsentOut:
    """Record a consent the client gave (on paper, by phone, on the website)."""
    consent = await give_consent(
        actor,
        contact_id,
        body.purpose.value,
        text_version=body.text_version,
        channel=body.channel.value if body.channel else None,
    )
    return _consent(consent)


@router.post(
    "/{contact_id}/consents/withdraw",
    operation_id="withdrawContactConsents",
    responses=problem_responses(404, 422),
)
async def withdraw(
    contact_id: Id, body: ConsentWithdrawIn, actor: CurrentActor, _: Transaction
) -> ConsentsWithdrawnOut:
    """Withdraw the current consents for a purpose (for one channel, or all). Safe to repeat."""
    cancelled = await withdraw_consent(
        actor,
        contact_id,
        body.purpose.value,
        channel=body.channel.value if body.channel else None,
    )
    return ConsentsWithdrawnOut(
        items=await _history(actor, contact_id), cancelled_messages=cancelled
    )


@router.post(
    "/{contact_id}/consents/{consent_id}/withdraw",
    operation_id="withdrawContactConsent",
    responses=problem_responses(404),
)
async def withdraw_one(
    contact_id: Id, consent_id: Id, actor: CurrentActor, _: Transaction
) -> ConsentOut:
    """Withdraw one consent. An already withdrawn one is returned as it is."""
    return _consent(await withdraw_consent_by_id(actor, contact_id, consent_id))


@router.get(
    "/{contact_id}/channels", operation_id="getContactChannels", responses=problem_responses(404)
)
async def channels(contact_id: Id, actor: CurrentActor, _: Transaction) -> ContactChannelsOut:
    found = await contact_channels(actor, contact_id)
    return ContactChannelsOut(
        preferred_channels=[Channel(c) for c in found.preferred],
        order=found.order,
        identities=[
            IdentityOut(
                id=i.id, channel=Channel(i.channel), address=i.address, created_at=i.created_at
            )
            for i in found.identities
        ],
        addresses=[
            AddressOut(channel=c, address=found.addresses[c])
            for c in found.order
            if c in found.addresses
        ],
        language="en" if found.language == "en" else "ru",
    )
