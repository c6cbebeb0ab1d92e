"""Push rules without I/O: what an FCM registration token looks like, and the platforms an app
runs on.

FCM registration tokens are opaque, but what Firebase issues is letters, digits, `-`, `_` and
`:` (an instance id, a colon, then the token), about 150 to 200 characters. A client app sends
its own, unauthenticated, so the shape is checked before anything is stored: at least 32
characters (nothing real is shorter) and at most 255, the width of the address columns
(`ChannelIdentity.address`, `OutboundMessage.address`) a client's token lands in.
"""

from __future__ import annotations

import re

FCM_TOKEN_MIN, FCM_TOKEN_MAX = 32, 255
_CHARACTERS = r"[A-Za-z0-9_:\-]+"
# For JSON Schema (the API's request models): anchored, since a schema pattern may match anywhere.
FCM_TOKEN_PATTERN = f"^{_CHARACTERS}$"
PLATFORMS = ("android", "ios", "web")

_FCM_TOKEN = re.compile(_CHARACTERS)


def is_fcm_token(value: str) -> bool:
    return FCM_TOKEN_MIN <= len(value) <= FCM_TOKEN_MAX and _FCM_TOKEN.fullmatch(value) is not None
