"""The schema: migrations match the entities; SQLite runs with the pragmas we rely on."""

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError

import models.db
from models.entities import Office, User
from tests.factories import make_contact, make_deal, make_org, make_pipeline


async def test_models_and_migrations_agree() -> None:
    changes = await models.db.pending_model_changes()
    assert changes == [], "run `python -m tortoise makemigrations` and commit the result"


@pytest.mark.sqlite_only
@pytest.mark.usefixtures("db")
async def test_sqlite_pragmas_are_in_force() -> None:
    connection = connections.get("default")

    async def pragma(name: str) -> object:
        _, rows = await connection.execute_query(f"PRAGMA {name}")
        return rows[0][0]

    assert await pragma("foreign_keys") == 1
    assert await pragma("journal_mode") == "wal"
    assert int(await pragma("busy_timeout")) >= 5000  # type: ignore[call-overload]


@pytest.mark.usefixtures("db")
async def test_the_dialect_is_the_one_asked_for(db_dialect: str) -> None:
    assert models.db.dialect() == db_dialect
    assert await models.db.ping()


@pytest.mark.usefixtures("db")
async def test_deleting_a_user_or_office_with_business_data_is_refused() -> None:
    org = await make_org()
    await make_pipeline()
    contact = await make_contact(org.manager)
    await make_deal(org.manager, contact_id=contact.id)
    with pytest.raises((IntegrityError, OperationalError)):
        await User.filter(id=org.manager.user_id).delete()
    with pytest.raises((IntegrityError, OperationalError)):
        await Office.filter(id=org.north.id).delete()
    assert await User.exists(id=org.manager.user_id)
    assert await Office.exists(id=org.north.id)
