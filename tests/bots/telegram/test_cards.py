"""Client and deal cards and their buttons: what they show, what each button changes in the
database, the questions they ask, and refusals for payloads that name what the person may not
see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bots.telegram.callbacks import OpenCard, StartLog
from bots.telegram.callbacks_cards import (
    CardView,
    LoseDeal,
    LossReasonPick,
    NextStage,
    Remind,
    StageValuePick,
)
from models.clock import FrozenClock, use_clock
from models.entities import (
    Deal,
    LossReason,
    Pipeline,
    Source,
    StageKind,
    StageTransition,
    Task,
    TaskStatus,
    User,
)
from models.ops.deals import move_deal_to_stage, update_deal
from models.ops.interactions import log_interaction
from tests.bots.conftest import BotHarness
from tests.bots.telegram.cards_support import (
    calls,
    data,
    in_context,
    labels,
    last_sent,
    linked,
    message_id,
    shown,
)
from tests.doubles.telegram_api import ApiCall
from tests.doubles.telegram_updates import Person
from tests.factories import (
    T0,
    VALID_INNS,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_loss_reason,
    make_org,
    make_pipeline,
    make_source,
    make_task,
    stage_named,
)

OLGA = Person(8301, "Ольга", "ru")
JOHN = Person(8302, "John", "en")
HEAD = Person(8303, "Пётр", "ru")
COLLEAGUE = Person(8304, "Анна", "ru")
REFUSAL = "Эта запись удалена или недоступна вам. Найдите нужную через /find."
STALE = "Сделку уже изменили: карточка обновлена. Повторите действие, если оно ещё нужно."
# T0 is Monday 3 March 2025, 09:00 UTC: 12:00 in Moscow, where the org's offices are.


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def pipeline(clock: FrozenClock) -> Pipeline:
    return await make_pipeline()


@pytest.fixture
async def org(pipeline: Pipeline) -> Org:
    return await make_org()


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


async def open_card(telegram: BotHarness, person: Person, kind: str, object_id: int) -> ApiCall:
    await telegram.press(person, OpenCard(kind=kind, id=object_id).pack(), message_id=1)
    return last_sent(telegram, person)


def answer(telegram: BotHarness) -> ApiCall:
    return calls(telegram, "answerCallbackQuery")[-1]


def last_edit(telegram: BotHarness) -> ApiCall:
    return calls(telegram, "editMessageText")[-1]


async def owner_name(user_id: int | None) -> str:
    return (await User.get(id=user_id)).full_name


# ---- what the cards show ------------------------------------------------------------------------


async def test_a_contact_card_shows_the_client_and_its_buttons(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, OLGA)
    company = await make_company(me, name="Ромашка & Co", inn=VALID_INNS[0])
    contact = await make_contact(
        me,
        last_name="Петров",
        first_name="Иван",
        middle_name="Сергеевич",
        position="Директор",
        phones=["+7 916 123-45-67", "+7 495 765-43-21"],
        emails=["ivan@corp.test"],
        company_id=company.id,
    )
    deal = await make_deal(me, title="Поставка", contact_id=contact.id)
    await make_deal(me, title="Закрытая", contact_id=contact.id)
    closed = await Deal.get(title="Закрытая")
    await move_deal_to_stage(
        me,
        closed.id,
        (await stage_named(await Pipeline.get(), "Успешно")).id,
        version=None,
        values={"amount": "10"},
    )
    await make_task(me, title="Позвонить", due_at=utc(4, 7), contact_id=contact.id)
    await make_task(me, title="Потом", due_at=utc(5, 7), contact_id=contact.id)

    card = await open_card(telegram, OLGA, "contact", contact.id)

    assert answer(telegram).params["callback_query_id"]
    assert card.params["text"].splitlines() == [
        "👤 <b>Петров Иван Сергеевич</b>",
        "Директор · Ромашка &amp; Co",
        "📞 +79161234567, +74957654321",
        "✉️ ivan@corp.test",
        f"Ответственный: {await owner_name(me.user_id)}",
        "Язык сообщений клиенту: русский (по умолчанию)",
        "Открытых сделок: 1",
        "Следующая задача: завтра в 10:00 — Позвонить",
    ]
    assert labels(card) == [
        ["📝 Записать итог", "⏰ Напомнить"],
        ["✅ Задачи", "🕘 История"],
        ["✉️ Написать"],
        ["🏢 Ромашка & Co"],
        ["💼 Поставка"],
        ["🌐 Язык сообщений"],
    ]
    assert data(card, "📝") == StartLog(kind="contact", id=contact.id).pack()
    assert data(card, "⏰") == Remind(kind="contact", id=contact.id).pack()
    assert data(card, "✅") == CardView(kind="contact", id=contact.id, view="tasks").pack()
    assert data(card, "🏢") == OpenCard(kind="company", id=company.id).pack()
    assert data(card, "💼") == OpenCard(kind="deal", id=deal.id).pack()
    remembered = await in_context(telegram, OLGA)
    assert remembered is not None
    assert (remembered.kind, remembered.id) == ("contact", contact.id)


async def test_a_company_card_in_english_with_its_requisites(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, JOHN, language="en")
    company = await make_company(
        me,
        name="Romashka",
        legal_name="Romashka LLC",
        inn=VALID_INNS[0],
        kpp="773601001",
        phone="+7 495 123-45-67",
        email="info@romashka.test",
    )

    card = await open_card(telegram, JOHN, "company", company.id)

    assert card.params["text"].splitlines() == [
        "🏢 <b>Romashka</b>",
        "Romashka LLC",
        f"INN {VALID_INNS[0]} · KPP 773601001",
        "📞 +74951234567",
        "✉️ info@romashka.test",
        f"Owner: {await owner_name(me.user_id)}",
        "Open deals: 0",
        "No tasks.",
    ]
    assert labels(card) == [["📝 Log outcome", "⏰ Remind"], ["✅ Tasks", "🕘 History"]]


async def test_a_deal_card_shows_amount_stage_time_client_deadline_and_interactions(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    me = org.manager
    await linked(me, OLGA)
    company = await make_company(me, name="Ромашка")
    contact = await make_contact(me, last_name="Петров", first_name="Иван", company_id=company.id)
    deal = await make_deal(
        me,
        title="Поставка",
        amount="150000.50",
        company_id=company.id,
        contact_id=contact.id,
        deadline=utc(20, 15),
    )
    for outcome in ("Договорились о встрече", "", "Отправил КП", ""):
        clock.advance(timedelta(hours=1))
        await log_interaction(
            me, {"kind": "call", "direction": "outbound", "outcome": outcome, "deal_id": deal.id}
        )
    clock.advance(timedelta(days=6))  # over the stage's planned 5 days

    card = await open_card(telegram, OLGA, "deal", deal.id)

    assert card.params["text"].splitlines() == [
        "💼 <b>Поставка</b>",
        "Сумма: 150\u00a0000,50\u00a0₽",
        "Этап: Новая · 6 дней ⚠️ дольше плана (5 дней)",
        "Клиент: Ромашка, Иван Петров",
        "Срок: 20.03 в 18:00",
        "Последние касания:",
        "• 03.03 в 16:00 · звонок, исходящий",
        "• 03.03 в 15:00 · звонок, исходящий",
        "  Отправил КП",
        "• 03.03 в 14:00 · звонок, исходящий",
    ]
    assert labels(card) == [
        ["📝 Записать итог", "⏰ Напомнить"],
        ["➡️ В работе", "✖️ Проиграна"],
        ["✅ Задачи", "🕘 История"],
        ["✉️ Написать"],
        ["🏢 Ромашка", "👤 Иван Петров"],
    ]
    assert data(card, "➡️") == NextStage(id=deal.id, version=1).pack()
    assert data(card, "✖️") == LoseDeal(id=deal.id, version=1).pack()
    assert data(card, "📝") == StartLog(kind="deal", id=deal.id).pack()

    clock.advance(timedelta(days=1))
    await User.filter(id=me.user_id).update(language="en")
    english = await open_card(telegram, OLGA, "deal", deal.id)
    assert english.params["text"].splitlines()[1:5] == [
        "Amount: ₽150,000.50",
        "Stage: Новая · 7 days ⚠️ over the plan (5 days)",
        "Client: Ромашка, Иван Петров",
        "Deadline: Mar 20 at 18:00",
    ]


async def test_a_deal_card_without_amount_and_past_its_deadline(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(me, title="Пустая", deadline=utc(3, 10))
    clock.advance(timedelta(hours=2))

    card = await open_card(telegram, OLGA, "deal", deal.id)

    assert card.params["text"].splitlines() == [
        "💼 <b>Пустая</b>",
        "Сумма: не указана",
        "Этап: Новая · 2 часа",
        "Срок: сегодня в 13:00 ⚠️ прошёл",
        "Касаний пока не было.",
    ]


# ---- tasks and history in place -------------------------------------------------------------


async def test_tasks_and_history_replace_the_card_in_place_and_back(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(me, title="Поставка")
    await make_task(me, title="Без срока", deal_id=deal.id)
    await make_task(me, title="Просрочена", due_at=utc(3, 7), deal_id=deal.id)
    await make_task(me, title="Завтра", due_at=utc(4, 7), deal_id=deal.id)
    done = await make_task(me, title="Сделана", due_at=utc(3, 6), deal_id=deal.id)
    await Task.filter(id=done.id).update(status=TaskStatus.DONE)
    for number in range(12):
        clock.advance(timedelta(minutes=10))
        await log_interaction(
            me, {"kind": "note", "outcome": f"Заметка {number}", "deal_id": deal.id}
        )
    card = await open_card(telegram, OLGA, "deal", deal.id)
    card_id = message_id(card)

    await telegram.press(OLGA, data(card, "✅"), message_id=card_id)
    tasks = last_edit(telegram)
    assert tasks.params["message_id"] == card_id
    assert tasks.params["text"].splitlines() == [
        "✅ <b>Задачи: Поставка</b>",
        "• ⚠️ сегодня в 10:00 — Просрочена",
        "• завтра в 10:00 — Завтра",
        "• без срока — Без срока",
    ]
    assert labels(tasks) == [["← К карточке"]]

    await telegram.press(OLGA, data(card, "🕘"), message_id=card_id)
    history = shown(telegram, OLGA, card_id).splitlines()
    author = await owner_name(me.user_id)
    assert history[0] == "🕘 <b>История: Поставка</b>"
    assert history[1:3] == [f"• сегодня в 14:00 · заметка · {author}", "  Заметка 11"]
    assert len(history) == 1 + 2 * 10, "the last 10 interactions"
    assert history[-1] == "  Заметка 2"

    await telegram.press(OLGA, data(last_edit(telegram), "←"), message_id=card_id)
    assert shown(telegram, OLGA, card_id) == card.params["text"]
    assert len(telegram.api.sent(OLGA.id)) == 1, "everything in place of the card"
    assert len(calls(telegram, "answerCallbackQuery")) == 4


async def test_a_client_without_tasks_or_history(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, JOHN, language="en")
    contact = await make_contact(org.manager, last_name="Petrov", first_name="Ivan")
    card = await open_card(telegram, JOHN, "contact", contact.id)

    await telegram.press(JOHN, data(card, "✅"), message_id=message_id(card))
    assert last_edit(telegram).params["text"] == "✅ <b>Tasks: Petrov Ivan</b>\nNo open tasks."
    await telegram.press(JOHN, data(card, "🕘"), message_id=message_id(card))
    assert last_edit(telegram).params["text"] == (
        "🕘 <b>History: Petrov Ivan</b>\nNo interactions yet."
    )


# ---- next stage -----------------------------------------------------------------------------


async def test_next_stage_without_required_fields_moves_at_once_and_redraws_the_card(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(me, title="Поставка")
    card = await open_card(telegram, OLGA, "deal", deal.id)

    await telegram.press(OLGA, data(card, "➡️ В работе"), message_id=message_id(card))

    moved = await Deal.get(id=deal.id)
    assert moved.stage_id == (await stage_named(await Pipeline.get(), "В работе")).id
    assert moved.version == 2
    assert await StageTransition.filter(deal_id=deal.id).count() == 2
    assert answer(telegram).params["text"] == "Готово: сделка на этапе «В работе»."
    redrawn = last_edit(telegram)
    assert redrawn.params["message_id"] == message_id(card)
    assert "Этап: В работе · меньше часа" in redrawn.params["text"]
    assert data(redrawn, "➡️") == NextStage(id=deal.id, version=2).pack()
    assert labels(redrawn)[1][0] == "➡️ КП отправлено"


async def test_required_fields_are_asked_one_by_one_each_checked_by_the_domain(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    ivan = await make_contact(me, last_name="Петров", first_name="Иван")
    await make_contact(me, last_name="Петров", first_name="Пётр")
    await make_contact(org.stranger, last_name="Петров", first_name="Чужой")
    deal = await make_deal(
        me, title="Поставка", stage_id=(await stage_named(pipeline, "В работе")).id
    )
    card = await open_card(telegram, OLGA, "deal", deal.id)

    await telegram.press(OLGA, data(card, "➡️ КП отправлено"), message_id=message_id(card))
    needs, amount_question = telegram.api.sent(OLGA.id)[-2:]
    assert needs.params["text"] == (
        "Чтобы перевести сделку на этап «КП отправлено», заполните: сумма, контакт."
    )
    assert amount_question.params["text"] == "Сумма сделки (RUB)? Например: 150 000"
    assert labels(amount_question) == [["Отмена"]]

    await telegram.send(OLGA, "сто тысяч")
    assert last_sent(telegram, OLGA).params["text"] == (
        "Сумма должна быть числом. Попробуйте ещё раз.\n\nСумма сделки (RUB)? Например: 150 000"
    )
    await telegram.send(OLGA, "-5")
    assert (
        last_sent(telegram, OLGA)
        .params["text"]
        .startswith("Сумма не может быть отрицательной. Попробуйте ещё раз.")
    )
    await telegram.send(OLGA, "150 000")
    assert last_sent(telegram, OLGA).params["text"] == (
        "Контакт сделки? Напишите имя, телефон или email."
    )
    unchanged = await Deal.get(id=deal.id)
    assert (unchanged.version, unchanged.amount_minor, unchanged.stage_id) == (
        1,
        None,
        deal.stage_id,
    ), "nothing is written before the last answer"

    await telegram.send(OLGA, "Сидоров")
    assert (
        last_sent(telegram, OLGA)
        .params["text"]
        .startswith("По запросу «Сидоров» ничего не нашлось. Напишите иначе.")
    )
    await telegram.send(OLGA, "Петров")
    choice = last_sent(telegram, OLGA)
    assert choice.params["text"] == "Выберите:"
    assert sorted(row[0] for row in labels(choice)[:-1]) == ["👤 Петров Иван", "👤 Петров Пётр"]
    assert labels(choice)[-1] == ["Отмена"]

    await telegram.press(OLGA, data(choice, "👤 Петров Иван"), message_id=message_id(choice))

    moved = await Deal.get(id=deal.id)
    assert moved.stage_id == (await stage_named(pipeline, "КП отправлено")).id
    assert (moved.amount_minor, moved.contact_id, moved.version) == (15_000_000, ivan.id, 2)
    assert answer(telegram).params["text"] == "Готово: сделка на этапе «КП отправлено»."
    redrawn = last_edit(telegram)
    assert redrawn.params["message_id"] == message_id(card), "the card is redrawn in place"
    assert "Сумма: 150\u00a0000\u00a0₽" in redrawn.params["text"]

    await telegram.send(OLGA, "ещё текст")
    assert last_sent(telegram, OLGA).params["text"] == "Не понял сообщение. Список команд: /help"


async def test_a_deadline_is_read_in_the_users_zone_and_a_bad_one_asked_again(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, JOHN, language="en")
    tenders = await make_pipeline(
        "Тендеры",
        stages=(
            ("Заявка", StageKind.OPEN, []),
            ("Подача", StageKind.OPEN, ["deadline", "source_id"]),
            ("Выиграна", StageKind.WON, []),
            ("Проиграна", StageKind.LOST, []),
        ),
        is_default=False,
    )
    site = await make_source("Сайт")
    await Source.create(name="Старый", is_active=False)
    deal = await make_deal(me, title="Тендер", pipeline_id=tenders.id)
    card = await open_card(telegram, JOHN, "deal", deal.id)

    await telegram.press(JOHN, data(card, "➡️ Подача"), message_id=message_id(card))
    assert last_sent(telegram, JOHN).params["text"].startswith("The deal deadline?")

    await telegram.send(JOHN, "31.02")
    assert (
        last_sent(telegram, JOHN)
        .params["text"]
        .startswith("There is no such date: 31 Feb. Please try again.\n\nThe deal deadline?")
    )
    await telegram.send(JOHN, "friday 6pm")
    source_question = last_sent(telegram, JOHN)
    assert source_question.params["text"] == "The deal's source? Choose one:"
    assert labels(source_question) == [["Сайт"], ["Cancel"]]
    await telegram.send(JOHN, "Сайт")
    assert (
        last_sent(telegram, JOHN)
        .params["text"]
        .startswith("Choose one of the buttons. Please try again.")
    )

    await telegram.press(
        JOHN, StageValuePick(value=site.id).pack(), message_id=message_id(source_question)
    )

    moved = await Deal.get(id=deal.id)
    assert moved.stage_id == (await stage_named(tenders, "Подача")).id
    assert moved.deadline == utc(7, 15), "Friday 18:00 in Moscow"
    assert moved.source_id == site.id


async def test_a_stale_next_stage_button_changes_nothing_and_refreshes_the_card(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(me, title="Поставка")
    card = await open_card(telegram, OLGA, "deal", deal.id)
    working = await stage_named(pipeline, "В работе")
    await move_deal_to_stage(org.head, deal.id, working.id, version=1)  # someone else, meanwhile

    await telegram.press(OLGA, data(card, "➡️ В работе"), message_id=message_id(card))

    assert answer(telegram).params == {
        "callback_query_id": answer(telegram).params["callback_query_id"],
        "text": STALE,
        "show_alert": True,
    }
    after = await Deal.get(id=deal.id)
    assert (after.stage_id, after.version) == (working.id, 2)
    assert await StageTransition.filter(deal_id=deal.id).count() == 2
    refreshed = last_edit(telegram)
    assert refreshed.params["message_id"] == message_id(card)
    assert "Этап: В работе" in refreshed.params["text"]
    assert labels(refreshed)[1][0] == "➡️ КП отправлено"


async def test_a_deal_changed_while_fields_were_asked_is_not_moved(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    ivan = await make_contact(me, last_name="Петров", first_name="Иван")
    deal = await make_deal(
        me,
        title="Поставка",
        contact_id=ivan.id,
        stage_id=(await stage_named(pipeline, "В работе")).id,
    )
    card = await open_card(telegram, OLGA, "deal", deal.id)
    await telegram.press(OLGA, data(card, "➡️ КП отправлено"), message_id=message_id(card))
    await update_deal(org.head, deal.id, {"title": "Поставка (изм.)"}, version=1)

    await telegram.send(OLGA, "1000")

    assert last_sent(telegram, OLGA).params["text"] == STALE
    after = await Deal.get(id=deal.id)
    assert (after.stage_id, after.amount_minor, after.version) == (deal.stage_id, None, 2)
    refreshed = last_edit(telegram)
    assert refreshed.params["message_id"] == message_id(card)
    assert refreshed.params["text"].startswith("💼 <b>Поставка (изм.)</b>")


async def test_the_last_open_stage_and_a_closed_deal_have_no_next_stage(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    ivan = await make_contact(me, last_name="Петров")
    last = await stage_named(pipeline, "КП отправлено")
    deal = await make_deal(me, title="Поставка", amount="10", contact_id=ivan.id, stage_id=last.id)
    card = await open_card(telegram, OLGA, "deal", deal.id)
    assert labels(card)[1] == ["✖️ Проиграна"]

    await telegram.press(OLGA, NextStage(id=deal.id, version=1).pack(), message_id=5)
    assert answer(telegram).params["text"] == (
        "Это последний открытый этап: дальше сделку только закрывают."
    )
    assert (await Deal.get(id=deal.id)).version == 1


async def test_cancel_drops_the_question(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(
        me, title="Поставка", stage_id=(await stage_named(pipeline, "В работе")).id
    )
    card = await open_card(telegram, OLGA, "deal", deal.id)
    await telegram.press(OLGA, data(card, "➡️"), message_id=message_id(card))
    asked = last_sent(telegram, OLGA)

    await telegram.press(OLGA, data(asked, "Отмена"), message_id=message_id(asked))
    await telegram.send(OLGA, "1000")

    assert shown(telegram, OLGA, message_id(asked)) == "Отменено."
    assert last_sent(telegram, OLGA).params["text"] == "Не понял сообщение. Список команд: /help"
    assert (await Deal.get(id=deal.id)).version == 1


async def test_cancel_command_makes_the_question_buttons_stale(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    await make_contact(me, last_name="Петров", first_name="Иван")
    await make_contact(me, last_name="Петров", first_name="Пётр")
    deal = await make_deal(
        me, title="Поставка", amount="5", stage_id=(await stage_named(pipeline, "В работе")).id
    )
    card = await open_card(telegram, OLGA, "deal", deal.id)
    await telegram.press(OLGA, data(card, "➡️"), message_id=message_id(card))
    await telegram.send(OLGA, "Петров")
    choice = last_sent(telegram, OLGA)

    await telegram.send(OLGA, "/cancel")
    await telegram.press(OLGA, data(choice, "👤 Петров Иван"), message_id=message_id(choice))

    assert answer(telegram).params["text"] == (
        "Эта кнопка больше не работает: откройте запись заново."
    )
    after = await Deal.get(id=deal.id)
    assert (after.version, after.contact_id) == (1, None)


# ---- lost ----------------------------------------------------------------------------------


async def test_lost_offers_the_active_reasons_in_place_and_closes_the_deal(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    expensive = await make_loss_reason("Дорого")
    await make_loss_reason("Не успели")
    await LossReason.create(name="Устарела", is_active=False)
    deal = await make_deal(me, title="Поставка")
    card = await open_card(telegram, OLGA, "deal", deal.id)

    await telegram.press(OLGA, data(card, "✖️"), message_id=message_id(card))

    assert answer(telegram).params["text"] == "Выберите причину проигрыша."
    (picker,) = calls(telegram, "editMessageReplyMarkup")
    assert picker.params["message_id"] == message_id(card)
    assert labels(picker) == [["Дорого"], ["Не успели"], ["← К карточке"]]
    assert (await Deal.get(id=deal.id)).version == 1

    await telegram.press(OLGA, data(picker, "Дорого"), message_id=message_id(card))

    lost = await Deal.get(id=deal.id)
    assert lost.stage_id == (await stage_named(pipeline, "Проиграна")).id
    assert lost.loss_reason_id == expensive.id
    assert lost.closed_at == T0
    assert answer(telegram).params["text"] == "Сделка закрыта как проигранная: Дорого."
    redrawn = last_edit(telegram)
    assert redrawn.params["message_id"] == message_id(card)
    assert redrawn.params["text"].splitlines()[2:4] == [
        "Этап: Проиграна · закрыта сегодня в 12:00",
        "Причина: Дорого",
    ]
    assert labels(redrawn) == [
        ["📝 Записать итог", "⏰ Напомнить"],
        ["✅ Задачи", "🕘 История"],
    ]

    await telegram.press(OLGA, data(picker, "Не успели"), message_id=message_id(card))
    assert answer(telegram).params["text"] == STALE
    assert (await Deal.get(id=deal.id)).loss_reason_id == expensive.id


async def test_lost_without_loss_reasons_says_whom_to_ask(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    deal = await make_deal(org.manager, title="Поставка")
    card = await open_card(telegram, OLGA, "deal", deal.id)

    await telegram.press(OLGA, data(card, "✖️"), message_id=message_id(card))

    assert answer(telegram).params["text"] == (
        "Нет ни одной причины проигрыша: попросите администратора заполнить справочник."
    )
    assert calls(telegram, "editMessageReplyMarkup") == []


# ---- remind --------------------------------------------------------------------------------


async def test_remind_reads_the_time_in_the_users_zone_and_makes_a_task(
    telegram: BotHarness, org: Org
) -> None:
    me = org.manager
    await linked(me, OLGA)
    deal = await make_deal(me, title="Поставка")
    card = await open_card(telegram, OLGA, "deal", deal.id)

    await telegram.press(OLGA, data(card, "⏰"), message_id=message_id(card))
    asked = last_sent(telegram, OLGA)
    assert asked.params["text"] == (
        "Когда напомнить про «Поставка»? Например: «завтра в 10», «в пятницу», «через 2 часа»."
    )
    await telegram.send(OLGA, "сегодня в 9")
    assert (
        last_sent(telegram, OLGA)
        .params["text"]
        .startswith(
            "Это время уже прошло: 03.03.2025 09:00. Укажите время позже. Попробуйте ещё раз.\n\n"
            "Когда напомнить про «Поставка»?"
        )
    )
    assert await Task.all().count() == 0

    await telegram.send(OLGA, "завтра в 15")

    (task,) = await Task.all()
    assert task.title == "Связаться: Поставка"
    assert task.due_at == task.remind_at == utc(4, 12)
    assert (task.assignee_id, task.author_id, task.deal_id) == (me.user_id, me.user_id, deal.id)
    assert last_sent(telegram, OLGA).params["text"] == (
        "Напомню завтра в 15:00: Связаться: Поставка."
    )
    await telegram.send(OLGA, "послезавтра")
    assert await Task.all().count() == 1, "the question was answered"


async def test_remind_on_a_contact_links_the_task_to_the_contact(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, JOHN, language="en")
    contact = await make_contact(org.manager, last_name="Petrov", first_name="Ivan")
    card = await open_card(telegram, JOHN, "contact", contact.id)

    await telegram.press(JOHN, data(card, "⏰"), message_id=message_id(card))
    await telegram.send(JOHN, "in 2 hours")

    (task,) = await Task.all()
    assert (task.title, task.contact_id, task.due_at) == (
        "Follow up: Petrov Ivan",
        contact.id,
        T0 + timedelta(hours=2),
    )
    assert last_sent(telegram, JOHN).params["text"] == (
        "I will remind you today at 14:00: Follow up: Petrov Ivan."
    )


# ---- refusals -----------------------------------------------------------------------------


async def test_forged_buttons_for_what_the_person_may_not_see_are_refused(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    await linked(org.manager, OLGA)
    await make_loss_reason("Дорого")
    reason = await LossReason.get(name="Дорого")
    south_contact = await make_contact(org.stranger, last_name="Южный")
    south = await make_deal(org.stranger, title="Южная сделка", contact_id=south_contact.id)
    mine = await make_contact(org.manager, last_name="Мой")
    forged = [
        OpenCard(kind="deal", id=south.id),
        OpenCard(kind="contact", id=south_contact.id),
        OpenCard(kind="deal", id=999_999),
        OpenCard(kind="lead", id=mine.id),
        OpenCard(kind="deal", id=99_999_999_999),
        CardView(kind="deal", id=south.id, view="tasks"),
        CardView(kind="deal", id=south.id, view="history"),
        CardView(kind="contact", id=south_contact.id, view="card"),
        CardView(kind="lead", id=mine.id, view="card"),
        NextStage(id=south.id, version=1),
        LoseDeal(id=south.id, version=1),
        LossReasonPick(id=south.id, version=1, reason=reason.id),
        Remind(kind="deal", id=south.id),
        Remind(kind="task", id=mine.id),
    ]
    for payload in forged:
        await telegram.press(OLGA, payload.pack(), message_id=7)
        refusal = answer(telegram)
        assert (refusal.params["text"], refusal.params["show_alert"]) == (REFUSAL, True), payload

    assert [c.method for c in telegram.api.calls] == ["answerCallbackQuery"] * len(forged)
    untouched = await Deal.get(id=south.id)
    assert (untouched.version, untouched.stage_id, untouched.closed_at) == (1, south.stage_id, None)
    assert await Task.all().count() == 0
    assert await in_context(telegram, OLGA) is None

    await telegram.send(OLGA, "завтра")  # no question was asked
    assert last_sent(telegram, OLGA).params["text"] == "Не понял сообщение. Список команд: /help"


async def test_malformed_payloads_get_the_stale_button_sentence(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    for payload in ("open:deal:abc", "open:deal", "nx:1:zz", "cv:deal:1:secrets", "lr:1:1:0"):
        await telegram.press(OLGA, payload, message_id=7)
        assert answer(telegram).params["text"] == (
            "Эта кнопка больше не работает: откройте запись заново."
        )
    assert {c.method for c in telegram.api.calls} == {"answerCallbackQuery"}


async def test_a_picked_value_out_of_sight_is_refused_and_asked_again(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    me = org.manager
    await linked(me, OLGA)
    south_contact = await make_contact(org.stranger, last_name="Южный")
    deal = await make_deal(
        me, title="Поставка", stage_id=(await stage_named(pipeline, "В работе")).id
    )
    card = await open_card(telegram, OLGA, "deal", deal.id)
    await telegram.press(OLGA, data(card, "➡️"), message_id=message_id(card))
    await telegram.send(OLGA, "1000")

    await telegram.press(OLGA, StageValuePick(value=south_contact.id).pack(), message_id=9)

    assert (
        last_sent(telegram, OLGA)
        .params["text"]
        .startswith("Не найдено или нет доступа. Попробуйте ещё раз.\n\nКонтакт сделки?")
    )
    assert (await Deal.get(id=deal.id)).version == 1

    await telegram.press(OLGA, StageValuePick(value=south_contact.id).pack(), message_id=9)
    await telegram.press(OLGA, data(last_sent(telegram, OLGA), "Отмена"), message_id=10)
    await telegram.press(OLGA, StageValuePick(value=south_contact.id).pack(), message_id=9)
    assert answer(telegram).params["text"] == (
        "Эта кнопка больше не работает: откройте запись заново."
    ), "no question is open any more"


async def test_a_head_sees_and_moves_the_office_deals_a_colleague_does_not(
    telegram: BotHarness, org: Org, pipeline: Pipeline
) -> None:
    await linked(org.head, HEAD)
    await linked(org.colleague, COLLEAGUE)
    deal = await make_deal(org.deep, title="Сделка отдела")

    await telegram.press(COLLEAGUE, OpenCard(kind="deal", id=deal.id).pack(), message_id=3)
    assert answer(telegram).params["text"] == REFUSAL
    assert telegram.api.sent(COLLEAGUE.id) == []
    await telegram.press(COLLEAGUE, NextStage(id=deal.id, version=1).pack(), message_id=3)
    assert answer(telegram).params["text"] == REFUSAL

    card = await open_card(telegram, HEAD, "deal", deal.id)
    assert card.params["text"].startswith("💼 <b>Сделка отдела</b>")
    await telegram.press(HEAD, data(card, "➡️ В работе"), message_id=message_id(card))

    moved = await Deal.get(id=deal.id)
    assert moved.stage_id == (await stage_named(pipeline, "В работе")).id
    transition = await StageTransition.get(deal_id=deal.id, stage_id=moved.stage_id)
    assert transition.by_id == org.head.user_id
