"""Templates: admins save checked templates; defaults install once; a preview renders for a
contact."""

from __future__ import annotations

from typing import Any

import pytest

from models.entities import Channel, Contact, Template
from models.errors import Forbidden, PreconditionFailed, ValidationFailed
from models.ops.bootstrap import ensure_default_templates
from models.ops.templates import (
    create_template,
    delete_template,
    install_default_templates,
    preview_template,
    template_sms_length,
    update_template,
)
from models.rules.default_templates import default_templates
from tests.factories import Org, make_company, make_contact, make_order
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")


def _email(**values: Any) -> dict[str, Any]:
    return {
        "purpose": "proposal_sent",
        "channel": "email",
        "language": "ru",
        "subject": "Предложение для {{ company.name }}",
        "body": "<p>Здравствуйте, {{ client.first_name }}!</p>",
        "text_body": "Здравствуйте, {{ client.first_name }}!",
        **values,
    }


async def test_an_admin_saves_a_checked_template(org: Org) -> None:
    template = await create_template(org.admin, _email())
    assert template.version == 1
    assert template.channel == Channel.EMAIL
    assert template.is_active


async def test_managers_and_heads_may_not_touch_templates(org: Org) -> None:
    for actor in (org.manager, org.head):
        with pytest.raises(Forbidden):
            await create_template(actor, _email())


async def test_unknown_variables_and_syntax_errors_name_field_line_and_name(org: Org) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await create_template(
            org.admin,
            _email(
                subject="Заказ {{ order.numbr }}",
                body="<p>Привет</p>\n<p>{% if client.first_name %}</p>",
                text_body="Строка\n{{ discount }}",
            ),
        )
    assert error_fields(caught.value) == ["subject", "body", "text_body"]
    assert error_codes(caught.value) == {
        "subject": "unknown_variable",
        "body": "template_syntax",
        "text_body": "unknown_variable",
    }
    messages = {e.field: e.message for e in caught.value.errors}
    assert "order.numbr" in messages["subject"].ru
    assert "Строка 2" in messages["body"].ru
    assert "Line 2" in messages["body"].en
    assert "«discount»" in messages["text_body"].ru
    assert "Line 2" in messages["text_body"].en


async def test_required_fields_and_channel_rules(org: Org) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await create_template(org.admin, {"purpose": "Bad Purpose", "channel": "fax"})
    assert error_codes(caught.value) == {
        "purpose": "invalid_purpose",
        "channel": "invalid_choice",
        "language": "required",
        "body": "required",
    }
    with pytest.raises(ValidationFailed) as caught:
        await create_template(org.admin, _email(subject=""))
    assert error_codes(caught.value) == {"subject": "required"}
    with pytest.raises(ValidationFailed) as caught:
        await create_template(
            org.admin,
            _email(channel="sms", content_sid="HX" + "0" * 32, subject="Тема"),
        )
    assert error_codes(caught.value) == {
        "subject": "not_for_channel",
        "text_body": "not_for_channel",
        "content_sid": "not_for_channel",
    }
    whatsapp = await create_template(
        org.admin,
        {
            "purpose": "proposal_sent",
            "channel": "whatsapp",
            "language": "ru",
            "body": "КП отправлено",
            "content_sid": "HX" + "a" * 32,
        },
    )
    assert whatsapp.content_sid == "HX" + "a" * 32
    with pytest.raises(ValidationFailed) as caught:
        await update_template(org.admin, whatsapp.id, {"content_sid": "HX1"}, version=1)
    assert error_codes(caught.value) == {"content_sid": "invalid_content_sid"}


async def test_a_push_template_may_have_a_title_but_no_plain_text_part(org: Org) -> None:
    push = {"purpose": "order_status.shipped", "channel": "push", "language": "ru"}
    titled = await create_template(
        org.admin, {**push, "subject": "Заказ {{ order.number }}", "body": "Отправлен"}
    )
    assert titled.subject == "Заказ {{ order.number }}"
    untitled = await create_template(org.admin, {**push, "language": "en", "body": "Shipped"})
    assert untitled.subject == ""
    with pytest.raises(ValidationFailed) as caught:
        await update_template(org.admin, untitled.id, {"text_body": "Shipped"}, version=1)
    assert error_codes(caught.value) == {"text_body": "not_for_channel"}
    with pytest.raises(ValidationFailed) as caught:
        await update_template(org.admin, untitled.id, {"subject": "{{ order.numbr }}"}, version=1)
    assert error_codes(caught.value) == {"subject": "unknown_variable"}


