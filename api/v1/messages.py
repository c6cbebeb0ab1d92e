"""Messages managers send clients, and client subscriptions (Telegram and the client app).

- `GET /v1/message-purposes`: what can be sent (purposes with an active template), named in ru
  and en.
- `POST /v1/contacts/{id}/messages/preview`: the message as the client would get it and the
  channel and address it would go through, or why it could not go. Writes nothing.
- `POST /v1/contacts/{id}/messages`: render, queue in the outbox and log an outbound interaction
  of kind message, in one transaction. With an `Idempotency-Key` a retry sends once.
- `POST /v1/contacts/{id}/telegram-subscription`, `POST /v1/orders/{id}/telegram-subscription`:
  a subscription token, and with a bot its deep link, that subscribes the client to
  notifications in Telegram and in the company's client app (push). The paths keep the name
  they had when only Telegram took the token.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request, status
from pydantic import Field

from api.deps import AppSettings, CurrentActor, Transaction
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import Channel, ConsentPurpose, MessageState
from models.ops.messages import MessageRequest, message_purposes, preview_message, send_message
from models.ops.subscriptions import SUBSCRIPTION_TTL, SubscriptionLink, issue_subscription

router = APIRouter(tags=["messages"], responses=problem_responses(401))

Purpose = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="A template purpose (GET /v1/message-purposes), e.g. thanks_after_call",
    ),
]


class Names(Output):
    ru: str
    en: str


class MessagePurposeOut(Output):
    purpose: str
    name: Names
    marketing: bool = Field(description="Needs the client's marketing consent")


class MessagePurposesOut(Output):
    items: list[MessagePurposeOut]


class MessageIn(Input):
    purpose: Purpose | None = Field(default=None, description="This or template_id")
    template_id: Id | None = Field(
        default=None, description="Exactly this template (its channel and language)"
    )
    deal_id: Id | None = Field(default=None, description="The client's deal, for its variables")
    order_id: Id | None = Field(default=None, description="The client's order, for its variables")
    channel: Channel | None = Field(
        default=None, description="Only through this channel; default: the client's order"
    )

    def request(self) -> MessageRequest:
        return MessageRequest(
            purpose=self.purpose,
            template_id=self.template_id,
            deal_id=self.deal_id,
            order_id=self.order_id,
            channel=self.channel.value if self.channel else None,
        )


class ChannelProblemOut(Output):
    channel: Channel
    code: Literal[
        "not_configured", "no_template", "no_address", "no_marketing_consent", "render_failed"
    ] = Field(description="Why this channel could not be used")


def _problems(problems: tuple[tuple[Channel, str], ...]) -> list[ChannelProblemOut]:
    return [ChannelProblemOut.model_validate({"channel": c, "code": code}) for c, code in problems]


class MessagePreviewOut(Output):
    sendable: bool = Field(description="False: no usable channel, see `error`")
    channel: Channel
    address: str
    language: str
    consent_purpose: ConsentPurpose
    template_id: Id | None
    subject: str = Field(description="Email only")
    body: str = Field(description="As the channel takes it: Telegram or email HTML, plain text")
    text_body: str = Field(description="Email only: the plain-text part")
    error: str = Field(description="Why it cannot be sent; empty when it can")
    problems: list[ChannelProblemOut] = Field(
        description="When it cannot be sent: why, per channel tried (to say in the UI language)"
    )


class MessageSentOut(Output):
    message_id: int = Field(description="The outbound message (admins: GET /v1/outbox/{id})")
    state: MessageState = Field(description="queued; failed when no channel was usable")
    channel: Channel
    address: str
    language: str
    template_id: Id | None
    subject: str
    body: str
    text_body: str
    error: str = Field(description="Why it failed; empty when queued")
    problems: list[ChannelProblemOut] = Field(description="When it failed: why, per channel tried")
    interaction_id: Id | None = Field(
        description="The outbound interaction logged; null when nothing could be sent"
    )
    repeated: bool = Field(description="The same Idempotency-Key was seen: nothing new was sent")


purposes_router = APIRouter(tags=["messages"], responses=problem_responses(401))


@purposes_router.get("/message-purposes", operation_id="listMessagePurposes")
async def purposes(actor: CurrentActor, _: Transaction) -> MessagePurposesOut:
    """Purposes with an active template: what `POST /v1/contacts/{id}/messages` can send."""
    return MessagePurposesOut(
        items=[
            MessagePurposeOut(
                purpose=c.purpose, name=Names(ru=c.name.ru, en=c.name.en), marketing=c.marketing
            )
            for c in await message_purposes()
        ]
    )


@router.post(
    "/contacts/{contact_id}/messages/preview",
    operation_id="previewContactMessage",
    responses=problem_responses(404, 422),
)
async def preview(
    contact_id: Id, body: MessageIn, actor: CurrentActor, _: Transaction
) -> MessagePreviewOut:
    """The message as the client would get it, and where it would go. Nothing is sent. Marketing
    without the client's consent is a 422 naming `purpose`."""
    plan = await preview_message(actor, contact_id, body.request())
    rendered = plan.rendered
    return MessagePreviewOut(
        sendable=plan.usable,
        channel=plan.channel,
        address=plan.address,
        language=plan.language,
        consent_purpose=plan.consent_purpose,
        template_id=plan.template.id if plan.template else None,
        subject=rendered.subject if rendered else "",
        body=rendered.body if rendered else "",
        text_body=rendered.text_body if rendered else "",
        error=plan.reason,
        problems=_problems(plan.problems),
    )


