"""The ChittyID format VV-G-LLL-SSSS-T-YM-C-X: the document's examples, malformed ids, minting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.platform.errors import ChorusError
from server.platform.times import parse_rfc3339_ms, rfc3339_ms
from server.surfaces.chittyos.id.chitty_ids import (
    MAX_SEQUENCE,
    ChittyIdParts,
    check_entity_type,
    is_valid_chitty_id,
    parse_chitty_id,
    spell_chitty_id,
)

DOCUMENT_EXAMPLES = {
    "01-I-NFO-0001-T-25-C-X": "INFO",
    "01-P-EO-0001-T-25-C-X": "PEO",
    "01-P-ROP-0001-T-25-C-X": "PROP",
}


@pytest.mark.parametrize(("chitty_id", "entity_type"), DOCUMENT_EXAMPLES.items())
def test_document_examples_validate(chitty_id: str, entity_type: str) -> None:
    assert parse_chitty_id(chitty_id) == ChittyIdParts(1, entity_type, 1, "T", 25, "C", "X")


@pytest.mark.parametrize(("chitty_id", "entity_type"), DOCUMENT_EXAMPLES.items())
def test_minting_the_example_types_gives_the_example_ids(chitty_id: str, entity_type: str) -> None:
    assert spell_chitty_id(entity_type, 1, 2025) == chitty_id


@pytest.mark.parametrize(
    "text",
    [
        "",
        "01-I-NFO-0001-T-25-C",  # a part missing
        "01-I-NFO-0001-T-25-C-X-X",  # a part too many
        "01_I_NFO_0001_T_25_C_X",  # wrong separators
        "01-I-NFO-0001-T-25-C-X ",  # trailing space
        "01-I-NFO-0001-T-25-C-X\n",  # trailing newline
        " 01-I-NFO-0001-T-25-C-X",
        "01-i-nfo-0001-t-25-c-x",  # lower case
        "01-I-nFO-0001-T-25-C-X",
        "1-I-NFO-0001-T-25-C-X",  # VV one digit
        "001-I-NFO-0001-T-25-C-X",
        "00-I-NFO-0001-T-25-C-X",  # version 00
        "01-IN-FO-0001-T-25-C-X",  # G two letters
        "01-I-N-0001-T-25-C-X",  # LLL one letter
        "01-I-NFOO-0001-T-25-C-X",  # LLL four letters
        "01-I-NFO-001-T-25-C-X",  # SSSS three digits
        "01-I-NFO-00001-T-25-C-X",  # five digits with a leading zero
        "01-I-NFO-0000-T-25-C-X",  # sequence zero
        "01-I-NFO-1234567890123-T-25-C-X",  # thirteen digits
        "01-I-NFO-00A1-T-25-C-X",
        "01-I-NFO-0001-TT-25-C-X",
        "01-I-NFO-0001-1-25-C-X",  # tier a digit
        "01-I-NFO-0001-T-2025-C-X",  # year four digits
        "01-I-NFO-0001-T-5-C-X",
        "01-I-NFO-0001-T-25-CC-X",
        "01-I-NFO-0001-T-25-C-1",
        "01-I-NF0-0001-T-25-C-X",  # digit zero in LLL
        "\u0660\u0661-I-NFO-0001-T-25-C-X",  # Arabic-Indic digits
        "01-\u0399-NFO-0001-T-25-C-X",  # Greek capital iota
    ],
)
def test_malformed_ids_do_not_validate(text: str) -> None:
    assert parse_chitty_id(text) is None
    assert not is_valid_chitty_id(text)


def test_long_sequences_have_one_spelling() -> None:
    assert spell_chitty_id("INFO", 12, 2025) == "01-I-NFO-0012-T-25-C-X"
    assert spell_chitty_id("INFO", 10_000, 2025) == "01-I-NFO-10000-T-25-C-X"
    assert spell_chitty_id("INFO", MAX_SEQUENCE, 2125) == "01-I-NFO-999999999999-T-25-C-X"
    assert is_valid_chitty_id("01-I-NFO-10000-T-25-C-X")
    with pytest.raises(ValueError, match="outside"):
        spell_chitty_id("INFO", MAX_SEQUENCE + 1, 2025)
    with pytest.raises(ValueError, match="outside"):
        spell_chitty_id("INFO", 0, 2025)
    with pytest.raises(ValueError, match="entity type"):
        spell_chitty_id("INFORMATION", 1, 2025)


@given(
    entity_type=st.from_regex(r"[A-Z]{3,4}", fullmatch=True),
    sequence=st.integers(1, MAX_SEQUENCE),
    year=st.integers(1970, 2999),
)
def test_every_minted_id_validates_and_reads_back(entity_type: str, sequence: int, year: int) -> None:
    parts = parse_chitty_id(spell_chitty_id(entity_type, sequence, year))
    assert parts == ChittyIdParts(1, entity_type, sequence, "T", year % 100, "C", "X")


@given(st.from_regex(r"01-[A-Z]-[A-Z]{2,3}-[0-9]{4,6}-T-[0-9]{2}-C-X", fullmatch=True))
def test_an_id_validates_only_in_its_one_spelling(text: str) -> None:
    """`0012` validates, `00012` and `0000` do not: exactly the spellings minting produces."""
    _, group, rest, sequence, _, year, _, _ = text.split("-")
    minted = int(sequence) > 0 and spell_chitty_id(group + rest, int(sequence), 2000 + int(year)) == text
    assert is_valid_chitty_id(text) == minted


def test_created_times_have_milliseconds() -> None:
    assert rfc3339_ms(1_759_557_600_000) == "2025-10-04T06:00:00.000Z"
    assert rfc3339_ms(1_759_557_600_007) == "2025-10-04T06:00:00.007Z"
    assert parse_rfc3339_ms("2025-10-04T06:00:00.000Z") == 1_759_557_600_000
    assert parse_rfc3339_ms("2025-10-04T08:00:00.250+02:00") == 1_759_557_600_250
    for bad in ("2025-10-04T06:00:00", "2025-10-04 06:00:00Z", "yesterday", ""):
        assert parse_rfc3339_ms(bad) is None


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({}, "entityType required"),
        ({"description": "no type"}, "entityType required"),
        ({"entityType": "info"}, "Invalid entityType"),
        ({"entityType": "IN"}, "Invalid entityType"),
        ({"entityType": "INFOS"}, "Invalid entityType"),
        ({"entityType": "IN-F"}, "Invalid entityType"),
        ({"entityType": 7.0}, "Invalid entityType"),
        ({"entityType": None}, "entityType required"),
    ],
)
def test_entity_type_is_checked(metadata: dict[str, object], error: str) -> None:
    with pytest.raises(ChorusError) as caught:
        check_entity_type(metadata)
    assert caught.value.message == error
    assert [v.field for v in caught.value.violations] == ["metadata.entityType"]


def test_valid_entity_types_pass() -> None:
    assert check_entity_type({"entityType": "PEO", "x": 1}) == "PEO"
    assert check_entity_type({"entityType": "PROP"}) == "PROP"
