"""Importing orders and their status changes from a file that 1C or a web shop exports.

The order number is the key. A number the CRM does not know creates the order (`create_order`),
then moves it to the file's status when that is not `new`; a known number gets the file's amount
and status. Status changes go through `change_order_status`, so the history row, the audit and
the client's notification happen exactly as for the API and the bot; the same status again is
nothing, so importing the same file twice changes nothing and notifies nobody twice.

The known orders of the rows are loaded up front, so a row that changes nothing costs no query.
Each other row runs in its own savepoint: a refused row writes nothing and the other rows go on.
A dry run does the same work inside a transaction that is rolled back, so its report is the one
a real run would give. The edges call `import_orders` once per batch of `BATCH_ROWS` rows
(models.rules.order_import.batches), a transaction each. See ADR 0023.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from tortoise.transactions import in_transaction

from models.actor import Actor
from models.entities import Company, Contact, Order, OrderStatus, Role
from models.errors import (
    DomainError,
    FieldError,
    FieldErrors,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from models.ops.orders import change_order_amount, change_order_status, create_order
from models.ops.outbox import clients_quiet
from models.ops.sessions import find_user
from models.rules.money import parse_amount
from models.rules.order_import import NUMBER_LENGTH, ImportRow, OrderLine, check_line
from models.rules.orders import steps_to
from models.scope import assignable_user, visible
from models.text import Text

_NOT_FOUND = Text(
    "Заказ с этим номером не найден или нет доступа.",
    "No order with this number, or it is not accessible.",
)
_NO_CLIENT = {
    "phone": Text(
        "Нет клиента с этим телефоном (или нет доступа к нему). Добавьте контакт и повторите.",
        "No client has this phone (or you cannot see them). Add the contact and retry.",
    ),
    "email": Text(
        "Нет клиента с этой почтой (или нет доступа к нему). Добавьте контакт и повторите.",
        "No client has this email (or you cannot see them). Add the contact and retry.",
    ),
    "inn": Text(
        "Нет компании с этим ИНН (или нет доступа к ней). Добавьте компанию и повторите.",
        "No company has this INN (or you cannot see it). Add the company and retry.",
    ),
}
_AMBIGUOUS = {
    "phone": Text(
        "Этот телефон есть у нескольких клиентов: укажите ещё и почту.",
        "Several clients have this phone: give their email too.",
    ),
    "email": Text(
        "Эта почта есть у нескольких клиентов: укажите ещё и телефон.",
        "Several clients have this email: give their phone too.",
    ),
    "inn": Text(
        "Этот ИНН есть у нескольких компаний (филиалы с разными КПП): выберите в CRM.",
        "Several companies have this INN (branches with different KPPs): pick one in the CRM.",
    ),
}
_MISMATCH = Text(
    "Телефон и почта принадлежат разным клиентам.",
    "The phone and the email belong to different clients.",
)
_NO_OWNER = Text(
    "Нет такого активного сотрудника, которому вы можете поручить заказ.",
    "No such active colleague you may make the order's owner.",
)
_NUMBERS_PER_QUERY = 500  # when the known orders of the rows are loaded
# Rows per transaction at the edges (models.rules.order_import.batches): a large file never holds
# the database for long (on SQLite a transaction holds the write lock), and a crash leaves whole
# batches, which importing the same file again completes.
BATCH_ROWS = 100
# create_order names the references by their ids; the file names them by their columns.
_COLUMN_OF = {"owner_id": "owner", "contact_id": "phone", "company_id": "inn"}


class RowAction(StrEnum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What happened to one row. `status_changed` wins over an amount changed with it. A row of
    a dry run that would create an order has no `order_id`."""

    row: int
    number: str
    action: RowAction
    order_id: int | None = None
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportReport:
    rows: tuple[RowOutcome, ...]
    dry_run: bool

    def count(self, action: RowAction) -> int:
        return sum(1 for outcome in self.rows if outcome.action is action)

    @property
    def failed(self) -> int:
        return self.count(RowAction.ERROR)


def require_importer(actor: Actor) -> None:
    """Admins and heads of office import orders; a manager is refused outright. Edges call it
    before reading the file, so a manager learns nothing about the file's contents."""
    if not (actor.sees_everything or actor.role is Role.HEAD):
        raise Forbidden()


class _RolledBack(Exception):
    """Leaves the dry run's transaction, undoing everything it wrote."""


