"""The signed-in user's own profile."""

from __future__ import annotations

from models.actor import Actor
from models.entities import User
from models.errors import NotFound


async def my_profile(actor: Actor) -> User:
    user = await User.get_or_none(id=actor.user_id, is_active=True).select_related("office")
    if user is None:
        raise NotFound("user", actor.user_id)
    return user
