"""Push through Firebase Cloud Messaging with firebase-admin, to one device's registration token.

The message's address is the FCM token, its subject the notification's title, its body the
text; `payload["data"]` (names to texts) goes along as the data the app reads. firebase-admin
sends with `requests`, blocking: every send runs in a worker thread (`asyncio.to_thread`), never
on the event loop.

The service account JSON is `VORONKA_FCM_CREDENTIALS`; google-auth signs in at its `token_uri`
(or `VORONKA_FCM_TOKEN_URI`). firebase-admin has no setting for the FCM endpoint: the channel
sets its messaging service's send URL to `VORONKA_FCM_BASE_URL` + `/v1/projects/<id>/messages:send`
(a private attribute, `_fcm_url`; tests/schedulers/test_push_channel.py fails if a new version
moves it). Each channel has its own firebase `App`, deleted on close.

How FCM answers become results:

- 200 → sent, the provider id is the message name (`projects/<id>/messages/<n>`);
- UNREGISTERED (the app was removed), SENDER_ID_MISMATCH (a token of another project) and an
  INVALID_ARGUMENT that names the registration token → permanent, and the token is forgotten
  (`DeliveryResult.forget_address`: the outbox deletes its devices when it records the result);
- another INVALID_ARGUMENT (the message itself) → permanent, the token kept;
- 429 → retry after its Retry-After; 5xx, a timeout, a network or sign-in failure → retry
  (a 500 or 503 is first tried again twice at once, by urllib3 under firebase-admin).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import firebase_admin
import google.auth.exceptions
import requests
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from models.channels import DeliveryResult, Outgoing
from models.entities import Channel
from models.settings import Settings, SettingsError
from schedulers.channels.twilio_rest import retry_after_of

log = logging.getLogger(__name__)

# Data keys FCM refuses (its own), checked here so a bad payload never costs a device its token.
_RESERVED = ("from", "notification", "message_type")
_RESERVED_PREFIXES = ("google", "gcm")
_names = itertools.count(1)


class InvalidPush(ValueError):
    """The message cannot be sent as a push as it is."""


@dataclass(frozen=True, slots=True)
class FcmConfig:
    credentials: Path
    base_url: str = "https://fcm.googleapis.com"
    token_uri: str | None = None
    timeout: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FcmConfig | None:
        if settings.fcm_credentials is None:
            return None
        return cls(
            credentials=settings.fcm_credentials,
            base_url=settings.fcm_base_url,
            token_uri=settings.fcm_token_uri,
            timeout=settings.fcm_timeout,
        )


def data_of(payload: Mapping[str, Any]) -> dict[str, str] | None:
    """The payload's `data` as FCM takes it: names to texts (numbers and flags become texts)."""
    data = payload.get("data")
    if not data:
        return None
    if not isinstance(data, Mapping):
        raise InvalidPush("data: an object of names to texts")
    result: dict[str, str] = {}
    for key, value in data.items():
        name = str(key)
        if name in _RESERVED or name.lower().startswith(_RESERVED_PREFIXES):
            raise InvalidPush(f"data: {name!r} is reserved by FCM")
        if isinstance(value, Mapping | list):
            raise InvalidPush(f"data: {name!r} must be a text")
        result[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


class PushChannel:
    channel = Channel.PUSH

    def __init__(self, config: FcmConfig) -> None:
        info = json.loads(config.credentials.read_text(encoding="utf-8"))
        if config.token_uri:
            info["token_uri"] = config.token_uri
        project = str(info["project_id"])
        try:
            certificate = credentials.Certificate(info)
        except ValueError as error:
            # A key google-auth cannot read: stop start-up with one line, like any bad setting.
            raise SettingsError(f"VORONKA_FCM_CREDENTIALS: {error}") from None
        self.app = firebase_admin.initialize_app(
            certificate,
            {"projectId": project, "httpTimeout": config.timeout},
            name=f"voronka-push-{next(_names)}",
        )
        service = messaging._get_messaging_service(self.app)
        service._fcm_url = f"{config.base_url}/v1/projects/{project}/messages:send"
        # firebase-admin's own retries would sleep out a 429's Retry-After in the worker thread,
        # up to four times, and repeat a send that timed out at once. The outbox does both
        # better (it waits without holding a thread, and counts the attempt), so here only a
        # 500 or 503 is tried again, twice, quickly.
        retry = Retry(
            connect=1,
            read=0,
            status=2,
            status_forcelist=(500, 503),
            allowed_methods=None,
            backoff_factor=0.2,
            raise_on_status=False,
            respect_retry_after_header=False,
        )
        service._client.session.mount(
            config.base_url, HTTPAdapter(pool_maxsize=16, max_retries=retry)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PushChannel:
        config = FcmConfig.from_settings(settings)
        if config is None:
            raise ValueError("VORONKA_FCM_CREDENTIALS is not set")
        return cls(config)

    async def close(self) -> None:
        # Deleting the app closes its HTTP clients with asyncio.run(): not on this loop.
        await asyncio.to_thread(firebase_admin.delete_app, self.app)

    def compose(self, message: Outgoing) -> messaging.Message:
        token = message.address.strip()
        if not token:
            raise InvalidPush("no device token")
        if not message.body.strip() and not message.subject.strip():
            raise InvalidPush("the message text is empty")
        notification = messaging.Notification(
            title=message.subject or None, body=message.body or None
        )
        data = data_of(message.payload)
        with warnings.catch_warnings():
            # firebase-admin 7.7 deprecates `token` for Firebase installation ids (`fid`). The
            # apps register FCM registration tokens (`Device.fcm_token`), which FCM v1 still
            # takes as `token`: moving to fid is a change of the mobile contract (ADR 0017).
            warnings.simplefilter("ignore", DeprecationWarning)
            return messaging.Message(token=token, notification=notification, data=data)

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        try:
            push = self.compose(message)
        except InvalidPush as error:
            return DeliveryResult.permanent(str(error))
        try:
            name = await asyncio.to_thread(messaging.send, push, False, self.app)
        except (messaging.UnregisteredError, messaging.SenderIdMismatchError) as error:
            return DeliveryResult.permanent(f"FCM {_fcm_code(error)}: {error}", forget_address=True)
        except exceptions.InvalidArgumentError as error:
            gone = "registration token" in str(error).lower()
            return DeliveryResult.permanent(f"FCM INVALID_ARGUMENT: {error}", forget_address=gone)
        except (messaging.QuotaExceededError, exceptions.ResourceExhaustedError) as error:
            return DeliveryResult.retry(f"FCM 429: {error}", _retry_after(error))
        except exceptions.FirebaseError as error:
            return DeliveryResult.retry(f"FCM {error.code}: {error}")
        except google.auth.exceptions.GoogleAuthError as error:
            log.warning("FCM sign-in failed: %s", error)
            return DeliveryResult.retry(f"FCM sign-in failed: {type(error).__name__}: {error}")
        except (requests.RequestException, OSError) as error:
            return DeliveryResult.retry(f"FCM unreachable: {type(error).__name__}: {error}")
        except ValueError as error:
            # firebase-admin checks the message's fields before sending.
            return DeliveryResult.permanent(f"FCM: {error}")
        return DeliveryResult.sent(str(name))


def _fcm_code(error: exceptions.FirebaseError) -> str:
    return "UNREGISTERED" if isinstance(error, messaging.UnregisteredError) else error.code


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = error.http_response
    return retry_after_of(response.headers.get("Retry-After")) if response is not None else None
