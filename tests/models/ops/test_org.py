import pytest

from models.entities import AuditEntry, Office, OfficeKind, Role, User
from models.errors import Forbidden, NotFound, ValidationFailed
from models.ops.org import create_office, create_user, set_user_active
from models.passwords import verify_password
from tests.factories import SYSTEM, Org, make_user
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")


async def test_office_paths_follow_the_tree(org: Org) -> None:
    assert org.root.path == f"{org.root.id}/"
    assert org.north.path == f"{org.root.id}/{org.north.id}/"
    assert org.department.path == f"{org.root.id}/{org.north.id}/{org.department.id}/"
    stored = await Office.get(id=org.department.id)
    assert (stored.path, stored.parent_id) == (org.department.path, org.north.id)


async def test_only_an_admin_creates_offices(org: Org) -> None:
    with pytest.raises(Forbidden):
        await create_office(org.head, name="Филиал", parent_id=org.north.id)
    office = await create_office(
        org.admin, name=" Казань ", parent_id=org.root.id, timezone="Europe/Moscow"
    )
    assert (office.name, office.kind) == ("Казань", OfficeKind.BRANCH)


async def test_bad_office_values_are_named(org: Org) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await create_office(
            org.admin, name=" ", kind="planet", parent_id=987654, timezone="Mars/Olympus"
        )
    assert error_codes(raised.value) == {
        "name": "required",
        "kind": "invalid_choice",
        "timezone": "unknown_timezone",
        "parent_id": "not_found",
    }


async def test_an_admin_creates_any_user(org: Org) -> None:
    user = await create_user(
        org.admin,
        email=" Anna@Example.COM ",
        full_name=" Анна Смирнова ",
        office_id=org.south.id,
        role="head",
        password="correct horse",
        phone="8 916 000-00-01",
        language="en",
    )
    stored = await User.get(id=user.id)
    assert (stored.email, stored.full_name, stored.role, stored.phone, stored.language) == (
        "anna@example.com",
        "Анна Смирнова",
        Role.HEAD,
        "+79160000001",
        "en",
    )
    assert verify_password("correct horse", stored.password_hash)
    assert not verify_password("wrong horse", stored.password_hash)
    assert stored.password_hash != "correct horse"


async def test_a_head_creates_managers_only_within_their_tree(org: Org) -> None:
    user = await create_user(
        org.head, email="new@example.com", full_name="Новичок", office_id=org.department.id
    )
    assert (user.role, user.office_id) == (Role.MANAGER, org.department.id)
    with pytest.raises(ValidationFailed) as raised:
        await create_user(
            org.head, email="s@example.com", full_name="Чужой", office_id=org.south.id
        )
    assert error_codes(raised.value) == {"office_id": "not_found"}
    with pytest.raises(Forbidden):
        await create_user(
            org.head,
            email="h@example.com",
            full_name="Второй начальник",
            office_id=org.north.id,
            role="head",
        )


async def test_a_manager_creates_no_one(org: Org) -> None:
    with pytest.raises(Forbidden):
        await create_user(org.manager, email="x@example.com", full_name="X", office_id=org.north.id)


async def test_bad_user_values_are_named(org: Org) -> None:
    taken = await make_user(org.north, phone="+79160000002")
    with pytest.raises(ValidationFailed) as raised:
        await create_user(
            org.admin,
            email=taken.email.upper(),
            full_name="",
            office_id=org.north.id,
            role="owner",
            password="short",
            phone="8 916 000 00 02",
            language="de",
        )
    assert error_codes(raised.value) == {
        "full_name": "required",
        "role": "invalid_choice",
        "language": "invalid_choice",
        "password": "too_short",
        "email": "taken",
        "phone": "taken",
    }
    with pytest.raises(ValidationFailed) as raised:
        await create_user(org.admin, email="", full_name="Y", office_id=org.north.id)
    assert error_codes(raised.value) == {"email": "required"}
    with pytest.raises(ValidationFailed) as raised:
        await create_user(org.admin, email="bad", full_name="Y", office_id=org.north.id)
    assert error_codes(raised.value) == {"email": "invalid_email"}


async def test_only_an_admin_deactivates_and_it_is_audited(org: Org) -> None:
    with pytest.raises(Forbidden):
        await set_user_active(org.head, org.manager.user_id, False)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await set_user_active(org.admin, 987654, False)
    await set_user_active(org.admin, org.manager.user_id, False)  # type: ignore[arg-type]
    await set_user_active(org.admin, org.manager.user_id, False)  # type: ignore[arg-type]
    assert not (await User.get(id=org.manager.user_id)).is_active
    rows = await AuditEntry.filter(entity="user", entity_id=org.manager.user_id, action="update")
    assert [(r.field, r.old_value, r.new_value, r.actor_id) for r in rows] == [
        ("is_active", "True", "False", org.admin.user_id)
    ]


async def test_the_system_can_bootstrap_the_first_office_and_admin() -> None:
    office = await create_office(SYSTEM, name="Компания", kind="company")
    admin = await create_user(
        SYSTEM, email="admin@example.com", full_name="Админ", office_id=office.id, role="admin"
    )
    rows = await AuditEntry.filter(entity="user", entity_id=admin.id)
    assert {r.actor_id for r in rows} == {None}
    assert {r.field for r in rows} == {"email", "full_name", "role", "office_id"}
