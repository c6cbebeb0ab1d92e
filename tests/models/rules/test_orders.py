import pytest

from models.entities import OrderStatus as S
from models.rules.orders import NEXT_STATUSES, can_change, steps_to

ALLOWED = {
    (S.NEW, S.CONFIRMED),
    (S.NEW, S.CANCELLED),
    (S.CONFIRMED, S.PAID),
    (S.CONFIRMED, S.SHIPPED),
    (S.CONFIRMED, S.CANCELLED),
    (S.PAID, S.SHIPPED),
    (S.PAID, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.CANCELLED),
    (S.DELIVERED, S.COMPLETED),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_allowed_transitions(current: S, target: S) -> None:
    assert can_change(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize("final", [S.COMPLETED, S.CANCELLED])
def test_completed_and_cancelled_are_final(final: S) -> None:
    assert NEXT_STATUSES[final] == frozenset()


def test_every_status_is_reachable_from_new_and_can_end() -> None:
    reached, frontier = {S.NEW}, [S.NEW]
    while frontier:
        for target in NEXT_STATUSES[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)
    assert all(NEXT_STATUSES[s] or s in (S.COMPLETED, S.CANCELLED) for s in S)


def test_a_delivered_order_can_no_longer_be_cancelled() -> None:
    assert not can_change(S.DELIVERED, S.CANCELLED)


@pytest.mark.parametrize(
    ("current", "target", "steps"),
    [
        (S.NEW, S.NEW, []),
        (S.NEW, S.CONFIRMED, [S.CONFIRMED]),
        (S.NEW, S.PAID, [S.CONFIRMED, S.PAID]),
        # confirmed → shipped directly: paying is not a step every order takes
        (S.NEW, S.COMPLETED, [S.CONFIRMED, S.SHIPPED, S.DELIVERED, S.COMPLETED]),
        (S.CONFIRMED, S.DELIVERED, [S.SHIPPED, S.DELIVERED]),
        (S.SHIPPED, S.PAID, None),
        (S.COMPLETED, S.CANCELLED, None),
        (S.CANCELLED, S.NEW, None),
    ],
)
def test_the_steps_to_a_status_are_the_shortest_allowed_run(
    current: S, target: S, steps: list[S] | None
) -> None:
    assert steps_to(current, target) == steps


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_step_on_the_way_is_allowed(current: S, target: S) -> None:
    steps = steps_to(current, target)
    if steps is None:
        return
    for before, after in zip([current, *steps], steps, strict=False):
        assert can_change(before, after)
