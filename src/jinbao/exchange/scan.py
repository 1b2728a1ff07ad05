"""Reading the QR codes of a scanned paper form: an image (PNG, JPEG, TIFF…) or a PDF.

A PDF — the form itself, or a scanner's output — is rendered page by page (PDFium) at about
220 dpi; images are read as they are. Codes are found with zxing-cpp, which copes with the tilt,
blur and noise of an office scanner or a phone photo.
"""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from PIL import Image, UnidentifiedImageError

from jinbao.kernel.errors import InvalidInput

MAX_PAGES = 20
PDF_SCALE = 3.0  # PDF points are 1/72 in: 3 × 72 ≈ 216 dpi
MAX_PIXELS = 60_000_000  # a 600-dpi A3 page; anything larger is not a scan of our form
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses larger images (decompression bombs)


def _not_a_scan() -> InvalidInput:
    return InvalidInput(
        "exchange.scan_format",
        "无法读取上传的文件：请上传纸质文书的扫描件（PDF、PNG 或 JPEG）。",
        "The uploaded file cannot be read: upload a scan of the paper form (PDF, PNG or JPEG).",
        field="file",
    )


def pages(data: bytes) -> list[Image.Image]:
    """The page images of an uploaded scan."""
    if data[:5] == b"%PDF-":
        try:
            pdf = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise _not_a_scan() from None
        try:
            return [
                pdf[i].render(scale=PDF_SCALE).to_pil() for i in range(min(len(pdf), MAX_PAGES))
            ]
        finally:
            pdf.close()
    try:
        image = Image.open(io.BytesIO(data))
        frames = []
        for i in range(min(getattr(image, "n_frames", 1), MAX_PAGES)):  # multi-page TIFF
            image.seek(i)
            frames.append(image.convert("L"))
        return frames
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise _not_a_scan() from None


def qr_texts(data: bytes) -> list[str]:
    """The text of every QR code on every page of an uploaded scan."""
    return [
        result.text
        for page in pages(data)
        for result in zxingcpp.read_barcodes(page)
        if result.valid and result.format == zxingcpp.BarcodeFormat.QRCode
    ]
