"""Words and phrases the demo data is made of, in Russian and English."""

from __future__ import annotations

from models.entities import InteractionKind
from models.text import Text

# Company brand names are two parts joined: «Север» + «Снаб» → «СеверСнаб».
BRAND_HEADS = (
    "Север", "Восток", "Юг", "Техно", "Строй", "Агро", "Пром", "Энерго", "Мега", "Гранд", "Альфа",
    "Вектор", "Сибирь", "Волга", "Урал", "Нева", "Кама", "Лидер", "Профи", "Эко", "Инфо", "Авто",
    "Медиа", "Стандарт", "Меридиан", "Атлант", "Русь", "Балтик", "Полимер", "Сталь",
)  # fmt: skip
BRAND_TAILS = (
    "Снаб", "Трейд", "Сервис", "Маркет", "Логистик", "Инвест", "Комплект", "Системс", "Групп",
    "Торг", "Монтаж", "Ресурс", "Пласт", "Лайн", "Проект", "Холдинг", "Терминал", "Опт",
)  # fmt: skip
BRAND_SUFFIXES = ("", "", "", " Плюс", "-М", " Центр", " Регион", "-Т")

LEGAL_FORMS = {
    "ooo": (
        Text("ООО", "LLC"),
        Text("Общество с ограниченной ответственностью", "Limited Liability Company"),
    ),
    "ao": (Text("АО", "JSC"), Text("Акционерное общество", "Joint-Stock Company")),
    "ip": (Text("ИП", "IE"), Text("Индивидуальный предприниматель", "Individual Entrepreneur")),
}

STREETS = {
    "moscow": (
        Text("ул. Тверская", "Tverskaya St"),
        Text("Ленинский пр-т", "Leninsky Ave"),
        Text("пр-т Мира", "Mira Ave"),
        Text("ул. Профсоюзная", "Profsoyuznaya St"),
        Text("ш. Энтузиастов", "Entuziastov Hwy"),
    ),
    "spb": (
        Text("Невский пр-т", "Nevsky Ave"),
        Text("ул. Садовая", "Sadovaya St"),
        Text("Лиговский пр-т", "Ligovsky Ave"),
        Text("Московский пр-т", "Moskovsky Ave"),
    ),
}
CITIES = {"moscow": Text("Москва", "Moscow"), "spb": Text("Санкт-Петербург", "Saint Petersburg")}

POSITIONS = (
    Text("Генеральный директор", "CEO"),
    Text("Коммерческий директор", "Commercial director"),
    Text("Финансовый директор", "CFO"),
    Text("Главный бухгалтер", "Chief accountant"),
    Text("Руководитель отдела закупок", "Head of procurement"),
    Text("Менеджер по закупкам", "Purchasing manager"),
    Text("Главный инженер", "Chief engineer"),
    Text("Начальник склада", "Warehouse manager"),
    Text("Офис-менеджер", "Office manager"),
    Text("Руководитель ИТ", "Head of IT"),
    Text("Юрист", "Lawyer"),
    Text("Заместитель директора", "Deputy director"),
)

B2B_DEAL_TITLES = (
    Text("Поставка оборудования", "Equipment supply"),
    Text("Годовой контракт на обслуживание", "Annual service contract"),
    Text("Внедрение CRM", "CRM roll-out"),
    Text("Поставка расходных материалов", "Consumables supply"),
    Text("Монтаж и пусконаладка", "Installation and commissioning"),
    Text("Аренда спецтехники", "Special machinery rental"),
    Text("Комплексное снабжение офиса", "Office supplies package"),
    Text("Пилотный проект", "Pilot project"),
    Text("Расширение лицензий", "Licence expansion"),
    Text("Логистика и доставка", "Logistics and delivery"),
)
RETAIL_DEAL_TITLES = (
    Text("Заказ с сайта", "Web order"),
    Text("Подбор кухонной техники", "Kitchen appliances"),
    Text("Покупка ноутбука", "Laptop purchase"),
    Text("Мебель для дома", "Home furniture"),
    Text("Подарочный сертификат", "Gift card"),
    Text("Ремонт и сервис", "Repair and service"),
)

