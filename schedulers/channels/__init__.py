"""Channel adapters: the outbox relay's out-adapters, one module per channel.

Only the relay (schedulers/outbox.py) calls them. Each implements models.channels.ChannelAdapter.
"""

from __future__ import annotations

from models.channels import ChannelAdapter
from models.entities import Channel
from models.settings import Settings
from schedulers.channels.email import EmailChannel, SmtpConfig
from schedulers.channels.pacing import build_pacer


def build_channels(settings: Settings) -> dict[Channel, ChannelAdapter]:
    """The adapters this installation's settings configure."""
    channels: dict[Channel, ChannelAdapter] = {}
    smtp = SmtpConfig.from_settings(settings)
    if smtp is not None:
        channels[Channel.EMAIL] = EmailChannel(
            smtp, rate=settings.smtp_rate, pacer=build_pacer(settings.redis_url)
        )
    if settings.telegram_token is not None:
        # aiogram takes seconds to import: only when Telegram is configured.
        from schedulers.channels.telegram import TelegramChannel

        telegram = TelegramChannel.from_settings(settings)
        if telegram is not None:
            channels[Channel.TELEGRAM] = telegram
    if settings.twilio_configured:
        # twilio, like aiogram, is imported only when it is configured.
        from schedulers.channels.sms import SmsChannel
        from schedulers.channels.whatsapp import WhatsAppChannel

        whatsapp = WhatsAppChannel.from_settings(settings)
        if whatsapp is not None:
            channels[Channel.WHATSAPP] = whatsapp
        sms = SmsChannel.from_settings(settings)
        if sms is not None:
            channels[Channel.SMS] = sms
    if settings.fcm_credentials is not None:
        # firebase-admin pulls in google-auth and httpx: only when push is configured.
        from schedulers.channels.push import PushChannel

        channels[Channel.PUSH] = PushChannel.from_settings(settings)
    return channels
