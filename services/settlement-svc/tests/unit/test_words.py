"""A person-month is paid at most once across the packages of a list (DOMAIN.md "The post
office is a partner…"): which first words are applied and which are raised, by hand."""

from uuid import UUID, uuid4

from settlement_svc.domain.words import Elsewhere, screen_results


def _words(*said: tuple[str, str]) -> tuple[list[UUID], dict[UUID, tuple[str, str | None]]]:
    lines = [uuid4() for _ in said]
    return lines, {
        line: (status, "2026-11-10" if status == "paid" else None)
        for line, (status, _) in zip(lines, said, strict=True)
    }


def test_a_kept_packages_word_on_a_person_sent_again_is_raised_whatever_it_says() -> None:
    newer = uuid4()
    lines, incoming = _words(("paid", "a"), ("unpaid", "b"), ("returned", "c"), ("paid", "d"))
    elsewhere = {line: Elsewhere(newer_sent=newer) for line in lines[:3]}
    screened = screen_results(lines, incoming, elsewhere)
    assert screened.moved == lines[:3]
    assert (screened.apply, screened.paid_twice) == ([lines[3]], [])


def test_a_second_payment_of_a_person_month_is_raised_and_other_words_pass() -> None:
    other = uuid4()
    lines, incoming = _words(("paid", "a"), ("unpaid", "b"), ("returned", "c"), ("paid", "d"))
    elsewhere = {line: Elsewhere(paid_in=other) for line in lines[:3]}
    screened = screen_results(lines, incoming, elsewhere)
    assert screened.paid_twice == [lines[0]]  # only a payment is a second payment
    assert screened.apply == lines[1:]
    assert screened.moved == []


def test_a_person_sent_again_is_raised_as_moved_even_if_paid_elsewhere_too() -> None:
    lines, incoming = _words(("paid", "a"))
    both = {lines[0]: Elsewhere(newer_sent=uuid4(), paid_in=uuid4())}
    assert screen_results(lines, incoming, both).moved == lines
    assert screen_results(lines, incoming, {}).apply == lines  # nobody else holds them
