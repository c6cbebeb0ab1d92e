"""Files people send the bot (voice notes, photos, documents), fetched from Telegram before the
update's transaction opens.

`StageFiles` is an outer update middleware registered before `UpdateContext`, so it runs outside
the transaction. For a message with a file, when the file has somewhere to go (an open /log draft
or a client or deal in context, `capture.has_file_target`), it asks Telegram where the file is
(`getFile`) and downloads it (`download_file`) into a staging file under the data dir
(`attachments/tmp/`), counted and hashed as it arrives and refused past the size limit. The
handler then only records it, inside the transaction: `save_attachments` moves it into place.

Every update gets an `UpdateFiles` (handlers take it as `update_files`). After the update:

- a file moved into place (`hold` before `save_attachments`) by an update that did not commit
  goes back to staging: a /log draft whose Save failed still has its files;
- a staged file nobody took (or whose storing was rolled back) is removed;
- a file handed to a /log draft (`keep`) stays in staging until the draft is saved or cancelled.

Staging files older than `STALE_AFTER` (drafts nobody came back to) are swept once an hour.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import aiohttp
from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject, Update

from bots.telegram.capture import has_file_target
from bots.telegram.middlewares import COMMITTED
from models.ops.attachments import (
    MAX_FILE_SIZE,
    FileTooLarge,
    StagedFile,
    discard_stale_staging,
    staging_dir,
)

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# The largest file kept. The Bot API serves bots files of at most 20 MB anyway.
MAX_SIZE = MAX_FILE_SIZE
DOWNLOAD_TIMEOUT = 120  # seconds for one download
STALE_AFTER = timedelta(days=2)  # FSM drafts are forgotten after a day (app.FSM_TTL)
SWEEP_EVERY = 3600.0  # seconds
TOO_LARGE = "too_large"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Incoming:
    """The file a message carries, as Telegram describes it."""

    what: str  # voice, photo or document
    file_id: str
    file_name: str
    content_type: str
    declared_size: int | None


def incoming_file(message: Message) -> Incoming | None:
    stamp = f"{message.date:%Y%m%d-%H%M%S}"
    if message.voice is not None:
        voice = message.voice
        mime = voice.mime_type or "audio/ogg"
        return Incoming("voice", voice.file_id, f"voice-{stamp}.ogg", mime, voice.file_size)
    if message.photo:
        photo = message.photo[-1]  # the largest size
        return Incoming("photo", photo.file_id, f"photo-{stamp}.jpg", "image/jpeg", photo.file_size)
    if message.document is not None:
        document = message.document
        return Incoming(
            "document",
            document.file_id,
            document.file_name or "document",
            document.mime_type or "application/octet-stream",
            document.file_size,
        )
    return None


@dataclass
class UpdateFiles:
    """The files of one update: the one its message brought (fetched before the transaction), and
    those the handler moved into place."""

    data_dir: Path
    incoming: Incoming | None = None
    staged: StagedFile | None = None  # fetched and waiting in staging
    problem: str | None = None  # TOO_LARGE or FAILED when it could not be fetched
    limit: int = MAX_FILE_SIZE  # the size limit it was fetched under, in bytes
    held: list[tuple[StagedFile, str]] = field(default_factory=list)
    kept: bool = False

    def keep(self) -> None:
        """The staged file was handed to a draft: it stays in staging after this update."""
        self.kept = True

    def hold(self, files: Sequence[StagedFile]) -> None:
        """`files` are about to be moved into place (`save_attachments`): they stay there if the
        update commits, and go back to staging if it does not."""
        self.held.extend((staged, staged.staging_name) for staged in files)

    def holds(self, staged: StagedFile) -> bool:
        return any(held is staged for held, _ in self.held)


class _Sink(io.RawIOBase):
    """Lets `Bot.download_file` write into a StagedFile, which counts, hashes and refuses
    chunks past the limit (64 KiB local writes, as aiogram's own BinaryIO destination does)."""

    def __init__(self, staged: StagedFile) -> None:
        self.staged = staged

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        data = bytes(chunk)
        self.staged.write(data)
        return len(data)


class StageFiles(BaseMiddleware):
    """Registered on `dispatcher.update.outer_middleware` before `UpdateContext`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._swept_at: float | None = None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        files = UpdateFiles(self.data_dir)
        data["update_files"] = files
        message = event.message
        if message is not None and message.chat.type == "private":
            files.incoming = incoming_file(message)
        state: FSMContext | None = data.get("state")
        if files.incoming is not None and state is not None and await has_file_target(state):
            await self._sweep()
            await self._fetch(data["bot"], files, files.incoming)
        try:
            return await handler(event, data)
        finally:
            await self._tidy(files, committed=bool(data.get(COMMITTED)))

    async def _fetch(self, bot: Bot, files: UpdateFiles, incoming: Incoming) -> None:
        limit = files.limit = MAX_SIZE
        if incoming.declared_size is not None and incoming.declared_size > limit:
            files.problem = TOO_LARGE
            return
        staged: StagedFile | None = None
        try:
            found = await bot.get_file(incoming.file_id)
            if found.file_size is not None and found.file_size > limit:
                files.problem = TOO_LARGE
                return
            if not found.file_path:
                files.problem = FAILED
                return
            staged = await asyncio.to_thread(
                StagedFile, self.data_dir, incoming.file_name, incoming.content_type, limit
            )
            sink = cast(BinaryIO, _Sink(staged))
            await bot.download_file(
                found.file_path, destination=sink, timeout=DOWNLOAD_TIMEOUT, seek=False
            )
            await asyncio.to_thread(staged.close)
            files.staged, staged = staged, None
        except FileTooLarge:
            files.problem = TOO_LARGE
        except TelegramBadRequest as error:
            files.problem = TOO_LARGE if "too big" in error.message.lower() else FAILED
            log.info("getFile refused %s: %s", incoming.file_id, error.message)
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError, OSError):
            files.problem = FAILED
            log.warning("could not fetch %s from Telegram", incoming.file_id, exc_info=True)
        finally:
            if staged is not None:  # cut off: neither kept nor refused cleanly
                await asyncio.to_thread(staged.discard)

    async def _tidy(self, files: UpdateFiles, *, committed: bool) -> None:
        if not committed:
            waiting = staging_dir(self.data_dir)
            for held, name in files.held:
                if held.path.parent == waiting:
                    continue
                back = str(waiting.relative_to(self.data_dir) / name)
                try:
                    await asyncio.to_thread(held.move_to, back)
                except OSError:
                    log.exception("could not move %s back to staging", held.path)
                    await asyncio.to_thread(held.discard)
        staged = files.staged
        if staged is not None and not files.kept and not (committed and files.holds(staged)):
            await asyncio.to_thread(staged.discard)

    async def _sweep(self) -> None:
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        removed = await asyncio.to_thread(discard_stale_staging, self.data_dir, STALE_AFTER)
        if removed:
            log.info("removed %d stale staging files", removed)
