"""Reading CSV files people make: UTF-8 or GB18030, a header row, row numbers as a spreadsheet
shows them (the header is row 1), and every structural problem reported at once.

Used by every import (persons, employers, declarations): the file is either read whole or
refused with :class:`~jinbao.kernel.errors.Issue` values naming rows and columns.
"""

from __future__ import annotations

import csv
import io

from jinbao.kernel.errors import InvalidInput, Issue


def decode(data: bytes) -> str:
    """UTF-8 (BOM optional) first, then GB18030; anything else is a clear error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "import.encoding",
            "文件编码无法识别，请保存为UTF-8或GB18030编码的CSV文件。",
            "The file's encoding is not recognised; save it as CSV in UTF-8 or GB18030.",
        ) from exc


def read_rows(
    text: str, columns: tuple[str, ...], required: tuple[str, ...], max_rows: int = 100_000
) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a CSV text as (row number, {column: value}); blank rows are skipped."""
    header, rows = read_table(text, columns, required, max_rows)
    return [(row_no, dict(zip(header, values, strict=True))) for row_no, values in rows]


def read_table(
    text: str, columns: tuple[str, ...], required: tuple[str, ...], max_rows: int = 100_000
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows as (row number, [stripped values in header order]) — what
    :func:`read_rows` reads, without a dict per row, for the bulk imports (declarations)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise rejected([Issue("import.empty", "文件为空。", "The file is empty.", row=1)]) from None
    except csv.Error as exc:
        raise rejected(
            [Issue("import.csv", f"CSV格式错误：{exc}", f"Malformed CSV: {exc}", row=1)]
        ) from exc
    issues = [
        Issue(
            "import.missing_column",
            f"缺少必需的列“{c}”。",
            f"Required column '{c}' is missing.",
            field=c,
            row=1,
        )
        for c in required
        if c not in header
    ]
    issues += [
        Issue(
            "import.unknown_column",
            f"无法识别的列“{c}”，可用的列：{'、'.join(columns)}。",
            f"Unknown column '{c}'; the columns are: {', '.join(columns)}.",
            field=c,
            row=1,
        )
        for c in header
        if c not in columns
    ]
    if len(set(header)) != len(header):
        issues.append(
            Issue("import.duplicate_column", "列名重复。", "A column appears twice.", row=1)
        )
    if issues:
        raise rejected(issues)
    out: list[tuple[int, list[str]]] = []
    strip, width = str.strip, len(header)
    try:
        for raw in reader:
            row_no = reader.line_num
            values = list(map(strip, raw))
            if not any(values):
                continue
            if len(values) != width:
                raise rejected(
                    [
                        Issue(
                            "import.column_count",
                            f"第{row_no}行有{len(values)}列，表头有{len(header)}列。",
                            f"Row {row_no} has {len(values)} fields; the header has {len(header)}.",
                            row=row_no,
                        )
                    ]
                )
            out.append((row_no, values))
            if len(out) > max_rows:
                raise rejected(
                    [
                        Issue(
                            "import.too_many_rows",
                            f"单个文件最多{max_rows}行，请拆分后导入。",
                            f"A file holds at most {max_rows} rows; split it.",
                            row=row_no,
                        )
                    ]
                )
    except csv.Error as exc:
        raise rejected(
            [
                Issue(
                    "import.csv",
                    f"CSV格式错误：{exc}",
                    f"Malformed CSV: {exc}",
                    row=reader.line_num,
                )
            ]
        ) from exc
    if not out:
        raise rejected(
            [Issue("import.no_rows", "文件没有数据行。", "The file has no data rows.", row=2)]
        )
    return header, out


def rejected(issues: list[Issue]) -> InvalidInput:
    n = len(issues)
    return InvalidInput(
        "import.rejected",
        f"文件有{n}处错误，未导入任何记录。请按行修正后重新导入。",
        f"The file has {n} problem(s); nothing was imported. Fix the rows listed and import again.",
        issues=issues,
    )
