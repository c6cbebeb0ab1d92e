"""The company's client app: push subscriptions, with no sign-in (/v1/client, ADR 0024).

- `GET /v1/client/push-consent`: the consent text the app shows before it subscribes, and its
  version.
- `POST /v1/client/push-subscriptions`: a subscription token a manager issued (`sub_…`, the one
  in the Telegram link), the device's FCM token and the version of the consent text the person
  agreed to subscribe the device to the client's notifications. Repeating it is harmless.
- `POST /v1/client/push-subscriptions/unsubscribe`: the device gets nothing more.
- `POST /v1/client/push-subscriptions/refresh`: Firebase rotated the device's FCM token.

Nobody signs in here, so every request is counted per IP address
(VORONKA_CLIENT_RATE_LIMIT_PER_MINUTE), and a bad, expired or foreign subscription token gets one
and the same answer. FCM tokens travel in bodies, never in paths: paths end up in access logs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, status
from pydantic import Field

from api.deps import Transaction, client_quota
from api.problems import problem_responses, request_language
from api.schemas import Input, Output
from models.entities import OrderStatus
from models.ops.push_subscriptions import (
    CONSENT_TEXT,
    CONSENT_TEXT_VERSION,
    replace_push_token,
    subscribe_push_device,
    unsubscribe_push_device,
)
from models.rules.push import FCM_TOKEN_MAX, FCM_TOKEN_MIN, FCM_TOKEN_PATTERN
from models.rules.templates import ORDER_STATUS_LABELS

router = APIRouter(
    prefix="/client",
    tags=["client app"],
    dependencies=[Depends(client_quota)],
    responses=problem_responses(429),
)

SubscriptionToken = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="The subscription token a manager issued: `sub_…`, as in the Telegram link's "
        "`start` parameter",
    ),
]
FcmToken = Annotated[
    str,
    Field(
        min_length=FCM_TOKEN_MIN,
        max_length=FCM_TOKEN_MAX,
        pattern=FCM_TOKEN_PATTERN,
        description="The device's FCM registration token",
    ),
]


class PushSubscriptionIn(Input):
    token: SubscriptionToken
    fcm_token: FcmToken
    platform: Literal["android", "ios", "web"]
    consent_text_version: str = Field(
        min_length=1,
        max_length=32,
        description="The version of the consent text (GET /v1/client/push-consent) the person "
        "saw and agreed to; 422 `outdated_consent_text` when it is no longer the current one",
    )


class PushConsentOut(Output):
    consent_text: str = Field(description="Show it before subscribing (in Accept-Language)")
    consent_text_version: str = Field(description="Send it back when subscribing")


class PushUnsubscriptionIn(Input):
    fcm_token: FcmToken


class PushTokenRefreshIn(Input):
    old_fcm_token: FcmToken = Field(description="The FCM token the device subscribed with")
    fcm_token: FcmToken = Field(description="The new one Firebase gave the app")


class ClientOrderOut(Output):
    number: str
    status: OrderStatus
    status_label: str = Field(description="The status in words, in Accept-Language")


class PushSubscriptionOut(Output):
    consent_text: str = Field(
        description="The text the consent is recorded as given to (in Accept-Language)"
    )
    consent_text_version: str = Field(description="The version of that text, as recorded")
    language: Literal["ru", "en"] = Field(description="The language notifications come in")
    order: ClientOrderOut | None = Field(
        description="The order the token was issued for; null when issued for the client"
    )


class PushTokenRefreshOut(Output):
    subscribed: bool = Field(
        description="False: the old token had no subscription (or it was dropped because FCM "
        "reported the device gone); ask the person for a new subscription link"
    )


@router.get("/push-consent", operation_id="getClientPushConsent")
async def push_consent(request: Request) -> PushConsentOut:
    """The text the person agrees to by subscribing this device: show it, then subscribe with
    its version."""
    return PushConsentOut(
        consent_text=CONSENT_TEXT.get(request_language(request)),
        consent_text_version=CONSENT_TEXT_VERSION,
    )


@router.post(
    "/push-subscriptions",
    operation_id="subscribeClientPush",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
async def subscribe(
    body: PushSubscriptionIn, request: Request, _: Transaction
) -> PushSubscriptionOut:
    """Subscribe this device to the client's notifications (order statuses and other service
    messages) with a subscription token a manager issued. The token is bound to the first
    device that uses it: this device may repeat the call (same answer, nothing doubled), any
    other device gets the same 422 as for a wrong or expired token (`errors[0].field` `token`,
    code `invalid_subscription_token`). 409 `push_not_configured`: the server sends no push."""
    subscribed = await subscribe_push_device(
        body.token, body.fcm_token, body.platform, body.consent_text_version
    )
    language = request_language(request)
    order = subscribed.order
    return PushSubscriptionOut(
        consent_text=CONSENT_TEXT.get(language),
        consent_text_version=CONSENT_TEXT_VERSION,
        language="en" if subscribed.language == "en" else "ru",
        order=ClientOrderOut(
            number=order.number,
            status=OrderStatus(order.status),
            status_label=ORDER_STATUS_LABELS[OrderStatus(order.status)].get(language),
        )
        if order is not None
        else None,
    )


@router.post(
    "/push-subscriptions/unsubscribe",
    operation_id="unsubscribeClientPush",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(422),
)
async def unsubscribe(body: PushUnsubscriptionIn, _: Transaction) -> None:
    """This device gets no more notifications: its subscriptions end, the client's push
    consents are withdrawn when no other device of theirs is subscribed, and what was waiting
    for this device goes through the client's next channel. 204 whether or not it was
    subscribed: safe to repeat."""
    await unsubscribe_push_device(body.fcm_token)


@router.post(
    "/push-subscriptions/refresh",
    operation_id="refreshClientPushToken",
    responses=problem_responses(422),
)
async def refresh(body: PushTokenRefreshIn, _: Transaction) -> PushTokenRefreshOut:
    """Firebase gave the app a new FCM token (`onNewToken`): the subscriptions of the old one
    move to the new one, with the notifications still waiting for it."""
    moved = await replace_push_token(body.old_fcm_token, body.fcm_token)
    return PushTokenRefreshOut(subscribed=moved > 0)