async def import_orders(
    actor: Actor, rows: Iterable[ImportRow], *, dry_run: bool, notify: bool = True
) -> ImportReport:
    """Create or update the orders of `rows`, each row in its own savepoint, in the caller's
    transaction. `dry_run`: the same, then rolled back. `notify=False`: no client hears of
    anything the import does, from the status notifications or the rules (loading past orders)."""
    require_importer(actor)
    if not notify:
        with clients_quiet():
            return await import_orders(actor, rows, dry_run=dry_run)
    rows = list(rows)
    importer = _Importer(actor)
    if not dry_run:
        await importer.load(rows)
        return ImportReport(tuple([await importer.row(row) for row in rows]), dry_run=False)
    outcomes: list[RowOutcome] = []
    try:
        async with in_transaction():
            await importer.load(rows)
            for row in rows:
                outcomes.append(await importer.row(row))
            raise _RolledBack
    except _RolledBack:
        pass
    return ImportReport(
        tuple(replace(o, order_id=None) if o.action is RowAction.CREATED else o for o in outcomes),
        dry_run=True,
    )


@dataclass(frozen=True, slots=True)
class _Change:
    """What a row changes in a known order; both None: nothing."""

    money: tuple[str, str] | None  # the amount as given and the currency
    status: OrderStatus | None


_NOTHING = _Change(None, None)


def _passed(current: OrderStatus, reported: OrderStatus) -> bool:
    """The file reports a status the order has already gone past here (a manager moved it on
    in the app before the other system caught up): the CRM is ahead, nothing to do."""
    return steps_to(current, reported) is None and steps_to(reported, current) is not None


# The columns read only when a row creates its order (the client, the company, the deal, the owner).
_CREATION_ONLY = frozenset({"phone", "email", "inn", "deal_id", "owner"})