async def test_one_template_per_purpose_channel_and_language(org: Org) -> None:
    await create_template(org.admin, _email())
    with pytest.raises(ValidationFailed) as caught:
        await create_template(org.admin, _email())
    assert error_codes(caught.value) == {"purpose": "taken"}
    english = await create_template(org.admin, _email(language="en"))
    with pytest.raises(ValidationFailed) as caught:
        await update_template(org.admin, english.id, {"language": "ru"}, version=1)
    assert error_codes(caught.value) == {"purpose": "taken"}


async def test_updates_are_versioned(org: Org) -> None:
    template = await create_template(org.admin, _email())
    updated = await update_template(
        org.admin, template.id, {"body": "<p>{{ client.full_name }}</p>"}, version=1
    )
    assert updated.version == 2
    with pytest.raises(PreconditionFailed):
        await update_template(org.admin, template.id, {"is_active": False}, version=1)
    with pytest.raises(ValidationFailed):
        await update_template(org.admin, template.id, {"body": "{{ client.x }}"}, version=2)
    assert (await Template.get(id=template.id)).body == "<p>{{ client.full_name }}</p>"


async def test_defaults_install_once_and_never_overwrite(org: Org) -> None:
    assert await install_default_templates() == len(default_templates())
    shipped = await Template.get(purpose="order_status.shipped", channel="email", language="ru")
    await update_template(org.admin, shipped.id, {"subject": "Свой текст"}, version=1)
    deleted = await Template.get(purpose="birthday_greeting", channel="sms", language="en")
    await delete_template(org.admin, deleted.id)
    assert await install_default_templates() == 1  # only the deleted one comes back
    assert await install_default_templates() == 0
    assert (await Template.get(id=shipped.id)).subject == "Свой текст"
    assert await Template.all().count() == len(default_templates())


async def test_an_existing_installation_gets_the_push_templates_and_keeps_its_own(
    org: Org,
) -> None:
    """An installation from before push had defaults: the next start adds the push ones and
    changes none of the templates it has, edited or not."""
    await install_default_templates()
    await Template.filter(channel=Channel.PUSH).delete()
    shipped = await Template.get(purpose="order_status.shipped", channel="email", language="ru")
    await update_template(org.admin, shipped.id, {"subject": "Свой текст"}, version=1)
    before = await Template.all().order_by("id").values_list("id", "subject", "body", "version")
    pushes = [d for d in default_templates() if d.channel is Channel.PUSH]
    assert await ensure_default_templates() == len(pushes) == 22
    assert (
        await Template.filter(channel__not=Channel.PUSH)
        .order_by("id")
        .values_list("id", "subject", "body", "version")
        == before
    )
    shipped_push = await Template.get(
        purpose="order_status.shipped", channel=Channel.PUSH, language="en"
    )
    assert (shipped_push.subject, shipped_push.body) == (
        "Order {{ order.number }} shipped",
        "Your order {{ order.number }} has been shipped. We will write when it is delivered.",
    )
    assert await ensure_default_templates() == 0


async def test_a_preview_renders_for_a_contact(org: Org) -> None:
    company = await make_company(org.manager, name="ООО <Ромашка>")
    contact = await make_contact(org.manager, first_name="Иван", company_id=company.id)
    order = await make_order(org.manager, contact_id=contact.id, amount="15000.50")
    template = await create_template(
        org.admin,
        _email(body="<p>{{ client.first_name }}, {{ company.name }}: {{ order.amount }}</p>"),
    )
    preview = await preview_template(
        org.admin, template.id, contact_id=contact.id, order_id=order.id
    )
    assert preview.rendered.subject == "Предложение для ООО <Ромашка>"  # a subject is plain text
    assert preview.rendered.body == "<p>Иван, ООО &lt;Ромашка&gt;: 15\u00a0000,50</p>"
    assert preview.sms is None
    with pytest.raises(ValidationFailed) as caught:
        await preview_template(org.admin, template.id, contact_id=10**6)
    assert error_codes(caught.value) == {"contact_id": "not_found"}


async def test_sms_templates_say_how_many_segments(org: Org) -> None:
    contact = await make_contact(org.manager, first_name="Иван")
    await Contact.filter(id=contact.id).update(language="ru")
    template = await create_template(
        org.admin,
        {
            "purpose": "thanks_after_call",
            "channel": "sms",
            "language": "ru",
            "body": "{{ client.first_name }}, спасибо за разговор! " + "Ждём вас снова. " * 3,
        },
    )
    preview = await preview_template(org.admin, template.id, contact_id=contact.id)
    assert preview.sms is not None
    assert (preview.sms.encoding, preview.sms.segments) == ("ucs2", 2)
    blank = template_sms_length(template)
    assert blank is not None
    assert blank.units == preview.sms.units - len("Иван")


SID = "HX" + "0123456789abcdef" * 2


def _whatsapp(**values: Any) -> dict[str, Any]:
    return {
        "purpose": "order_status.shipped",
        "channel": "whatsapp",
        "language": "ru",
        "body": "Заказ {{ order.number }} отправлен",
        "content_sid": SID,
        **values,
    }


