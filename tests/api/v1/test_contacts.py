"""/v1/contacts: create with duplicate checks, ETag reads, If-Match changes, lists, search, the
language the client's messages are written in."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import AuditEntry, Channel, Office, OutboundMessage, Role, User
from models.ops.templates import install_default_templates
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import make_office, make_user


@pytest.fixture
async def office() -> Office:
    return await make_office("Москва")


@pytest.fixture
async def manager(office: Office) -> User:
    return await make_user(office, password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


def _if_match(headers: dict[str, str], version: int) -> dict[str, str]:
    return {**headers, "If-Match": f'"{version}"'}


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    payload = {"first_name": "Иван", "last_name": "Петров", **body}
    return await client.post("/v1/contacts", json=payload, headers=headers)


async def test_create_normalises_and_returns_the_card(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    response = await _create(
        client, headers, phones=["8 (916) 555-12-34"], emails=["Ivan@Mail.TEST"]
    )
    assert response.status_code == 201
    body = response.json()
    assert body["phones"] == ["+79165551234"]
    assert body["emails"] == ["ivan@mail.test"]
    assert body["owner_id"] == manager.id
    assert body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/v1/contacts/{body['id']}"
    card = await client.get(response.headers["location"], headers=headers)
    assert card.json() == body


async def test_duplicates_conflict_unless_forced(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    first = await _create(client, headers, phones=["+7 916 555 12 34"])
    again = await _create(client, headers, first_name="Пётр", phones=["89165551234"])
    assert again.status_code == 409
    problem = again.json()
    assert problem["candidates"] == [
        {
            "entity": "contact",
            "id": first.json()["id"],
            "label": "Петров Иван",
            "matched_on": "phone:+79165551234",
        }
    ]
    forced = await client.post(
        "/v1/contacts?force=true",
        json={"first_name": "Пётр", "phones": ["89165551234"]},
        headers=headers,
    )
    assert forced.status_code == 201


async def test_bad_input_names_every_field_and_writes_nothing(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/v1/contacts",
        json={"first_name": "", "phones": ["12"], "emails": ["nope"], "birthday": "2999-01-01"},
        headers={**headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"first_name", "phones.0", "emails.0", "birthday"}
    listed = await client.get("/v1/contacts", headers=headers)
    assert listed.json()["items"] == []


async def test_server_owned_and_unknown_fields_are_refused(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for field, value in (
        ("version", 7),
        ("office_id", 1),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("vip", True),
    ):
        response = await _create(client, headers, **{field: value})
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field


async def test_a_manager_cannot_give_a_contact_to_a_colleague(
    client: httpx.AsyncClient, headers: dict[str, str], office: Office
) -> None:
    colleague = await make_user(office)
    response = await _create(client, headers, owner_id=colleague.id)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner_id"


async def test_patch_needs_the_current_version(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    created = (await _create(client, headers)).json()
    url = f"/v1/contacts/{created['id']}"
    missing = await client.patch(url, json={"position": "Директор"}, headers=headers)
    assert missing.status_code == 428
    changed = await client.patch(
        url, json={"position": "Директор"}, headers={**headers, "If-Match": '"1"'}
    )
    assert changed.status_code == 200
    assert changed.json()["position"] == "Директор"
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(
        url, json={"position": "Бухгалтер"}, headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert (await client.get(url, headers=headers)).json()["position"] == "Директор"


async def test_other_offices_contacts_are_not_found(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    spb = await make_office("Санкт-Петербург")
    stranger = await make_user(spb, password=PASSWORD)
    theirs = (await _create(client, await headers_for(client, stranger))).json()
    url = f"/v1/contacts/{theirs['id']}"
    assert (await client.get(url, headers=headers)).status_code == 404
    patch = await client.patch(url, json={"position": "x"}, headers={**headers, "If-Match": '"1"'})
    assert patch.status_code == 404
    assert (await client.get("/v1/contacts", headers=headers)).json()["items"] == []


async def test_head_sees_the_office_tree(
    client: httpx.AsyncClient, office: Office, headers: dict[str, str]
) -> None:
    await _create(client, headers)
    head = await make_user(office, Role.HEAD, password=PASSWORD)
    listed = await client.get("/v1/contacts", headers=await headers_for(client, head))
    assert len(listed.json()["items"]) == 1


async def test_pages_follow_the_cursor_without_gaps(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for index in range(7):
        await _create(client, headers, first_name=f"Имя{index}")
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, "sort": "id", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/contacts", params=params, headers=headers)).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 7


async def test_bad_cursor_sort_and_limit_are_422(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for params in (
        {"cursor": "garbage!"},
        {"cursor": "WzEsMl0"},
        {"sort": "password"},
        {"limit": 500},
    ):
        response = await client.get("/v1/contacts", params=params, headers=headers)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_search_by_last_four_digits_email_and_name(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    ivan = (
        await _create(client, headers, phones=["+79165551234"], emails=["ivan@corp.test"])
    ).json()
    await _create(client, headers, first_name="Анна", last_name="Сидорова", phones=["+79167770000"])
    for q in ("1234", "+7 916 555-12-34", "ivan@corp.test", "ivan@", "Петр"):
        found = (await client.get("/v1/contacts", params={"q": q}, headers=headers)).json()["items"]
        assert [c["id"] for c in found] == [ivan["id"]], q


async def test_list_rows_equal_the_cards_with_phones_and_emails_in_order(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    phones = ["+79165550003", "+79165550001", "+79165550002"]
    emails = ["b@corp.test", "a@corp.test"]
    first = (await _create(client, headers, phones=phones, emails=emails)).json()
    second = (await _create(client, headers, first_name="Анна", phones=[], emails=[])).json()
    listed = await client.get("/v1/contacts", params={"sort": "id"}, headers=headers)
    assert listed.json()["items"] == [first, second]
    assert (first["phones"], first["emails"]) == (phones, emails)
    assert (second["phones"], second["emails"]) == ([], [])


async def test_list_rows_equal_the_cards_for_every_kind_of_value(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """On SQLite the list's rows are written as JSON by SQLite and the card by pydantic: dates,
    moments (one on a whole second, which has no fraction), JSON lists, nulls and text that
    needs escaping read the same from both."""
    with use_clock(FrozenClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))):
        full = await _create(
            client,
            headers,
            middle_name="Сергеевич",
            position="Главный инженер",
            birthday="1990-05-17",
            notes='Сказал: "перезвонить"\nпосле 15:00 \\ <b>&</b> 🙂',
            preferred_channels=["email", "telegram"],
            language="en",
            phones=["+79165550003"],
            emails=["ivan@corp.test"],
        )
    assert full.status_code == 201, full.text
    sparse = (await _create(client, headers, first_name="Анна")).json()

    listed = await client.get("/v1/contacts", params={"sort": "id"}, headers=headers)

    assert listed.json()["items"] == [full.json(), sparse]
    assert full.json()["created_at"] == "2026-03-01T09:00:00Z"
    assert (sparse["birthday"], sparse["language"]) == (None, None)


async def test_the_message_language_is_created_read_and_listed(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    english = await _create(client, headers, language="en")
    assert english.status_code == 201, english.text
    assert english.json()["language"] == "en"
    default = (await _create(client, headers, first_name="Анна")).json()
    assert default["language"] is None, "null: the installation's language"
    card = await client.get(f"/v1/contacts/{english.json()['id']}", headers=headers)
    assert card.json()["language"] == "en"
    listed = await client.get("/v1/contacts", params={"sort": "id"}, headers=headers)
    assert [c["language"] for c in listed.json()["items"]] == ["en", None]


async def test_the_message_language_changes_under_if_match_and_is_audited(
    client: httpx.AsyncClient, headers: dict[str, str], manager: User
) -> None:
    created = (await _create(client, headers)).json()
    url = f"/v1/contacts/{created['id']}"
    missing = await client.patch(url, json={"language": "en"}, headers=headers)
    assert missing.status_code == 428
    changed = await client.patch(url, json={"language": "en"}, headers=_if_match(headers, 1))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["language"], changed.headers["etag"]) == ("en", '"2"')
    stale = await client.patch(url, json={"language": "ru"}, headers=_if_match(headers, 1))
    assert stale.status_code == 412
    assert (await client.get(url, headers=headers)).json()["language"] == "en"
    cleared = await client.patch(url, json={"language": None}, headers=_if_match(headers, 2))
    assert (cleared.json()["language"], cleared.json()["version"]) == (None, 3)
    audit = await AuditEntry.filter(
        entity="contact", entity_id=created["id"], field="language"
    ).order_by("id")
    assert [(a.actor_id, a.old_value, a.new_value) for a in audit] == [
        (manager.id, None, "en"),
        (manager.id, "en", None),
    ]


@pytest.mark.parametrize("value", ["de", "EN", "", 1])
async def test_an_unknown_message_language_is_a_422_naming_it(
    client: httpx.AsyncClient, headers: dict[str, str], value: object
) -> None:
    english = {**headers, "Accept-Language": "en"}
    refused = await _create(client, english, language=value)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["language"]
    assert (await client.get("/v1/contacts", headers=headers)).json()["items"] == []
    created = (await _create(client, headers)).json()
    url = f"/v1/contacts/{created['id']}"
    patched = await client.patch(url, json={"language": value}, headers=_if_match(english, 1))
    assert patched.status_code == 422
    assert [e["field"] for e in patched.json()["errors"]] == ["language"]
    assert (await client.get(url, headers=headers)).json()["version"] == 1


async def test_a_client_set_to_english_gets_order_news_and_messages_in_english(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    await install_default_templates()
    created = (await _create(client, headers, emails=["ivan@example.test"])).json()
    url = f"/v1/contacts/{created['id']}"
    patched = await client.patch(url, json={"language": "en"}, headers=_if_match(headers, 1))
    assert patched.status_code == 200, patched.text
    order = await client.post(
        "/v1/orders",
        json={"number": "A-77", "amount": "1500", "contact_id": created["id"]},
        headers=headers,
    )
    assert order.status_code == 201, order.text
    with use_channels({Channel.EMAIL}):
        shipped = await client.post(
            f"/v1/orders/{order.json()['id']}/status",
            json={"status": "confirmed"},
            headers=_if_match(headers, 1),
        )
        assert shipped.status_code == 200, shipped.text
        preview = await client.post(
            f"{url}/messages/preview", json={"purpose": "thanks_after_call"}, headers=headers
        )
    message = await OutboundMessage.get(contact_id=created["id"])
    assert (message.language, message.channel) == ("en", Channel.EMAIL)
    assert message.subject == "Order A-77 confirmed"
    assert "1,500.00 RUB" in message.text_body
    assert preview.status_code == 200, preview.text
    assert preview.json()["language"] == "en"
    assert "Thank you for the call!" in preview.json()["body"]
