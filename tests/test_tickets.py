import re

import pytest

from core import tickets


def test_first_tickets_and_letter_rollover():
    assert tickets.ticket_for(1) == "A0001"
    assert tickets.ticket_for(9999) == "A9999"
    assert tickets.ticket_for(10000) == "C0001"
    last_single = len(tickets.LETTERS) * tickets.PER_LETTER
    assert tickets.ticket_for(last_single) == "Y9999"
    assert tickets.ticket_for(last_single + 1) == "AA0001"


def test_no_collisions_and_no_ambiguous_characters_over_100k():
    seen = [tickets.ticket_for(n) for n in range(1, 100_001)]
    assert len(set(seen)) == len(seen)
    ambiguous = set("BGIOQSZ")
    for t in seen[::997]:
        assert re.fullmatch(r"[A-Z]\d{4}", t)
        assert not ambiguous & set(t)
    assert not any(ambiguous & set(t[:1]) for t in seen)


def test_ticket_sequence_is_bounded():
    with pytest.raises(ValueError):
        tickets.ticket_for(0)
    with pytest.raises(OverflowError):
        tickets.ticket_for(len(tickets.LETTERS) * tickets.PER_LETTER * (1 + len(tickets.LETTERS)) + 1)


def test_check_codes_are_six_digits_and_vary():
    codes = {tickets.new_check_code() for _ in range(500)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(codes) > 490  # 500 draws from a million values: repeats are rare


@pytest.mark.parametrize(
    "typed, code, expected",
    [
        ("A0427", "3861", ("A0427", "3861")),
        ("a 0427", "3861", ("A0427", "3861")),
        ("A04273861", "", ("A0427", "3861")),
        ("AO427", "386l", ("A0427", "3861")),  # letter O and l typed for 0 and 1
        ("Ａ０４２７", "３８６１", ("A0427", "3861")),  # full-width from a Chinese keyboard
        ("AC0001", "1234", ("AC0001", "1234")),
        ("A0427-3861", "", ("A0427", "3861")),
    ],
)
def test_lookup_forgives_what_people_type(typed, code, expected):
    assert tickets.lookup_candidates(typed, code)[0] == expected


@pytest.mark.parametrize("typed", ["", "0427", "B0427", "A04", "A0427X", "'; DROP TABLE requests; --", "<A0427>"])
def test_lookup_rejects_what_cannot_be_a_ticket(typed):
    assert tickets.lookup_candidates(typed) == []


def test_a_second_letter_that_may_be_a_digit_gives_both_readings():
    assert tickets.lookup_candidates("AL0001", "1234") == [("A1000", "11234"), ("AL0001", "1234")]


def test_a_ticket_without_its_letter_is_read_with_the_letters_in_use():
    assert tickets.recent_prefixes(0) == [] and tickets.recent_prefixes(1) == ["A"]
    assert tickets.recent_prefixes(tickets.PER_LETTER + 1) == ["C"]  # one letter: one ticket per guess
    assert tickets.lookup_candidates("0427", "386100", ["C"]) == [("C0427", "386100")]
    assert tickets.lookup_candidates("0427", "386100") == []  # no letters in use: nothing to read it with
    assert tickets.lookup_candidates("A0427", "386100", ["C"]) == [("A0427", "386100")]  # a letter typed wins
