"""The rule that flags an account (``bot.core.sharing.assess``): pure, on literal logins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.sharing import (
    OUTSIDE_BOUND_CIDRS,
    SEVERAL_ADDRESSES,
    SharingFlag,
    SharingRules,
    assess,
)
from bot.core.vault_logins import VaultLogin

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RULES = SharingRules(window=timedelta(minutes=10))


def seen(address: str, minute: int, n: int = 0) -> VaultLogin:
    return VaultLogin(
        f"r-{address}-{minute}-{n}", "ctr-ann", address, T0 + timedelta(minutes=minute)
    )


def flag_of(*logins: VaultLogin) -> SharingFlag:
    return SharingFlag("f1", "ctr-ann", None, logins, (SEVERAL_ADDRESSES,), T0)


def test_one_place_all_day_is_no_flag() -> None:
    logins = [seen("10.0.0.1", m) for m in range(5)]
    assert assess(logins[-1], logins, None, RULES) is None


def test_a_second_address_in_the_window_flags_with_every_address_and_time() -> None:
    a, b = seen("10.0.0.1", 0), seen("10.0.0.2", 3)
    found = assess(b, [a, b], None, RULES)
    assert found == ((a, b), (SEVERAL_ADDRESSES,))


def test_addresses_the_latest_flag_named_raise_nothing_new_but_a_new_one_does() -> None:
    a, b = seen("10.0.0.1", 0), seen("10.0.0.2", 3)
    latest = flag_of(a, b)
    again = seen("10.0.0.1", 4, 1)
    assert assess(again, [a, b, again], latest, RULES) is None
    c = seen("10.0.0.3", 5)
    found = assess(c, [a, b, again, c], latest, RULES)
    assert found is not None and {login.remote_address for login in found[0]} == {
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
    }


def test_an_address_outside_the_bound_cidrs_flags_on_its_own() -> None:
    rules = SharingRules(bound_cidrs=("10.0.0.0/24",))
    inside, outside = seen("10.0.0.7", 0), seen("192.0.2.9", 1)
    assert assess(inside, [inside], None, rules) is None
    found = assess(outside, [outside], None, rules)
    assert found is not None and found[1] == (OUTSIDE_BOUND_CIDRS,)
    both = assess(outside, [inside, outside], None, rules)
    assert both is not None and both[1] == (SEVERAL_ADDRESSES, OUTSIDE_BOUND_CIDRS)
