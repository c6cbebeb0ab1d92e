import pytest

from models.rules.emails import InvalidEmail, normalize_email


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("ivan@example.com", "ivan@example.com"),
        ("  Ivan.Petrov@Example.COM ", "ivan.petrov@example.com"),
        ("demo@voronka.test", "demo@voronka.test"),
        ("иван@почта.рф", "иван@почта.рф"),
    ],
)
def test_normalize_email(raw: str, normal: str) -> None:
    assert normalize_email(raw) == normal


@pytest.mark.parametrize(
    "raw", ["", "ivan", "ivan@", "@example.com", "ivan petrov@example.com", "ivan@@example.com"]
)
def test_invalid_email(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(raw)


def test_normalizing_twice_changes_nothing() -> None:
    once = normalize_email(" Ivan@Example.COM")
    assert normalize_email(once) == once
