"""/new: a contact, company or deal created from the chat, one question at a time, with the
domain's checks on every answer, a duplicate warning, and nothing written before Create."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.telegram import context
from bots.telegram.callbacks import OpenCard, StartLog
from bots.telegram.handlers.new import NewDo, NewPick
from models.clock import FrozenClock, use_clock
from models.entities import Company, Contact, Deal, Pipeline, StageKind
from models.ops.contacts import contact_emails, contact_phones
from tests.bots.conftest import BotHarness
from tests.bots.telegram.capture_support import alerts, buttons, find_button, fsm, linked, said, tap
from tests.doubles.telegram_updates import Person
from tests.factories import (
    T0,
    VALID_INNS,
    Org,
    make_company,
    make_contact,
    make_org,
    make_pipeline,
)

OLGA = Person(8101, "Ольга", "ru")
JOHN = Person(8102, "John", "en")


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


async def counts() -> tuple[int, int, int]:
    return await Contact.all().count(), await Company.all().count(), await Deal.all().count()


async def test_a_contact_field_by_field_with_refused_answers_asked_again(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    company = await make_company(org.manager, name="ООО Ромашка", inn=VALID_INNS[0])
    await telegram.send(OLGA, "/new")
    assert said(telegram, OLGA) == "Что создать?"
    assert buttons(telegram, OLGA) == ["Контакт", "Компания", "Сделка", "Отмена"]

    await tap(telegram, OLGA, "Контакт")
    assert said(telegram, OLGA) == "Новый контакт. Имя и фамилия? Например: Иван Петров."
    await telegram.send(OLGA, "И" * 101)
    assert said(telegram, OLGA) == (
        "Не длиннее 100 символов.\n\nНовый контакт. Имя и фамилия? Например: Иван Петров."
    )
    await telegram.send(OLGA, "Иван   Петров")
    assert said(telegram, OLGA).startswith("Телефон?")

    await telegram.send(OLGA, "12")
    assert said(telegram, OLGA) == (
        "Неверный номер телефона: укажите его с кодом, например +7 916 123-45-67.\n\n"
        "Телефон? Например: +7 916 123-45-67."
    )
    last = telegram.api.sent(OLGA.id)[-1]
    assert "parse_mode" not in last.params, "the domain's sentence as plain text"
    await telegram.send(OLGA, "8 (916) 123-45-67")
    await telegram.send(OLGA, "ivan@@example")
    assert said(telegram, OLGA).startswith("Неверный адрес электронной почты.\n\n")
    await telegram.send(OLGA, "Ivan@Example.ru")
    assert said(telegram, OLGA).startswith("Компания контакта?")

    await telegram.send(OLGA, "ромаш")
    assert said(telegram, OLGA) == "Нашлось — выберите:"
    assert buttons(telegram, OLGA) == [f"ООО Ромашка · {VALID_INNS[0]}", "Пропустить", "Отмена"]
    assert await counts() == (0, 1, 0), "nothing written before Create"

    await tap(telegram, OLGA, "ООО Ромашка")
    assert said(telegram, OLGA).splitlines() == [
        "Проверьте и создайте — контакт:",
        "Имя: Иван Петров",
        "Телефон: +79161234567",
        "Почта: ivan@example.ru",
        f"Компания: ООО Ромашка · {VALID_INNS[0]}",
    ]
    assert await counts() == (0, 1, 0)
    await tap(telegram, OLGA, "Создать")

    contact = await Contact.get()
    assert (contact.first_name, contact.last_name) == ("Иван", "Петров")
    assert contact.company_id == company.id
    assert contact.owner_id == org.manager.user_id
    assert await contact_phones(contact.id) == ["+79161234567"]
    assert await contact_emails(contact.id) == ["ivan@example.ru"]
    assert said(telegram, OLGA) == "Готово: создано — контакт «Петров Иван»."
    _, data = find_button(telegram, OLGA, "Открыть карточку")
    assert data == OpenCard(kind="contact", id=contact.id).pack()
    assert (
        find_button(telegram, OLGA, "Записать")[1] == StartLog(kind="contact", id=contact.id).pack()
    )
    here = await context.current(fsm(telegram, OLGA))
    assert here == context.InContext("contact", contact.id)
    assert await fsm(telegram, OLGA).get_state() is None


async def test_a_contact_with_only_a_name_skips_the_rest(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    await telegram.send(JOHN, "/new contact")
    assert said(telegram, JOHN) == "New contact. First and last name? For example: John Smith."
    await telegram.send(JOHN, "Cher")
    for _ in range(3):
        await tap(telegram, JOHN, "Skip")
    assert said(telegram, JOHN).splitlines() == ["Check and create — contact:", "Name: Cher"]
    await tap(telegram, JOHN, "Create")
    contact = await Contact.get()
    assert (contact.first_name, contact.last_name, contact.company_id) == ("Cher", "", None)
    assert said(telegram, JOHN) == "Done: contact “Cher” created."


async def test_a_company_with_inn_and_kpp_checked(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    await telegram.send(OLGA, "/new")
    await tap(telegram, OLGA, "Компания")
    assert said(telegram, OLGA) == "Новая компания. Название?"
    await telegram.send(OLGA, "ООО «Вектор» & Co")
    await telegram.send(OLGA, "1234567890")
    assert said(telegram, OLGA) == (
        "ИНН неверен: нужно 10 цифр (организация) или 12 (ИП) с верной контрольной суммой.\n\n"
        "ИНН? 10 цифр у организации, 12 у ИП."
    )
    await telegram.send(OLGA, VALID_INNS[1])
    assert said(telegram, OLGA) == "КПП? 9 символов."
    await telegram.send(OLGA, "77")
    assert said(telegram, OLGA).startswith("КПП неверен: 9 символов")
    await telegram.send(OLGA, "773601001")
    assert said(telegram, OLGA).splitlines() == [
        "Проверьте и создайте — компания:",
        "Название: ООО «Вектор» &amp; Co",
        f"ИНН: {VALID_INNS[1]}",
        "КПП: 773601001",
    ]
    assert await counts() == (0, 0, 0)
    await tap(telegram, OLGA, "Создать")
    company = await Company.get()
    assert (company.name, company.inn, company.kpp) == (
        "ООО «Вектор» & Co",
        VALID_INNS[1],
        "773601001",
    )
    assert said(telegram, OLGA) == "Готово: создано — компания «ООО «Вектор» &amp; Co»."
    assert await context.current(fsm(telegram, OLGA)) == context.InContext("company", company.id)


async def test_a_sole_traders_inn_asks_no_kpp(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    await telegram.send(OLGA, "/new компания")
    await telegram.send(OLGA, "ИП Сидоров")
    await telegram.send(OLGA, VALID_INNS[4])  # 12 digits
    assert said(telegram, OLGA).startswith("Проверьте и создайте — компания:")
    await tap(telegram, OLGA, "Создать")
    company = await Company.get()
    assert (company.inn, company.kpp) == (VALID_INNS[4], None)


async def test_a_deal_for_a_client_found_by_name_with_an_amount(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", last_name="Петров")
    await telegram.send(OLGA, "/new")
    await tap(telegram, OLGA, "Сделка")
    await telegram.send(OLGA, "Б" * 301)
    assert said(telegram, OLGA).startswith("Не длиннее 300 символов.\n\nНовая сделка. Название?")
    await telegram.send(OLGA, "Поставка бумаги")
    assert said(telegram, OLGA).startswith("Клиент сделки?")
    assert "Пропустить" not in buttons(telegram, OLGA), "a deal needs its client"
    await telegram.send(OLGA, "Сидоров")
    assert said(telegram, OLGA).startswith("По «Сидоров» ничего не нашлось.")
    assert said(telegram, OLGA).endswith(
        "Клиент сделки? Напишите имя, телефон, название компании или ИНН, я найду."
    )
    await telegram.send(OLGA, "петров")
    await tap(telegram, OLGA, "Петров Иван")
    await telegram.send(OLGA, "много")
    assert said(telegram, OLGA).startswith("Сумма должна быть числом.\n\n")
    await telegram.send(OLGA, "1 250 000,50")
    assert said(telegram, OLGA).splitlines() == [
        "Проверьте и создайте — сделка:",
        "Название: Поставка бумаги",
        "Клиент: Петров Иван",
        "Сумма: 1\u00a0250\u00a0000,50\u00a0₽",
    ]
    assert await counts() == (1, 0, 0)
    await tap(telegram, OLGA, "Создать")
    deal = await Deal.get()
    assert (deal.title, deal.contact_id, deal.amount_minor) == (
        "Поставка бумаги",
        contact.id,
        125_000_050,
    )
    assert deal.owner_id == org.manager.user_id
    assert said(telegram, OLGA) == "Готово: создано — сделка «Поставка бумаги»."
    assert await context.current(fsm(telegram, OLGA)) == context.InContext("deal", deal.id)


async def test_a_deal_offers_the_client_in_context(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    company = await make_company(org.manager, name="Vector LLC")
    await context.remember(fsm(telegram, JOHN), "company", company.id)
    await telegram.send(JOHN, "/new deal")
    await telegram.send(JOHN, "Paper supply")
    assert buttons(telegram, JOHN) == ["Open now: Vector LLC", "Cancel"]
    await tap(telegram, JOHN, "Open now: Vector LLC")
    assert said(telegram, JOHN).startswith("The deal's amount in roubles?")
    await tap(telegram, JOHN, "Skip")
    assert said(telegram, JOHN).splitlines() == [
        "Check and create — deal:",
        "Title: Paper supply",
        "Client: Vector LLC",
    ]
    await tap(telegram, JOHN, "Create")
    deal = await Deal.get()
    assert (deal.company_id, deal.contact_id, deal.amount_minor) == (company.id, None, None)


async def test_a_field_the_first_stage_requires_is_asked_again_at_create(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await make_pipeline(
        stages=(("Новая", StageKind.OPEN, ["amount"]), ("Успешно", StageKind.WON, []))
    )
    await linked(org.manager, OLGA)
    company = await make_company(org.manager, name="Вектор")
    await telegram.send(OLGA, "/new сделка")
    await telegram.send(OLGA, "Поставка")
    await telegram.send(OLGA, "вектор")
    await tap(telegram, OLGA, "Вектор")
    await tap(telegram, OLGA, "Пропустить")
    await tap(telegram, OLGA, "Создать")
    assert said(telegram, OLGA) == (
        "Этап «Новая» требует поле: сумма.\n\n"
        "Сумма сделки в рублях? Например: 150000 или 1 250 000,50."
    )
    assert await Deal.all().count() == 0
    await telegram.send(OLGA, "5000")
    assert said(telegram, OLGA).splitlines()[-1] == "Сумма: 5\u00a0000\u00a0₽", (
        "back to the summary"
    )
    await tap(telegram, OLGA, "Создать")
    deal = await Deal.get()
    assert (deal.amount_minor, deal.company_id) == (500_000, company.id)


async def test_a_duplicate_contact_offers_open_existing_or_create_anyway(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    existing = await make_contact(
        org.manager, first_name="Иван", last_name="Петров", phones=["+7 916 123-45-67"]
    )
    await telegram.send(OLGA, "/new контакт")
    await telegram.send(OLGA, "Иван Петров")
    await telegram.send(OLGA, "+79161234567")
    await tap(telegram, OLGA, "Пропустить")
    await tap(telegram, OLGA, "Пропустить")
    await tap(telegram, OLGA, "Создать")
    assert said(telegram, OLGA).splitlines() == [
        "Похожие записи уже есть:",
        "• Петров Иван — телефон +79161234567",
        "Откройте существующую запись или всё равно создайте новую.",
    ]
    assert buttons(telegram, OLGA) == ["Открыть: Петров Иван", "Всё равно создать", "Отмена"]
    assert await Contact.all().count() == 1
    _, data = find_button(telegram, OLGA, "Открыть: Петров Иван")
    assert data == OpenCard(kind="contact", id=existing.id).pack()

    await tap(telegram, OLGA, "Всё равно создать")
    assert await Contact.all().count() == 2
    created = await Contact.exclude(id=existing.id).get()
    assert await contact_phones(created.id) == ["+79161234567"]
    assert said(telegram, OLGA) == "Готово: создано — контакт «Петров Иван»."


async def test_a_duplicate_the_manager_cannot_see_is_only_counted(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, JOHN, "en")
    await make_company(org.stranger, name="Secret LLC", inn=VALID_INNS[0])
    await telegram.send(JOHN, "/new company")
    await telegram.send(JOHN, "Open LLC")
    await telegram.send(JOHN, VALID_INNS[0])
    await tap(telegram, JOHN, "Skip")  # KPP
    await tap(telegram, JOHN, "Create")
    assert said(telegram, JOHN).splitlines() == [
        "Matching records already exist:",
        "More matches you cannot see: 1.",
        "Open the existing record, or create a new one anyway.",
    ]
    assert "Secret" not in said(telegram, JOHN)
    assert buttons(telegram, JOHN) == ["Create anyway", "Cancel"]
    await tap(telegram, JOHN, "Create anyway")
    assert await Company.filter(name="Open LLC", owner_id=org.manager.user_id).count() == 1


async def test_cancel_at_any_step_writes_nothing(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    await context.remember(fsm(telegram, OLGA), "company", 7)
    await telegram.send(OLGA, "/new контакт")
    await telegram.send(OLGA, "Иван Петров")
    await telegram.send(OLGA, "/cancel")
    assert said(telegram, OLGA) == "Отменено: ничего не сохранено."
    assert await fsm(telegram, OLGA).get_state() is None
    assert await context.current(fsm(telegram, OLGA)) == context.InContext("company", 7)
    await telegram.send(OLGA, "Петров")
    assert said(telegram, OLGA) == "Не понял сообщение. Список команд: /help"
    await telegram.send(OLGA, "/cancel")
    assert said(telegram, OLGA) == "Отменять нечего."

    await telegram.send(OLGA, "/new компания")
    await telegram.send(OLGA, "Вектор")
    await tap(telegram, OLGA, "Пропустить")
    summary, create = find_button(telegram, OLGA, "Создать")
    await tap(telegram, OLGA, "Отмена")
    assert said(telegram, OLGA) == "Отменено: ничего не сохранено."
    await telegram.press(OLGA, create, message_id=summary)  # the old summary's button
    assert alerts(telegram)[-1] == "Эта кнопка больше не работает: откройте запись заново."
    assert await counts() == (0, 0, 0)


async def test_forged_buttons_are_refused_and_change_nothing(
    telegram: BotHarness, org: Org, pipeline: Pipeline, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    theirs = await make_company(org.stranger, name="Чужая")
    await telegram.send(OLGA, "/new сделка")
    await telegram.send(OLGA, "Поставка")
    before = await fsm(telegram, OLGA).get_data()

    forged = NewPick(step="client", kind="company", id=theirs.id).pack()
    await telegram.press(OLGA, forged, message_id=1)
    assert alerts(telegram)[-1] == (
        "Эта запись не найдена или недоступна вам. Найдите клиента или сделку заново."
    )
    too_big = f"new.pick:client:company:{2**31}"
    await telegram.press(OLGA, too_big, message_id=1)
    assert alerts(telegram)[-1] == "Эта кнопка больше не работает: откройте запись заново."
    await telegram.press(OLGA, NewDo(action="create", rev=1).pack(), message_id=1)
    await telegram.press(OLGA, NewDo(action="force", rev=0).pack(), message_id=1)
    assert alerts(telegram)[-2:] == ["Эта кнопка больше не работает: откройте запись заново."] * 2
    assert await fsm(telegram, OLGA).get_data() == before
    assert await counts() == (0, 1, 0)
    assert "Чужая" not in " ".join(telegram.texts(OLGA))


async def test_commands_still_work_in_the_middle_of_a_question(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    await telegram.send(OLGA, "/new контакт")
    await telegram.send(OLGA, "/help")
    assert said(telegram, OLGA).startswith("Команды Voronka:")
    await telegram.send(OLGA, "Иван Петров")
    assert said(telegram, OLGA).startswith("Телефон?"), "the question is still open"