@router.post(
    "/contacts/{contact_id}/messages",
    operation_id="sendContactMessage",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 422),
)
async def send(
    contact_id: Id, body: MessageIn, request: Request, actor: CurrentActor, _: Transaction
) -> MessageSentOut:
    """Send a template to the client through the outbox, and log it as an outbound interaction.
    A client with no usable channel gets a *failed* message (201, `state` failed, `error` says
    why, no interaction). Marketing without the client's consent is a 422 naming `purpose`, and
    nothing is written."""
    key = request.headers.get("idempotency-key")
    dedup_key = f"manual:{actor.user_id}:{key}" if key else f"manual:{uuid.uuid4().hex}"
    sent = await send_message(actor, contact_id, body.request(), dedup_key=dedup_key)
    message = sent.message
    return MessageSentOut(
        message_id=message.id,
        state=MessageState(message.state),
        channel=Channel(message.channel),
        address=message.address,
        language=message.language,
        template_id=message.template_id,
        subject=message.subject,
        body=message.body,
        text_body=message.text_body,
        error=message.last_error,
        problems=_problems(sent.problems),
        interaction_id=sent.interaction.id if sent.interaction else None,
        repeated=sent.repeated,
    )


class SubscriptionLinkOut(Output):
    url: str | None = Field(
        description="https://t.me/<bot>?start=<token>: the Telegram link (also good for a QR "
        "code the client app scans); null when the server has no Telegram bot"
    )
    token: str = Field(description="sub_…: what the client app takes, typed or scanned")
    expires_at: datetime
    channels: list[Channel] = Field(
        description="Where the token subscribes the client: telegram (the bot), push (the "
        "company's client app)"
    )


def _link(link: SubscriptionLink) -> SubscriptionLinkOut:
    return SubscriptionLinkOut(
        url=link.url, token=link.token, expires_at=link.expires_at, channels=list(link.channels)
    )


_SUBSCRIPTION = (
    f"A subscription for the client, valid {SUBSCRIPTION_TTL.days} days: a token and, when the "
    "server has a Telegram bot, its deep link. Give it to the client (a QR code of `url`, SMS, "
    "email): opening the link in Telegram, or handing the token to the company's client app, "
    "subscribes them to notifications (order statuses and other service messages) and records "
    "their consent. It belongs to the first Telegram chat and the first app device that use "
    "it. 409 `telegram_not_configured` when the server has neither a bot nor push."
)


@router.post(
    "/contacts/{contact_id}/telegram-subscription",
    operation_id="createContactTelegramSubscription",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    description=_SUBSCRIPTION,
)
async def subscribe_contact(
    contact_id: Id, actor: CurrentActor, _: Transaction, settings: AppSettings
) -> SubscriptionLinkOut:
    link = await issue_subscription(actor, settings.telegram_bot_username, contact_id=contact_id)
    return _link(link)


@router.post(
    "/orders/{order_id}/telegram-subscription",
    operation_id="createOrderTelegramSubscription",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409, 422),
    description=_SUBSCRIPTION + " For an order, its contact is subscribed (422 when it has none).",
)
async def subscribe_order(
    order_id: Id, actor: CurrentActor, _: Transaction, settings: AppSettings
) -> SubscriptionLinkOut:
    link = await issue_subscription(actor, settings.telegram_bot_username, order_id=order_id)
    return _link(link)
