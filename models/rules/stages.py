"""What a deal needs before it may enter a stage. Pure: takes values, returns field errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from models.entities.enums import StageKind
from models.errors import FieldError
from models.text import Text

REQUIRABLE_FIELDS: dict[str, Text] = {
    "amount": Text("сумма", "amount"),
    "deadline": Text("срок", "deadline"),
    "contact_id": Text("контакт", "contact"),
    "company_id": Text("компания", "company"),
    "source_id": Text("источник", "source"),
}

_MISSING = Text("Этап «{stage}» требует поле: {label}.", "Stage “{stage}” requires the {label}.")
_WON_AMOUNT = Text(
    "Чтобы закрыть сделку успешно, укажите сумму.", "To mark the deal won, give its amount."
)
_LOST_REASON = Text(
    "Чтобы закрыть сделку как проигранную, укажите причину.",
    "To mark the deal lost, give the reason.",
)


def unknown_required_fields(names: Iterable[str]) -> list[str]:
    return [name for name in names if name not in REQUIRABLE_FIELDS]


def missing_for_stage(
    stage_name: str, kind: StageKind, required: Iterable[str], values: Mapping[str, object]
) -> list[FieldError]:
    """Every field the deal lacks to enter the stage, all at once, in a stable order."""
    errors: list[FieldError] = []
    wanted = list(dict.fromkeys(required))
    for name in wanted:
        if values.get(name) in (None, ""):
            label = REQUIRABLE_FIELDS[name]
            errors.append(
                FieldError(
                    name,
                    "required_by_stage",
                    Text(
                        _MISSING.ru.format(stage=stage_name, label=label.ru),
                        _MISSING.en.format(stage=stage_name, label=label.en),
                    ),
                )
            )
    if kind is StageKind.WON and "amount" not in wanted and values.get("amount") is None:
        errors.append(FieldError("amount", "required_to_win", _WON_AMOUNT))
    if kind is StageKind.LOST and values.get("loss_reason_id") is None:
        errors.append(FieldError("loss_reason_id", "required_to_lose", _LOST_REASON))
    return errors
