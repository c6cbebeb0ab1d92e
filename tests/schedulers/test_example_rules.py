"""The four rules of docs/examples/rules.yaml, applied as `voronka rules apply` applies them, over
a week of one office: the deal taken into work thanks its client by email with the proposal, the
new lead goes to the least-loaded manager, the deal stuck five days in «Переговоры» gets the head
a task, and the client's birthday is greeted through the preferred channel. Each once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from cli.rules import apply_rules
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Lead, OutboundMessage, RuleRun, RunOutcome, Task
from models.ops.consents import give_consent
from models.ops.deals import move_deal_to_stage
from models.ops.leads import create_lead
from models.ops.templates import install_default_templates
from schedulers.rules import fire_due_rules
from tests.factories import (
    SALES_STAGES,
    T0,
    make_contact,
    make_deal,
    make_org,
    make_pipeline,
    stage_named,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "rules.yaml"
pytestmark = pytest.mark.usefixtures("db")


async def test_the_four_example_rules_over_a_week() -> None:
    with use_clock(FrozenClock(T0)) as clock, use_channels({Channel.EMAIL, Channel.WHATSAPP}):
        org = await make_org()
        sales = await make_pipeline(stages=SALES_STAGES)
        await install_default_templates()
        assert len((await apply_rules(EXAMPLE, dry_run=False)).lines) == 4

        # Monday: a deal taken into work.
        client = await make_contact(org.manager, emails=["buyer@example.test"])
        deal = await make_deal(org.manager, contact_id=client.id, title="Окна ПВХ")
        async with in_transaction():
            await move_deal_to_stage(
                org.manager, deal.id, (await stage_named(sales, "В работе")).id, version=None
            )
        [thanks] = await OutboundMessage.filter(purpose="proposal_sent")
        assert (thanks.channel, thanks.address, thanks.contact_id) == (
            Channel.EMAIL,
            "buyer@example.test",
            client.id,
        )

        # A lead the head enters for the north office: the manager already has a deal.
        async with in_transaction():
            lead = await create_lead(org.head, {"title": "Заявка с сайта"})
        assert (await Lead.get(id=lead.id)).owner_id == org.colleague.user_id

        # The deal moves on to negotiations and stays there.
        async with in_transaction():
            await move_deal_to_stage(
                org.manager, deal.id, (await stage_named(sales, "Переговоры")).id, version=None
            )
        birthday_girl = await make_contact(
            org.colleague,
            first_name="Мария",
            birthday=date(1988, 3, 6),
            phones=["+79031234567"],
            emails=["maria@example.test"],
            preferred_channels=["whatsapp"],
        )
        await give_consent(org.colleague, birthday_girl.id, "marketing", text_version="v1")

        # The clock ticks every hour for a week.
        for _ in range(7 * 24):
            clock.advance(timedelta(hours=1))
            await fire_due_rules()

        [head_task] = await Task.filter(title="Сделка больше 5 дней в переговорах")
        assert (head_task.assignee_id, head_task.deal_id) == (org.head.user_id, deal.id)
        assert head_task.created_at == T0 + timedelta(days=5)  # the tick at the moment itself
        [greeting] = await OutboundMessage.filter(purpose="birthday_greeting")
        assert (greeting.contact_id, greeting.channel, greeting.address) == (
            birthday_girl.id,
            Channel.WHATSAPP,
            "+79031234567",
        )
        # 10:00 in Moscow on 6 March, seen by the first hourly tick after it.
        assert greeting.created_at == datetime(2025, 3, 6, 7, 0, tzinfo=UTC)
        outcomes = await RuleRun.filter(dry_run=False).values_list("outcome", flat=True)
        assert sorted(outcomes) == [RunOutcome.OK] * 4
