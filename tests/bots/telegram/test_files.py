"""Voice notes, photos and documents sent to the bot: fetched from Telegram before the update's
transaction, stored under the data dir as attachments of a note about the client or deal in
context (or of the open /log draft, on Save), refused over the size limit, removed again when the
update does not commit."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from bots.telegram import context, staging
from bots.telegram.handlers import files as files_handler
from bots.telegram.handlers import log as log_handler
from models.clock import FrozenClock, use_clock
from models.entities import Attachment, Interaction, InteractionKind, Pipeline
from models.ops.attachments import MiB
from tests.bots.conftest import BotHarness
from tests.bots.telegram.capture_support import alerts, fsm, linked, said, send_file, tap
from tests.doubles import telegram_api
from tests.doubles.telegram_updates import Person
from tests.factories import T0, Org, make_contact, make_deal, make_org, make_pipeline

OLGA = Person(8301, "Ольга", "ru")
JOHN = Person(8302, "John", "en")
VOICE = b"OggS" + bytes(range(256)) * 8  # 2 KiB and a little
PHOTO = b"\xff\xd8\xff\xe0" + b"jpeg" * 1000
PDF = b"%PDF-1.7\n" + b"offer " * 500


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def org() -> Org:
    return await make_org()


@pytest.fixture
async def pipeline() -> Pipeline:
    return await make_pipeline()


@pytest.fixture
def downloads(telegram: BotHarness, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each download the bot makes: True if a database transaction was open meanwhile."""
    seen: list[bool] = []
    real = telegram.bot.download_file

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(isinstance(connections.get("default"), TransactionalDBClient))
        return await real(*args, **kwargs)

    monkeypatch.setattr(telegram.bot, "download_file", spy)
    return seen


def data_dir(telegram: BotHarness) -> Path:
    return telegram.settings.data_dir


def staged(telegram: BotHarness) -> list[Path]:
    folder = data_dir(telegram) / "attachments" / "tmp"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def stored(telegram: BotHarness) -> list[Path]:
    root = data_dir(telegram) / "attachments"
    if not root.is_dir():
        return []
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"
    )


