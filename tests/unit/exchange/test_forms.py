"""Paper forms: every document type renders to a PDF whose Chinese reads (text layer and OCR of
the rendered page) and whose QR codes, scanned back from an image of the page, give back the
signed document byte for byte — also from a poor scan."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageFilter

from jinbao.exchange import forms, paper, scan
from jinbao.exchange.codec import encode, sign
from jinbao.exchange.model import DOCUMENT_ZH, DocumentType
from tests.rendering import need_cjk_font, ocr, page_images, similarity, tesseract, text_layer
from tests.unit.exchange.examples import BODIES, PERSON, document

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NAMES = {"44010600": "广州市天河区社会保险经办服务中心", "41010500": "郑州市金水区社会保险中心"}


@pytest.fixture(scope="module", autouse=True)
def cjk_font() -> None:
    need_cjk_font()


def printed(kind: DocumentType, body: dict | None = None) -> tuple[bytes, bytes]:
    """(wire bytes, PDF bytes) of one example document."""
    wire = encode(sign(document(kind, body), KEY, "k1"))
    form = forms.PaperForm(
        document(kind, body), paper.qr_parts(wire), paper.short_code(wire), "k1", NAMES
    )
    return wire, forms.render(form)


def scanned(images: list[Image.Image], **save: object) -> list[bytes]:
    """Each page read back from its own scan file, the way an operator uploads pages."""
    return paper.join_parts(t for image in images for t in scan.qr_texts(png(image, **save)))


def png(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, **save)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("kind", list(DocumentType))
def test_every_document_type_prints_with_its_chinese_text_and_an_embedded_font(
    kind: DocumentType,
) -> None:
    wire, pdf = printed(kind)
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile" in pdf
    assert b"NotoSansCJK" in pdf
    text = text_layer(pdf)
    assert DOCUMENT_ZH[kind] in text
    assert paper.short_code(wire) in text
    if "person" in BODIES[kind]:
        assert PERSON["name"] in text
        assert PERSON["id_number"] in text


def test_the_rendered_page_reads_as_chinese(tesseract: str, tmp_path: Path) -> None:
    _, pdf = printed(DocumentType.CONTACT_LETTER)
    seen = ocr(tesseract, page_images(pdf)[0], tmp_path)
    for expected in (
        DOCUMENT_ZH[DocumentType.CONTACT_LETTER],
        NAMES["44010600"],
        "郑州市社会保险基金收入户",
        "公民身份号码",
    ):
        assert similarity(expected, seen) >= 0.8, (expected, seen)
    assert PERSON["id_number"] in seen


def test_amounts_print_in_yuan_and_years_as_a_table() -> None:
    _, pdf = printed(DocumentType.INFO_TABLE)
    text = text_layer(pdf)
    assert "27,200.00 元" in text  # funds.total, 2 720 000 fen
    assert "7,200.00" in text
    assert "5,000.00" in text
    assert "缴费基数(元)" in text


def test_the_codes_scanned_from_the_page_give_back_the_signed_document() -> None:
    wire, pdf = printed(DocumentType.FUND_SLIP)
    assert len(page_images(pdf)) == 1  # a short document fits one page, codes and all
    assert scanned(page_images(pdf, dpi=200), format="PNG") == [wire]
    assert paper.join_parts(scan.qr_texts(pdf)) == [wire]  # the PDF itself uploaded


def test_a_poor_scan_still_reads(tmp_path: Path) -> None:
    wire, pdf = printed(DocumentType.CONTACT_LETTER)
    tilted = [
        image.convert("L")
        .rotate(2.5, expand=True, fillcolor=255)
        .filter(ImageFilter.GaussianBlur(0.8))
        for image in page_images(pdf, dpi=150)
    ]
    assert scanned(tilted, format="JPEG", quality=45) == [wire]


def test_a_long_record_spans_several_codes_and_pages_and_all_come_back() -> None:
    body = dict(BODIES[DocumentType.INFO_TABLE])
    body["years"] = [
        {
            "year": y, "region_code": "440106", "from": f"{y}-01", "to": f"{y}-12",
            "months": 12, "base": 300_000 + 7_919 * (y - 1990), "rate": "0.12",
            "pooled": 432_000 + 11_403 * (y - 1990), "kind": "employee",
            "account_year_end": 1_000_000 + 97_531 * (y - 1990),
        }
        for y in range(1992, 2026)
    ]  # fmt: skip
    wire, pdf = printed(DocumentType.INFO_TABLE, body)
    assert len(paper.qr_parts(wire)) >= 2
    assert paper.join_parts(scan.qr_texts(pdf)) == [wire]
    assert scanned(page_images(pdf, dpi=200), format="PNG") == [wire]
    assert "2025" in text_layer(pdf)
    assert "1992" in text_layer(pdf)


def test_an_upload_that_is_not_a_scan_is_refused_with_what_to_upload() -> None:
    from jinbao.kernel.errors import InvalidInput

    for junk in (b"hello", b"%PDF-1.7 broken", b"\x89PNG\r\n\x1a\n broken"):
        with pytest.raises(InvalidInput) as caught:
            scan.qr_texts(junk)
        assert caught.value.code == "exchange.scan_format"
        assert "PDF、PNG 或 JPEG" in caught.value.zh


__all__ = ["tesseract"]  # a fixture, used by name
