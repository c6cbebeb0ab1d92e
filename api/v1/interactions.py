"""Interactions: /v1/interactions, logged as JSON or as multipart/form-data with attachments.

An upload is streamed to staging files under the data dir, chunk by chunk, before any transaction
opens (a slow client never holds the database). The fields are then validated and the interaction
and its attachment rows written in one short transaction; the files move into place inside it. When
anything fails (a bad field, a size limit, the database) every staged or moved file is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, ValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from tortoise.transactions import in_transaction

from api.deps import AppSettings, CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import ContentTooLarge, MiB, problem_responses
from api.schemas import Id, Input, Moment, Output
from models.entities import Attachment, Direction, Interaction, InteractionKind
from models.ops import attachments as files
from models.ops.attachments import (
    FileTooLarge,
    StagedFile,
    attachment_file,
    discard_all,
    save_attachments,
)
from models.ops.interactions import log_interaction
from models.queries.interactions import (
    InteractionFilters,
    attachments_of,
    get_interaction,
    list_interactions,
)

router = APIRouter(prefix="/interactions", tags=["interactions"], responses=problem_responses(401))

JSON_LIMIT = 1 * MiB
MAX_FORM_FIELDS = 20
MAX_FIELD_SIZE = 64 * 1024
FILES_FIELD = "files"


class InteractionCreate(Input):
    kind: InteractionKind
    direction: Direction | None = None
    outcome: Annotated[str, Field(max_length=5000)] = ""
    occurred_at: Moment | None = Field(default=None, description="Default: now")
    duration_seconds: Annotated[int | None, Field(ge=0, le=86400)] = None
    deal_id: Id | None = None
    contact_id: Id | None = Field(default=None, description="A deal, contact or company is needed")
    company_id: Id | None = None
    latitude: Annotated[float | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(ge=-180, le=180)] = None


class AttachmentOut(Output):
    id: int
    file_name: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str
    created_at: datetime


class InteractionOut(Output):
    id: int
    kind: InteractionKind
    direction: Direction | None
    outcome: str
    occurred_at: datetime
    duration_seconds: int | None
    deal_id: Id | None
    contact_id: Id | None
    company_id: Id | None
    stage_id: Id | None = Field(description="The deal's stage when it was logged")
    author_id: Id
    office_id: Id
    latitude: float | None
    longitude: float | None
    created_at: datetime
    outbound_message_id: Id | None = Field(
        description="kind message, sent by a manager: the outbox row that carries it (its state "
        "for admins at GET /v1/outbox/{id}); null otherwise"
    )
    attachments: list[AttachmentOut]


def interaction_out(interaction: Interaction, attachments: list[Attachment]) -> InteractionOut:
    columns = {name: getattr(interaction, name) for name in _COLUMNS}
    return InteractionOut(
        **columns, attachments=[AttachmentOut.model_validate(a) for a in attachments]
    )


_COLUMNS = InteractionOut.model_fields.keys() - {"attachments"}


def _inline(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its definitions inlined, for a hand-written request body."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _form_schema() -> dict[str, Any]:
    schema = _inline(InteractionCreate)
    schema["title"] = "InteractionCreateForm"
    schema["properties"][FILES_FIELD] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        "maxItems": files.MAX_FILES,
        "description": f"Attachments, each at most {files.MAX_FILE_SIZE // MiB} MB",
    }
    return schema


_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline(InteractionCreate)},
            "multipart/form-data": {"schema": _form_schema()},
        },
    }
}


def _invalid(field: str | None, kind: str, message: str) -> RequestValidationError:
    location = ("body", field) if field else ("body",)
    return RequestValidationError([{"type": kind, "loc": location, "msg": message}])


def _validate(build: Callable[[], InteractionCreate]) -> InteractionCreate:
    try:
        return build()
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


class _FormUpload:
    """Streams a multipart/form-data body: text fields into memory (small, bounded), files into
    staging files under the data dir. Callbacks of the parser only queue events; the file writes
    happen in `feed`, off the event loop."""

    def __init__(self, request: Request, settings_data_dir: Any) -> None:
        self.request = request
        self.data_dir = settings_data_dir
        self.fields: dict[str, str] = {}
        self.files: list[StagedFile] = []
        self._events: list[tuple[str, bytes]] = []
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._field_name: str | None = None
        self._field_data = bytearray()
        self._file: StagedFile | None = None
        self._field_count = 0
        self._no_file_chosen = False

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        self._events.append(("begin", b""))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(("data", data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append(("end", b""))

    async def read(self) -> None:
        _, options = parse_options_header(self.request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not boundary:
            raise _invalid(None, "multipart_invalid", "Missing multipart boundary.")
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )
        try:
            async for chunk in self.request.stream():
                parser.write(chunk)
                await self._handle_events()
            parser.finalize()
            await self._handle_events()
        except FormParserError:
            raise _invalid(None, "multipart_invalid", "Invalid multipart data.") from None
        except FileTooLarge as refusal:
            raise ContentTooLarge(refusal.limit) from None
        finally:
            if self._file is not None:
                await to_thread.run_sync(self._file.close)

    async def _handle_events(self) -> None:
        events, self._events = self._events, []
        for kind, data in events:
            if kind == "begin":
                await self._begin_part()
            elif kind == "data":
                if self._file is not None:
                    await to_thread.run_sync(self._file.write, data)
                else:
                    self._field_data += data
                    if len(self._field_data) > MAX_FIELD_SIZE:
                        raise _invalid(self._field_name, "too_long", "The field is too long.")
            elif self._file is not None:
                staged, self._file = self._file, None
                await to_thread.run_sync(staged.close)
                if self._no_file_chosen and staged.size == 0:
                    # An empty file input of an HTML form: no name, no content.
                    self.files.remove(staged)
                    await to_thread.run_sync(staged.discard)
            else:
                self._end_field()

    async def _begin_part(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise _invalid(None, "multipart_invalid", "A part without a name.")
        if b"filename" not in options:
            self._field_count += 1
            if self._field_count > MAX_FORM_FIELDS:
                raise _invalid(name, "too_many_fields", "Too many fields.")
            self._field_name, self._field_data = name, bytearray()
            return
        if name != FILES_FIELD:
            raise _invalid(name, "extra_forbidden", f"Files go in '{FILES_FIELD}'.")
        if len(self.files) >= files.MAX_FILES:
            raise _invalid(FILES_FIELD, "too_many_files", f"At most {files.MAX_FILES} files.")
        file_name = options[b"filename"].decode("utf-8", "replace")
        self._no_file_chosen = not file_name.strip()
        content_type = self._headers.get(b"content-type", b"").decode("latin-1")
        staged = await to_thread.run_sync(
            lambda: StagedFile(self.data_dir, file_name, content_type, files.MAX_FILE_SIZE)
        )
        self.files.append(staged)
        self._file = staged

    def _end_field(self) -> None:
        name = self._field_name or ""
        try:
            value = self._field_data.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid(name, "invalid_encoding", "Text must be UTF-8.") from None
        if name == FILES_FIELD:
            if value:
                raise _invalid(name, "file_expected", "Send files as file parts.")
        elif value.strip():
            # Empty text parts, as HTML forms send for blank inputs, count as not sent.
            self.fields[name] = value
        self._field_name, self._field_data = None, bytearray()


async def _json_body(request: Request) -> InteractionCreate:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > JSON_LIMIT:
            raise ContentTooLarge(JSON_LIMIT)
    return _validate(lambda: InteractionCreate.model_validate_json(bytes(raw)))


@router.get("", operation_id="listInteractions", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    deal_id: Id | None = None,
    contact_id: Id | None = None,
    company_id: Id | None = None,
    author_id: Id | None = None,
    kind: InteractionKind | None = None,
    occurred_after: Moment | None = None,
    occurred_before: Moment | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[InteractionOut]:
    """Newest first. `occurred_after` is inclusive, `occurred_before` exclusive."""
    filters = InteractionFilters(
        deal_id, contact_id, company_id, author_id, kind, occurred_after, occurred_before
    )
    page = await list_interactions(actor, filters, decode_cursor(cursor), limit)
    found = await attachments_of([i.id for i in page.items])
    return page_out(page, [interaction_out(i, found[i.id]) for i in page.items])


@router.post(
    "",
    operation_id="createInteraction",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(413, 422),
    openapi_extra=_CREATE_BODY,
)
async def create(
    request: Request, actor: CurrentActor, settings: AppSettings, response: Response
) -> InteractionOut:
    """Log a call, meeting, visit… as JSON, or as multipart/form-data with the same fields and
    up to ten `files`, each at most 20 MB (20 MB per request). A refused request stores no file."""
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    upload: _FormUpload | None = None
    try:
        if content_type == b"multipart/form-data":
            upload = _FormUpload(request, settings.data_dir)
            await upload.read()
            fields = upload.fields
            body = _validate(lambda: InteractionCreate.model_validate(fields))
        elif content_type == b"application/json" or content_type.endswith(b"+json"):
            body = await _json_body(request)
        else:
            raise _invalid(None, "unsupported_media_type", "Send JSON or multipart/form-data.")
        async with in_transaction():
            interaction = await log_interaction(actor, body.model_dump(exclude_unset=True))
            saved = await save_attachments(actor, interaction.id, upload.files if upload else [])
    except BaseException:
        if upload is not None:
            await to_thread.run_sync(discard_all, upload.files)
        raise
    response.headers["Location"] = f"/v1/interactions/{interaction.id}"
    return interaction_out(interaction, saved)


@router.get("/{interaction_id}", operation_id="getInteraction", responses=problem_responses(404))
async def get(interaction_id: Id, actor: CurrentActor, _: Transaction) -> InteractionOut:
    interaction = await get_interaction(actor, interaction_id)
    found = await attachments_of([interaction.id])
    return interaction_out(interaction, found[interaction.id])


@router.get(
    "/{interaction_id}/attachments/{attachment_id}",
    operation_id="downloadAttachment",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The file, with the content type it was uploaded with",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        **problem_responses(404),
    },
)
async def download(
    interaction_id: Id, attachment_id: Id, actor: CurrentActor, settings: AppSettings
) -> FileResponse:
    # A short transaction of its own: the file is sent after it ends, never inside it.
    async with in_transaction():
        attachment, path = await attachment_file(
            actor, interaction_id, attachment_id, settings.data_dir
        )
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.file_name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private"},
    )
