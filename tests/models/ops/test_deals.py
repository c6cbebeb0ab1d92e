from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from models.clock import FrozenClock
from models.entities import AuditEntry, Deal, Pipeline, StageTransition
from models.errors import NotFound, PreconditionFailed, ValidationFailed
from models.ops.deals import create_deal, lose_deal, move_deal_to_stage, update_deal, win_deal
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_loss_reason,
    make_pipeline,
    make_source,
    stage_named,
)
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")


async def history(deal: Deal) -> list[tuple[str, str | None, datetime, datetime | None]]:
    rows = (
        await StageTransition.filter(deal_id=deal.id)
        .order_by("id")
        .select_related("stage", "from_stage")
    )
    return [
        (r.stage.name, r.from_stage.name if r.from_stage else None, r.entered_at, r.left_at)
        for r in rows
    ]


class TestCreate:
    async def test_a_new_deal_enters_the_first_stage_of_the_default_pipeline(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        deal = await create_deal(org.deep, {"title": "Поставка", "amount": "1 500,50"})
        stored = await Deal.get(id=deal.id)
        assert stored.pipeline_id == pipeline.id
        assert stored.stage_id == (await stage_named(pipeline, "Новая")).id
        assert (stored.amount, stored.amount_minor, stored.currency) == (
            Decimal("1500.50"),
            150050,
            "RUB",
        )
        assert (stored.owner_id, stored.office_id) == (org.deep.user_id, org.department.id)
        assert (stored.stage_entered_at, stored.closed_at, stored.version) == (T0, None, 1)
        assert await history(deal) == [("Новая", None, T0, None)]

    async def test_a_named_pipeline_and_stage(self, org: Org, pipeline: Pipeline) -> None:
        other = await make_pipeline("Тендеры", is_default=False)
        deal = await make_deal(org.manager, pipeline_id=other.id)
        assert (deal.pipeline_id, deal.stage_id) == (
            other.id,
            (await stage_named(other, "Новая")).id,
        )
        work = await stage_named(pipeline, "В работе")
        assert (await make_deal(org.manager, stage_id=work.id)).stage_id == work.id

    async def test_a_stage_of_another_pipeline_is_refused(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        other = await make_pipeline("Тендеры", is_default=False)
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(
                org.manager,
                pipeline_id=pipeline.id,
                stage_id=(await stage_named(other, "Новая")).id,
            )
        assert error_codes(raised.value) == {"stage_id": "wrong_pipeline"}

    async def test_no_pipeline_at_all(self, org: Org) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(org.manager)
        assert error_codes(raised.value) == {"pipeline_id": "not_found"}

    async def test_entering_a_stage_needs_its_fields_all_listed_at_once(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        offer = await stage_named(pipeline, "КП отправлено")
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(org.manager, stage_id=offer.id)
        assert error_codes(raised.value) == {
            "amount": "required_by_stage",
            "contact_id": "required_by_stage",
        }
        assert "КП отправлено" in raised.value.errors[0].message.ru
        contact = await make_contact(org.manager)
        deal = await make_deal(org.manager, stage_id=offer.id, amount=10, contact_id=contact.id)
        assert deal.stage_id == offer.id

    async def test_created_won_is_closed_at_once(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        won = await stage_named(pipeline, "Успешно")
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(org.manager, stage_id=won.id)
        assert error_codes(raised.value) == {"amount": "required_to_win"}
        deal = await make_deal(org.manager, stage_id=won.id, amount=100)
        assert deal.closed_at == T0

    async def test_every_bad_value_is_named(self, org: Org, pipeline: Pipeline) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await create_deal(
                org.manager,
                {
                    "title": "",
                    "amount": "-5",
                    "deadline": datetime(2025, 5, 1),  # noqa: DTZ001
                    "source_id": 987654,
                    "probability": 50,
                },
            )
        assert error_codes(raised.value) == {
            "probability": "unknown_field",
            "title": "required",
            "amount": "negative",
            "source_id": "not_found",
            "deadline": "naive_datetime",
        }
        assert error_fields(raised.value)
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(org.manager, amount="10", currency="XXX")
        assert error_codes(raised.value) == {"currency": "unknown_currency"}
        assert not await Deal.exists()

    async def test_contacts_and_companies_out_of_sight_are_named(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        contact = await make_contact(org.colleague)
        company = await make_company(org.stranger)
        with pytest.raises(ValidationFailed) as raised:
            await make_deal(org.manager, contact_id=contact.id, company_id=company.id)
        assert error_codes(raised.value) == {"contact_id": "not_found", "company_id": "not_found"}
        deal = await make_deal(org.head, contact_id=contact.id, owner_id=org.colleague.user_id)
        assert deal.contact_id == contact.id

    async def test_currency_and_source(self, org: Org, pipeline: Pipeline) -> None:
        source = await make_source()
        deal = await make_deal(org.manager, amount="99.99", currency="usd", source_id=source.id)
        assert (deal.currency, deal.amount, deal.source_id) == ("USD", Decimal("99.99"), source.id)


class TestMove:
    async def test_a_move_closes_the_old_stay_and_opens_a_new_one(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        deal = await make_deal(org.manager)
        clock.advance(timedelta(days=2))
        work = await stage_named(pipeline, "В работе")
        moved = await move_deal_to_stage(org.manager, deal.id, work.id, version=1)
        t1 = T0 + timedelta(days=2)
        assert (moved.stage_id, moved.stage_entered_at, moved.version) == (work.id, t1, 2)
        clock.advance(timedelta(hours=3))
        t2 = t1 + timedelta(hours=3)
        contact = await make_contact(org.manager)
        offer = await stage_named(pipeline, "КП отправлено")
        await move_deal_to_stage(
            org.manager,
            deal.id,
            offer.id,
            version=2,
            values={"amount": "250000", "contact_id": contact.id},
        )
        assert await history(deal) == [
            ("Новая", None, T0, t1),
            ("В работе", "Новая", t1, t2),
            ("КП отправлено", "В работе", t2, None),
        ]
        stored = await Deal.get(id=deal.id)
        assert (stored.amount, stored.contact_id, stored.stage_entered_at) == (
            Decimal("250000"),
            contact.id,
            t2,
        )
        assert await StageTransition.filter(deal_id=deal.id, left_at__isnull=True).count() == 1
        by = await StageTransition.filter(deal_id=deal.id).values_list("by_id", flat=True)
        assert set(by) == {org.manager.user_id}

    async def test_required_fields_are_listed_all_at_once(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        deal = await make_deal(org.manager)
        offer = await stage_named(pipeline, "КП отправлено")
        with pytest.raises(ValidationFailed) as raised:
            await move_deal_to_stage(org.manager, deal.id, offer.id, version=1)
        assert error_fields(raised.value) == ["amount", "contact_id"]
        with pytest.raises(ValidationFailed) as raised:
            await move_deal_to_stage(
                org.manager, deal.id, offer.id, version=1, values={"amount": 5}
            )
        assert error_fields(raised.value) == ["contact_id"]
        assert await history(deal) == [("Новая", None, deal.stage_entered_at, None)]
        assert (await Deal.get(id=deal.id)).amount_minor is None

    async def test_fields_already_on_the_deal_count(self, org: Org, pipeline: Pipeline) -> None:
        contact = await make_contact(org.manager)
        deal = await make_deal(org.manager, amount=1, contact_id=contact.id)
        offer = await stage_named(pipeline, "КП отправлено")
        assert (await move_deal_to_stage(org.manager, deal.id, offer.id, version=1)).stage_id == (
            offer.id
        )

    async def test_won_needs_an_amount_and_closes_the_deal(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        deal = await make_deal(org.manager)
        with pytest.raises(ValidationFailed) as raised:
            await win_deal(org.manager, deal.id, version=1)
        assert error_codes(raised.value) == {"amount": "required_to_win"}
        assert (await Deal.get(id=deal.id)).closed_at is None
        clock.advance(timedelta(days=1))
        won = await win_deal(org.manager, deal.id, version=1, values={"amount": "1 000"})
        assert (won.amount, won.closed_at) == (Decimal("1000"), T0 + timedelta(days=1))
        assert won.stage_id == (await stage_named(pipeline, "Успешно")).id

    async def test_lost_needs_a_known_loss_reason(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        deal = await make_deal(org.manager)
        with pytest.raises(ValidationFailed) as raised:
            await lose_deal(org.manager, deal.id, version=1, loss_reason_id=None)
        assert error_codes(raised.value) == {"loss_reason_id": "required_to_lose"}
        with pytest.raises(ValidationFailed) as raised:
            await lose_deal(org.manager, deal.id, version=1, loss_reason_id=31337)
        assert error_codes(raised.value) == {"loss_reason_id": "not_found"}
        reason = await make_loss_reason()
        lost = await lose_deal(
            org.manager, deal.id, version=1, loss_reason_id=reason.id, comment=" ушли к другим "
        )
        stored = await Deal.get(id=deal.id)
        assert (stored.loss_reason_id, stored.loss_comment, stored.closed_at) == (
            reason.id,
            "ушли к другим",
            T0,
        )
        assert lost.stage_id == (await stage_named(pipeline, "Проиграна")).id

    async def test_reopening_clears_closed_at_and_the_loss(
        self, org: Org, pipeline: Pipeline, clock: FrozenClock
    ) -> None:
        deal = await make_deal(org.manager)
        reason = await make_loss_reason()
        await lose_deal(org.manager, deal.id, version=1, loss_reason_id=reason.id, comment="нет")
        clock.advance(timedelta(days=7))
        work = await stage_named(pipeline, "В работе")
        await move_deal_to_stage(org.manager, deal.id, work.id, version=2)
        stored = await Deal.get(id=deal.id)
        assert (stored.closed_at, stored.loss_reason_id, stored.loss_comment) == (None, None, "")
        assert [h[0] for h in await history(deal)] == ["Новая", "Проиграна", "В работе"]

    async def test_a_stage_of_another_pipeline_is_refused(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        other = await make_pipeline("Тендеры", is_default=False)
        deal = await make_deal(org.manager)
        foreign = await stage_named(other, "В работе")
        with pytest.raises(ValidationFailed) as raised:
            await move_deal_to_stage(org.manager, deal.id, foreign.id, version=1)
        assert error_codes(raised.value) == {"stage_id": "wrong_pipeline"}
        with pytest.raises(ValidationFailed) as raised:
            await move_deal_to_stage(org.manager, deal.id, foreign.id + 1000, version=1)
        assert error_codes(raised.value) == {"stage_id": "not_found"}

    async def test_staying_in_place_writes_no_history(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager)
        same = await move_deal_to_stage(org.manager, deal.id, deal.stage_id, version=1)
        assert same.version == 1
        assert await StageTransition.filter(deal_id=deal.id).count() == 1

    async def test_a_stale_move_changes_nothing(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager)
        work = await stage_named(pipeline, "В работе")
        await update_deal(org.manager, deal.id, {"title": "Переименована"}, version=1)
        with pytest.raises(PreconditionFailed):
            await move_deal_to_stage(org.manager, deal.id, work.id, version=1)
        stored = await Deal.get(id=deal.id)
        assert (stored.stage_id, stored.version) == (deal.stage_id, 2)
        assert await StageTransition.filter(deal_id=deal.id).count() == 1
        assert not await AuditEntry.filter(entity="deal", action="move").exists()

    async def test_moves_are_audited(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager)
        work = await stage_named(pipeline, "В работе")
        await move_deal_to_stage(org.manager, deal.id, work.id, version=1)
        rows = await AuditEntry.filter(entity="deal", entity_id=deal.id, action="move")
        assert [(r.field, r.old_value, r.new_value, r.actor_id) for r in rows] == [
            ("stage_id", str(deal.stage_id), str(work.id), org.manager.user_id)
        ]


class TestVisibility:
    async def test_a_deal_out_of_sight_cannot_be_touched(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        deal = await make_deal(org.stranger)
        work = await stage_named(pipeline, "В работе")
        reason = await make_loss_reason()
        for actor in (org.manager, org.head):
            with pytest.raises(NotFound):
                await update_deal(actor, deal.id, {"title": "x"}, version=1)
            with pytest.raises(NotFound):
                await move_deal_to_stage(actor, deal.id, work.id, version=1)
            with pytest.raises(NotFound):
                await win_deal(actor, deal.id, version=1, values={"amount": 1})
            with pytest.raises(NotFound):
                await lose_deal(actor, deal.id, version=1, loss_reason_id=reason.id)
        stored = await Deal.get(id=deal.id)
        assert (stored.title, stored.version, stored.stage_id) == (deal.title, 1, deal.stage_id)
        await move_deal_to_stage(org.south_head, deal.id, work.id, version=1)

    async def test_linking_an_invisible_contact_on_update_is_named(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        deal = await make_deal(org.manager)
        theirs = await make_contact(org.stranger)
        with pytest.raises(ValidationFailed) as raised:
            await update_deal(org.manager, deal.id, {"contact_id": theirs.id}, version=1)
        assert error_codes(raised.value) == {"contact_id": "not_found"}
        offer = await stage_named(pipeline, "КП отправлено")
        with pytest.raises(ValidationFailed) as raised:
            await move_deal_to_stage(
                org.manager,
                deal.id,
                offer.id,
                version=1,
                values={"amount": 1, "contact_id": theirs.id},
            )
        assert error_codes(raised.value) == {"contact_id": "not_found"}


class TestUpdate:
    async def test_update_and_audit(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager, title="Старое", amount=100)
        await update_deal(org.manager, deal.id, {"title": "Новое", "amount": "150,5"}, version=1)
        stored = await Deal.get(id=deal.id)
        assert (stored.title, stored.amount, stored.version) == ("Новое", Decimal("150.50"), 2)
        rows = await AuditEntry.filter(entity="deal", entity_id=deal.id, action="update")
        assert {(r.field, r.old_value, r.new_value) for r in rows} == {
            ("title", "Старое", "Новое"),
            ("amount_minor", "10000", "15050"),
        }

    async def test_changing_the_currency_keeps_the_amount(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        deal = await make_deal(org.manager, amount="1500")
        await update_deal(org.manager, deal.id, {"currency": "usd"}, version=1)
        stored = await Deal.get(id=deal.id)
        assert (stored.currency, stored.amount) == ("USD", Decimal("1500"))
        with pytest.raises(ValidationFailed) as raised:
            await update_deal(org.manager, deal.id, {"currency": "ZZZ"}, version=2)
        assert error_codes(raised.value) == {"currency": "unknown_currency"}

    async def test_the_amount_can_be_cleared(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager, amount="1500")
        await update_deal(org.manager, deal.id, {"amount": None}, version=1)
        assert (await Deal.get(id=deal.id)).amount is None

    async def test_reassigning_moves_the_deal_to_the_owners_office(
        self, org: Org, pipeline: Pipeline
    ) -> None:
        deal = await make_deal(org.manager)
        with pytest.raises(ValidationFailed) as raised:
            await update_deal(org.manager, deal.id, {"owner_id": org.colleague.user_id}, version=1)
        assert error_codes(raised.value) == {"owner_id": "not_found"}
        await update_deal(org.head, deal.id, {"owner_id": org.deep.user_id}, version=1)
        stored = await Deal.get(id=deal.id)
        assert (stored.owner_id, stored.office_id) == (org.deep.user_id, org.department.id)

    async def test_stage_cannot_be_changed_by_update(self, org: Org, pipeline: Pipeline) -> None:
        deal = await make_deal(org.manager)
        work = await stage_named(pipeline, "В работе")
        with pytest.raises(ValidationFailed) as raised:
            await update_deal(
                org.manager, deal.id, {"stage_id": work.id, "closed_at": None}, version=1
            )
        assert error_codes(raised.value) == {
            "stage_id": "unknown_field",
            "closed_at": "unknown_field",
        }