class _Importer:
    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        # The known orders by number, as this import leaves them: loaded once for the file (a
        # daily export repeats mostly unchanged orders, which then cost no query at all).
        self.orders: dict[str, Order] = {}
        # Numbers of orders the actor may not see.
        self.hidden: set[str] = set()
        # Owners by login: a file names the same few people on thousands of rows.
        self.owners: dict[str, int | None] = {}

    async def load(self, rows: list[ImportRow]) -> None:
        given = {row.values.get("number", "").strip() for row in rows}
        # Only numbers an order can have (check_line refuses the others): a longer one fails
        # Tortoise's field check, a NUL PostgreSQL's, where a miss is meant.
        numbers = sorted(n for n in given if n and len(n) <= NUMBER_LENGTH and "\x00" not in n)
        for start in range(0, len(numbers), _NUMBERS_PER_QUERY):
            batch = numbers[start : start + _NUMBERS_PER_QUERY]
            for order in await visible(Order, self.actor).filter(number__in=batch):
                self.orders[order.number] = order
            existing: list[Any] = await Order.filter(number__in=batch).values_list(
                "number", flat=True
            )
            self.hidden.update(str(n) for n in existing if n not in self.orders)

    async def row(self, row: ImportRow) -> RowOutcome:
        errors = FieldErrors(list(row.problems))
        line = check_line(row.values, errors)
        known = self.orders.get(line.number)
        if known is not None:
            # A known order takes only its status and amount from the file: a malformed phone
            # in a column it does not read must not hold up its status every day.
            errors.items = [e for e in errors.items if e.field not in _CREATION_ONLY]
        change = self._change(known, line, errors) if known is not None else _NOTHING
        if not errors.items and line.number in self.hidden:
            # Someone else's order: told apart from a missing one by nothing.
            errors.add("number", "not_found", _NOT_FOUND)
        if errors.items:
            return RowOutcome(row.row, line.number, RowAction.ERROR, errors=tuple(errors.items))
        if known is not None and change == _NOTHING:
            return RowOutcome(row.row, line.number, RowAction.UNCHANGED, known.id)
        try:
            async with in_transaction():
                if known is None:
                    order, action = await self._create(line), RowAction.CREATED
                else:
                    order, action = await self._update(known, line, change)
        except ValidationFailed as refused:
            problems = tuple(
                replace(e, field=_COLUMN_OF.get(e.field, e.field)) for e in refused.errors
            )
            return RowOutcome(row.row, line.number, RowAction.ERROR, errors=problems)
        except DomainError as refused:
            # A stale version (someone changed the order meanwhile) or a reference that vanished.
            problem = FieldError("number", refused.code, refused.message)
            return RowOutcome(row.row, line.number, RowAction.ERROR, errors=(problem,))
        # Only now: a refused row leaves the order as it was before the row.
        self.orders[order.number] = order
        return RowOutcome(row.row, line.number, action, order.id)

    def _change(self, order: Order, line: OrderLine, errors: FieldErrors) -> _Change:
        money = None
        if line.amount is not None:
            currency = line.currency or order.currency
            amount_minor = parse_amount(line.amount, currency, errors)
            if (amount_minor, currency) != (order.amount_minor, order.currency):
                money = (line.amount, currency)
        status = line.status if line.status not in (None, order.status) else None
        if status is not None and _passed(OrderStatus(order.status), status):
            status = None
        return _Change(money, status)

    async def _update(
        self, order: Order, line: OrderLine, change: _Change
    ) -> tuple[Order, RowAction]:
        action = RowAction.UNCHANGED
        if change.money is not None:
            amount, currency = change.money
            order = await change_order_amount(
                self.actor, order.id, amount, currency, version=order.version
            )
            action = RowAction.UPDATED
        if change.status is not None:
            order = await self._move(order, change.status, line.comment)
            action = RowAction.STATUS_CHANGED
        return order, action

    async def _create(self, line: OrderLine) -> Order:
        errors = FieldErrors()
        values: dict[str, Any] = {
            "number": line.number,
            "currency": line.currency or "RUB",
            "deal_id": line.deal_id,
            "contact_id": await self._contact(line, errors),
            "company_id": await self._company(line.inn, errors),
        }
        if line.amount is not None:
            values["amount"] = line.amount
        if line.owner is not None:
            values["owner_id"] = await self._owner(line.owner, errors)
        errors.raise_if_any()
        order = await create_order(self.actor, values)
        if line.status is not None and line.status is not OrderStatus.NEW:
            order = await self._move(order, line.status, line.comment)
        return order

    async def _move(self, order: Order, target: OrderStatus, comment: str) -> Order:
        """Take the order to the file's status through the steps it skipped (confirmed →
        delivered goes through shipped), each with its history row and audit; the client hears
        of the last one only: nothing written during the steps reaches a client, a rule's
        message neither (`clients_quiet`). Where no steps lead, `change_order_status` refuses
        the move with its own words."""
        steps = steps_to(OrderStatus(order.status), target) or [target]
        with clients_quiet():
            for step in steps[:-1]:
                order = await change_order_status(self.actor, order.id, step, version=None)
        return await change_order_status(
            self.actor, order.id, target, version=None, comment=comment
        )

    async def _contact(self, line: OrderLine, errors: FieldErrors) -> int | None:
        found: dict[str, int] = {}
        for name, lookup, value in (
            ("phone", "phones__number", line.phone),
            ("email", "emails__email", line.email),
        ):
            if value is None:
                continue
            query = visible(Contact, self.actor).filter(**{lookup: value})
            ids = await _ids(query.values_list("id", flat=True))
            if not ids:
                errors.add(name, "not_found", _NO_CLIENT[name])
            elif len(ids) > 1:
                errors.add(name, "ambiguous", _AMBIGUOUS[name])
            else:
                found[name] = ids.pop()
        if len(set(found.values())) > 1:
            errors.add("email", "client_mismatch", _MISMATCH)
            return None
        return next(iter(found.values()), None)

    async def _company(self, inn: str | None, errors: FieldErrors) -> int | None:
        if inn is None:
            return None
        ids = await _ids(visible(Company, self.actor).filter(inn=inn).values_list("id", flat=True))
        if not ids:
            errors.add("inn", "not_found", _NO_CLIENT["inn"])
            return None
        if len(ids) > 1:
            errors.add("inn", "ambiguous", _AMBIGUOUS["inn"])
            return None
        return ids.pop()

    async def _owner(self, login: str, errors: FieldErrors) -> int | None:
        key = login.casefold()
        if key not in self.owners:
            user = await find_user(login)
            owner_id = None
            if user is not None:
                try:
                    owner_id = (await assignable_user(self.actor, user.id)).id
                except NotFound:
                    pass
            self.owners[key] = owner_id
        if self.owners[key] is None:
            errors.add("owner", "not_found", _NO_OWNER)
        return self.owners[key]


async def _ids(query: Any) -> set[int]:
    rows: list[Any] = await query
    return {int(i) for i in rows}
