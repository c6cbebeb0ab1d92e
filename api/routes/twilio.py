"""POST /webhooks/twilio/status: Twilio's status callbacks for the WhatsApp and SMS we send.

Mounted when Twilio is configured and `VORONKA_PUBLIC_URL` is set (the channels then ask for
callbacks at this URL), outside /v1 and outside the mobile contract. Twilio posts a form; the
`X-Twilio-Signature` header is checked with twilio's `RequestValidator` against the URL Twilio
called: `VORONKA_PUBLIC_URL` + this path, never `request.url`, which differs behind a proxy.

- no form body → 400; a missing or wrong signature → 403; both change nothing;
- a signed form without a MessageSid or MessageStatus Twilio would send → 400 naming the fields;
- otherwise 200, with the receipt recorded by `record_provider_status` in one transaction. A
  repeated or late receipt changes nothing (the signature has no timestamp: replays are
  harmless because a receipt only ever moves a message forwards). A receipt that overtook the
  relay's record of the MessageSid is kept and applied when the relay records it; the route
  looks once more after keeping it, for a relay that recorded the sid in the meantime.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData
from tortoise.transactions import in_transaction
from twilio.request_validator import RequestValidator

from api.problems import problem, request_language
from models.ops.outbox import apply_early_receipts, record_provider_status
from models.settings import Settings
from models.text import Text

STATUS_PATH = "/webhooks/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
FORM = "application/x-www-form-urlencoded"
_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
_STATUSES = frozenset(
    {
        "accepted",
        "scheduled",
        "canceled",
        "queued",
        "sending",
        "sent",
        "failed",
        "delivered",
        "undelivered",
        "receiving",
        "received",
        "read",
    }
)
_ERROR_CODE = re.compile(r"\d{1,6}")

router = APIRouter(include_in_schema=False)

_NOT_A_FORM = Text(
    "Ожидалась форма application/x-www-form-urlencoded.",
    "Expected an application/x-www-form-urlencoded form.",
)
_FORGED = Text(
    "Подпись X-Twilio-Signature не подходит к этому запросу.",
    "The X-Twilio-Signature does not match this request.",
)
_MALFORMED = Text("Это не статус сообщения Twilio.", "This is not a Twilio message status.")
_FIELD_MESSAGES = {
    "MessageSid": Text("Нужен MessageSid вида SM…", "A MessageSid like SM… is required."),
    "MessageStatus": Text("Неизвестный статус сообщения.", "Unknown message status."),
    "ErrorCode": Text("Код ошибки: число.", "The error code is a number."),
}


class TwilioCallbacks:
    def __init__(self, auth_token: str, public_url: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.url = public_url + STATUS_PATH

    def signed(self, request: Request, form: FormData) -> bool:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return False
        url = self.url + (f"?{request.url.query}" if request.url.query else "")
        return bool(self.validator.validate(url, form, signature))


def _malformed(form: FormData) -> list[str]:
    fields = []
    if not _SID.fullmatch(str(form.get("MessageSid") or "")):
        fields.append("MessageSid")
    if str(form.get("MessageStatus") or "") not in _STATUSES:
        fields.append("MessageStatus")
    code = form.get("ErrorCode")
    if code and not _ERROR_CODE.fullmatch(str(code)):
        fields.append("ErrorCode")
    return fields


@router.post(STATUS_PATH)
async def twilio_status(request: Request) -> Response:
    callbacks: TwilioCallbacks = request.app.state.twilio_callbacks
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return problem(request, 400, _NOT_A_FORM, code="not_a_form")
    form = await request.form()
    if not callbacks.signed(request, form):
        return problem(request, 403, _FORGED, code="bad_signature")
    malformed = _malformed(form)
    if malformed:
        return _bad_fields(request, malformed)
    sid = str(form["MessageSid"])
    async with in_transaction():
        moved = await record_provider_status(
            sid,
            str(form["MessageStatus"]),
            error_code=str(form.get("ErrorCode") or ""),
            error_message=str(form.get("ErrorMessage") or ""),
        )
    if moved is None:
        async with in_transaction():
            await apply_early_receipts(sid)
    return Response(status_code=200)


def _bad_fields(request: Request, fields: list[str]) -> JSONResponse:
    language = request_language(request)
    errors = [
        {"field": name, "code": "invalid", "message": _FIELD_MESSAGES[name].get(language)}
        for name in fields
    ]
    return problem(request, 400, _MALFORMED, code="malformed_callback", extra={"errors": errors})


def install_twilio_callbacks(app: FastAPI, settings: Settings) -> None:
    """Mount the status callback route when Twilio is configured and the public URL known."""
    if settings.twilio_auth_token is None or not settings.public_url:
        return
    app.state.twilio_callbacks = TwilioCallbacks(
        settings.twilio_auth_token.get_secret_value(), settings.public_url
    )
    app.include_router(router)
