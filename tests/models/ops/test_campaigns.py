"""Campaigns: drafts are checked, the audience is counted with the runner's visibility, starting
fixes the recipients, the feeder keeps a small backlog in the outbox, pause, resume and cancel
act within a batch, consent is honoured and every recipient's result is visible."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from models.actor import Actor
from models.channels import DeliveryResult, use_channels
from models.clock import FrozenClock
from models.entities import (
    CampaignRecipient,
    CampaignState,
    Channel,
    Contact,
    MessageState,
    OutboundMessage,
    RecipientState,
    Segment,
)
from models.errors import Forbidden, NotFound, PreconditionFailed, ValidationFailed
from models.ops.campaigns import (
    campaign_progress,
    cancel_campaign,
    count_audience,
    create_campaign,
    feed_campaign,
    get_campaign,
    pause_campaign,
    resume_campaign,
    start_campaign,
    update_campaign,
)
from models.ops.consents import give_consent
from models.ops.outbox import claim_due, record_delivery
from models.ops.templates import install_default_templates
from tests.factories import Org, make_contact, unique
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db", "templates", "email_only")


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()


@pytest.fixture
def email_only() -> Iterator[None]:
    with use_channels({Channel.EMAIL, Channel.SMS}):
        yield


async def _clients(actor: Actor, count: int, **values: Any) -> list[Contact]:
    return [
        await make_contact(actor, emails=[f"{unique('c')}@example.ru"], **values)
        for _ in range(count)
    ]


async def _started(actor: Actor, **audience: Any) -> int:
    campaign = await create_campaign(
        actor, {"name": "Весна", "purpose": "thanks_after_call", "audience": audience}
    )
    started = await start_campaign(actor, campaign.id, campaign.version)
    return started.id


async def _send_all_queued() -> int:
    """The relay's part: every due message is delivered."""
    claimed = await claim_due(1000)
    for message in claimed:
        await record_delivery(message, DeliveryResult.sent(), max_attempts=5)
    return len(claimed)


