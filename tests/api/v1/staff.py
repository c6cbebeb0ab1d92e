"""A small organisation whose people can sign in, for the API tests of admin-managed resources."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from models.entities import Office, Role, User
from models.passwords import hash_password
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_office, make_user

_HASH = hash_password(PASSWORD)


@dataclass
class Staff:
    """root ← north ← department, root ← south. admin at root; head, manager in north;
    deep in north's department; stranger and south_head in south."""

    client: httpx.AsyncClient
    root: Office
    north: Office
    south: Office
    department: Office
    admin: User
    head: User
    manager: User
    deep: User
    stranger: User
    south_head: User
    _headers: dict[int, dict[str, str]] = field(default_factory=dict)

    async def headers(self, user: User) -> dict[str, str]:
        if user.id not in self._headers:
            self._headers[user.id] = await headers_for(self.client, user)
        return self._headers[user.id]


async def _person(office: Office, role: Role) -> User:
    user = await make_user(office, role)
    await User.filter(id=user.id).update(password_hash=_HASH)
    return user


async def make_staff(client: httpx.AsyncClient) -> Staff:
    root = await make_office("Головной офис")
    north = await make_office("Север", parent=root)
    south = await make_office("Юг", parent=root)
    department = await make_office("Отдел продаж", parent=north)
    return Staff(
        client=client,
        root=root,
        north=north,
        south=south,
        department=department,
        admin=await _person(root, Role.ADMIN),
        head=await _person(north, Role.HEAD),
        manager=await _person(north, Role.MANAGER),
        deep=await _person(department, Role.MANAGER),
        stranger=await _person(south, Role.MANAGER),
        south_head=await _person(south, Role.HEAD),
    )
