"""The printed form of a document (manual mode): a PDF in Chinese with the signed document in QR
codes and its short code.

The form shows every field of the envelope and the body under its name on the 经办规程 forms
(POLICY Part II §8), amounts in yuan, the yearly records as a table, and at the end the codes the
receiving operator scans (or the short code to type). The font is Noto Sans CJK SC, embedded as a
subset, so the PDF reads the same on any machine.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from jinbao.exchange.model import DOCUMENT_ZH, Document
from jinbao.kernel.errors import Unavailable

FONT_ENV = "JINBAO_CJK_FONT"
FONT_CANDIDATES = (
    # Debian/Ubuntu fonts-noto-cjk; the collection's third face is Simplified Chinese.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora, Arch
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/System/Library/Fonts/PingFang.ttc", 0),  # macOS
)

LABELS = {
    "person": "参保人员", "id_number": "公民身份号码", "name": "姓名", "scheme": "险种",
    "kind": "转移类型", "direction": "转移类型", "from_agency": "转出地经办机构",
    "to_agency": "转入地经办机构", "transferring_agency": "转出地经办机构",
    "receiving_agency": "转入地经办机构", "receiving_bank": "转入地基金收入户",
    "applied_on": "申请日期", "application_id": "申请编号", "phone": "联系电话",
    "agent": "代办人", "relation": "与本人关系", "employer_uscc": "单位统一社会信用代码",
    "reasons": "理由", "refused_on": "出具日期", "items": "需补正的材料", "requested_on": "通知日期",
    "insured_from": "参保起始年月", "insured_to": "参保截至年月", "paid_months": "实际缴费月数",
    "account_balance": "个人账户余额", "agency": "经办机构", "hukou_address": "户籍地址",
    "verification_code": "验证码", "transferred_on": "转移日期", "employer_name": "单位名称",
    "years": "历年缴费信息", "funds": "转移基金", "account": "个人账户", "pooled": "统筹基金",
    "total": "合计", "pre1998": "1998年前", "y1998_2005": "1998—2005年", "from2006": "2006年起",
    "deemed_months": "视同缴费月数", "exclusions": "未予转移的说明", "transfer_key": "划转编号",
    "from_bank": "转出地基金支出户", "to_bank": "转入地基金收入户", "sent_on": "划转日期",
    "completed_on": "办结日期", "accepted_months": "接收缴费月数", "accepted_total": "接收金额",
    "note": "备注", "code": "机构编码", "region_code": "行政区划代码", "address": "地址",
    "postcode": "邮编", "account_name": "户名", "bank": "开户银行", "bank_code": "行号",
    "account_number": "账号", "individual": "个人缴费", "collective": "集体补助",
}  # fmt: skip
VALUES = {
    "enterprise": "企业职工基本养老保险", "resident": "城乡居民基本养老保险",
    "public": "机关事业单位基本养老保险", "cross_province": "跨省转移",
    "intra_province": "省内转移", "temporary_gathering": "临时缴费账户归集",
    "return_to_receiving_place": "转回待遇领取地", "linkage_to_employee": "城乡居保转入职工养老保险",
    "linkage_to_resident": "职工养老保险转入城乡居保", "bulk_employer": "成建制划转",
}  # fmt: skip
# The order fields are printed in (canonical JSON sorts them by name): who, what, where from and
# to, then the rest as they come.
FIRST = (
    "person", "scheme", "kind", "direction", "applied_on", "application_id", "transferred_on",
    "from_agency", "transferring_agency", "to_agency", "receiving_agency",
)  # fmt: skip
MONEY = {
    "pooled", "total", "account", "account_balance", "accepted_total", "base",
    "account_year_end", "pre1998", "y1998_2005", "from2006",
}  # fmt: skip
YEAR_COLUMNS = (
    ("year", "年度", 12), ("region_code", "地区", 16), ("from", "起", 16), ("to", "止", 16),
    ("months", "月数", 11), ("base", "缴费基数(元)", 26), ("rate", "比例", 12),
    ("pooled", "统筹基金(元)", 26), ("kind", "类别", 16), ("account_year_end", "账户年末(元)", 26),
)  # fmt: skip
KIND_ZH = {
    "employee": "职工", "flexible": "灵活就业", "temporary": "临时账户", "deemed": "视同",
    "back_payment": "补缴", "resident": "城乡居民",
}  # fmt: skip


class FontMissing(Unavailable):
    """No CJK font on this machine: the form cannot be printed legibly."""


@dataclasses.dataclass(frozen=True, slots=True)
class PaperForm:
    document: Document
    qr_parts: Sequence[str]
    short_code: str
    key_id: str
    agency_names: Mapping[str, str]  # code → name, for the envelope's sender and receiver


def find_font() -> tuple[str, int]:
    """The CJK font file and face index: ``$JINBAO_CJK_FONT`` (``path`` or ``path#index``) or the
    first of the usual system places."""
    configured = os.environ.get(FONT_ENV)
    if configured:
        path, _, face = configured.partition("#")
        if Path(path).is_file():
            return path, int(face or 0)
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return path, index
    raise FontMissing(
        "exchange.font_missing",
        "本机没有中文字体，无法打印纸质文书。请安装 fonts-noto-cjk（Debian/Ubuntu：apt-get install "
        f"fonts-noto-cjk），或用环境变量 {FONT_ENV} 指定字体文件。",
        "No Chinese font on this machine, so paper forms cannot be printed. Install fonts-noto-cjk "
        f"(Debian/Ubuntu: apt-get install fonts-noto-cjk) or point {FONT_ENV} at a font file.",
    )


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in MONEY and isinstance(value, int):
        return f"{yuan(value)} 元"
    if isinstance(value, str):
        return VALUES.get(value, value)
    return str(value)


def _lines(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(label, text) rows for one body field; objects flatten into 'outer·inner' labels."""
    label = LABELS.get(key, key)
    if isinstance(value, Mapping):
        rows: list[tuple[str, str]] = []
        for inner, item in value.items():
            for sub_label, text in _lines(item, inner):
                rows.append((f"{label}·{sub_label}" if label else sub_label, text))
        return rows
    if isinstance(value, list) and value and isinstance(value[0], Mapping) and "zh" in value[0]:
        return [
            (label if i == 1 else "", f"{i}. {m['zh']}（{m['en']}）")
            for i, m in enumerate(value, 1)
        ]
    if isinstance(value, list):
        return [(label, "、".join(_scalar(key, v) for v in value) or "—")]
    return [(label, _scalar(key, value))]


class _Form(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("cjk", size=7)
        self.cell(0, 5, f"{self.footer_text}    第 {self.page_no()} 页", align="C")


def render(form: PaperForm) -> bytes:
    """The PDF bytes of one paper form."""
    document = form.document
    env = document.envelope
    font, index = find_font()
    pdf = _Form(f"金保 Jinbao · 文书 {env.id} · Ed25519 签名密钥 {form.key_id}")
    pdf.set_creation_date(_issued(env.issued_at))
    pdf.set_title(DOCUMENT_ZH[env.type])
    pdf.set_creator("Jinbao 金保")
    pdf.add_font("cjk", "", font, collection_font_number=index)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("cjk", size=17)
    pdf.cell(0, 10, DOCUMENT_ZH[env.type], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.cell(
        0, 6, "（纸质传递 · 人工模式：收文机构扫描二维码或输入短码录入）", align="C",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip
    pdf.ln(2)
    names = form.agency_names
    head = [
        ("文书编号", env.id),
        ("业务编号", env.case_id),
        ("发文机构", f"{names.get(env.sender, '')}（{env.sender}）"),
        ("收文机构", f"{names.get(env.receiver, '')}（{env.receiver}）"),
        ("签发时间", env.issued_at),
    ]
    if env.in_reply_to:
        head.append(("答复文书", env.in_reply_to))
    _pairs(pdf, head)
    body = dict(document.body)
    years = body.pop("years", None)
    pdf.ln(3)
    ordered = sorted(body, key=lambda k: FIRST.index(k) if k in FIRST else len(FIRST))
    _pairs(pdf, [row for key in ordered for row in _lines(body[key], key)])
    if years:
        pdf.ln(3)
        pdf.set_font("cjk", size=11)
        pdf.cell(0, 7, LABELS["years"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _years(pdf, years)
    _codes(pdf, form)
    return bytes(pdf.output())


def _issued(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _pairs(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    pdf.set_font("cjk", size=9.5)
    with pdf.table(
        col_widths=(54, 136), text_align=("LEFT", "LEFT"), first_row_as_headings=False,
        line_height=5.5, wrapmode=WrapMode.CHAR,
    ) as table:  # fmt: skip
        for label, text in rows:
            table.row((label, text))


def _years(pdf: FPDF, years: Sequence[Mapping[str, Any]]) -> None:
    pdf.set_font("cjk", size=8)
    with pdf.table(
        col_widths=tuple(w for _, _, w in YEAR_COLUMNS), line_height=5,
        text_align="CENTER", wrapmode=WrapMode.CHAR,
        headings_style=FontFace(emphasis="", fill_color=(232, 232, 232)),
    ) as table:  # fmt: skip
        table.row(tuple(title for _, title, _ in YEAR_COLUMNS))
        for line in years:
            cells = []
            for key, _, _ in YEAR_COLUMNS:
                value = line.get(key)
                if value is None:
                    cells.append("")
                elif key in MONEY:
                    cells.append(yuan(int(value)))
                elif key == "kind":
                    cells.append(KIND_ZH.get(str(value), str(value)))
                else:
                    cells.append(str(value))
            table.row(tuple(cells))


MODULE_MM = 0.6  # one QR module on paper: ≥ 4.7 px at 200 dpi, what office scanners give


def _codes(pdf: FPDF, form: PaperForm) -> None:
    codes = [segno.make(text, error="m", micro=False) for text in form.qr_parts]
    size = max(40.0, max(c.symbol_size(border=4)[0] for c in codes) * MODULE_MM)
    if pdf.get_y() + 30 + size > pdf.h - 16:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, "电子签名件（录入用）", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(
        0, 5,
        f"收文机构扫描下列全部{len(codes)}个二维码，或在系统中输入短码，即可录入本文书；"
        "同一文书重复录入或电子件另行到达时只办理一次。",
        new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR,
    )  # fmt: skip
    pdf.set_font("courier", size=16)
    pdf.cell(0, 10, form.short_code, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y()
    for i, code in enumerate(codes):
        column = i % 2  # two codes a row
        if column == 0:
            if i:
                pdf.set_y(top + size + 8)
            if pdf.get_y() + size + 8 > pdf.h - 16:
                pdf.add_page()
            top = pdf.get_y()
        x = pdf.l_margin + column * (size + 6)
        image = io.BytesIO()
        code.save(image, kind="png", scale=4, border=4)
        image.seek(0)
        pdf.image(image, x=x, y=top, w=size, h=size)
        pdf.set_font("cjk", size=8)
        pdf.set_xy(x, top + size)
        pdf.cell(size, 5, f"二维码 {i + 1}/{len(codes)}", align="C")
    pdf.set_y(top + size + 8)
