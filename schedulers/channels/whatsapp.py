"""WhatsApp through Twilio's Messages API, from `VORONKA_TWILIO_WHATSAPP_FROM` to the contact's
number (`whatsapp:+E.164` on both sides).

A message is its text, or, when its template names an approved Twilio Content template
(`payload["content_sid"]`, from `Template.content_sid`), that template with
`payload["content_variables"]` (`{"1": "Иван", …}`, rendered from `Template.content_variables`
when the message was written) as its ContentVariables: outside the 24-hour session window
WhatsApp takes only those. Status callbacks go to
`VORONKA_PUBLIC_URL/webhooks/twilio/status` when the public URL is set. At most
`VORONKA_WHATSAPP_RATE` messages a second per sender (10, Twilio's default). Answers become
results as `schedulers/channels/twilio_rest.py` says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from models.channels import DeliveryResult, Outgoing
from models.entities import Channel
from models.settings import Settings
from schedulers.channels.pacing import MemoryPacer, Pacer, build_pacer
from schedulers.channels.twilio_rest import TwilioConfig, TwilioMessages, is_phone

PREFIX = "whatsapp:"


def whatsapp_address(number: str) -> str:
    return PREFIX + number.strip().removeprefix(PREFIX)


def content_variables(payload: Mapping[str, Any]) -> str | None:
    """ContentVariables as Twilio takes them: a JSON object of strings, or None for none."""
    variables = payload.get("content_variables")
    if not variables:
        return None
    if not isinstance(variables, Mapping):
        raise ValueError("content_variables: an object of names to texts")
    return json.dumps({str(k): str(v) for k, v in variables.items()}, ensure_ascii=False)


class WhatsAppChannel:
    channel = Channel.WHATSAPP

    def __init__(
        self, config: TwilioConfig, sender: str, *, rate: float = 10.0, pacer: Pacer | None = None
    ) -> None:
        self.sender = whatsapp_address(sender)
        self.messages = TwilioMessages(
            config, "WhatsApp", sender=self.sender, rate=rate, pacer=pacer or MemoryPacer()
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> WhatsAppChannel | None:
        """The channel when Twilio and a WhatsApp sender are configured, else None."""
        config = TwilioConfig.from_settings(settings)
        if config is None or not settings.twilio_whatsapp_from:
            return None
        return cls(
            config,
            settings.twilio_whatsapp_from,
            rate=settings.whatsapp_rate,
            pacer=build_pacer(settings.redis_url),
        )

    async def close(self) -> None:
        await self.messages.close()

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        number = message.address.strip().removeprefix(PREFIX)
        if not is_phone(number):
            return DeliveryResult.permanent(f"invalid WhatsApp number {message.address!r}")
        content_sid = message.payload.get("content_sid")
        params: dict[str, Any] = {"to": PREFIX + number, "from_": self.sender}
        if content_sid:
            try:
                variables = content_variables(message.payload)
            except ValueError as error:
                return DeliveryResult.permanent(str(error))
            params["content_sid"] = str(content_sid)
            if variables is not None:
                params["content_variables"] = variables
        elif message.body.strip():
            params["body"] = message.body
        else:
            return DeliveryResult.permanent("the message text is empty")
        return await self.messages.create(**params)
