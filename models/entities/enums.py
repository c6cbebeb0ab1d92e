"""Closed sets of values stored in the database. Their values are part of the API contract."""

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    HEAD = "head"
    MANAGER = "manager"


class OfficeKind(StrEnum):
    COMPANY = "company"
    BRANCH = "branch"
    DEPARTMENT = "department"


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LeadStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    CONVERTED = "converted"
    REJECTED = "rejected"


class InteractionKind(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    VISIT = "visit"
    EMAIL = "email"
    MESSAGE = "message"
    NOTE = "note"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class OrderStatus(StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"


class ConsentPurpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"


class MessageState(StrEnum):
    """Where an outbound message is: queued → sending → sent → delivered → read, or failed (with
    a next attempt planned, or for good), dead (attempts exhausted) or cancelled."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"


class CampaignState(StrEnum):
    """draft → running ⇄ paused → done, or cancelled from any state before done."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class RecipientState(StrEnum):
    """A campaign recipient: pending until fed into the outbox, then queued (its message tells
    the rest), or cancelled with its campaign."""

    PENDING = "pending"
    QUEUED = "queued"
    CANCELLED = "cancelled"


class RuleEntity(StrEnum):
    """The kinds of record an automation rule watches."""

    DEAL = "deal"
    LEAD = "lead"
    CONTACT = "contact"
    TASK = "task"
    ORDER = "order"


class RunOutcome(StrEnum):
    """What a rule run came to: ok, failed (a retry planned while `next_attempt_at` is set),
    skipped (nothing to do, or stopped by the loop guard), dead (attempts exhausted)."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    DEAD = "dead"


class DeliveryState(StrEnum):
    """A webhook call: queued → sending → sent, or failed (retry planned) → … → dead."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"


class KpiMetric(StrEnum):
    """What a KPI counts. Revenue is the sum of won deals' amounts in minor units."""

    INTERACTIONS = "interactions"
    CALLS = "calls"
    MEETINGS = "meetings"
    VISITS = "visits"
    NEW_DEALS = "new_deals"
    DEALS_WON = "deals_won"
    REVENUE = "revenue"


class KpiMode(StrEnum):
    """How thresholds read: `pace` compares the share of the plan achieved with the share of the
    period elapsed (percent), `minimum` compares the value with an absolute minimum for the whole
    period, prorated by the share elapsed."""

    PACE = "pace"
    MINIMUM = "minimum"


class KpiSubject(StrEnum):
    USER = "user"
    OFFICE = "office"


class KpiLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"


class KpiRecipient(StrEnum):
    """Who a breach notifies, or gets the task: the user measured, their head, both, nobody."""

    USER = "user"
    HEAD = "head"
    BOTH = "both"
    NONE = "none"
