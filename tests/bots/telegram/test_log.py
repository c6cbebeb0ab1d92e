"""/log: a call, meeting, visit or note against a client or deal, with the next step as a task
at a date typed in words, shown as a draft: nothing is written before Save."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bots.telegram import context
from bots.telegram.callbacks import StartLog
from bots.telegram.handlers.log import LogDo, LogKind, LogTarget
from models.clock import FrozenClock, use_clock
from models.entities import (
    AuditEntry,
    Contact,
    Interaction,
    InteractionKind,
    Pipeline,
    Task,
    TaskStatus,
    User,
)
from tests.bots.conftest import BotHarness
from tests.bots.telegram.capture_support import (
    alerts,
    buttons,
    find_button,
    fsm,
    linked,
    said,
    tap,
)
from tests.doubles.telegram_updates import Person
from tests.factories import T0, Org, make_company, make_contact, make_deal, make_org, make_pipeline

OLGA = Person(8201, "Ольга", "ru")
JOHN = Person(8202, "John", "en")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:  # Monday 3 March 2025, 12:00 in Moscow
        yield frozen


@pytest.fixture
async def org() -> Org:
    return await make_org()


@pytest.fixture
async def pipeline() -> Pipeline:
    return await make_pipeline()


async def written() -> tuple[int, int]:
    return await Interaction.all().count(), await Task.all().count()


async def test_a_call_with_a_next_step_on_the_client_in_context(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    audit_before = await AuditEntry.all().count()

    await telegram.send(OLGA, "/log")
    assert said(telegram, OLGA) == "Запись: Петров Иван\nЧто было?"
    assert buttons(telegram, OLGA) == ["Звонок", "Встреча", "Визит", "Заметка", "Отмена"]
    await tap(telegram, OLGA, "Звонок")
    assert said(telegram, OLGA) == "Звонок — Петров Иван. Чем закончилось? Напишите итог."
    await telegram.send(OLGA, "Договорились о встрече, ждут КП")
    assert said(telegram, OLGA).startswith("Следующий шаг?")
    await telegram.send(OLGA, "Отправить КП")
    assert said(telegram, OLGA).startswith("Когда?")
    await telegram.send(OLGA, "в пятницу в 15:00")
    assert said(telegram, OLGA).splitlines() == [
        "Черновик, ещё не сохранён. Проверьте:",
        "Клиент: Петров Иван",
        "Что: Звонок",
        "Итог: Договорились о встрече, ждут КП",
        "Следующий шаг: Отправить КП — пт, 7 марта в 15:00",
    ]
    assert buttons(telegram, OLGA) == ["Сохранить", "Изменить", "Отмена"]
    assert await written() == (0, 0), "nothing is written before Save"
    assert await AuditEntry.all().count() == audit_before

    draft, _ = find_button(telegram, OLGA, "Сохранить")
    await tap(telegram, OLGA, "Сохранить")
    interaction = await Interaction.get()
    assert interaction.kind is InteractionKind.CALL
    assert interaction.outcome == "Договорились о встрече, ждут КП"
    assert (interaction.contact_id, interaction.deal_id) == (contact.id, None)
    assert interaction.author_id == org.manager.user_id
    assert interaction.occurred_at == T0
    task = await Task.get()
    assert task.title == "Отправить КП"
    assert task.due_at == datetime(2025, 3, 7, 12, 0, tzinfo=UTC)  # 15:00 in Moscow
    assert task.remind_at == task.due_at
    assert (task.contact_id, task.assignee_id, task.status) == (
        contact.id,
        org.manager.user_id,
        TaskStatus.OPEN,
    )
    assert said(telegram, OLGA).splitlines() == [
        "Сохранено: Звонок — Петров Иван.",
        "Задача «Отправить КП»: пт, 7 марта в 15:00.",
    ]
    shown = telegram.api.message(OLGA.id, draft)
    assert shown is not None
    assert shown.reply_markup is None, "the draft became the saved record, in place"
    state = fsm(telegram, OLGA)
    assert await state.get_state() is None
    assert "log" not in await state.get_data()
    assert await context.current(state) == context.InContext("contact", contact.id)


async def test_a_meeting_on_a_deal_from_its_card_button_with_a_date_in_words(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    company = await make_company(org.manager, name="Вектор")
    deal = await make_deal(org.manager, title="Поставка бумаги", company_id=company.id)
    await telegram.press(OLGA, StartLog(kind="deal", id=deal.id).pack(), message_id=500)
    assert said(telegram, OLGA) == "Запись: Поставка бумаги\nЧто было?"
    await tap(telegram, OLGA, "Встреча")
    await telegram.send(OLGA, "Обсудили объёмы")
    await telegram.send(OLGA, "Созвониться")
    await telegram.send(OLGA, "вчера")
    assert said(telegram, OLGA).endswith(
        "\n\nКогда? Например: завтра в 15:00, в пятницу, через 2 часа, 25.12 в 10:00."
    )
    await telegram.send(OLGA, "31.02")
    assert said(telegram, OLGA).startswith("Такой даты нет")
    await telegram.send(OLGA, "завтра в 15:00")
    lines = said(telegram, OLGA).splitlines()
    assert lines[1] == "Сделка: Поставка бумаги"
    assert lines[4] == "Следующий шаг: Созвониться — вт, 4 марта в 15:00"
    assert await written() == (0, 0)
    await tap(telegram, OLGA, "Сохранить")
    interaction = await Interaction.get()
    assert (interaction.kind, interaction.deal_id, interaction.company_id) == (
        InteractionKind.MEETING,
        deal.id,
        company.id,
    )
    assert interaction.stage_id == deal.stage_id
    task = await Task.get()
    assert (task.deal_id, task.due_at) == (deal.id, datetime(2025, 3, 4, 12, 0, tzinfo=UTC))
    assert await context.current(fsm(telegram, OLGA)) == context.InContext("deal", deal.id)


async def test_english_dates_are_read_in_the_users_time_zone(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    await User.filter(id=org.manager.user_id).update(timezone="Asia/Vladivostok")  # UTC+10
    contact = await make_contact(org.manager, first_name="John", last_name="Smith")
    await context.remember(fsm(telegram, JOHN), "contact", contact.id)
    await telegram.send(JOHN, "/log")
    assert said(telegram, JOHN) == "Logging: Smith John\nWhat happened?"
    await tap(telegram, JOHN, "Visit")
    assert said(telegram, JOHN) == "Visit — Smith John. How did it go? Write the outcome."
    await telegram.send(JOHN, "Signed the contract")
    await telegram.send(JOHN, "Send the invoice")
    await telegram.send(JOHN, "tomorrow 3pm")
    assert said(telegram, JOHN).splitlines() == [
        "A draft, not saved yet. Please check:",
        "Client: Smith John",
        "What: Visit",
        "Outcome: Signed the contract",
        "Next step: Send the invoice — Tue, 4 March at 15:00",
    ]
    await tap(telegram, JOHN, "Save")
    task = await Task.get()
    assert task.due_at == datetime(2025, 3, 4, 5, 0, tzinfo=UTC)  # 15:00 in Vladivostok
    assert said(telegram, JOHN).splitlines() == [
        "Saved: Visit — Smith John.",
        "Task “Send the invoice”: Tue, 4 March at 15:00.",
    ]


async def test_without_context_the_target_is_found_by_a_few_words(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await make_contact(org.stranger, first_name="Пётр", last_name="Петров")  # not hers
    await make_deal(org.manager, title="Петровский завод")
    await telegram.send(OLGA, "/log")
    assert said(telegram, OLGA).startswith("Кого касается запись?")
    await telegram.send(OLGA, "Сидоров")
    assert said(telegram, OLGA).startswith("По «Сидоров» ничего не нашлось.")
    await telegram.send(OLGA, "петров")
    assert buttons(telegram, OLGA) == ["Петров Иван", "Петровский завод", "Отмена"]
    await tap(telegram, OLGA, "Петров Иван")
    await tap(telegram, OLGA, "Заметка")
    assert said(telegram, OLGA) == "Заметка — Петров Иван. Текст заметки?"
    await telegram.send(OLGA, "Любит звонки после обеда")
    await tap(telegram, OLGA, "Без следующего шага")
    assert said(telegram, OLGA).splitlines()[-1] == "Следующий шаг: нет"
    await tap(telegram, OLGA, "Сохранить")
    interaction = await Interaction.get()
    assert (interaction.kind, interaction.contact_id) == (InteractionKind.NOTE, contact.id)
    assert await Task.all().count() == 0
    assert said(telegram, OLGA) == "Сохранено: Заметка — Петров Иван."


async def test_log_with_words_searches_even_with_a_client_in_context(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    here = await make_contact(org.manager, first_name="Анна", last_name="Смирнова")
    await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", here.id)
    await telegram.send(OLGA, "/log петров")
    assert buttons(telegram, OLGA) == ["Петров Иван", "Отмена"]


async def test_edit_changes_a_field_and_old_drafts_cannot_save(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Звонок")
    await telegram.send(OLGA, "Не дозвонился")
    await telegram.send(OLGA, "Перезвонить")
    await telegram.send(OLGA, "через 2 часа")
    first_draft, first_save = find_button(telegram, OLGA, "Сохранить")

    await tap(telegram, OLGA, "Изменить")
    assert said(telegram, OLGA) == "Что изменить?"
    assert buttons(telegram, OLGA) == [
        "Что было",
        "Итог",
        "Следующий шаг",
        "Срок",
        "← К черновику",
    ]
    await tap(telegram, OLGA, "Итог")
    await telegram.send(OLGA, "Дозвонился со второго раза")
    assert said(telegram, OLGA).splitlines()[3] == "Итог: Дозвонился со второго раза"
    await telegram.press(OLGA, first_save, message_id=first_draft)
    assert alerts(telegram)[-1] == "Черновик уже изменился: пользуйтесь его последним сообщением."
    assert await written() == (0, 0)

    await tap(telegram, OLGA, "Изменить")
    await tap(telegram, OLGA, "Что было")
    await tap(telegram, OLGA, "Встреча")
    assert said(telegram, OLGA).splitlines()[2] == "Что: Встреча"
    await tap(telegram, OLGA, "Изменить")
    await tap(telegram, OLGA, "Срок")
    await telegram.send(OLGA, "послезавтра")
    assert said(telegram, OLGA).splitlines()[4] == (
        "Следующий шаг: Перезвонить — ср, 5 марта в 10:00"
    )
    await tap(telegram, OLGA, "Изменить")
    await tap(telegram, OLGA, "← К черновику")
    assert said(telegram, OLGA).startswith("Черновик, ещё не сохранён.")
    assert await written() == (0, 0)
    await tap(telegram, OLGA, "Сохранить")
    interaction, task = await Interaction.get(), await Task.get()
    assert (interaction.kind, interaction.outcome) == (
        InteractionKind.MEETING,
        "Дозвонился со второго раза",
    )
    assert (task.title, task.due_at) == ("Перезвонить", datetime(2025, 3, 5, 7, 0, tzinfo=UTC))


async def test_edit_can_drop_the_next_step(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Визит")
    await telegram.send(OLGA, "Был на складе")
    await telegram.send(OLGA, "Заказать образцы")
    await telegram.send(OLGA, "завтра")
    await tap(telegram, OLGA, "Изменить")
    await tap(telegram, OLGA, "Следующий шаг")
    await tap(telegram, OLGA, "Без следующего шага")
    assert said(telegram, OLGA).splitlines()[-1] == "Следующий шаг: нет"
    await tap(telegram, OLGA, "Сохранить")
    assert await written() == (1, 0)


async def test_cancel_discards_the_draft(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Звонок")
    await telegram.send(OLGA, "Итог")
    await tap(telegram, OLGA, "Без следующего шага")
    draft, save = find_button(telegram, OLGA, "Сохранить")
    await tap(telegram, OLGA, "Отмена")
    assert said(telegram, OLGA) == "Отменено: ничего не сохранено."
    await telegram.press(OLGA, save, message_id=draft)
    assert alerts(telegram)[-1] == "Эта кнопка больше не работает: откройте запись заново."
    assert await written() == (0, 0)
    state = fsm(telegram, OLGA)
    assert await state.get_state() is None
    assert await context.current(state) == context.InContext("contact", contact.id)


async def test_a_new_log_replaces_an_unsaved_draft(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Звонок")
    await telegram.send(OLGA, "/log")
    assert telegram.texts(OLGA)[-2:][0] == "Прежний несохранённый черновик удалён."
    assert said(telegram, OLGA).endswith("Что было?")


async def test_forged_and_stale_buttons_are_refused_and_change_nothing(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    theirs = await make_contact(org.stranger, first_name="Чужой", last_name="Клиент")
    their_deal = await make_deal(org.stranger, title="Чужая сделка")
    refusal = "Эта запись не найдена или недоступна вам. Найдите клиента или сделку заново."
    stale = "Эта кнопка больше не работает: откройте запись заново."

    await telegram.press(OLGA, StartLog(kind="contact", id=theirs.id).pack(), message_id=9)
    await telegram.press(OLGA, StartLog(kind="deal", id=their_deal.id).pack(), message_id=9)
    await telegram.press(OLGA, StartLog(kind="deal", id=2**40).pack(), message_id=9)
    assert alerts(telegram) == [refusal] * 3
    await telegram.press(OLGA, StartLog(kind="order", id=1).pack(), message_id=9)
    await telegram.press(OLGA, LogKind(kind="call").pack(), message_id=9)
    await telegram.press(OLGA, LogDo(action="save", rev=1).pack(), message_id=9)
    assert alerts(telegram)[3:] == [stale] * 3
    assert await fsm(telegram, OLGA).get_state() is None

    await telegram.send(OLGA, "/log")
    await telegram.press(OLGA, LogTarget(kind="contact", id=theirs.id).pack(), message_id=9)
    assert alerts(telegram)[-1] == refusal
    assert await fsm(telegram, OLGA).get_state() == "LogStates:target"
    assert await written() == (0, 0)
    assert not any("Чуж" in text for text in telegram.texts(OLGA))


async def test_save_rechecks_the_right_to_the_client(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager)
    await context.remember(fsm(telegram, OLGA), "contact", contact.id)
    await telegram.send(OLGA, "/log")
    await tap(telegram, OLGA, "Звонок")
    await telegram.send(OLGA, "Итог")
    await tap(telegram, OLGA, "Без следующего шага")
    await Contact.filter(id=contact.id).update(owner_id=org.stranger.user_id)  # handed over
    await tap(telegram, OLGA, "Сохранить")
    assert alerts(telegram)[-1] == "Не найдено или нет доступа."
    assert await written() == (0, 0)
    assert await fsm(telegram, OLGA).get_state() == "LogStates:draft", "the draft is kept"
