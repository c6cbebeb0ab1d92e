"""The signed-in user's own profile."""

from __future__ import annotations

from models.actor import Actor
from models.audit import audit_changes
from models.clock import now
from models.entities import User
from models.errors import FieldError, NotFound, ValidationFailed
from models.text import LANGUAGES, Text


async def my_profile(actor: Actor) -> User:
    user = await User.get_or_none(id=actor.user_id, is_active=True).select_related("office")
    if user is None:
        raise NotFound("user", actor.user_id)
    return user


async def set_my_language(actor: Actor, language: str) -> User:
    """Switch the language the user reads Voronka in (bots, notifications). Audited."""
    if language not in LANGUAGES:
        raise ValidationFailed(
            [FieldError("language", "invalid_choice", Text("Выберите ru или en.", "Use ru or en."))]
        )
    user = await my_profile(actor)
    if user.language != language:
        await User.filter(id=user.id).update(language=language, updated_at=now())
        await audit_changes(actor, "user", user.id, {"language": (user.language, language)})
        user.language = language
    return user
