"""Template rules: checks at save name the line and the variable; rendering is sandboxed,
strict, and escapes values only in HTML channels; the shipped templates pass their own checks.
Content template variables are single expressions, checked and rendered the same way."""

from __future__ import annotations

import pytest

from models.entities import Channel, OrderStatus
from models.rules.default_templates import (
    CLIENT_CHANNELS,
    default_templates,
    order_status_purpose,
)
from models.rules.templates import (
    VARIABLES,
    RenderFailed,
    check_expression,
    check_template,
    empty_context,
    format_amount,
    render,
    render_expression,
)


def _problems(source: str) -> list[tuple[str, int]]:
    return [(p.code, p.line) for p in check_template(source)]


def test_a_template_with_known_variables_passes() -> None:
    source = (
        "Здравствуйте, {{ client.first_name }}!\n"
        "{% for x in ['a', 'b'] %}{{ x }}{% endfor %}\n"
        "{% set total = order.amount %}{{ total }} {{ order['number'] }} {{ manager.full_name }}"
    )
    assert check_template(source) == []


def test_a_syntax_error_names_its_line() -> None:
    problems = check_template("Строка один\n{% if client.first_name %}без конца")
    assert [(p.code, p.line) for p in problems] == [("template_syntax", 2)]
    assert "Строка 2" in problems[0].message.ru
    assert "Line 2" in problems[0].message.en


def test_unknown_variables_are_named_with_their_lines() -> None:
    problems = check_template("{{ client.frist_name }}\n\n{{ coupon }} {{ order['secret'] }}")
    assert [(p.code, p.line) for p in problems] == [
        ("unknown_variable", 1),
        ("unknown_variable", 3),
        ("unknown_variable", 3),
    ]
    named = " ".join(p.message.en for p in problems)
    assert "client.frist_name" in named
    assert "“coupon”" in named
    assert "order.secret" in named
    assert "client.first_name" in problems[0].message.ru  # says what is available


def test_internals_are_not_variables() -> None:
    assert _problems("{{ client.__class__ }}") == [("unknown_variable", 1)]


def test_the_sandbox_refuses_unsafe_access_at_render() -> None:
    with pytest.raises(RenderFailed):
        render("{{ ''.__class__.__mro__ }}", empty_context(), html=False)


def test_undefined_names_fail_instead_of_rendering_blank() -> None:
    with pytest.raises(RenderFailed):
        render("{{ nobody }}", empty_context(), html=False)


def test_values_are_escaped_in_html_only() -> None:
    context = empty_context()
    context["client"]["first_name"] = "<b>Tom & Jerry</b>"
    source = "Hi {{ client.first_name }}"
    assert render(source, context, html=True) == "Hi &lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"
    assert render(source, context, html=False) == "Hi <b>Tom & Jerry</b>"


def test_the_variable_schema_is_the_context() -> None:
    assert set(empty_context()) == set(VARIABLES)
    assert all(isinstance(v, str) for ns in empty_context().values() for v in ns.values())


def test_amounts_are_written_as_people_read_them() -> None:
    from decimal import Decimal

    assert format_amount(Decimal("15000.5"), "ru") == "15\u00a0000,50"
    assert format_amount(Decimal("15000.5"), "en") == "15,000.50"
    assert format_amount(None, "ru") == ""


def test_defaults_cover_every_status_channel_and_language() -> None:
    shipped = {(t.purpose, t.channel, t.language) for t in default_templates()}
    purposes = {order_status_purpose(s) for s in OrderStatus} | {
        "thanks_after_call",
        "proposal_sent",
        "appointment_reminder",
        "birthday_greeting",
    }
    assert shipped == {
        (p, c, lang) for p in purposes for c in CLIENT_CHANNELS for lang in ("ru", "en")
    }


@pytest.mark.parametrize(
    "template", default_templates(), ids=lambda t: f"{t.purpose}-{t.channel}-{t.language}"
)
def test_every_default_passes_the_checks_and_renders(template) -> None:  # type: ignore[no-untyped-def]
    for text in (template.subject, template.body, template.text_body):
        assert check_template(text) == []
    context = empty_context()
    context["client"]["first_name"] = "Иван"
    context["order"]["number"] = "A-1"
    body = render(
        template.body, context, html=template.channel in (Channel.TELEGRAM, Channel.EMAIL)
    )
    assert body.strip()
    if template.purpose.startswith("order_status."):
        assert "A-1" in body
    if template.channel is Channel.EMAIL:
        assert template.subject
        assert template.text_body
    if template.language == "ru":
        assert any("а" <= ch <= "я" for ch in body.lower())


def test_default_pushes_fit_a_phones_notification() -> None:
    """Long but real values: a phone shows a title of about 65 characters and a body of about
    178 (iOS, four lines) before cutting."""
    context = empty_context()
    context["client"]["first_name"] = "Константин"
    context["order"].update(number="ЗК-2026-000123", amount="1 250 000,00", currency="RUB")
    context["deal"]["title"] = "Поставка станков ЧПУ"
    context["manager"].update(full_name="Алексей Смирнов", phone="+79161234567")
    pushes = [t for t in default_templates() if t.channel is Channel.PUSH]
    assert len(pushes) == 22
    for template in pushes:
        title = render(template.subject, context, html=False)
        body = render(template.body, context, html=False)
        assert 0 < len(title) <= 65, title
        assert 0 < len(body) <= 178, body
        assert template.text_body == ""


@pytest.mark.parametrize(
    "source",
    [
        "client.first_name",
        "client.first_name or 'клиент'",
        "order.number ~ ' / ' ~ deal.title",
        "order['number'] | upper",
        "manager.full_name if manager.full_name else company.name",
    ],
)
def test_an_expression_over_known_variables_passes(source: str) -> None:
    assert check_expression(source) == []


@pytest.mark.parametrize(
    ("source", "code", "line"),
    [
        ("client.phone", "unknown_variable", 1),
        ("discount", "unknown_variable", 1),
        ("client.__class__", "unknown_variable", 1),
        ("order.number ~\n client.phone", "unknown_variable", 2),
        ("(client.first_name", "template_syntax", 1),
        ("client.first_name }}{{ order.number", "template_syntax", 1),
        ("{% if x %}", "template_syntax", 1),
        ("", "template_syntax", 1),
    ],
)
def test_an_expression_names_its_problem_and_line(source: str, code: str, line: int) -> None:
    [problem] = check_expression(source)
    assert (problem.code, problem.line) == (code, line)


def test_an_expression_renders_to_one_line_of_text_in_the_sandbox() -> None:
    context = empty_context()
    context["client"]["first_name"] = "Анна\nМария\t  Ёлкина"
    context["order"]["number"] = "З-1"
    assert render_expression("client.first_name", context) == "Анна Мария Ёлкина"
    assert render_expression("client.last_name or 'клиент'", context) == "клиент"
    assert render_expression("order.number ~ '/' ~ 7", context) == "З-1/7"
    assert render_expression("client.last_name", context) == ""
    for unsafe in ("client.__class__", "client.nope", "client.first_name.__class__"):
        with pytest.raises(RenderFailed):
            render_expression(unsafe, context)
