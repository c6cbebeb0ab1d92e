"""Staging files that wait between requests (a bot draft's attachments): found again by their
staging name only, given up by name, swept when stale. No database."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from models.ops.attachments import (
    StagedFile,
    discard_staged,
    discard_stale_staging,
    staging_dir,
)

CONTENT = b"voice note bytes"


def _staged(data_dir: Path) -> StagedFile:
    staged = StagedFile(data_dir, "../../voice.ogg", "audio/ogg; codecs=opus")
    staged.write(CONTENT)
    staged.close()
    return staged


def test_a_waiting_file_is_found_again_by_its_staging_name(tmp_path: Path) -> None:
    first = _staged(tmp_path)
    again = StagedFile.reopen(
        tmp_path, first.staging_name, "../../voice.ogg", "audio/ogg", first.size, first.sha256
    )
    assert again.path == first.path
    assert (again.file_name, again.content_type) == ("voice.ogg", "audio/ogg")
    assert (again.size, again.sha256) == (len(CONTENT), hashlib.sha256(CONTENT).hexdigest())


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "voronka.sqlite3", "0" * 32 + ".part/../x", "ABC.part"]
)
def test_only_staging_names_are_reopened(tmp_path: Path, name: str) -> None:
    with pytest.raises(FileNotFoundError):
        StagedFile.reopen(tmp_path, name, "x", None, 1, "0" * 64)


def test_a_file_gone_or_changed_is_not_reopened(tmp_path: Path) -> None:
    staged = _staged(tmp_path)
    with pytest.raises(FileNotFoundError):
        StagedFile.reopen(tmp_path, staged.staging_name, "v", None, staged.size + 1, staged.sha256)
    staged.discard()
    with pytest.raises(FileNotFoundError):
        StagedFile.reopen(tmp_path, staged.staging_name, "v", None, staged.size, staged.sha256)


def test_waiting_files_are_given_up_by_name_and_swept_when_stale(tmp_path: Path) -> None:
    kept, given_up, old = _staged(tmp_path), _staged(tmp_path), _staged(tmp_path)
    discard_staged(tmp_path, [given_up.staging_name, "../../../outside", "nothing.part"])
    assert not given_up.path.exists()
    two_days_ago = time.time() - timedelta(days=2, minutes=1).total_seconds()
    os.utime(old.path, (two_days_ago, two_days_ago))
    assert discard_stale_staging(tmp_path, timedelta(days=2)) == 1
    assert sorted(staging_dir(tmp_path).iterdir()) == [kept.path]
    assert discard_stale_staging(tmp_path / "nowhere", timedelta(days=2)) == 0
