"""Paper carriage of signed documents (manual mode), pure: QR payloads and short codes.

When two agencies are not both on the exchange network (入网), a document travels as a printed
form. The form carries the **signed document itself** — the same bytes the network would carry —
so the receiver verifies signature and schema exactly as for an electronic copy, and the inbox
applies it once whichever copy comes first.

- QR payload: the wire bytes compressed (zlib) and written in Base45 (RFC 9285), which uses only
  the QR alphanumeric alphabet (denser than byte mode), cut into parts of at most
  :data:`PART_CHARS` characters so each code stays small enough to scan from a printed page.
  Each part reads ``JB1/<i>/<n>/<digest>/<data>``; the digest (first 8 hex of SHA-256 of the
  whole compressed payload, upper case) ties the parts of one document together.
- Short code: 16 characters of Crockford Base32 over SHA-256 of the wire bytes, printed in groups
  of four (``ABCD-EFGH-JKMN-PQRS``); 80 bits, so it cannot be guessed, and a mistyped code finds
  nothing.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable

from jinbao.kernel.errors import InvalidInput

PREFIX = "JB1"
PART_CHARS = 1200  # Base45 characters per QR code: version ≤ 27 at level M
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(B45)}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PART = re.compile(r"^JB1/(\d+)/(\d+)/([0-9A-F]{8})/(.*)$", re.DOTALL)


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [B45[c], B45[d], B45[e]]
    if len(data) % 2:
        n = data[-1]
        out += [B45[n % 45], B45[n // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        values = [_B45_INDEX[ch] for ch in text]
    except KeyError:
        raise ValueError("not Base45") from None
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 45 * 45
            if n > 0xFFFF:
                raise ValueError("not Base45")
            out += bytes((n // 256, n % 256))
        elif len(chunk) == 2:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise ValueError("not Base45")
            out.append(n)
        else:
            raise ValueError("not Base45")
    return bytes(out)


def qr_parts(wire: bytes) -> list[str]:
    """The texts of the QR codes that carry one signed document."""
    packed = zlib.compress(wire, 9)
    digest = hashlib.sha256(packed).hexdigest()[:8].upper()
    text = b45encode(packed)
    pieces = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
    n = len(pieces)
    return [f"{PREFIX}/{i}/{n}/{digest}/{piece}" for i, piece in enumerate(pieces, 1)]


def _unreadable(zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "exchange.paper_unreadable",
        f"纸质文书的二维码无法识别：{zh}",
        f"The QR codes cannot be read: {en}",
    )


def join_parts(texts: Iterable[str]) -> list[bytes]:
    """The signed documents (wire bytes) carried by the QR texts read from one or more scans.

    Texts that are not ours are ignored; parts may come in any order and more than once. A
    document with parts missing is an error naming how many were read, so the operator can scan
    the missing page again.
    """
    groups: dict[str, dict[int, str]] = {}
    totals: dict[str, int] = {}
    for text in texts:
        match = _PART.match(text.strip())
        if match is None:
            continue
        i, n, digest, piece = int(match[1]), int(match[2]), match[3], match[4]
        if not 1 <= i <= n:
            continue
        groups.setdefault(digest, {})[i] = piece
        totals[digest] = n
    if not groups:
        raise _unreadable(
            "未找到金保文书二维码，请确认扫描件清晰完整。",
            "no Jinbao document code was found; check that the scan is sharp and complete.",
        )
    documents = []
    for digest, parts in groups.items():
        n = totals[digest]
        if len(parts) != n:
            raise _unreadable(
                f"该文书共{n}个二维码，只识别到{len(parts)}个，请补扫缺少的页面。",
                f"the document has {n} codes and only {len(parts)} were read; scan the missing page.",
            )
        try:
            packed = b45decode("".join(parts[i] for i in range(1, n + 1)))
        except ValueError:
            raise _unreadable("二维码内容已损坏。", "the code content is damaged.") from None
        if hashlib.sha256(packed).hexdigest()[:8].upper() != digest:
            raise _unreadable(
                "二维码内容与校验值不符。", "the code content fails its check digest."
            )
        try:
            documents.append(zlib.decompress(packed))
        except zlib.error:
            raise _unreadable("二维码内容已损坏。", "the code content is damaged.") from None
    return documents


def short_code(wire: bytes) -> str:
    """The code an operator types instead of scanning: ``XXXX-XXXX-XXXX-XXXX``."""
    digest = int.from_bytes(hashlib.sha256(wire).digest()[:10], "big")  # 80 bits
    chars = "".join(_CROCKFORD[(digest >> (5 * k)) & 31] for k in range(15, -1, -1))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str) -> str:
    """A typed short code in its printed form: case, spaces and dashes forgiven, and the letters
    Crockford Base32 reads as digits (O→0, I/L→1) mapped as it says."""
    raw = re.sub(r"[\s\-]", "", text.upper()).translate(str.maketrans("OIL", "011"))
    if len(raw) != 16 or any(ch not in _CROCKFORD for ch in raw):
        raise InvalidInput(
            "exchange.short_code_format",
            "短码应为16位字母数字（如 ABCD-EFGH-JKMN-PQRS），请核对纸质文书上印的短码。",
            "A short code has 16 letters and digits (e.g. ABCD-EFGH-JKMN-PQRS); check the code "
            "printed on the paper form.",
            field="code",
        )
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))
