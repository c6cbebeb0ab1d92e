"""/v1/interactions: JSON and multipart logging, attachments on disk, downloads, limits."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.app import ATTACHMENT_BODY_LIMIT, create_app
from models.entities import Attachment, Contact, Deal, Interaction, Pipeline, User
from models.ops import attachments
from models.settings import Settings
from tests.api.v1.conftest import PASSWORD, headers_for
from tests.factories import (
    actor_for,
    make_contact,
    make_deal,
    make_office,
    make_pipeline,
    make_user,
)


@pytest_asyncio.fixture
async def app(db: str, data_dir: Path) -> FastAPI:
    return create_app(Settings(database_url=db, data_dir=data_dir), manage_database=False)


@pytest.fixture
async def manager() -> User:
    return await make_user(await make_office(), password=PASSWORD)


@pytest.fixture
async def headers(client: httpx.AsyncClient, manager: User) -> dict[str, str]:
    return await headers_for(client, manager)


@pytest.fixture
async def contact(manager: User) -> Contact:
    return await make_contact(await actor_for(manager))


@pytest.fixture
async def pipeline() -> Pipeline:
    return await make_pipeline()


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


async def test_json_log_list_newest_first_and_read(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    manager: User,
    contact: Contact,
    pipeline: Pipeline,
) -> None:
    deal = await make_deal(await actor_for(manager), contact_id=contact.id)
    call = await client.post(
        "/v1/interactions",
        json={
            "kind": "call",
            "direction": "outbound",
            "outcome": "Договорились о встрече",
            "occurred_at": _ago(30),
            "duration_seconds": 240,
            "deal_id": deal.id,
        },
        headers=headers,
    )
    assert call.status_code == 201, call.text
    body = call.json()
    assert call.headers["location"] == f"/v1/interactions/{body['id']}"
    assert (body["deal_id"], body["contact_id"], body["stage_id"], body["author_id"]) == (
        deal.id,
        contact.id,
        deal.stage_id,
        manager.id,
    )
    assert (body["duration_seconds"], body["attachments"]) == (240, [])
    assert body["outbound_message_id"] is None  # only a message sent through the outbox has one
    visit = await client.post(
        "/v1/interactions",
        json={
            "kind": "visit",
            "contact_id": contact.id,
            "occurred_at": _ago(5),
            "latitude": 55.75,
            "longitude": 37.62,
        },
        headers=headers,
    )
    assert visit.status_code == 201
    note = await client.post(
        "/v1/interactions",
        json={"kind": "note", "contact_id": contact.id, "occurred_at": _ago(60)},
        headers=headers,
    )

    async def ids(**params: object) -> list[int]:
        response = await client.get("/v1/interactions", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    newest_first = [visit.json()["id"], body["id"], note.json()["id"]]
    assert await ids() == newest_first
    first = await client.get("/v1/interactions", params={"limit": 2}, headers=headers)
    rest = await ids(cursor=first.json()["next_cursor"])
    assert [i["id"] for i in first.json()["items"]] + rest == newest_first
    assert await ids(kind="visit") == [visit.json()["id"]]
    assert await ids(deal_id=deal.id) == [body["id"]]
    assert await ids(contact_id=contact.id, occurred_after=_ago(45)) == newest_first[:2]
    assert await ids(occurred_before=_ago(45)) == [note.json()["id"]]
    assert await ids(author_id=manager.id + 1000) == []

    read = await client.get(f"/v1/interactions/{visit.json()['id']}", headers=headers)
    assert read.status_code == 200
    assert (read.json()["latitude"], read.json()["longitude"]) == (55.75, 37.62)
    assert (await Deal.get(id=deal.id)).last_interaction_at is not None


async def test_json_bad_input_names_the_fields(
    client: httpx.AsyncClient, headers: dict[str, str], contact: Contact
) -> None:
    response = await client.post(
        "/v1/interactions",
        json={"kind": "dance", "duration_seconds": -1, "latitude": 95, "author_id": 1},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {
        "kind",
        "duration_seconds",
        "latitude",
        "author_id",
    }
    no_subject = await client.post("/v1/interactions", json={"kind": "note"}, headers=headers)
    assert no_subject.status_code == 422
    assert no_subject.json()["errors"][0]["field"] == "contact_id"
    broken = await client.post(
        "/v1/interactions",
        content=b'{"kind": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    text = await client.post(
        "/v1/interactions", content=b"kind=call", headers={**headers, "Content-Type": "text/plain"}
    )
    assert text.status_code == 422
    too_big = await client.post(
        "/v1/interactions",
        json={"kind": "note", "contact_id": contact.id, "outcome": "x" * (1024 * 1024)},
        headers=headers,
    )
    assert too_big.status_code == 413  # JSON keeps its 1 MB limit on the upload route
    assert await Interaction.all().count() == 0


async def test_multipart_with_files_stores_them_and_downloads_them(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    contact: Contact,
    data_dir: Path,
) -> None:
    photo = bytes(range(256)) * 1000
    response = await client.post(
        "/v1/interactions",
        data={"kind": "visit", "contact_id": str(contact.id), "outcome": "Осмотрели склад"},
        files=[
            ("files", ("../../etc/склад.jpg", photo, "image/jpeg")),
            ("files", ("..\\notes.txt", b"hello", "text/plain; charset=utf-8")),
            ("files", ("", b"", "application/octet-stream")),  # no file chosen
        ],
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["contact_id"], body["outcome"]) == (
        "visit",
        contact.id,
        "Осмотрели склад",
    )
    first, second = body["attachments"]
    assert (first["file_name"], first["content_type"], first["size"]) == (
        "склад.jpg",
        "image/jpeg",
        len(photo),
    )
    assert first["sha256"] == hashlib.sha256(photo).hexdigest()
    assert (second["file_name"], second["content_type"]) == ("notes.txt", "text/plain")
    assert [a["file_name"] for a in body["attachments"]] == ["склад.jpg", "notes.txt"]

    stored = await Attachment.get(id=first["id"])
    month = datetime.now(UTC)
    assert stored.path.startswith(f"attachments/{month:%Y}/{month:%m}/")
    assert (data_dir / stored.path).read_bytes() == photo
    assert len(_files_under(data_dir)) == 2  # nothing left in staging

    url = f"/v1/interactions/{body['id']}/attachments/{first['id']}"
    download = await client.get(url, headers=headers)
    assert download.status_code == 200
    assert download.content == photo
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    listed = await client.get("/v1/interactions", headers=headers)
    assert [a["id"] for a in listed.json()["items"][0]["attachments"]] == [
        first["id"],
        second["id"],
    ]

    other = await client.post(
        "/v1/interactions", json={"kind": "note", "contact_id": contact.id}, headers=headers
    )
    wrong_parent = f"/v1/interactions/{other.json()['id']}/attachments/{first['id']}"
    assert (await client.get(wrong_parent, headers=headers)).status_code == 404
    stranger = await make_user(await make_office(), password=PASSWORD)
    their = await headers_for(client, stranger)
    assert (await client.get(url, headers=their)).status_code == 404
    assert (await client.get(f"/v1/interactions/{body['id']}", headers=their)).status_code == 404
    assert (await client.get("/v1/interactions", headers=their)).json()["items"] == []


async def test_multipart_with_a_bad_field_leaves_no_file(
    client: httpx.AsyncClient, headers: dict[str, str], contact: Contact, data_dir: Path
) -> None:
    files = [("files", ("a.pdf", b"%PDF-1.4" * 1000, "application/pdf"))]
    bad = await client.post(
        "/v1/interactions",
        data={"kind": "call", "contact_id": str(contact.id), "duration_seconds": "долго"},
        files=files,
        headers=headers,
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["duration_seconds"]
    stranger = await make_user(await make_office(), password=PASSWORD)
    hidden = await make_contact(await actor_for(stranger))
    invisible = await client.post(
        "/v1/interactions",
        data={"kind": "call", "contact_id": str(hidden.id)},
        files=files,
        headers=headers,
    )
    assert invisible.status_code == 422
    assert invisible.json()["errors"][0]["field"] == "contact_id"
    unknown = await client.post(
        "/v1/interactions",
        data={"kind": "call", "contact_id": str(contact.id), "author_id": "1"},
        files=files,
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "author_id"
    wrong_part = await client.post(
        "/v1/interactions",
        data={"kind": "call", "contact_id": str(contact.id)},
        files=[("photo", ("a.jpg", b"x", "image/jpeg"))],
        headers=headers,
    )
    assert wrong_part.status_code == 422
    assert wrong_part.json()["errors"][0]["field"] == "photo"
    assert _files_under(data_dir) == []
    assert await Interaction.all().count() == 0
    assert await Attachment.all().count() == 0


async def test_an_oversized_file_gets_413_and_leaves_no_file_and_no_row(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    contact: Contact,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(attachments, "MAX_FILE_SIZE", 100_000)
    response = await client.post(
        "/v1/interactions",
        data={"kind": "visit", "contact_id": str(contact.id)},
        files=[
            ("files", ("small.txt", b"ok", "text/plain")),
            ("files", ("big.bin", b"\0" * 100_001, "application/octet-stream")),
        ],
        headers=headers,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert _files_under(data_dir) == []
    assert await Interaction.all().count() == 0
    assert await Attachment.all().count() == 0


async def test_a_request_over_20_mb_gets_413_and_leaves_no_file(
    client: httpx.AsyncClient, headers: dict[str, str], contact: Contact, data_dir: Path
) -> None:
    boundary = "voronka-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nvisit\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="contact_id"\r\n\r\n{contact.id}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="v.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    chunk = b"\1" * (1024 * 1024)

    async def body() -> AsyncIterator[bytes]:  # streamed: no Content-Length to refuse up front
        yield head
        for _ in range(ATTACHMENT_BODY_LIMIT // len(chunk) + 1):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        "/v1/interactions",
        content=body(),
        headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413
    assert _files_under(data_dir) == []
    assert await Interaction.all().count() == 0

    declared = await client.post(
        "/v1/interactions",
        data={"kind": "visit", "contact_id": str(contact.id)},
        files=[("files", ("v.mp4", b"\1" * ATTACHMENT_BODY_LIMIT, "video/mp4"))],
        headers=headers,
    )
    assert declared.status_code == 413
    assert _files_under(data_dir) == []


async def test_the_spec_offers_json_and_multipart(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    create = spec["paths"]["/v1/interactions"]["post"]
    assert create["operationId"] == "createInteraction"
    content = create["requestBody"]["content"]
    assert content["application/json"]["schema"]["properties"]["kind"]["enum"][0] == "call"
    form = content["multipart/form-data"]["schema"]["properties"]
    assert form["files"]["items"] == {"type": "string", "format": "binary"}
    assert "413" in create["responses"]
    download = spec["paths"]["/v1/interactions/{interaction_id}/attachments/{attachment_id}"]
    assert download["get"]["operationId"] == "downloadAttachment"
