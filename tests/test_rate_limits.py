"""kiosk.limits' own moving window (it replaced the ``limits`` library): the notation settings are
written in, a pause that ends by itself try by try, keys kept apart, a store that does not grow."""
import threading

import pytest

from kiosk.limits import Limit, MovingWindow, parse

from .limit_clock import Clock


@pytest.mark.parametrize("text, limit", [
    ("30 per hour", Limit(30, 3600)), ("5 per 15 minutes", Limit(5, 900)), ("20 per 15 minutes", Limit(20, 900)),
    ("1000 per hour", Limit(1000, 3600)), ("3 per minute", Limit(3, 60)), ("10/minute", Limit(10, 60)),
    ("2 per 1 second", Limit(2, 1)), ("7 PER DAY", Limit(7, 86400)), (" 4 per 2 hours ", Limit(4, 7200)),
])
def test_limits_are_read_as_the_limits_library_wrote_them(text, limit):
    assert parse(text) == limit
    assert parse(text).get_expiry() == limit.seconds  # Retry-After on the worker login


@pytest.mark.parametrize("text", ["", "thirty per hour", "30 per fortnight", "30", "per hour", "30 per hour; 5 per minute"])
def test_a_limit_that_cannot_be_read_is_an_error(text):
    with pytest.raises(ValueError, match="is not a limit"):
        parse(text)


def test_the_window_moves_try_by_try():
    clock = Clock()
    window, limit = MovingWindow(clock), parse("3 per minute")
    for second in (0, 20, 40):
        clock.now = 1000 + second
        assert window.test(limit, "client", "a") and window.hit(limit, "client", "a")
    clock.now = 1059
    assert not window.test(limit, "client", "a") and not window.hit(limit, "client", "a")  # refused: not counted
    clock.now = 1060  # the first try is a minute old: one more, and only one
    assert window.test(limit, "client", "a") and window.hit(limit, "client", "a")
    assert not window.test(limit, "client", "a")
    clock.now = 1080
    assert window.test(limit, "client", "a")


def test_keys_and_limits_are_counted_apart_and_clear_forgets_one():
    clock = Clock()
    window, hourly, strict = MovingWindow(clock), parse("2 per hour"), parse("1 per hour")
    for _ in range(2):
        window.hit(hourly, "ticket", "A0001")
    assert not window.test(hourly, "ticket", "A0001")
    assert window.test(hourly, "ticket", "A0002") and window.test(hourly, "client", "A0001")
    assert window.test(strict, "ticket", "A0001")  # another limit, another count (as after a settings change)
    window.clear(hourly, "ticket", "A0001")
    assert window.test(hourly, "ticket", "A0001")


def test_keys_whose_tries_aged_out_are_dropped():
    clock = Clock()
    window, limit = MovingWindow(clock), parse("5 per minute")
    for n in range(3000):  # many addresses, each once, over an hour
        clock.now = 1000 + n * 1.2
        window.hit(limit, "client", f"10.0.{n // 256}.{n % 256}")
    assert len(window) < 60 + MovingWindow.SWEEP_EVERY  # at most a minute's worth, and one sweep's
    clock.now += 61
    window.test(limit, "client", "10.0.11.183")
    window.hit(limit, "client", "10.9.9.9")
    for n in range(MovingWindow.SWEEP_EVERY):
        window.hit(limit, "client", "10.9.9.9")
    assert len(window) == 1


def test_concurrent_tries_are_counted_exactly():
    window, limit = MovingWindow(), parse("100 per hour")
    allowed = []

    def guess():
        for _ in range(50):
            allowed.append(window.hit(limit, "client", "127.0.0.1"))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 100 and not window.test(limit, "client", "127.0.0.1")
