"""A loopback double of the Telegram Bot API, for tests.

An aiohttp server on 127.0.0.1 (a random free port) that answers `/bot<token>/<method>` the way
Telegram does, closely enough for aiogram to parse: getMe, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, setMyCommands, deleteMyCommands, getUpdates (long
polling over `push_update`), sendPhoto, sendDocument, getFile and the file download path
`/file/bot<token>/<path>`, setWebhook, deleteWebhook, getWebhookInfo. Any other method answers
404 like Telegram does for an unknown method; `respond(method, result)` adds one.

Every request is recorded (`calls`), failed ones too, with its parameters parsed from the form
(JSON values decoded, uploaded files kept as bytes). It can be told to refuse:

- `rate_limit(method, retry_after, times)`: 429 with `parameters.retry_after`;
- `server_error(method, times, status)`: 5xx;
- `block(chat_id)`: every call naming that chat answers 403 "bot was blocked by the user"
  until `unblock(chat_id)`;
- `enforce_limits(per_second, per_chat_interval)`: like Telegram, a send faster than the
  limits (overall, per chat; in real time) answers 429 with `retry_after` 1 and is not
  delivered. `refused_by_limits` counts them (bench/fanout.py).

Point a real aiogram Bot at it with `TelegramAPIServer.from_base(double.url)` (or
`VORONKA_TELEGRAM_API_BASE=double.url`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.doubles.limits import SendLimit, admit

BOT_USERNAME = "voronka_test_bot"
WAIT_LIMIT = 10.0
# Parameters Telegram defines as strings although they look like numbers.
_STRING_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "inline_message_id", "file_id", "query_id", "url"}
)
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class ApiCall:
    """One request the double received."""

    method: str
    token: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    status: int
    at: float
    result: Any = None

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes


@dataclass
class _Sent:
    chat_id: int
    message_id: int
    text: str | None
    reply_markup: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _decode(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    if _INTEGER.fullmatch(value):
        return int(value)
    return value


class TelegramApiDouble:
    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, bot_id: int = 123456
    ) -> None:
        self.clock = clock  # stamps each recorded call: tests may give it their virtual time
        self.bot_id = bot_id
        self.calls: list[ApiCall] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._blocked: set[int] = set()
        self._results: dict[str, Any] = {}
        self._message_ids = itertools.count(1001)
        self._file_numbers = itertools.count(1)
        self._sent: dict[tuple[int, int], _Sent] = {}
        self._files: dict[str, _File] = {}
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self.webhook_url = ""
        self._limits: tuple[SendLimit, SendLimit] | None = None
        self.refused_by_limits = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    # ---- life cycle -------------------------------------------------------------------------

    async def start(self) -> TelegramApiDouble:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self

    async def close(self) -> None:
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramApiDouble:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    # ---- telling it what to do --------------------------------------------------------------

    def enforce_limits(self, per_second: int = 30, per_chat_interval: float = 1.0) -> None:
        self._limits = (SendLimit(per_second), SendLimit(1, per_chat_interval))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        for _ in range(times):
            self._failures[method].append(
                _Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after)
            )

    def server_error(self, method: str, times: int = 1, status: int = 502) -> None:
        descriptions = {500: "Internal Server Error", 502: "Bad Gateway"}
        for _ in range(times):
            self._failures[method].append(
                _Failure(status, descriptions.get(status, "Internal Server Error"))
            )

    def fail(self, method: str, status: int, description: str, times: int = 1) -> None:
        for _ in range(times):
            self._failures[method].append(_Failure(status, description))

    def block(self, chat_id: int) -> None:
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def respond(self, method: str, result: Any) -> None:
        """Answer `method` (one the double does not know) with this result."""
        self._results[method] = result

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling)."""
        self._updates.append(update)
        self._new_update.set()

    def add_file(self, content: bytes, *, kind: str = "documents", name: str = "file.bin") -> str:
        """A file Telegram holds (a voice note, a photo); returns its file_id."""
        number = next(self._file_numbers)
        file_id = f"FILE{number:06d}"
        self._files[file_id] = _File(file_id, f"U{number:06d}", f"{kind}/{number}_{name}", content)
        return file_id

    # ---- what happened ----------------------------------------------------------------------

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def sent(self, chat_id: int | None = None) -> list[ApiCall]:
        """Successful sendMessage calls, to one chat or all."""
        return [
            call
            for call in self.calls_of("sendMessage")
            if call.ok and (chat_id is None or call.chat_id == chat_id)
        ]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """What the person saw arrive, in order: the texts of successful sendMessage calls."""
        return [call.params["text"] for call in self.sent(chat_id)]

    def message(self, chat_id: int, message_id: int) -> _Sent | None:
        """A message as it stands now (after edits)."""
        return self._sent.get((chat_id, message_id))

    def reset(self) -> None:
        self.calls.clear()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait (for a bot running in the background) until `predicate()` holds; it is checked
        after every request the double answers. Gives up after `WAIT_LIMIT` seconds."""
        async with asyncio.timeout(WAIT_LIMIT):
            while not predicate():
                self._new_call.clear()
                await self._new_call.wait()

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._new_call.set()

    # ---- the server ---------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    files[name] = (value.filename, value.file.read())
                else:
                    params[name] = _decode(name, str(value))
        return params, files

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.match_info["token"]
        params, files = await self._params(request)
        if method == "getUpdates" and not self._failures.get(method):
            await self._wait_for_updates(params)
        status, body = self._answer(method, params, files)
        result = body.get("result")
        self._record(ApiCall(method, token, params, files, status, self.clock(), result))
        return web.json_response(body, status=status)

    def _answer(
        self, method: str, params: dict[str, Any], files: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        failures = self._failures.get(method)
        if failures:
            failure = failures.popleft()
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, body
        if params.get("chat_id") in self._blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._take_updates(params)}
        limits = self._limits
        if (
            limits is not None
            and method.startswith("send")
            and not admit(time.monotonic(), (limits[0], None), (limits[1], params.get("chat_id")))
        ):
            self.refused_by_limits += 1
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
        handler = _HANDLERS.get(method)
        if handler is not None:
            return handler(self, params, files)
        if method in self._results:
            return 200, {"ok": True, "result": self._results[method]}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    async def _wait_for_updates(self, params: dict[str, Any]) -> None:
        timeout = min(float(params.get("timeout") or 0), 5.0)
        if not self._pending(params) and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass

    def _pending(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        return [u for u in self._updates if u["update_id"] >= offset]

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        token = request.match_info["token"]
        found = next((f for f in self._files.values() if f.file_path == path), None)
        status = 200 if found is not None else 404
        self._record(ApiCall("download", token, {"file_path": path}, {}, status, self.clock()))
        if found is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found.content, content_type="application/octet-stream")

    # ---- results --------------------------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Voronka",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message_id = next(self._message_ids)
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        if chat_id > 0:
            chat["first_name"] = "Person"
        else:
            chat["title"] = "Group"
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user(),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self._sent[(chat_id, message_id)] = _Sent(
            chat_id, message_id, content.get("text"), params.get("reply_markup"), content
        )
        return message

    def _send_message(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        if not str(params.get("text") or "").strip():
            return 400, _bad_request("message text is empty")
        return 200, {"ok": True, "result": self._message(params, text=params["text"])}

    def _edit(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        if params.get("inline_message_id"):
            return 200, {"ok": True, "result": True}
        key = (int(params["chat_id"]), int(params["message_id"]))
        sent = self._sent.get(key)
        if sent is None:
            return 400, _bad_request("message to edit not found")
        text = params.get("text", sent.text)
        markup = params.get("reply_markup")
        if text == sent.text and markup == sent.reply_markup:
            return 400, _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        sent.text, sent.reply_markup = text, markup
        result: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": {"id": sent.chat_id, "type": "private", "first_name": "Person"},
            "from": self.bot_user(),
            "text": text,
        }
        if markup:
            result["reply_markup"] = markup
        return 200, {"ok": True, "result": result}

    def _send_photo(self, params: dict[str, Any], files: dict[str, Any]) -> tuple[int, Any]:
        file_id = self._stored_upload(params.get("photo"), files, "photos", "photo.jpg")
        photo = [{"file_id": file_id, "file_unique_id": f"U{file_id}", "width": 90, "height": 90}]
        content: dict[str, Any] = {"photo": photo}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return 200, {"ok": True, "result": self._message(params, **content)}

    def _send_document(self, params: dict[str, Any], files: dict[str, Any]) -> tuple[int, Any]:
        upload = params.get("document")
        name = "document.bin"
        if isinstance(upload, str) and upload.startswith("attach://"):
            name = files.get(upload.removeprefix("attach://"), (name, b""))[0]
        file_id = self._stored_upload(upload, files, "documents", name)
        document = {"file_id": file_id, "file_unique_id": f"U{file_id}", "file_name": name}
        content: dict[str, Any] = {"document": document}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return 200, {"ok": True, "result": self._message(params, **content)}

    def _stored_upload(self, value: Any, files: dict[str, Any], kind: str, name: str) -> str:
        if isinstance(value, str) and value.startswith("attach://"):
            filename, content = files[value.removeprefix("attach://")]
            return self.add_file(content, kind=kind, name=filename or name)
        return str(value)

    def _get_file(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        found = self._files.get(str(params.get("file_id")))
        if found is None:
            return 400, _bad_request("invalid file_id")
        return 200, {
            "ok": True,
            "result": {
                "file_id": found.file_id,
                "file_unique_id": found.file_unique_id,
                "file_size": len(found.content),
                "file_path": found.file_path,
            },
        }

    def _set_webhook(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        self.webhook_url = str(params.get("url") or "")
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def _delete_webhook(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        self.webhook_url = ""
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def _webhook_info(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        info = {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
        return 200, {"ok": True, "result": info}

    def _true(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"ok": True, "result": True}

    def _get_me(self, params: dict[str, Any], _: dict[str, Any]) -> tuple[int, Any]:
        return 200, {"ok": True, "result": self.bot_user()}


def _bad_request(reason: str) -> dict[str, Any]:
    return {"ok": False, "error_code": 400, "description": f"Bad Request: {reason}"}


_Handler = Callable[[TelegramApiDouble, dict[str, Any], dict[str, Any]], tuple[int, Any]]
_HANDLERS: dict[str, _Handler] = {
    "getMe": TelegramApiDouble._get_me,
    "sendMessage": TelegramApiDouble._send_message,
    "editMessageText": TelegramApiDouble._edit,
    "editMessageReplyMarkup": TelegramApiDouble._edit,
    "answerCallbackQuery": TelegramApiDouble._true,
    "setMyCommands": TelegramApiDouble._true,
    "deleteMyCommands": TelegramApiDouble._true,
    "sendPhoto": TelegramApiDouble._send_photo,
    "sendDocument": TelegramApiDouble._send_document,
    "getFile": TelegramApiDouble._get_file,
    "setWebhook": TelegramApiDouble._set_webhook,
    "deleteWebhook": TelegramApiDouble._delete_webhook,
    "getWebhookInfo": TelegramApiDouble._webhook_info,
}
