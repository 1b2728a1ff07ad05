"""Paper carriage, pure: Base45, QR parts in any order, short codes."""

from __future__ import annotations

import os

import pytest

from jinbao.exchange import paper
from jinbao.kernel.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "text"),
    [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"", "")],
)
def test_base45_matches_the_rfc_9285_examples(raw: bytes, text: str) -> None:
    assert paper.b45encode(raw) == text
    assert paper.b45decode(text) == raw


@pytest.mark.parametrize("bad", ["GGW", "ZZ", "A", "abc"])
def test_base45_refuses_what_is_not_base45(bad: str) -> None:
    with pytest.raises(ValueError, match="Base45"):
        paper.b45decode(bad)


def test_a_large_document_is_cut_into_parts_that_join_in_any_order_and_twice() -> None:
    wire = os.urandom(5000)  # incompressible: the worst case
    parts = paper.qr_parts(wire)
    assert len(parts) > 3
    assert all(len(p) <= paper.PART_CHARS + 30 for p in parts)
    shuffled = [*reversed(parts), parts[0], "https://example.com/not-ours"]
    assert paper.join_parts(shuffled) == [wire]


def test_two_documents_on_one_scan_come_out_as_two() -> None:
    one, two = b'{"a":1}', b'{"b":2}'
    assert sorted(paper.join_parts(paper.qr_parts(one) + paper.qr_parts(two))) == [one, two]


def test_a_missing_part_names_how_many_were_read() -> None:
    parts = paper.qr_parts(os.urandom(3000))
    with pytest.raises(InvalidInput) as caught:
        paper.join_parts(parts[1:])
    assert caught.value.code == "exchange.paper_unreadable"
    assert f"共{len(parts)}个二维码，只识别到{len(parts) - 1}个" in caught.value.zh


def test_a_damaged_part_fails_its_digest() -> None:
    (part,) = paper.qr_parts(b'{"amount":100}')
    head, data = part.rsplit("/", 1)
    damaged = f"{head}/{data[:-3]}{'0' if data[-3] != '0' else '1'}{data[-2:]}"
    with pytest.raises(InvalidInput, match="paper_unreadable"):
        paper.join_parts([damaged])


def test_nothing_of_ours_on_the_scan_says_so() -> None:
    with pytest.raises(InvalidInput) as caught:
        paper.join_parts(["hello"])
    assert "未找到金保文书二维码" in caught.value.zh


def test_short_codes_are_stable_distinct_and_forgiving_to_type() -> None:
    code = paper.short_code(b"document one")
    assert code == paper.short_code(b"document one")
    assert code != paper.short_code(b"document two")
    assert len(code) == 19
    assert code.count("-") == 3
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert paper.normalise_code(typed) == code


@pytest.mark.parametrize("typed", ["ABCD-EFGH", "ABCD-EFGH-JKMN-PQRU", ""])
def test_a_short_code_of_the_wrong_shape_is_refused_with_the_expected_shape(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        paper.normalise_code(typed)
    assert caught.value.code == "exchange.short_code_format"
    assert "16位" in caught.value.zh
