"""The feeder job tops up every running campaign in chunks, up to its backlog, and leaves
paused ones alone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.channels import use_channels
from models.entities import Campaign, CampaignState, Channel, OutboundMessage
from models.ops.campaigns import (
    BACKLOG,
    create_campaign,
    pause_campaign,
    start_campaign,
)
from models.ops.templates import install_default_templates
from schedulers.campaigns import CHUNK, feed_campaigns
from tests.factories import make_contact, make_org, unique


@pytest.fixture(autouse=True)
def email_configured() -> Iterator[None]:
    with use_channels({Channel.EMAIL}):
        yield


async def test_each_running_campaign_is_fed_up_to_its_backlog(db: str) -> None:
    await install_default_templates()
    org = await make_org()
    for _ in range(2 * CHUNK + 5):
        await make_contact(org.manager, emails=[f"{unique('c')}@example.ru"])
    await make_contact(org.stranger, emails=[f"{unique('s')}@example.ru"])
    campaigns = []
    for actor in (org.head, org.south_head, org.admin):
        draft = await create_campaign(actor, {"name": "Весна", "purpose": "thanks_after_call"})
        campaigns.append(await start_campaign(actor, draft.id, 1))
    north, south, everyone = campaigns
    await pause_campaign(org.admin, everyone.id, everyone.version)

    fed = await feed_campaigns()

    assert fed == north.total + south.total == 2 * CHUNK + 6
    assert north.total < BACKLOG
    for campaign, expected in ((north, north.total), (south, 1), (everyone, 0)):
        assert await OutboundMessage.filter(campaign_id=campaign.id).count() == expected
    assert await feed_campaigns() == 0
    assert (await Campaign.get(id=everyone.id)).state == CampaignState.PAUSED
