"""Reference data of the demo account, in Russian and English: offices, pipelines, lookups."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.entities import StageKind
from models.text import Text

HQ = Text("Москва (головной офис)", "Moscow (head office)")
B2B_DEPARTMENT = Text("Отдел продаж B2B", "B2B Sales Department")
RETAIL_DEPARTMENT = Text("Отдел розницы", "Retail Department")
SPB_BRANCH = Text("Санкт-Петербург", "Saint Petersburg")
TIMEZONE = "Europe/Moscow"


@dataclass(frozen=True)
class StageSpec:
    name: Text
    kind: StageKind = StageKind.OPEN
    probability: int = 0
    planned_days: int | None = None
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class PipelineSpec:
    key: str
    name: Text
    is_default: bool
    stale_after_days: int
    stages: tuple[StageSpec, ...] = field(default_factory=tuple)


B2B = PipelineSpec(
    key="b2b",
    name=Text("Продажи B2B", "B2B Sales"),
    is_default=True,
    stale_after_days=14,
    stages=(
        StageSpec(Text("Новая", "New"), probability=10, planned_days=2),
        StageSpec(Text("Квалификация", "Qualification"), probability=20, planned_days=4),
        StageSpec(Text("В работе", "In progress"), probability=40, planned_days=10),
        StageSpec(
            Text("КП отправлено", "Proposal sent"),
            probability=60,
            planned_days=7,
            required=("amount", "contact_id"),
        ),
        StageSpec(Text("Переговоры", "Negotiation"), probability=80, planned_days=5),
        StageSpec(Text("Успешно", "Won"), StageKind.WON, probability=100),
        StageSpec(Text("Проиграна", "Lost"), StageKind.LOST),
    ),
)

RETAIL = PipelineSpec(
    key="retail",
    name=Text("Розница", "Retail"),
    is_default=False,
    stale_after_days=7,
    stages=(
        StageSpec(Text("Новая", "New"), probability=10, planned_days=1),
        StageSpec(Text("Подбор товара", "Choosing goods"), probability=40, planned_days=3),
        StageSpec(
            Text("Счёт выставлен", "Invoice issued"),
            probability=70,
            planned_days=3,
            required=("amount",),
        ),
        StageSpec(Text("Оплачено", "Paid"), StageKind.WON, probability=100),
        StageSpec(Text("Отказ", "Declined"), StageKind.LOST),
    ),
)

PIPELINES = (B2B, RETAIL)

SOURCES = (
    Text("Сайт", "Website"),
    Text("Рекомендация", "Referral"),
    Text("Холодный звонок", "Cold call"),
    Text("Выставка", "Trade show"),
    Text("Telegram", "Telegram"),
    Text("WhatsApp", "WhatsApp"),
    Text("Контекстная реклама", "Search ads"),
    Text("Повторное обращение", "Returning client"),
)

SEGMENTS = (
    Text("Крупный бизнес", "Enterprise"),
    Text("Средний бизнес", "Mid-market"),
    Text("Малый бизнес", "Small business"),
    Text("Госсектор", "Public sector"),
    Text("Частные клиенты", "Private clients"),
)

LOSS_REASONS = (
    Text("Дорого", "Too expensive"),
    Text("Выбрали конкурента", "Chose a competitor"),
    Text("Нет бюджета", "No budget"),
    Text("Пропал, не выходит на связь", "Went silent"),
    Text("Неактуально", "No longer relevant"),
    Text("Не устроили сроки", "Lead time did not fit"),
)
