"""Message templates: the variables they may use, checking them at save, rendering them.

Templates are Jinja2 run in a sandbox (`jinja2.sandbox.SandboxedEnvironment`): an admin writes
them, a template can reach only the values given to it and never Python internals. Undefined
names fail (`StrictUndefined`) instead of rendering as nothing. HTML channels (Telegram HTML and
the email HTML part) autoescape the values, so a client named `<b>` shows as written; plain-text
channels and subjects do not.

A WhatsApp Content template's variables are Jinja2 *expressions* over the same values
(`client.first_name or "клиент"`), checked and rendered here too (`check_expression`,
`render_expression`).

`VARIABLES` is the one place that says which variables exist: the checks at save, the context
built for rendering (models/ops/templates.py) and docs/messaging.md follow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.environment import TemplateExpression
from jinja2.parser import Parser
from jinja2.sandbox import SandboxedEnvironment

from models.entities.enums import Channel, OrderStatus
from models.text import Text

# namespace → its fields. Every field is a string ("" when the thing is unknown or absent).
VARIABLES: dict[str, tuple[str, ...]] = {
    "client": ("first_name", "last_name", "middle_name", "full_name", "position"),
    "company": ("name", "legal_name", "inn", "phone", "email", "website"),
    "deal": ("title", "amount", "currency", "deadline"),
    "order": ("number", "status", "status_label", "amount", "currency"),
    "manager": ("full_name", "email", "phone"),
}

# Channels whose body is HTML: values are escaped there.
HTML_CHANNELS = frozenset({Channel.TELEGRAM, Channel.EMAIL})

ORDER_STATUS_LABELS: dict[OrderStatus, Text] = {
    OrderStatus.NEW: Text("новый", "new"),
    OrderStatus.CONFIRMED: Text("подтверждён", "confirmed"),
    OrderStatus.PAID: Text("оплачен", "paid"),
    OrderStatus.SHIPPED: Text("отправлен", "shipped"),
    OrderStatus.DELIVERED: Text("доставлен", "delivered"),
    OrderStatus.COMPLETED: Text("выполнен", "completed"),
    OrderStatus.CANCELLED: Text("отменён", "cancelled"),
}

_SYNTAX = Text("Строка {line}: ошибка в шаблоне: {error}", "Line {line}: template error: {error}")
_UNKNOWN = Text(
    "Строка {line}: неизвестная переменная «{name}». Доступны: {known}.",
    "Line {line}: unknown variable “{name}”. Available: {known}.",
)


def _environment(autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_HTML = _environment(autoescape=True)
_TEXT = _environment(autoescape=False)


def environment(html: bool) -> SandboxedEnvironment:
    return _HTML if html else _TEXT


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """What is wrong with a template text: `code` is template_syntax or unknown_variable."""

    code: str
    line: int
    message: Text


def known_names() -> list[str]:
    return [f"{ns}.{name}" for ns, names in VARIABLES.items() for name in names]


def _unknown(name: str, line: int) -> TemplateProblem:
    known = ", ".join(known_names())
    return TemplateProblem(
        "unknown_variable", line, _UNKNOWN.format(line=line, name=name, known=known)
    )


def _syntax_problem(error: TemplateSyntaxError) -> TemplateProblem:
    line = error.lineno or 1
    return TemplateProblem("template_syntax", line, _SYNTAX.format(line=line, error=error.message))


def check_template(source: str) -> list[TemplateProblem]:
    """Syntax errors and variables not in VARIABLES, each with its line; [] when it is fine."""
    try:
        tree = _TEXT.parse(source)
    except TemplateSyntaxError as error:
        return [_syntax_problem(error)]
    return _variable_problems(tree)


def _parse_expression(source: str) -> nodes.Expr:
    """One expression and nothing after it, as `Environment.compile_expression` parses it."""
    parser = Parser(_TEXT, source, state="variable")
    expression = parser.parse_expression()
    if not parser.stream.eos:
        current = parser.stream.current
        raise TemplateSyntaxError(
            f"unexpected {current.value!r} after the expression", current.lineno
        )
    return expression


def check_expression(source: str) -> list[TemplateProblem]:
    """`check_template` for a single expression (a Content template variable)."""
    try:
        expression = _parse_expression(source)
    except TemplateSyntaxError as error:
        return [_syntax_problem(error)]
    tree = nodes.Template([nodes.Output([expression], lineno=1)], lineno=1)
    tree.set_environment(_TEXT)
    return _variable_problems(tree)


def _variable_problems(tree: nodes.Template) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    seen: set[str] = set()
    undeclared = meta.find_undeclared_variables(tree)

    def report(name: str, line: int) -> None:
        if name not in seen:
            seen.add(name)
            problems.append(_unknown(name, line))

    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name in undeclared and node.name not in VARIABLES:
                report(node.name, node.lineno)
            continue
        assert isinstance(node, nodes.Getattr | nodes.Getitem)
        target = node.node
        if not (isinstance(target, nodes.Name) and target.name in VARIABLES):
            continue
        if target.name not in undeclared:
            continue  # a local of the template shadows the namespace
        if isinstance(node, nodes.Getattr):
            field: object = node.attr
        elif isinstance(node.arg, nodes.Const):
            field = node.arg.value
        else:
            continue  # a computed key: the sandbox and StrictUndefined catch it at render
        if field not in VARIABLES[target.name]:
            report(f"{target.name}.{field}", node.lineno)
    problems.sort(key=lambda p: p.line)
    return problems


class RenderFailed(Exception):
    """A template could not be rendered with the values given (the reason is in English)."""


@lru_cache(maxsize=1024)
def _compiled(source: str, html: bool) -> Template:
    """Compiling a template costs milliseconds and rendering microseconds: a campaign renders
    the same few texts for every client, so each text is compiled once per process."""
    return environment(html).from_string(source)


def render(source: str, context: Mapping[str, Mapping[str, str]], *, html: bool) -> str:
    if not source:
        return ""
    try:
        return _compiled(source, html).render(**context).strip()
    except TemplateError as error:
        raise RenderFailed(str(error)) from error


@lru_cache(maxsize=1024)
def _compiled_expression(source: str) -> TemplateExpression:
    return _TEXT.compile_expression(source, undefined_to_none=False)


def render_expression(source: str, context: Mapping[str, Mapping[str, str]]) -> str:
    """An expression's value as one line of text: runs of whitespace (newlines, tabs) become one
    space, since WhatsApp refuses template values with newlines, tabs or long runs of spaces.
    Raises RenderFailed."""
    try:
        value = _compiled_expression(source)(**context)
        text = "" if value is None else str(value)
    except TemplateError as error:
        raise RenderFailed(str(error)) from error
    return " ".join(text.split())


def empty_context() -> dict[str, dict[str, str]]:
    """Every variable, blank: a template renders with it (and previews show the blanks)."""
    return {ns: dict.fromkeys(names, "") for ns, names in VARIABLES.items()}


def format_amount(amount: Decimal | None, language: str) -> str:
    """15000.5 → "15 000,50" in Russian (no-break spaces), "15,000.50" in English."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}"
    if language == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")