async def test_a_voice_note_is_stored_as_a_note_about_the_client_in_context(
    telegram: BotHarness, org: Org, clock: FrozenClock, downloads: list[bool]
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    file_id = telegram.api.add_file(VOICE, kind="voice", name="file_7.oga")
    await send_file(telegram, OLGA, voice=(file_id, len(VOICE)))

    assert said(telegram, OLGA) == ("Сохранено в заметку — Петров Иван: голосовое сообщение, 2 КБ.")
    assert downloads == [False], "downloaded before the transaction opened"
    assert [c.method for c in telegram.api.calls[:2]] == ["getFile", "download"]
    interaction = await Interaction.get()
    assert (interaction.kind, interaction.contact_id, interaction.outcome) == (
        InteractionKind.NOTE,
        contact.id,
        "",
    )
    assert interaction.author_id == org.manager.user_id
    attachment = await Attachment.get()
    assert attachment.interaction_id == interaction.id
    assert attachment.file_name.startswith("voice-")
    assert attachment.file_name.endswith(".ogg")
    assert (attachment.content_type, attachment.size) == ("audio/ogg", len(VOICE))
    assert attachment.sha256 == hashlib.sha256(VOICE).hexdigest()
    path = data_dir(telegram) / attachment.path
    assert path.read_bytes() == VOICE
    assert stored(telegram) == [path]
    assert staged(telegram) == []


async def test_a_photo_with_a_caption_on_the_deal_in_context(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    deal = await make_deal(org.manager, title="Paper supply")
    await context.remember(fsm(telegram, JOHN), "deal", deal.id)
    file_id = telegram.api.add_file(PHOTO, kind="photos", name="file_3.jpg")
    await send_file(telegram, JOHN, photo=(file_id, len(PHOTO)), caption="The warehouse")

    assert said(telegram, JOHN) == "Saved as a note — Paper supply: photo, 4 KB."
    assert telegram.api.calls_of("getFile")[0].params["file_id"] == file_id, "the largest size"
    interaction = await Interaction.get()
    assert (interaction.deal_id, interaction.outcome) == (deal.id, "The warehouse")
    attachment = await Attachment.get()
    assert attachment.content_type == "image/jpeg"
    assert (data_dir(telegram) / attachment.path).read_bytes() == PHOTO


async def test_a_document_keeps_its_name_and_type(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    file_id = telegram.api.add_file(PDF, name="kp.pdf")
    document = (file_id, len(PDF), "КП «Ромашка» & Co.pdf", "application/pdf")
    await send_file(telegram, OLGA, document=document)

    assert said(telegram, OLGA) == (
        "Сохранено в заметку — Петров Иван: документ «КП «Ромашка» &amp; Co.pdf», 3 КБ."
    )
    attachment = await Attachment.get()
    assert (attachment.file_name, attachment.content_type) == (
        "КП «Ромашка» & Co.pdf",
        "application/pdf",
    )
    assert (data_dir(telegram) / attachment.path).read_bytes() == PDF


async def test_without_a_client_in_context_nothing_is_fetched_or_stored(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    file_id = telegram.api.add_file(VOICE)
    await send_file(telegram, OLGA, voice=(file_id, len(VOICE)))
    assert said(telegram, OLGA) == (
        "Файл не сохранён: непонятно, к какому клиенту он относится. Откройте карточку клиента "
        "или сделки или начните запись командой /log, затем отправьте файл ещё раз."
    )
    assert telegram.api.calls_of("getFile") == []
    assert telegram.api.calls_of("download") == []
    assert await Interaction.all().count() == 0
    assert staged(telegram) == []


async def test_a_file_over_the_limit_is_refused_with_a_sentence(
    telegram: BotHarness, org: Org, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    huge = telegram.api.add_file(b"x")
    await send_file(telegram, OLGA, document=(huge, 25 * MiB, "video.mp4", "video/mp4"))
    refusal = "Файл больше 20 МБ, такой не сохранить. Отправьте файл поменьше."
    assert said(telegram, OLGA) == refusal
    assert telegram.api.calls_of("getFile") == [], "Telegram said how big it is: not fetched"

    # The message's figure may be missing: getFile's is checked before downloading.
    monkeypatch.setattr(staging, "MAX_SIZE", MiB)
    big = telegram.api.add_file(b"y" * (MiB + 1))
    await send_file(telegram, OLGA, document=(big, 10, "small.bin", "application/octet-stream"))
    assert said(telegram, OLGA) == refusal.replace("20 МБ", "1 МБ")
    assert telegram.api.calls_of("download") == []

    # And when getFile says nothing, the download itself stops at the limit.
    real = telegram_api._HANDLERS["getFile"]

    def without_size(double: Any, params: Any, files: Any) -> tuple[int, Any]:
        status, body = real(double, params, files)
        body["result"].pop("file_size", None)
        return status, body

    monkeypatch.setitem(telegram_api._HANDLERS, "getFile", without_size)
    await send_file(telegram, OLGA, document=(big, 10, "small.bin", "application/octet-stream"))
    assert said(telegram, OLGA) == refusal.replace("20 МБ", "1 МБ")
    assert len(telegram.api.calls_of("download")) == 1
    assert await Interaction.all().count() == 0
    assert await Attachment.all().count() == 0
    assert staged(telegram) == []
    assert stored(telegram) == []


async def test_a_file_telegram_cannot_give_is_reported(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, JOHN), "contact", contact.id)
    await send_file(telegram, JOHN, voice=("NO-SUCH-FILE", 100))
    assert said(telegram, JOHN) == (
        "Could not get the file from Telegram. Please send it again in a moment."
    )
    assert await Interaction.all().count() == 0
    assert staged(telegram) == []


async def test_files_sent_during_a_log_draft_wait_for_save(
    telegram: BotHarness, org: Org, clock: FrozenClock, downloads: list[bool]
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Встреча")
    voice = telegram.api.add_file(VOICE)
    await send_file(telegram, OLGA, voice=(voice, len(VOICE)))
    assert said(telegram, OLGA) == (
        "Добавлено к черновику: голосовое сообщение, 2 КБ. Файлов в черновике: 1."
    )
    await telegram.send(OLGA, "Показали образцы")
    await tap(telegram, OLGA, "Без следующего шага")
    photo = telegram.api.add_file(PHOTO)
    await send_file(telegram, OLGA, photo=(photo, len(PHOTO)))
    assert said(telegram, OLGA).endswith("Файлов в черновике: 2.")
    assert await Interaction.all().count() == 0, "nothing is written before Save"
    assert await Attachment.all().count() == 0
    assert len(staged(telegram)) == 2
    assert downloads == [False, False]

    await tap(telegram, OLGA, "Сохранить")
    interaction = await Interaction.get()
    assert (interaction.kind, interaction.outcome) == (InteractionKind.MEETING, "Показали образцы")
    attachments = await Attachment.filter(interaction_id=interaction.id).order_by("id")
    contents = [(data_dir(telegram) / a.path).read_bytes() for a in attachments]
    assert contents == [VOICE, PHOTO]
    assert [a.sha256 for a in attachments] == [
        hashlib.sha256(VOICE).hexdigest(),
        hashlib.sha256(PHOTO).hexdigest(),
    ]
    assert staged(telegram) == []
    assert said(telegram, OLGA).splitlines() == ["Сохранено: Встреча — Петров Иван.", "Файлов: 2."]


async def test_cancelling_a_draft_removes_its_files(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Звонок")
    await send_file(telegram, OLGA, voice=(telegram.api.add_file(VOICE), len(VOICE)))
    assert len(staged(telegram)) == 1
    await telegram.send(OLGA, "/cancel")
    assert staged(telegram) == []
    assert await Interaction.all().count() == 0


async def test_a_stored_file_is_removed_again_when_the_update_rolls_back(
    telegram: BotHarness, org: Org, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    real = files_handler.save_attachments

    async def then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise RuntimeError("the disk is fine, the database is not")

    monkeypatch.setattr(files_handler, "save_attachments", then_fail)
    await send_file(telegram, OLGA, voice=(telegram.api.add_file(VOICE), len(VOICE)))
    assert said(telegram, OLGA).startswith("Не получилось: что-то пошло не так")
    assert await Interaction.all().count() == 0
    assert await Attachment.all().count() == 0
    assert stored(telegram) == []
    assert staged(telegram) == []


async def test_a_client_out_of_reach_gets_nothing(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    theirs = await make_contact(org.stranger, first_name="Чужой")
    await context.remember(fsm(telegram, OLGA), "contact", theirs.id)  # stale or forged
    await send_file(telegram, OLGA, voice=(telegram.api.add_file(VOICE), len(VOICE)))
    assert said(telegram, OLGA) == (
        "Эта запись не найдена или недоступна вам. Найдите клиента или сделку заново."
    )
    assert await Interaction.all().count() == 0
    assert staged(telegram) == []
    assert stored(telegram) == []


async def test_a_person_who_is_not_linked_gets_the_refusal_and_nothing_is_kept(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    stranger = Person(8399, "Пётр", "ru")
    await context.remember(fsm(telegram, stranger), "contact", 1)
    await send_file(telegram, stranger, voice=(telegram.api.add_file(VOICE), len(VOICE)))
    assert said(telegram, stranger).startswith("Этот Telegram не связан с учётной записью Voronka")
    assert await Interaction.all().count() == 0
    assert staged(telegram) == []


async def test_a_save_that_rolls_back_keeps_the_drafts_files_for_another_try(
    telegram: BotHarness, org: Org, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Заметка")
    await send_file(telegram, OLGA, voice=(telegram.api.add_file(VOICE), len(VOICE)))
    await telegram.send(OLGA, "Голосом")
    await tap(telegram, OLGA, "Без следующего шага")
    real = log_handler.save_attachments
    failures = [RuntimeError("the database went away")]

    async def fail_once(*args: Any, **kwargs: Any) -> Any:
        saved = await real(*args, **kwargs)
        if failures:
            raise failures.pop()
        return saved

    monkeypatch.setattr(log_handler, "save_attachments", fail_once)
    await tap(telegram, OLGA, "Сохранить")
    assert alerts(telegram)[-1].startswith("Не получилось: что-то пошло не так")
    assert await Interaction.all().count() == 0
    assert stored(telegram) == []
    assert len(staged(telegram)) == 1, "the file went back to staging"
    assert await fsm(telegram, OLGA).get_state() == "LogStates:draft", "the draft is kept"

    await tap(telegram, OLGA, "Сохранить")
    attachment = await Attachment.get()
    assert (data_dir(telegram) / attachment.path).read_bytes() == VOICE
    assert staged(telegram) == []
    assert said(telegram, OLGA).splitlines() == ["Сохранено: Заметка — Петров Иван.", "Файлов: 1."]
