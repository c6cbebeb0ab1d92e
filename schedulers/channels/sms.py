"""SMS through Twilio's Messages API: plain text to the contact's +E.164 number, from
`VORONKA_TWILIO_SMS_FROM` (a number or an alphanumeric sender id) or from the sender pool of
`VORONKA_TWILIO_MESSAGING_SERVICE_SID`, at most `VORONKA_SMS_RATE` a second per sender (1 by
default; a Messaging Service counts as one sender here). Twilio splits long text into
segments itself (the template shows how many: `models/rules/sms.py`). Status callbacks and the
way answers become results are those of `schedulers/channels/twilio_rest.py`.
"""

from __future__ import annotations

from typing import Any

from models.channels import DeliveryResult, Outgoing
from models.entities import Channel
from models.settings import Settings
from schedulers.channels.pacing import MemoryPacer, Pacer, build_pacer
from schedulers.channels.twilio_rest import TwilioConfig, TwilioMessages, is_phone


class SmsChannel:
    channel = Channel.SMS

    def __init__(
        self,
        config: TwilioConfig,
        *,
        sender: str | None = None,
        service_sid: str | None = None,
        rate: float = 1.0,
        pacer: Pacer | None = None,
    ) -> None:
        bucket = sender or service_sid
        if not bucket:
            raise ValueError("an SMS sender or a Messaging Service SID")
        self.sender = sender
        self.service_sid = service_sid
        self.messages = TwilioMessages(
            config, "SMS", sender=bucket, rate=rate, pacer=pacer or MemoryPacer()
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsChannel | None:
        """The channel when Twilio and a sender (or a Messaging Service) are configured."""
        config = TwilioConfig.from_settings(settings)
        sender, service = settings.twilio_sms_from, settings.twilio_messaging_service_sid
        if config is None or not (sender or service):
            return None
        return cls(
            config,
            sender=sender,
            service_sid=service,
            rate=settings.sms_rate,
            pacer=build_pacer(settings.redis_url),
        )

    async def close(self) -> None:
        await self.messages.close()

    async def deliver(self, message: Outgoing) -> DeliveryResult:
        number = message.address.strip()
        if not is_phone(number):
            return DeliveryResult.permanent(f"invalid phone number {message.address!r}")
        if not message.body.strip():
            return DeliveryResult.permanent("the message text is empty")
        params: dict[str, Any] = {"to": number, "body": message.body}
        if self.sender:
            params["from_"] = self.sender
        else:
            params["messaging_service_sid"] = self.service_sid
        return await self.messages.create(**params)
