"""The ``jinbao`` command as a person uses it: output for people or JSON, and its exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jinbao.cli import common
from jinbao.cli.main import app
from tests.builders import a_uscc, an_id_number

AGENCY = [
    "--address", "广州市天河区体育西路1号", "--department", "转移接续科",
    "--phone", "020-12345678", "--hours", "周一至周五 9:00-17:00",
]  # fmt: skip


class Jinbao:
    def __init__(self, url: str) -> None:
        self.runner = CliRunner()
        self.env = {"JINBAO_DATABASE_URL": url}

    def __call__(self, *args: str, code: int = 0) -> str:
        common.settings.cache_clear()
        common.engine.cache_clear()
        result = self.runner.invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result.output

    def json(self, *args: str, code: int = 0) -> object:
        return json.loads(self(*args, "--json", code=code))


@pytest.fixture
def jinbao(sqlite_url: str) -> Iterator[Jinbao]:
    cli = Jinbao(sqlite_url)
    cli("db", "upgrade")
    for code, level, parent, region in [
        ("10000000", "national", None, None),
        ("44000000", "province", "10000000", "440000"),
        ("44010000", "city", "44000000", "440100"),
    ]:
        extra = ["--parent", parent, "--region", region] if parent and region else []
        cli(
            "agency",
            "add",
            "--code",
            code,
            "--name",
            f"机构{code}",
            "--level",
            level,
            *AGENCY,
            *extra,
        )
    yield cli
    common.settings.cache_clear()
    common.engine.cache_clear()


def test_commands_refuse_to_run_on_an_unmigrated_database(sqlite_url: str) -> None:
    cli = Jinbao(sqlite_url)
    assert "db upgrade" in cli("person", "list", code=1)


def test_db_check_passes_after_upgrade(jinbao: Jinbao) -> None:
    report = jinbao.json("db", "check")
    assert report["ok"] is True  # type: ignore[index]
    assert report["drift"] == []  # type: ignore[index]


def test_a_person_is_added_and_shown_for_people_and_as_json(jinbao: Jinbao) -> None:
    number = an_id_number(born="1990-02-03", sex="F", county="440106")
    text = jinbao("person", "add", "--id-number", number, "--name", "林芳", "--hukou", "440106")
    assert number in text
    assert "林芳" in text
    shown = jinbao.json("person", "show", number)
    assert shown == {
        "id_number": number, "name": "林芳", "sex": "F", "birth_date": "1990-02-03",
        "hukou_region_code": "440106", "retirement_category": "female_50",
        "phone": None, "address": None,
    }  # fmt: skip


def test_bad_input_exits_2_and_a_refusal_exits_3(jinbao: Jinbao) -> None:
    bad = jinbao.json(
        "person", "add", "--id-number", "110105194912310021", "--name", "x", "--hukou", "110105",
        code=2,
    )  # fmt: skip
    assert bad["error"]["code"] == "id_number.checksum"  # type: ignore[index]
    number = an_id_number()
    jinbao("person", "add", "--id-number", number, "--name", "x", "--hukou", "440106")
    again = jinbao(
        "person", "add", "--id-number", number, "--name", "x", "--hukou", "440106", code=3
    )
    assert "person.duplicate" in again
    assert (
        jinbao.json("person", "show", an_id_number(), code=3)["error"]["code"] == "person.not_found"
    )  # type: ignore[index]
    assert "No such option" in jinbao("person", "add", "--nickname", "x", code=2)


def test_an_import_with_errors_lists_rows_and_imports_nothing(
    jinbao: Jinbao, tmp_path: Path
) -> None:
    good, bad = an_id_number(county="440106"), "440106197001010000"
    path = tmp_path / "persons.csv"
    path.write_text(f"id_number,name,hukou_region_code\n{good},甲,440106\n{bad},乙,440106\n")
    output = jinbao("person", "import", str(path), code=2)
    assert "row 3, field id_number" in output
    assert "校验位" in output
    assert jinbao.json("person", "list") == []
    path.write_text(f"id_number,name,hukou_region_code\n{good},甲,440106\n")
    assert jinbao.json("person", "import", str(path)) == {
        "kind": "persons",
        "rows": 1,
        "imported": 1,
    }
    assert jinbao("person", "import", str(tmp_path / "missing.csv"), code=2)


def test_employers_and_relationships_through_the_cli(jinbao: Jinbao) -> None:
    uscc = a_uscc("440100")
    jinbao("employer", "add", "--uscc", uscc, "--name", "某公司", "--agency", "44010000")
    number = an_id_number(born="1980-01-01")
    jinbao("person", "add", "--id-number", number, "--name", "某", "--hukou", "440106")
    rel = jinbao.json(
        "relationship", "add", "--id-number", number, "--scheme", "enterprise",
        "--agency", "44010000", "--employer", uscc, "--started-on", "2005-07-01",
    )  # fmt: skip
    rid = str(rel["id"])  # type: ignore[index]
    jinbao("relationship", "set-status", rid, "--status", "suspended", "--on", "2019-01-01",
           "--reason", "中断缴费")  # fmt: skip
    text = jinbao("relationship", "show", rid)
    assert "contributing → suspended" in text
    refused = jinbao("relationship", "set-status", rid, "--status", "suspended", "--on",
                     "2019-02-01", "--reason", "x", code=3)  # fmt: skip
    assert "relationship.transition" in refused


def test_the_directory_and_network_status_from_the_cli(jinbao: Jinbao) -> None:
    jinbao("agency", "set-network", "44010000", "--since", "2011-01-01")
    listed = jinbao.json("agency", "list", "--province", "44", "--networked")
    assert [a["code"] for a in listed] == ["44010000"]  # type: ignore[union-attr,index]
    assert "exactly one" in jinbao("agency", "set-network", "44010000", code=2)


def test_the_demo_country_loads_once(sqlite_url: str) -> None:
    cli = Jinbao(sqlite_url)
    cli("db", "upgrade")
    first = cli.json("demo", "load", "--persons", "0")
    assert first == {"loaded": True, "agencies": 53, "employers": 27, "persons": 304,
                     "relationships": first["relationships"], "contributions": first["contributions"],
                     "movers": first["movers"], "paper_movers": first["paper_movers"],
                     "linkage_person": first["linkage_person"], "retiree": first["retiree"],
                     "resident_pensioner": first["resident_pensioner"],
                     "deemed_retiree": first["deemed_retiree"], "nation": None}  # type: ignore[index]  # fmt: skip
    assert len(first["movers"]) == 5  # type: ignore[index,arg-type]
    assert len(first["paper_movers"]) == 1  # type: ignore[index,arg-type]
    persons = cli.json("person", "list", "--limit", "1000")
    assert len(persons) == 304  # type: ignore[arg-type]
    assert cli.json("demo", "load")["loaded"] is False  # type: ignore[index]
    assert len(cli.json("person", "list", "--limit", "1000")) == 304  # type: ignore[arg-type]
    provinces = cli.json("agency", "list", "--level", "province", "--limit", "100")
    assert len(provinces) == 32  # type: ignore[arg-type]  # 31 provinces and the 兵团 (66)


def test_the_demo_books_balance(sqlite_url: str) -> None:
    cli = Jinbao(sqlite_url)
    cli("db", "upgrade")
    loaded = cli.json("demo", "load")
    assert loaded["contributions"] > 1000  # type: ignore[index]
    nation = loaded["nation"]  # type: ignore[index]
    assert nation["persons"] == 1000  # type: ignore[index]
    assert nation["records"] > 5_000  # type: ignore[index]
    assert nation["resident_payments"] > 500  # type: ignore[index]
    assert "every invariant holds" in cli("ledger", "check")
    # The nation's people are there through the real interfaces: one of each career.
    for number in nation["sample_ids"]:  # type: ignore[index]
        assert cli.json("person", "record", number)["person"]["id_number"] == number  # type: ignore[index]
    resident = nation["sample_ids"][-1]  # type: ignore[index]
    assert "城乡居保 缴费" in cli("person", "record", resident)  # a line per year paid


def test_sim_parquet_into_an_unusable_folder_is_refused_before_any_work(
    jinbao: Jinbao, tmp_path: Path
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    out = jinbao("sim", "generate", "--persons", "10", "--parquet", str(tmp_path / "a-file" / "pq"), code=2)  # fmt: skip
    assert "sim.parquet_folder" in out
    assert "无法写入文件夹" in out
    assert "choose a writable folder" in out


def test_sim_more_writers_than_sqlite_allows_is_refused_before_the_progress_bar(
    jinbao: Jinbao,
) -> None:
    out = jinbao("sim", "generate", "--persons", "10", "--workers", "2", code=2)
    assert "sim.workers" in out
    assert "needs PostgreSQL" in out
    assert "generating" not in out  # no progress bar drawn over the refusal


@pytest.mark.postgres
def test_sim_shows_each_index_and_key_after_the_load_and_each_year_of_interest(
    new_database: Callable[[str], str],
) -> None:
    # On PostgreSQL the persons' bar is full minutes before the command ends at a million
    # persons: what runs after it is listed step by step, as jinbao db check would name it.
    cli = Jinbao(new_database("postgresql"))
    cli("db", "upgrade")
    out = cli("sim", "generate", "--persons", "200", "--years", "3")
    lines = out.splitlines()
    after = lines.index("建索引、查外键、更新统计 indexes, keys, statistics:")
    steps = [line.split()[-1] for line in lines[after + 1 : after + 15]]
    assert steps[0].startswith("ix_")
    assert steps[-2].startswith("fk_")
    assert steps[-1] == "ANALYZE"
    assert "uq_contributions_person_id_scheme_period_entry_no" in steps
    assert "fk_contribution_payments_contribution_id_contributions" in steps
    assert lines[after + 1].startswith("  [ 1/14]")
    assert lines[after + 14].startswith("  [14/14]")
    assert lines[after + 15].startswith("  完成 done:")
    interest = lines.index("逐年结息 crediting interest:")
    assert interest == after + 16
    done = next(i for i in range(interest, len(lines)) if lines[i].startswith("  完成 done:"))
    years = [line.split()[-1] for line in lines[interest + 1 : done]]
    assert years, out  # the window's finished years with a published rate, in order
    assert f"interest credited for {', '.join(years)};" in out
    # three years hold no resident's years to 60: the line says why no one applied
    assert "城乡居保待遇 residents' pensions: none of the residents who reached 60" in out
    assert "no drift" in cli("db", "check")
