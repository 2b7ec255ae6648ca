"""Sensitive numbers: every component, checksums, context words and negatives."""

from __future__ import annotations

import pytest

from modlab.detectors import Mode, get_detector


def found(text: str, mode: Mode = Mode.NORMAL) -> list[tuple[str, str | None]]:
    return [(m.text, m.component) for m in get_detector("sensitive").detect(text, mode)]


@pytest.mark.parametrize("mode", list(Mode))
def test_seed_example_components(mode: Mode) -> None:
    text = "My password is password1234 and my card is 4242 4242 4242 4242"
    assert found(text, mode) == [
        ("password1234", "password"),
        ("4242 4242 4242 4242", "credit_debit_number"),
    ]


@pytest.mark.parametrize(
    ("text", "value", "component"),
    [
        ("card 4111-1111-1111-1111 please", "4111-1111-1111-1111", "credit_debit_number"),
        ("amex 378282246310005", "378282246310005", "credit_debit_number"),
        ("card 4242 4242 4242 4242 exp 12/26", "12/26", "expiry_date"),
        ("expires: 09/2027", "09/2027", "expiry_date"),
        ("the CVV is 123", "123", "cvv"),
        ("security code: 4321", "4321", "cvv"),
        ("Here's my SSN: 460-89-9847", "460-89-9847", "ssn"),
        ("social security number 460899847", "460899847", "ssn"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "GB82 WEST 1234 5698 7654 32", "iban"),
        ("from gb42nawi04454264788619 to", "gb42nawi04454264788619", "iban"),
        ("account number 12345678", "12345678", "bank_account"),
        ("routing number 021000021", "021000021", "routing_number"),
        ("passport no: X1234567", "X1234567", "passport"),
        ("My driver's license number is F162823540116", "F162823540116", "driver_id"),
        ("password: hunter22!", "hunter22!", "password"),
        ("my PIN is 4821.", "4821", "pin"),
        ("blocked 41.173.96.26 again", "41.173.96.26", "ip_address"),
        (
            "at 6e40:4041:c617:e898:c11:40d2:c669:2eb4 now",
            "6e40:4041:c617:e898:c11:40d2:c669:2eb4",
            "ip_address",
        ),
        ("host ::1 and fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", "ip_address"),
        ("mac 00:1A:2b:3c:4D:5e", "00:1A:2b:3c:4D:5e", "mac_address"),
        ("cisco 0011.22aa.bbcc", "0011.22aa.bbcc", "mac_address"),
    ],
)
def test_components(text: str, value: str, component: str) -> None:
    assert (value, component) in found(text)
    for m in get_detector("sensitive").detect(text):
        assert text[m.start : m.end] == m.text


def test_luhn_is_required() -> None:
    assert found("card 4242 4242 4242 4241") == []
    assert found("card 4242 4242 4242 4242") == [("4242 4242 4242 4242", "credit_debit_number")]


def test_iban_checksum_is_required() -> None:
    assert found("IBAN GB83 WEST 1234 5698 7654 32") == []


def test_routing_checksum_is_required() -> None:
    assert found("routing number 021000022") == []


def test_odd_separators_are_suspicious() -> None:
    text = "card 4242.4242.4242.4242"
    assert found(text, Mode.NORMAL) == []
    assert found(text, Mode.SUSPICIOUS) == [("4242.4242.4242.4242", "credit_debit_number")]


def test_expiry_without_card_context_is_paranoid_only() -> None:
    assert found("see you on 12/25", Mode.SUSPICIOUS) == []
    assert found("see you on 12/25", Mode.PARANOID) == [("12/25", "expiry_date")]


@pytest.mark.parametrize(
    "text",
    [
        "I paid 1234 dollars",
        "Upgrade to version 1.2.3.4 today",
        "The meeting is on 12/05/2023 at 10:30:00",
        "Call 905-674-3793 tonight",
        "I forgot my password yesterday",
        "Order 123456789 has shipped",
        "We scored 3 goals in 2 games",
        "pin the note to the board",
        "my account is locked",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert found(text, Mode.SUSPICIOUS) == []
