"""Reading rendered PDFs back in tests: pages as images, the text layer, OCR in Chinese.

Tesseract (with chi_sim) and a CJK font are mandatory under CI=true; elsewhere their tests skip.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from jinbao.exchange import forms
from tests.conftest import IN_CI


def mandatory(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; mandatory under CI=true", pytrace=False)
    pytest.skip(reason)


def need_cjk_font() -> None:
    try:
        forms.find_font()
    except forms.FontMissing:
        mandatory("no CJK font (apt-get install fonts-noto-cjk)")


@pytest.fixture(scope="session")
def tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        mandatory("tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    assert found is not None
    langs = subprocess.run([found, "--list-langs"], capture_output=True, text=True).stdout
    if "chi_sim" not in langs.split():
        mandatory("tesseract has no Simplified Chinese (apt-get install tesseract-ocr-chi-sim)")
    return found


def page_images(pdf: bytes, dpi: int = 300) -> list[Image.Image]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil() for i in range(len(doc))]
    finally:
        doc.close()


def text_layer(pdf: bytes) -> str:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def ocr(tesseract: str, image: Image.Image, tmp_path: Path) -> str:
    path = tmp_path / "page.png"
    image.convert("L").save(path)
    out = subprocess.run(
        [tesseract, str(path), "-", "-l", "chi_sim", "--psm", "4"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return "".join(out.stdout.split())  # Chinese OCR puts spaces between characters


def similarity(expected: str, text: str) -> float:
    """How much of ``expected`` the OCR found, in order (1.0 = every character)."""
    match = difflib.SequenceMatcher(None, expected, text, autojunk=False)
    return sum(b.size for b in match.get_matching_blocks()) / len(expected)
