from models.entities import StageKind
from models.rules.stages import REQUIRABLE_FIELDS, missing_for_stage, unknown_required_fields
from tests.models.expect import assert_bilingual


def missing(kind: StageKind, required: list[str], **values: object) -> list[tuple[str, str]]:
    errors = missing_for_stage("КП", kind, required, values)
    for error in errors:
        assert_bilingual(error)
    return [(e.field, e.code) for e in errors]


def test_every_missing_field_is_listed_at_once_in_the_stage_order() -> None:
    required = ["deadline", "amount", "contact_id", "company_id", "source_id"]
    assert missing(StageKind.OPEN, required) == [(name, "required_by_stage") for name in required]


def test_filled_fields_are_not_listed_and_blank_text_counts_as_missing() -> None:
    required = ["amount", "contact_id", "company_id"]
    assert missing(StageKind.OPEN, required, amount=0, contact_id=7, company_id="") == [
        ("company_id", "required_by_stage")
    ]


def test_a_field_required_twice_is_reported_once() -> None:
    assert missing(StageKind.OPEN, ["amount", "amount"]) == [("amount", "required_by_stage")]


def test_message_names_the_stage_and_the_field_in_both_languages() -> None:
    (error,) = missing_for_stage("Договор", StageKind.OPEN, ["deadline"], {})
    assert "Договор" in error.message.ru
    assert "срок" in error.message.ru
    assert "Договор" in error.message.en
    assert "deadline" in error.message.en


def test_nothing_missing() -> None:
    assert missing(StageKind.OPEN, []) == []
    assert missing(StageKind.WON, [], amount=100) == []
    assert missing(StageKind.LOST, [], loss_reason_id=1) == []


def test_won_needs_an_amount() -> None:
    assert missing(StageKind.WON, []) == [("amount", "required_to_win")]
    assert missing(StageKind.WON, ["contact_id"]) == [
        ("contact_id", "required_by_stage"),
        ("amount", "required_to_win"),
    ]


def test_won_stage_requiring_amount_reports_it_once() -> None:
    assert missing(StageKind.WON, ["amount"]) == [("amount", "required_by_stage")]


def test_lost_needs_a_loss_reason_but_no_amount() -> None:
    assert missing(StageKind.LOST, []) == [("loss_reason_id", "required_to_lose")]
    assert missing(StageKind.LOST, ["deadline"]) == [
        ("deadline", "required_by_stage"),
        ("loss_reason_id", "required_to_lose"),
    ]


def test_open_stage_needs_neither_amount_nor_reason() -> None:
    assert missing(StageKind.OPEN, []) == []


def test_unknown_required_fields() -> None:
    assert unknown_required_fields(["amount", "colour", "deadline", "title"]) == ["colour", "title"]
    assert unknown_required_fields(REQUIRABLE_FIELDS) == []