async def test_a_draft_is_checked_and_only_heads_and_admins_run_campaigns(org: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await create_campaign(
            org.head,
            {"name": "", "purpose": "no_such_purpose", "audience": {"city": "Тула", "owner_id": 0}},
        )
    assert error_codes(refused.value) == {
        "name": "required",
        "purpose": "no_template",
        "audience.city": "unknown_field",
        "audience.owner_id": "invalid_id",
    }
    with pytest.raises(Forbidden):
        await create_campaign(org.manager, {"name": "Моя", "purpose": "thanks_after_call"})

    draft = await create_campaign(org.head, {"name": "Весна", "purpose": "thanks_after_call"})
    renamed = await update_campaign(org.head, draft.id, {"name": "Лето"}, expected_version=1)
    assert (renamed.name, renamed.version) == ("Лето", 2)
    with pytest.raises(PreconditionFailed):
        await update_campaign(org.head, draft.id, {"name": "Осень"}, expected_version=1)
    with pytest.raises(NotFound):  # another office's head does not see it
        await get_campaign(org.south_head, draft.id)


async def test_the_audience_is_counted_with_the_runners_visibility(org: Org) -> None:
    vip = await Segment.create(name="VIP")
    await _clients(org.manager, 2, segment_id=vip.id)
    await _clients(org.manager, 1)
    await _clients(org.stranger, 3, segment_id=vip.id)  # south

    north = await count_audience(
        org.head, {"purpose": "thanks_after_call", "audience": {"segment_id": vip.id}}
    )
    everyone = await count_audience(
        org.admin, {"purpose": "thanks_after_call", "audience": {"segment_id": vip.id}}
    )

    assert (north.total, north.marketing, north.consented) == (2, False, None)
    assert everyone.total == 5


async def test_each_recipient_gets_the_campaign_in_their_own_language(org: Org) -> None:
    [english] = await _clients(org.manager, 1, language="en")
    [unset] = await _clients(org.manager, 1)
    campaign_id = await _started(org.head)
    await feed_campaign(campaign_id, 10)
    sent = {
        m.contact_id: (m.language, m.subject)
        for m in await OutboundMessage.filter(campaign_id=campaign_id)
    }
    assert sent == {
        english.id: ("en", "Thank you for the call"),
        unset.id: ("ru", "Спасибо за разговор"),
    }


async def test_marketing_counts_and_honours_consent(org: Org) -> None:
    consenting, silent = await _clients(org.manager, 2)
    await give_consent(org.manager, consenting.id, "marketing", text_version="v1")

    counted = await count_audience(org.head, {"purpose": "birthday_greeting", "audience": {}})
    assert (counted.total, counted.marketing, counted.consented) == (2, True, 1)

    campaign = await create_campaign(org.head, {"name": "ДР", "purpose": "birthday_greeting"})
    await start_campaign(org.head, campaign.id, 1)
    await feed_campaign(campaign.id, 10)

    states = {
        m.contact_id: (m.state, m.last_error)
        for m in await OutboundMessage.filter(campaign_id=campaign.id)
    }
    assert states[consenting.id][0] == MessageState.QUEUED
    assert states[silent.id][0] == MessageState.CANCELLED
    assert "consent" in states[silent.id][1]


async def test_the_feeder_keeps_a_small_backlog_and_the_campaign_finishes(org: Org) -> None:
    clients = await _clients(org.manager, 5)
    campaign_id = await _started(org.head)
    campaign = await get_campaign(org.head, campaign_id)
    assert (campaign.state, campaign.total) == (CampaignState.RUNNING, 5)

    assert await feed_campaign(campaign_id, limit=10, backlog=2) == 2
    assert await feed_campaign(campaign_id, limit=10, backlog=2) == 0  # the relay is behind
    assert await _send_all_queued() == 2
    assert await feed_campaign(campaign_id, limit=1, backlog=2) == 1
    assert await feed_campaign(campaign_id, limit=10, backlog=2) == 1
    await _send_all_queued()
    assert await feed_campaign(campaign_id, limit=10, backlog=2) == 1
    await _send_all_queued()
    assert await feed_campaign(campaign_id, limit=10, backlog=2) == 0

    finished = await get_campaign(org.head, campaign_id)
    assert finished.state == CampaignState.DONE
    progress = await campaign_progress(finished)
    assert progress.recipients[RecipientState.QUEUED] == 5
    assert progress.messages[MessageState.SENT] == 5
    emails = {m.address for m in await OutboundMessage.filter(campaign_id=campaign_id)}
    assert len(emails) == len(clients) == 5


async def test_pause_stops_feeding_and_resume_goes_on(org: Org) -> None:
    await _clients(org.manager, 3)
    campaign_id = await _started(org.head)
    await feed_campaign(campaign_id, limit=1)

    paused = await pause_campaign(org.head, campaign_id, 2)
    assert await feed_campaign(campaign_id, limit=10) == 0
    with pytest.raises(ValidationFailed) as twice:
        await pause_campaign(org.head, campaign_id, paused.version)
    assert error_codes(twice.value) == {"state": "invalid_state"}

    await resume_campaign(org.head, campaign_id, paused.version)
    assert await feed_campaign(campaign_id, limit=10) == 2


async def test_cancel_withdraws_pending_recipients_and_queued_messages(org: Org) -> None:
    await _clients(org.manager, 4)
    campaign_id = await _started(org.head)
    await feed_campaign(campaign_id, limit=1)
    await _send_all_queued()
    await feed_campaign(campaign_id, limit=1)  # queued, not yet sent

    cancelled = await cancel_campaign(org.head, campaign_id, 2)

    assert cancelled.state == CampaignState.CANCELLED
    progress = await campaign_progress(cancelled)
    assert progress.recipients == {
        RecipientState.PENDING: 0,
        RecipientState.QUEUED: 2,
        RecipientState.CANCELLED: 2,
    }
    assert progress.messages[MessageState.SENT] == 1
    assert progress.messages[MessageState.CANCELLED] == 1
    assert await feed_campaign(campaign_id, limit=10) == 0
    assert await _send_all_queued() == 0


async def test_recipients_are_fixed_at_start(org: Org) -> None:
    await _clients(org.manager, 2)
    campaign_id = await _started(org.head)
    await _clients(org.manager, 1)  # arrives after the start

    assert await CampaignRecipient.filter(campaign_id=campaign_id).count() == 2
    with pytest.raises(ValidationFailed):
        await update_campaign(org.head, campaign_id, {"name": "Поздно"}, expected_version=2)


async def test_a_fallback_stays_in_the_campaign(org: Org) -> None:
    client = await make_contact(
        org.manager, emails=["gone@example.ru"], phones=["+79161234567"], force=True
    )
    await Contact.filter(id=client.id).update(preferred_channels=["email", "sms"])
    campaign_id = await _started(org.head)
    await feed_campaign(campaign_id, limit=10)

    (message,) = await claim_due(10)
    await record_delivery(message, DeliveryResult.permanent("no such mailbox"), max_attempts=5)

    channels = {m.channel: m.state for m in await OutboundMessage.filter(campaign_id=campaign_id)}
    assert channels == {Channel.EMAIL: MessageState.FAILED, Channel.SMS: MessageState.QUEUED}


async def test_a_campaign_is_done_only_when_its_retries_are_over(
    org: Org, clock: FrozenClock
) -> None:
    await _clients(org.manager, 1)
    campaign_id = await _started(org.head)
    await feed_campaign(campaign_id, limit=10)
    (message,) = await claim_due(10)
    await record_delivery(message, DeliveryResult.retry("SMTP 451"), max_attempts=5)

    assert await feed_campaign(campaign_id, limit=10) == 0
    assert (await get_campaign(org.head, campaign_id)).state == CampaignState.RUNNING

    clock.advance(timedelta(hours=1))
    assert await _send_all_queued() == 1
    await feed_campaign(campaign_id, limit=10)
    assert (await get_campaign(org.head, campaign_id)).state == CampaignState.DONE
