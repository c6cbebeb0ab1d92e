"""Attachments: files of interactions, kept under the data dir.

An upload is first written to a staging file (`attachments/tmp/` under the data dir), counted and
hashed as it arrives. Only once the interaction row exists is it moved to its place,
`attachments/YYYY/MM/<uuid>`; the name on disk never comes from the client. Whoever stages files
discards them when anything fails, so a refused upload leaves no file behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from models.actor import Actor
from models.audit import audit_created
from models.clock import now
from models.entities import Attachment, Interaction
from models.errors import NotFound
from models.scope import get_visible

ENTITY = "attachment"
ROOT = "attachments"
STAGING = "tmp"
MiB = 1024 * 1024
MAX_FILE_SIZE = 20 * MiB
MAX_FILES = 10
MAX_NAME_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$")
_UNSAFE_IN_NAMES = set('<>:"|?*')
_STAGING_NAME = re.compile(r"^[0-9a-f]{32}\.part$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"file over {limit} bytes")
        self.limit = limit


def safe_file_name(raw: str | None) -> str:
    """A file name to show and offer on download: no directories, control characters or dots in
    front, at most 255 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable() and ch not in _UNSAFE_IN_NAMES)
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH]
    return name or "file"


def safe_content_type(raw: str | None) -> str:
    """The media type the client declared, without parameters, or application/octet-stream."""
    value = (raw or "").split(";", 1)[0].strip().lower()
    return value if _CONTENT_TYPE.match(value) else DEFAULT_CONTENT_TYPE


def attachments_root(data_dir: Path) -> Path:
    return data_dir / ROOT


def staging_dir(data_dir: Path) -> Path:
    return attachments_root(data_dir) / STAGING


class StagedFile:
    """An upload written to a staging file under the data dir, counted and hashed chunk by chunk.

    `write` and `close` do blocking file I/O: call them off the event loop.
    """

    def __init__(
        self,
        data_dir: Path,
        file_name: str | None,
        content_type: str | None,
        max_size: int = MAX_FILE_SIZE,
    ) -> None:
        self.data_dir = data_dir
        self.file_name = safe_file_name(file_name)
        self.content_type = safe_content_type(content_type)
        self.max_size = max_size
        self.size = 0
        self._hash = hashlib.sha256()
        self._sha256: str | None = None
        staging = staging_dir(data_dir)
        staging.mkdir(parents=True, exist_ok=True)
        self.path = staging / f"{uuid.uuid4().hex}.part"
        self._file: BinaryIO | None = open(self.path, "xb")

    @classmethod
    def reopen(
        cls,
        data_dir: Path,
        staging_name: str,
        file_name: str | None,
        content_type: str | None,
        size: int,
        sha256: str,
    ) -> StagedFile:
        """A file staged by an earlier request and kept waiting (a bot draft's attachment, until
        the draft is saved), with the size and SHA-256 counted when it was written. `staging_name`
        is its `staging_name`; any other name, or a file that is gone or has another size, raises
        FileNotFoundError."""
        if not _STAGING_NAME.fullmatch(staging_name):
            raise FileNotFoundError(staging_name)
        staged = cls.__new__(cls)
        staged.data_dir = data_dir
        staged.file_name = safe_file_name(file_name)
        staged.content_type = safe_content_type(content_type)
        staged.max_size = MAX_FILE_SIZE
        staged.path = staging_dir(data_dir) / staging_name
        staged._file = None
        if staged.path.stat().st_size != size or not _SHA256.fullmatch(sha256):
            raise FileNotFoundError(staging_name)
        staged.size = size
        staged._hash = hashlib.sha256()
        staged._sha256 = sha256
        return staged

    @property
    def staging_name(self) -> str:
        """The staging file's own name (random), by which `reopen` finds it again."""
        return self.path.name

    @property
    def sha256(self) -> str:
        return self._sha256 or self._hash.hexdigest()

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.max_size:
            raise FileTooLarge(self.max_size)
        assert self._file is not None, "write after close"
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def move_to(self, relative: str) -> None:
        self.close()
        target = self.data_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        self.path = target

    def discard(self) -> None:
        """Remove the file, staged or already moved into place."""
        self.close()
        self.path.unlink(missing_ok=True)


def discard_all(files: Sequence[StagedFile]) -> None:
    for staged in files:
        staged.discard()


def discard_staged(data_dir: Path, staging_names: Sequence[str]) -> None:
    """Remove waiting staging files by their `staging_name` (a draft given up). Names that are not
    staging names, and files already gone, are ignored. Blocking file I/O."""
    for name in staging_names:
        if _STAGING_NAME.fullmatch(name):
            (staging_dir(data_dir) / name).unlink(missing_ok=True)


def discard_stale_staging(data_dir: Path, older_than: timedelta) -> int:
    """Remove staging files not touched for `older_than`: uploads cut off by a crash, drafts
    nobody saved. Returns how many were removed. Blocking file I/O: call it off the event loop."""
    staging = staging_dir(data_dir)
    if not staging.is_dir():
        return 0
    cutoff = time.time() - older_than.total_seconds()
    removed = 0
    for path in staging.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


async def save_attachments(
    actor: Actor, interaction_id: int, files: Sequence[StagedFile]
) -> list[Attachment]:
    """Record staged files as attachments of an interaction the actor may see, and move them to
    their place under the data dir. On failure the caller discards `files` (moved ones too)."""
    interaction = await get_visible(Interaction, actor, interaction_id)
    saved: list[Attachment] = []
    for staged in files:
        staged.close()
        stamp = now()
        relative = f"{ROOT}/{stamp:%Y}/{stamp:%m}/{uuid.uuid4().hex}"
        attachment = await Attachment.create(
            interaction_id=interaction.id,
            file_name=staged.file_name,
            content_type=staged.content_type,
            size=staged.size,
            sha256=staged.sha256,
            path=relative,
        )
        staged.move_to(relative)
        await audit_created(
            actor,
            ENTITY,
            attachment.id,
            {"interaction_id": interaction.id, "file_name": staged.file_name, "size": staged.size},
        )
        saved.append(attachment)
    return saved


async def attachment_file(
    actor: Actor, interaction_id: int, attachment_id: int, data_dir: Path
) -> tuple[Attachment, Path]:
    """An attachment of an interaction the actor may see, and where its file is.

    A path that would lead outside the attachments directory, or a file gone missing, is not found.
    """
    interaction = await get_visible(Interaction, actor, interaction_id)
    attachment = await Attachment.get_or_none(id=attachment_id, interaction_id=interaction.id)
    if attachment is None:
        raise NotFound(ENTITY, attachment_id)
    root = attachments_root(data_dir).resolve()
    path = (data_dir / attachment.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(ENTITY, attachment_id)
    return attachment, path