LOSS_COMMENTS = (
    Text("Клиент нашёл предложение дешевле на 15%.", "Found an offer 15% cheaper."),
    Text("Бюджет перенесли на следующий год.", "Budget moved to next year."),
    Text(
        "Не отвечает на звонки и письма две недели.", "No answer to calls or email for two weeks."
    ),
    Text("Решили делать своими силами.", "Decided to do it in-house."),
    Text("", ""),
)

OUTCOMES: dict[InteractionKind, tuple[Text, ...]] = {
    InteractionKind.CALL: (
        Text("Обсудили потребность, ждут КП до пятницы.", "Discussed needs; proposal due Friday."),
        Text("Не дозвонился, перезвонить завтра.", "No answer; call back tomorrow."),
        Text("Уточнили объём и сроки поставки.", "Clarified volume and delivery dates."),
        Text("Клиент просит скидку 10%, согласую с руководителем.", "Asks 10% off; checking."),
        Text("Подтвердили оплату счёта.", "Payment of the invoice confirmed."),
        Text(
            "Секретарь соединила с закупками, договорились о встрече.", "Got procurement; meeting"
        ),
        Text(
            "Напомнил о договоре, обещали подписать на этой неделе.", "Contract promised this week."
        ),
    ),
    InteractionKind.MEETING: (
        Text("Презентовали решение, интерес высокий.", "Presented the solution; strong interest."),
        Text("Встреча с ЛПР, обсудили условия оплаты.", "Met the decision maker on payment terms."),
        Text(
            "Согласовали спецификацию, готовим договор.", "Agreed the spec; drafting the contract."
        ),
        Text("Показали демо, нужен пилот на месяц.", "Demo done; they want a one-month pilot."),
    ),
    InteractionKind.VISIT: (
        Text("Выезд на объект, сделали замеры.", "Site visit; took measurements."),
        Text("Привёз образцы, оставил на тест.", "Brought samples for testing."),
        Text("Провели аудит склада, подготовим предложение.", "Audited the warehouse."),
    ),
    InteractionKind.EMAIL: (
        Text("Отправил КП и презентацию.", "Sent the proposal and deck."),
        Text("Выслал проект договора на согласование.", "Sent the draft contract for review."),
        Text("Клиент прислал реквизиты для счёта.", "Client sent details for the invoice."),
        Text("Ответил на вопросы по гарантии.", "Answered warranty questions."),
    ),
    InteractionKind.MESSAGE: (
        Text("Написал в Telegram, ждём ответ.", "Messaged on Telegram; awaiting reply."),
        Text("Клиент подтвердил время встречи в WhatsApp.", "Meeting time confirmed on WhatsApp."),
        Text("Отправил ссылку на оплату.", "Sent the payment link."),
    ),
    InteractionKind.NOTE: (
        Text("Решение принимает финансовый директор.", "The CFO makes the decision."),
        Text("Бюджет утверждают в начале квартала.", "Budget is approved at quarter start."),
        Text(
            "Работали с конкурентом, недовольны сроками.", "Unhappy with a competitor's lead times."
        ),
    ),
}

TASK_TITLES = (
    Text("Перезвонить", "Call back"),
    Text("Отправить КП", "Send the proposal"),
    Text("Согласовать договор", "Agree the contract"),
    Text("Выставить счёт", "Issue the invoice"),
    Text("Назначить встречу", "Schedule a meeting"),
    Text("Уточнить статус оплаты", "Check the payment"),
    Text("Поздравить с днём рождения", "Birthday greetings"),
    Text("Подготовить презентацию", "Prepare the deck"),
)

LEAD_TITLES = (
    Text("Заявка с сайта", "Website request"),
    Text("Запрос цены", "Price request"),
    Text("Обращение в Telegram", "Telegram enquiry"),
    Text("Контакт с выставки", "Trade show contact"),
    Text("Входящий звонок", "Inbound call"),
)

ORDER_COMMENTS = {
    "confirmed": Text("Заказ подтверждён клиентом.", "Confirmed by the client."),
    "paid": Text("Оплата поступила.", "Payment received."),
    "shipped": Text("Передан в доставку.", "Handed to the courier."),
    "delivered": Text("Доставлен, подписан акт.", "Delivered and signed for."),
    "completed": Text("Закрыт.", "Closed."),
    "cancelled": Text("Клиент отменил заказ.", "Cancelled by the client."),
}
