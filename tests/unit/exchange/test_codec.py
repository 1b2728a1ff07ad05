"""The exchange codec: round trips, golden files per version, forgeries and schema errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jinbao.exchange.codec import decode, encode, load_public_key, public_key_bytes, sign, verify
from jinbao.exchange.model import DocumentType
from jinbao.kernel.errors import InvalidInput
from tests.unit.exchange.examples import BODIES, document

GOLDEN = Path(__file__).parent / "golden" / "v1"
SENDER_KEY = Ed25519PrivateKey.from_private_bytes(
    bytes(range(32))
)  # fixed: signatures are deterministic
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


def keys(agency: str, key_id: str) -> Ed25519PublicKey | None:
    return SENDER_KEY.public_key() if (agency, key_id) == ("44010600", "k1") else None


def code_of(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        verify(decode(data), keys)
    return caught.value.code


@pytest.mark.parametrize("kind", list(DocumentType))
def test_every_document_type_round_trips(kind: DocumentType) -> None:
    signed = sign(document(kind), SENDER_KEY, "k1")
    data = encode(signed)
    assert verify(decode(data), keys) == signed.document
    assert encode(decode(data)) == data  # canonical: decoding and encoding changes no byte


@pytest.mark.parametrize("kind", list(DocumentType))
def test_the_golden_files_of_version_1_still_verify_and_encode_identically(
    kind: DocumentType,
) -> None:
    golden = (GOLDEN / f"{kind.value}.json").read_bytes()
    assert verify(decode(golden), keys) == document(kind)
    assert encode(sign(document(kind), SENDER_KEY, "k1")) == golden


def tampered(field: str, value: object) -> bytes:
    raw = json.loads(encode(sign(document(DocumentType.FUND_SLIP), SENDER_KEY, "k1")))
    raw["body"][field] = value
    return json.dumps(raw, ensure_ascii=False).encode()


def test_an_altered_amount_is_refused() -> None:
    assert code_of(tampered("total", 9_999_999)) == "exchange.signature"


def test_a_document_signed_by_another_key_is_refused() -> None:
    forged = encode(sign(document(DocumentType.FUND_SLIP), OTHER_KEY, "k1"))
    assert code_of(forged) == "exchange.signature"
    unknown = encode(sign(document(DocumentType.FUND_SLIP), SENDER_KEY, "k9"))
    assert code_of(unknown) == "exchange.unknown_key"


def test_a_body_that_breaks_the_schema_lists_every_problem_with_its_path() -> None:
    body = dict(BODIES[DocumentType.INFO_TABLE])
    body["person"] = {"id_number": "123", "name": "王芳"}
    body["funds"] = {"account": {"from2006": -1}, "pooled": 0, "total": 0}
    del body["transferred_on"]
    with pytest.raises(InvalidInput) as caught:
        verify(
            decode(encode(sign(document(DocumentType.INFO_TABLE, body), SENDER_KEY, "k1"))), keys
        )
    assert caught.value.code == "exchange.schema"
    fields = {i.field for i in caught.value.issues}
    assert {"(body)", "person/id_number", "funds/account/from2006"} <= fields


@pytest.mark.parametrize(
    "id_number",
    ["11010519491231002X\n", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "１１０１０５１９４９１２３１００２X"],
    ids=["trailing newline", "Arabic-Indic digits", "full-width digits"],
)
def test_patterns_are_read_as_json_schema_defines_them(id_number: str) -> None:
    """ECMA-262, as the draft says: ``\\d`` is 0–9 and ``$`` the end of the text. Python's
    ``re`` let all three through (the schemas were checked by it until session 29)."""
    body = dict(BODIES[DocumentType.INFO_TABLE])
    body["person"] = {"id_number": id_number, "name": "王芳"}
    with pytest.raises(InvalidInput) as caught:
        verify(
            decode(encode(sign(document(DocumentType.INFO_TABLE, body), SENDER_KEY, "k1"))), keys
        )
    assert caught.value.code == "exchange.schema"
    assert [i.field for i in caught.value.issues] == ["person/id_number"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not json", "exchange.malformed"),
        (b"{}", "exchange.malformed"),
        (b'{"envelope": {}, "body": {}, "signature": {}}', "exchange.malformed"),
    ],
)
def test_malformed_documents_are_refused(data: bytes, code: str) -> None:
    assert code_of(data) == code


def test_unknown_types_and_versions_are_refused() -> None:
    raw = json.loads(encode(sign(document(DocumentType.REFUSAL), SENDER_KEY, "k1")))
    raw["envelope"]["type"] = "love_letter"
    assert code_of(json.dumps(raw).encode()) == "exchange.unknown_type"
    raw["envelope"]["type"] = "refusal"
    raw["envelope"]["version"] = 2
    assert code_of(json.dumps(raw).encode()) == "exchange.unsupported_version"


def test_public_keys_publish_as_text_and_load_back() -> None:
    text = public_key_bytes(SENDER_KEY.public_key())
    assert len(text) == 43
    assert public_key_bytes(load_public_key(text)) == text
