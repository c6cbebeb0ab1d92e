import pytest

from api.i18n import language_from_header


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "ru"),
        ("", "ru"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE,en;q=0.5", "en"),
        ("en;q=0.2,ru;q=0.8", "ru"),
        ("fr", "ru"),
        ("en;q=0", "ru"),
        ("en;q=bogus", "ru"),
    ],
)
def test_language_choice(header: str | None, expected: str) -> None:
    assert language_from_header(header) == expected