class TestContentVariables:
    """A WhatsApp Content template's placeholders → expressions over the body's variables."""

    async def test_each_expression_is_checked_like_the_body_and_named_by_its_key(
        self, org: Org
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            await create_template(
                org.admin,
                _whatsapp(
                    content_variables={
                        "1": "client.first_name",
                        "2": "order.numbr",
                        "3": "client.first_name }} {{ order.number",
                        "4": "   ",
                        "5": "order.number\n ~ client.phone",
                        "a b": "order.number",
                        "6": 7,
                    }
                ),
            )
        assert error_fields(caught.value) == [
            "content_variables.2",
            "content_variables.3",
            "content_variables.4",
            "content_variables.5",
            "content_variables.a b",
            "content_variables.6",
        ]
        assert error_codes(caught.value) == {
            "content_variables.2": "unknown_variable",
            "content_variables.3": "template_syntax",
            "content_variables.4": "required",
            "content_variables.5": "unknown_variable",
            "content_variables.a b": "invalid_key",
            "content_variables.6": "invalid",
        }
        messages = {e.field: e.message for e in caught.value.errors}
        assert messages["content_variables.2"].ru.startswith(
            "Строка 1: неизвестная переменная «order.numbr»"
        )
        assert messages["content_variables.5"].en.startswith(
            "Line 2: unknown variable “client.phone”"
        )
        assert not await Template.exists()

    async def test_only_a_template_with_a_content_sid_has_variables(self, org: Org) -> None:
        with pytest.raises(ValidationFailed) as caught:
            await create_template(
                org.admin, _whatsapp(content_sid=None, content_variables={"1": "order.number"})
            )
        assert error_codes(caught.value) == {"content_variables": "needs_content_sid"}
        with pytest.raises(ValidationFailed) as caught:
            await create_template(
                org.admin, _whatsapp(content_sid="HX12", content_variables={"1": "order.number"})
            )
        assert error_codes(caught.value) == {"content_sid": "invalid_content_sid"}
        template = await create_template(
            org.admin,
            _whatsapp(content_variables={"1": " client.first_name ", "2": "order.number"}),
        )
        assert template.content_variables == {"1": "client.first_name", "2": "order.number"}
        with pytest.raises(ValidationFailed) as caught:
            await update_template(org.admin, template.id, {"content_sid": None}, version=1)
        assert error_codes(caught.value) == {"content_variables": "needs_content_sid"}
        cleared = await update_template(
            org.admin, template.id, {"content_sid": None, "content_variables": None}, version=1
        )
        stored = await Template.get(id=cleared.id)
        assert (stored.content_sid, stored.content_variables, stored.version) == (None, {}, 2)

    async def test_not_an_object_or_too_many_is_named(self, org: Org) -> None:
        for raw, code in (
            (["client.first_name"], "invalid"),
            ({str(n): "order.number" for n in range(101)}, "too_many"),
        ):
            with pytest.raises(ValidationFailed) as caught:
                await create_template(org.admin, _whatsapp(content_variables=raw))
            assert error_codes(caught.value) == {"content_variables": code}

    async def test_a_preview_shows_the_values_and_names_one_that_comes_out_empty(
        self, org: Org
    ) -> None:
        contact = await make_contact(org.manager, first_name="Фёдор", last_name="Ёлкин")
        order = await make_order(org.manager, contact_id=contact.id, number="З-17")
        template = await create_template(
            org.admin,
            _whatsapp(
                content_variables={
                    "1": "client.first_name",
                    "2": "order.number ~ ' (' ~ order.status_label ~ ')'",
                    "3": "client.middle_name",
                }
            ),
        )
        with pytest.raises(ValidationFailed) as caught:
            await preview_template(org.admin, template.id, contact_id=contact.id, order_id=order.id)
        assert error_codes(caught.value) == {"content_variables.3": "render_failed"}
        assert "empty" in caught.value.errors[0].message.en
        await update_template(
            org.admin,
            template.id,
            {"content_variables": {**template.content_variables, "3": "client.middle_name or '—'"}},
            version=1,
        )
        preview = await preview_template(
            org.admin, template.id, contact_id=contact.id, order_id=order.id
        )
        assert preview.rendered.content_variables == {"1": "Фёдор", "2": "З-17 (новый)", "3": "—"}
        assert preview.rendered.body == "Заказ З-17 отправлен"

    async def test_a_template_without_a_content_sid_renders_no_variables(self, org: Org) -> None:
        contact = await make_contact(org.manager, first_name="Иван")
        template = await create_template(org.admin, _whatsapp(content_sid=None))
        preview = await preview_template(org.admin, template.id, contact_id=contact.id)
        assert preview.rendered.content_variables == {}
