"""Devices that receive push notifications (FCM registration tokens)."""

from __future__ import annotations

from models.actor import Actor
from models.clock import now
from models.entities import Device
from models.errors import FieldErrors, NotFound
from models.ops import fields as f
from models.rules.push import PLATFORMS
from models.text import Text

_BAD_PLATFORM = Text("Платформа: android, ios или web.", "Platform: android, ios or web.")


async def register_device(actor: Actor, fcm_token: str, platform: str, name: str = "") -> Device:
    """Register (or refresh) a device. A token seen under another user moves to this one: the
    app was signed in with a different account on the same phone."""
    errors = FieldErrors()
    token = f.text_field({"fcm_token": fcm_token}, "fcm_token", 512, errors)
    if not token:
        errors.add("fcm_token", "required", f.REQUIRED)
    if platform not in PLATFORMS:
        errors.add("platform", "invalid_choice", _BAD_PLATFORM)
    label = f.text_field({"name": name}, "name", 100, errors) or ""
    errors.raise_if_any()
    assert actor.user_id is not None
    device = await Device.get_or_none(fcm_token=token)
    if device is None:
        return await Device.create(
            user_id=actor.user_id, fcm_token=token, platform=platform, name=label
        )
    await Device.filter(id=device.id).update(
        user_id=actor.user_id, platform=platform, name=label, last_seen_at=now()
    )
    await device.refresh_from_db()
    return device


async def list_devices(actor: Actor) -> list[Device]:
    return await Device.filter(user_id=actor.user_id).order_by("-last_seen_at")


async def unregister_device(actor: Actor, device_id: int) -> None:
    if not await Device.filter(id=device_id, user_id=actor.user_id).delete():
        raise NotFound("device", device_id)


async def forget_token(fcm_token: str) -> int:
    """Delete the devices of a token FCM says is gone (unregistered or invalid): the app on that
    phone was removed or signed out. Returns how many there were."""
    return await Device.filter(fcm_token=fcm_token).delete()
