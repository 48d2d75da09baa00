"""The admin PIN: hashed, checked, and guarded against guessing."""

from __future__ import annotations

import pytest

from meetdesk.kiosk.pin import FIRST_LOCKOUT_S, MAX_LOCKOUT_S, PinGuard, hash_pin, is_pin_hash, verify_pin


def test_a_pin_is_kept_as_a_salted_hash() -> None:
    one, two = hash_pin("1234"), hash_pin("1234")
    assert one != two and "1234" not in one
    assert is_pin_hash(one)
    assert verify_pin("1234", one) and verify_pin("1234", two)
    assert not verify_pin("1235", one)


@pytest.mark.parametrize("pin", ["123", "12345678901234567", "12a4", "", " 1234"])
def test_a_pin_is_4_to_16_digits(pin: str) -> None:
    with pytest.raises(ValueError, match="4 to 16 digits"):
        hash_pin(pin)


@pytest.mark.parametrize("stored", ["", "1234", "scrypt$1$2$3$x$y", "bcrypt$16384$8$1$AAAAAAAAAAA=$AAAA"])
def test_something_that_is_not_a_hash_never_matches(stored: str) -> None:
    assert not is_pin_hash(stored)
    assert not verify_pin("1234", stored)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_three_wrong_pins_lock_the_dialog_for_a_while_that_doubles() -> None:
    clock = Clock()
    guard = PinGuard(hash_pin("2468"), clock=clock)
    assert not guard.check("1111") and not guard.check("2222")
    assert guard.wait_left() == 0
    assert not guard.check("3333")
    assert guard.wait_left() == FIRST_LOCKOUT_S
    assert not guard.check("2468"), "while locked out, even the right PIN is not checked"
    clock.now += FIRST_LOCKOUT_S
    assert not guard.check("4444")
    assert guard.wait_left() == 2 * FIRST_LOCKOUT_S
    clock.now += 2 * FIRST_LOCKOUT_S
    assert guard.check("2468")
    assert guard.wrong == 0 and guard.wait_left() == 0


def test_the_lockout_has_a_ceiling() -> None:
    clock = Clock()
    guard = PinGuard(hash_pin("2468"), clock=clock)
    for _ in range(20):
        guard.check("0000")
        clock.now += guard.wait_left()
    guard.check("0000")
    assert guard.wait_left() == MAX_LOCKOUT_S
