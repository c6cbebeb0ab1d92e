"""Voice notes, photos and documents sent to the bot.

The file was fetched from Telegram before the transaction (`staging.StageFiles`); here it is
only recorded:

- while a /log draft is open, it joins the draft and waits in staging until Save (nothing is
  written before);
- else, with a client or deal in context, it is stored at once as the attachment of a new note
  about it (the caption, if any, is the note's text);
- else the manager is told to open a card or start /log first.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bots.telegram import capture, context
from bots.telegram import texts_capture as t
from bots.telegram.replies import Replies
from bots.telegram.staging import FAILED, TOO_LARGE, Incoming, UpdateFiles
from models.actor import Actor
from models.errors import NotFound
from models.ops.attachments import MAX_FILES, MiB, save_attachments
from models.ops.interactions import log_interaction
from models.queries.pick import choice_of
from models.text import Text


def _what(incoming: Incoming) -> Text:
    what = t.FILE_WHAT[incoming.what]
    return what.format(name=incoming.file_name) if incoming.what == "document" else what


async def file_sent(
    message: Message,
    actor: Actor,
    replies: Replies,
    state: FSMContext,
    update_files: UpdateFiles,
) -> None:
    files = update_files
    incoming = files.incoming
    if incoming is None:
        return
    if files.problem == TOO_LARGE:
        replies.say(t.FILE_TOO_LARGE, limit=files.limit // MiB)
        return
    if files.problem == FAILED:
        replies.say(t.FILE_FAILED)
        return
    staged = files.staged
    draft = await capture.open_log_draft(state)
    here = await context.current(state)
    if staged is None or (draft is None and here is None):
        replies.say(t.FILE_NO_TARGET)
        return
    what = _what(incoming).get(replies.language)
    size = t.size_text(staged.size, replies.language)
    if draft is not None:
        entries = capture.draft_files(draft)
        if len(entries) >= MAX_FILES:
            replies.say(t.FILE_TOO_MANY, count=MAX_FILES)
            return
        entries.append(
            {
                "name": staged.staging_name,
                "file_name": staged.file_name,
                "content_type": staged.content_type,
                "size": staged.size,
                "sha256": staged.sha256,
            }
        )
        draft["files"] = entries
        await capture.store(state, capture.LOG, draft)
        files.keep()
        replies.say(t.FILE_IN_DRAFT, what=what, size=size, count=len(entries))
        return
    assert here is not None
    try:
        choice = await choice_of(actor, here.kind, here.id)
    except NotFound:
        replies.say(t.NOT_AVAILABLE)
        return
    note = {"kind": "note", "outcome": message.caption or "", f"{here.kind}_id": here.id}
    interaction = await log_interaction(actor, note)
    files.hold([staged])
    await save_attachments(actor, interaction.id, [staged])
    replies.say(t.FILE_SAVED, label=choice.label, what=what, size=size)


def build() -> Router:
    router = Router(name="files")
    router.message.register(file_sent, F.voice | F.photo | F.document)
    return router
