"""Tortoise ORM entities: the tables. Operations live in models.ops, rules in models.rules."""

from models.entities.audit import AuditEntry
from models.entities.auth import (
    Device,
    IdempotencyRecord,
    LoginFailure,
    PersonalAccessToken,
    RefreshToken,
    Session,
    TelegramLinkToken,
)
from models.entities.clients import (
    ChannelIdentity,
    Company,
    Consent,
    Contact,
    ContactEmail,
    ContactPhone,
    Segment,
    Source,
)
from models.entities.enums import (
    Channel,
    ConsentPurpose,
    Direction,
    InteractionKind,
    LeadStatus,
    MessageState,
    OfficeKind,
    OrderStatus,
    Role,
    StageKind,
    TaskStatus,
)
from models.entities.messaging import OutboundMessage, Template
from models.entities.org import Absence, Office, Plan, User
from models.entities.sales import (
    Deal,
    Lead,
    LossReason,
    Order,
    OrderStatusChange,
    Pipeline,
    Stage,
    StageTransition,
)
from models.entities.scheduling import SchedulerLease
from models.entities.search import SearchEntry
from models.entities.telegram import TelegramSubscriptionToken, TelegramUpdate
from models.entities.work import Attachment, Interaction, Task

__all__ = [
    "Absence",
    "Attachment",
    "AuditEntry",
    "Channel",
    "ChannelIdentity",
    "Company",
    "Consent",
    "ConsentPurpose",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "Deal",
    "Device",
    "Direction",
    "IdempotencyRecord",
    "Interaction",
    "InteractionKind",
    "Lead",
    "LeadStatus",
    "LoginFailure",
    "LossReason",
    "MessageState",
    "Office",
    "OfficeKind",
    "Order",
    "OrderStatus",
    "OrderStatusChange",
    "OutboundMessage",
    "PersonalAccessToken",
    "Pipeline",
    "Plan",
    "RefreshToken",
    "Role",
    "SchedulerLease",
    "SearchEntry",
    "Segment",
    "Session",
    "Source",
    "Stage",
    "StageKind",
    "StageTransition",
    "Task",
    "TaskStatus",
    "TelegramLinkToken",
    "TelegramSubscriptionToken",
    "TelegramUpdate",
    "Template",
    "User",
]
