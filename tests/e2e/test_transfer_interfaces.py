"""A cross-province transfer through the CLI (as the README walks it) and through the HTTP API."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from jinbao.contributions import service as contributions
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import load_parameters
from jinbao.registry import service as registry
from jinbao.registry.model import RelationshipStatus, Scheme
from jinbao.web.app import create_app
from tests.builders import a_uscc, an_agency_tree, an_id_number
from tests.e2e.test_money_interfaces import run
from tests.integration.helpers import commit
from tests.integration.transfers.conftest import NEW, OLD


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, new_database: Callable[[str], str]) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("pg_cluster")
    return new_database(request.param)


def declare_months(uow: UnitOfWork, uscc: str, person: str, year: int, count: int) -> None:
    first = YearMonth(year, 1)
    rows = [
        contributions.DeclarationRow(i + 2, uscc, first.plus(i), person, Fen(500_000))
        for i in range(count)
    ]
    contributions.declare(
        uow, rows, batch=f"b{person}", params=load_parameters(), paid_on=dt.date(2021, 1, 5)
    )


def test_the_readme_names_the_demo_persons_it_walks(url: str) -> None:
    """The README's walks use the demo's persons by ID number: they must be the ones `demo
    load` makes (two had gone stale when the demo's draws changed, found in session 23)."""
    run(url, "db", "upgrade")
    loaded = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    walked = [*loaded["movers"][:2], *loaded["paper_movers"], loaded["linkage_person"],
              loaded["retiree"], loaded["resident_pensioner"], loaded["deemed_retiree"]]  # fmt: skip
    for number in walked:
        assert f" {number} " in readme, number


def test_the_readme_walkthrough_with_the_demo_data(url: str) -> None:
    run(url, "db", "upgrade")
    loaded = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))
    person = loaded["movers"][0]
    case = json.loads(run(url, "transfer", "apply", person, "--to", "41010000", "--json"))
    case_id = case["case_id"]
    (receiving,) = case["sides"]
    assert receiving["state"] == "applied"
    assert receiving["queued"]  # Zhengzhou's operators review applications themselves
    queued = json.loads(
        run(url, "transfer", "list", "--agency", "41010000", "--only", "queued", "--json")
    )
    assert [c["case_id"] for c in queued] == [case_id]

    # Zhengzhou approves: the 联系函 goes; Guangdong reviews automatically and sends the money.
    case = json.loads(run(url, "transfer", "approve", case_id, "--json"))
    sides = {s["side"]: s for s in case["sides"]}
    assert sides["receiving"]["state"] == "funds_sent"
    assert case["ledger_transfer"]["state"] == "pending"
    assert [n["code"] for n in sides["transferring"]["notices"]] == ["transfer.arrears_excluded"]

    case = json.loads(run(url, "transfer", "approve", case_id, "--json"))
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert case["ledger_transfer"]["state"] == "posted"
    text = run(url, "transfer", "show", case_id)
    assert "已办结" in text
    assert "转移接续办结通知" in text
    assert "every invariant holds" in run(url, "ledger", "check")
    # A second approval has nothing left to do and says so.
    refused = json.loads(run(url, "transfer", "approve", case_id, "--json", code=3))
    assert refused["error"]["code"] == "transfer.no_running_leg"
    mine = json.loads(run(url, "transfer", "person", person, "--json"))
    assert [c["state"] for c in mine] == ["completed"]


def test_the_readme_walkthrough_on_paper(url: str, tmp_path: Path) -> None:
    """Manual mode as the README walks it: the new agency is off the network (DEMO DATA)."""
    run(url, "db", "upgrade")
    loaded = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))
    (person,) = loaded["paper_movers"]
    here = "41160200"
    case = json.loads(run(url, "transfer", "apply", person, "--to", here, "--json"))
    case_id = case["case_id"]
    assert case["mode"] == "manual"
    run(url, "transfer", "approve", case_id)
    (letter,) = json.loads(run(url, "transfer", "papers", "--agency", here, "--json"))
    assert letter["type"] == "contact_letter"
    pdf = tmp_path / "letter.pdf"
    assert "已生成" in run(url, "transfer", "print", letter["document_id"], "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")
    old = letter["receiver"]
    wrong = json.loads(run(url, "transfer", "scan", "--agency", here, str(pdf), "--json", code=2))
    assert wrong["error"]["code"] == "exchange.wrong_receiver"
    (taken,) = json.loads(run(url, "transfer", "scan", "--agency", old, str(pdf), "--json"))
    assert taken == {**taken, "type": "contact_letter", "case_id": case_id, "duplicate": False}

    # The transferring agency reviewed it automatically; its two papers come back to be typed.
    papers = json.loads(run(url, "transfer", "papers", "--agency", old, "--json"))
    assert {p["type"] for p in papers} == {"info_table", "fund_transfer_slip"}
    for p in papers:
        groups = p["short_code"].lower().split("-")
        assert "已录入" in run(url, "transfer", "code", *groups, "--agency", here)
    case = json.loads(run(url, "transfer", "approve", case_id, "--json"))
    (notice,) = [d for d in case["documents"] if d["type"] == "completion_notice"]
    assert not notice["delivered"]
    run(url, "transfer", "code", notice["short_code"], "--agency", old)
    again = run(url, "transfer", "code", notice["short_code"], "--agency", old)
    assert "已录入过，本次不重复办理" in again
    case = json.loads(run(url, "transfer", "show", case_id, "--json"))
    assert {s["state"] for s in case["sides"]} == {"completed"}
    assert [d["received_via"] for d in case["documents"]] == ["scan", "code", "code", "code"]
    assert "every invariant holds" in run(url, "ledger", "check")
    assert "没有待打印的纸质文书" in run(url, "transfer", "papers", "--agency", here)


def a_mover_with_no_money(make_uow: Callable[[], UnitOfWork], *, tree: bool = True) -> str:
    """Insured in Tianhe from 2020 with nothing paid, left in 2025, enrolled in Zhengzhou (the
    agencies made first, unless ``tree`` is False: they are there already)."""
    person = an_id_number(born="1990-01-01", county="410105")

    def setup(uow: UnitOfWork) -> None:
        if tree:
            an_agency_tree(uow)
        registry.add_person(uow, registry.NewPerson(person, "王五", "410105"))
        old = registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, OLD, dt.date(2020, 1, 1))
        )
        registry.change_relationship_status(
            uow, old.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 1, 1), reason="离开"
        )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.ENTERPRISE, NEW, dt.date(2025, 2, 1))
        )

    commit(make_uow, setup)
    return person


def test_the_readme_linkage_with_the_demo_data(url: str) -> None:
    run(url, "db", "upgrade")
    person = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["linkage_person"]
    before = json.loads(run(url, "account", "statement", person, "--scheme", "resident", "--json"))
    case = json.loads(
        run(url, "transfer", "apply", person, "--to", "41010000", "--from", "44010600",
            "--scheme", "resident", "--kind", "linkage", "--json")
    )  # fmt: skip
    run(url, "transfer", "approve", case["case_id"])
    case = json.loads(run(url, "transfer", "approve", case["case_id"], "--json"))
    assert {s["state"] for s in case["sides"]} == {"completed"}
    after = json.loads(run(url, "account", "statement", person, "--scheme", "resident", "--json"))
    moved = case["ledger_transfer"]["account"]
    assert after["total"] - before["total"] == moved - 3 * 30_000  # 2020–2022 refunded
    assert "every invariant holds" in run(url, "ledger", "check")


def test_apply_and_follow_over_http_with_problem_details(
    engine: Engine, clock: FixedClock, make_uow: Callable[[], UnitOfWork]
) -> None:

    person = a_mover_with_no_money(make_uow)
    with TestClient(create_app(engine, clock)) as client:
        for code in (OLD, NEW):
            assert (
                client.put(
                    f"/api/agencies/{code}/transfer-settings", json={"auto_review": True}
                ).status_code
                == 200
            )
        bad = client.post("/api/transfers", json={"id_number": person, "to_agency": "99999999"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "agency.unknown"
        made = client.post("/api/transfers", json={"id_number": person, "to_agency": NEW})
        assert made.status_code == 201
        case = made.json()
        # Nothing was ever paid at the old place: the relation moves with no money.
        assert {s["state"] for s in case["sides"]} == {"completed"}
        assert case["ledger_transfer"] is None
        assert client.get(f"/api/transfers/{case['case_id']}").json() == case
        # A supervisor's comment answers 201 with the case, the comment in it (the case's
        # answers are sent as a Response since session 29: the status is the endpoint's own).
        commented = client.post(
            f"/api/transfers/{case['case_id']}/comments",
            json={"agency_code": NEW, "text": "请按时办结"},
        )
        assert commented.status_code == 201, commented.text
        assert commented.headers["content-type"] == "application/json"
        assert [c["text"] for c in commented.json()["comments"]] == ["请按时办结"]
        listed = client.get(f"/api/persons/{person}/transfers").json()
        assert [c["case_id"] for c in listed] == [case["case_id"]]
        again = client.post(
            f"/api/transfers/{case['case_id']}/return", json={"reasons": [{"zh": "测试"}]}
        )
        assert again.status_code == 409
        assert again.json()["code"] == "transfer.no_running_leg"
        assert client.get("/api/agencies/41000000/supervision?only=bogus").status_code == 422


def test_an_agencys_cases_and_its_supervisors_come_a_page_at_a_time(
    engine: Engine, clock: FixedClock, make_uow: Callable[[], UnitOfWork]
) -> None:
    movers = [a_mover_with_no_money(make_uow, tree=i == 0) for i in range(3)]
    with TestClient(create_app(engine, clock)) as client:
        for code in (OLD, NEW):
            client.put(f"/api/agencies/{code}/transfer-settings", json={"auto_review": True})
        made = [
            client.post("/api/transfers", json={"id_number": p, "to_agency": NEW}).json()
            for p in movers
        ]
        case_ids = [c["case_id"] for c in made]
        for url in (f"/api/agencies/{NEW}/transfers", "/api/agencies/41000000/supervision"):
            every = client.get(url, params={"only": "all"}).json()
            assert [c["case_id"] for c in every] == case_ids  # oldest first
            pages = [
                client.get(url, params={"only": "all", "limit": 2, "offset": at}).json()
                for at in (0, 2, 4)
            ]
            assert [len(p) for p in pages] == [2, 1, 0]
            assert [c for p in pages for c in p] == every
            assert client.get(url, params={"limit": 10_001}).status_code == 422
        # Two more wait for the new place's operator: the open ones are cut after the filter.
        client.put(f"/api/agencies/{NEW}/transfer-settings", json={"auto_review": False})
        waiting = [a_mover_with_no_money(make_uow, tree=False) for _ in range(2)]
        opened = [
            client.post("/api/transfers", json={"id_number": p, "to_agency": NEW}).json()
            for p in waiting
        ]
        url = f"/api/agencies/{NEW}/transfers"
        assert [c["case_id"] for c in client.get(url).json()] == [c["case_id"] for c in opened]
        second = client.get(url, params={"limit": 1, "offset": 1}).json()
        assert [c["case_id"] for c in second] == [opened[1]["case_id"]]


def settled(client: TestClient) -> None:
    """Wait for the exchange's background rounds: a request pumps for at most half a second and
    leaves the rest to them (on a busy machine, a clean transfer's last steps)."""
    client.app.state.pump.join(timeout=60)  # type: ignore[attr-defined]


def test_paper_forms_over_http(
    engine: Engine, clock: FixedClock, make_uow: Callable[[], UnitOfWork]
) -> None:
    """Download a form, upload its scan, type a short code; bad uploads get problem details."""
    person = a_mover_with_no_money(make_uow)
    commit(make_uow, lambda uow: registry.set_agency_network(uow, NEW, None))  # paper both ways
    with TestClient(create_app(engine, clock)) as client:
        for code in (OLD, NEW):
            client.put(f"/api/agencies/{code}/transfer-settings", json={"auto_review": True})
        case = client.post("/api/transfers", json={"id_number": person, "to_agency": NEW}).json()
        settled(client)
        (letter,) = client.get(f"/api/agencies/{NEW}/paper-documents").json()
        form = client.get(f"/api/exchange/documents/{letter['document_id']}/form.pdf")
        assert form.status_code == 200
        assert form.headers["content-type"] == "application/pdf"
        assert client.get("/api/exchange/documents/nope/form.pdf").status_code == 404

        junk = client.post(
            f"/api/agencies/{OLD}/intake/scan", files={"file": ("scan.png", b"junk", "image/png")}
        )
        assert junk.status_code == 422
        assert junk.json()["code"] == "exchange.scan_format"
        taken = client.post(
            f"/api/agencies/{OLD}/intake/scan",
            files={"file": ("scan.pdf", form.content, "application/pdf")},
        )
        assert taken.status_code == 200, taken.text
        assert [d["type"] for d in taken.json()] == ["contact_letter"]
        settled(client)

        # Nothing was paid at the old place: the info table and slip go back with no money.
        for paper in client.get(f"/api/agencies/{OLD}/paper-documents").json():
            ok = client.post(f"/api/agencies/{NEW}/intake/code", json={"code": paper["short_code"]})
            assert ok.status_code == 200, ok.text
        settled(client)
        bad = client.post(f"/api/agencies/{NEW}/intake/code", json={"code": "1234"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "exchange.short_code_format"
        (notice,) = client.get(f"/api/agencies/{NEW}/paper-documents").json()
        client.post(f"/api/agencies/{OLD}/intake/code", json={"code": notice["short_code"]})
        settled(client)
        done = client.get(f"/api/transfers/{case['case_id']}").json()
        assert {s["state"] for s in done["sides"]} == {"completed"}
        assert client.get(f"/api/agencies/{NEW}/paper-documents").json() == []
        every = client.get(f"/api/agencies/{NEW}/paper-documents?all=true").json()
        assert [p["received"] for p in every] == [True, True]
        record = client.get(f"/api/persons/{person}/record").json()
        assert [c["case_id"] for c in record["transfers"]] == [case["case_id"]]
        assert client.get("/api/persons/110101199001011234/record").status_code == 404
        ping = client.get("/api/ping")
        assert (ping.status_code, ping.headers["content-type"]) == (200, "application/json")
        assert ping.json() == {"ok": True}


def test_scheme_linkage_over_http(
    engine: Engine, clock: FixedClock, make_uow: Callable[[], UnitOfWork]
) -> None:
    """Resident payments, then a linkage of a short employee career into the resident scheme."""
    person = an_id_number(born="1962-02-01", sex="M", county="410105")
    uscc = a_uscc("440106")

    def setup(uow: UnitOfWork) -> None:
        an_agency_tree(uow)
        registry.add_employer(uow, registry.NewEmployer(uscc, "某厂", OLD))
        registry.add_person(uow, registry.NewPerson(person, "吴十", "410105"))
        job = registry.add_relationship(
            uow,
            registry.NewRelationship(
                person, Scheme.ENTERPRISE, OLD, dt.date(2019, 1, 1), employer_uscc=uscc
            ),
        )
        declare_months(uow, uscc, person, 2019, 24)
        registry.change_relationship_status(
            uow, job.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2021, 1, 1), reason="离职"
        )
        registry.add_relationship(
            uow, registry.NewRelationship(person, Scheme.RESIDENT, NEW, dt.date(2021, 1, 1))
        )

    commit(make_uow, setup)
    with TestClient(create_app(engine, clock)) as client:
        for code in (OLD, NEW):
            client.put(f"/api/agencies/{code}/transfer-settings", json={"auto_review": True})
        bad = client.post(
            "/api/resident-contributions",
            json={"id_number": person, "year": 2021, "tier_yuan": 150, "paid_on": "2021-03-01"},
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == "resident.tier"
        for year in (2021, 2022):
            paid = client.post(
                "/api/resident-contributions",
                json={"id_number": person, "year": year, "tier_yuan": 200, "paid_on": f"{year}-03-01",
                      "collective": "50"},
            )  # fmt: skip
            assert paid.status_code == 201, paid.text
        again = client.post(
            "/api/resident-contributions",
            json={"id_number": person, "year": 2022, "tier_yuan": 200, "paid_on": "2022-03-01"},
        )
        assert again.status_code == 409
        before = client.get(f"/api/persons/{person}/account?scheme=resident").json()
        made = client.post(
            "/api/transfers",
            json={"id_number": person, "to_agency": NEW, "from_agency": OLD,
                  "scheme": "resident", "kind": "linkage"},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        case = made.json()
        assert case["kind"] == "linkage_to_resident"
        assert {s["state"] for s in case["sides"]} == {"completed"}
        after = client.get(f"/api/persons/{person}/account?scheme=resident").json()
        employee = client.get(f"/api/persons/{person}/account").json()
        assert employee["total"] == 0
        assert after["total"] - before["total"] == case["ledger_transfer"]["account"]


def test_the_readme_retirement_with_the_demo_data(url: str, tmp_path: Path) -> None:
    run(url, "db", "upgrade")
    person = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["retiree"]
    waiting = json.loads(
        run(
            url,
            "benefit",
            "apply",
            person,
            "--agency",
            "41010000",
            "--operator",
            "张三",
            "--bank",
            "中国工商银行",
            "--account",
            "6222021702000012345",
            "--json",
        )
    )
    assert waiting["state"] == "waiting"
    (case_id,) = waiting["transfers"]
    run(url, "transfer", "approve", case_id)
    run(url, "transfer", "approve", case_id)
    awarded = json.loads(
        run(url, "benefit", "refresh", str(waiting["id"]), "--operator", "张三", "--json")
    )
    (award,) = awarded["awards"]
    assert award["inputs"]["contribution_months"] == 60 + 191
    refused = json.loads(
        run(url, "benefit", "approve", str(award["id"]), "--operator", "张三", "--json", code=3)
    )
    assert refused["error"]["code"] == "award.same_operator"
    run(url, "benefit", "approve", str(award["id"]), "--operator", "李四")
    pdf = tmp_path / "award.pdf"
    run(url, "benefit", "notice", str(award["id"]), "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")
    paid = json.loads(
        run(url, "benefit", "pay", "--agency", "41010000", "--month", "2026-01",
            "--bank-dir", str(tmp_path), "--json")
    )  # fmt: skip
    assert (paid["paid"], paid["total"]) == (1, award["total"])
    (bank_file,) = paid["files"]
    sent = Path(bank_file).read_bytes()
    assert person in sent.decode()
    # The run is kept: its bank file is made again, the same, by the CLI and over HTTP.
    again = json.loads(
        run(url, "benefit", "bank-files", str(paid["run"]), "--bank-dir", str(tmp_path / "again"),
            "--json")
    )  # fmt: skip
    (copy,) = again["files"]
    assert Path(copy).read_bytes() == sent
    (listed,) = json.loads(
        run(url, "benefit", "runs", "--agency", "41010000", "--month", "2026-01", "--json")
    )
    assert (listed["id"], listed["banks"][0]["total"]) == (paid["run"], award["total"])
    assert f"发放批次 {paid['run']}" in run(
        url, "benefit", "runs", "--agency", "41010000", "--month", "2026-01"
    )
    assert "没有发放批次" in run(
        url, "benefit", "runs", "--agency", "41010000", "--month", "2026-02"
    )
    ((bank,),) = [[b["bank"] for b in paid["banks"]]]
    with TestClient(create_app(make_engine(url))) as client:
        (listed,) = client.get("/api/agencies/41010000/benefit-runs?month=2026-01").json()
        assert listed["id"] == paid["run"]
        (row,) = listed["banks"]
        assert (row["bank"], row["payments"], row["total"]) == (bank, 1, award["total"])
        fetched = client.get(row["file"])
        assert fetched.status_code == 200, fetched.text
        assert fetched.headers["content-type"].startswith("text/csv")
        assert "attachment" in fetched.headers["content-disposition"]
        assert fetched.content == sent
        unknown = client.get(f"/api/benefit-runs/{paid['run'] + 1}/bank-files/{bank}")
        assert unknown.status_code == 404
        assert unknown.json()["code"] == "payment.run_not_found"
        elsewhere = client.get(f"/api/benefit-runs/{paid['run']}/bank-files/中国银行")
        assert elsewhere.status_code == 404
        assert elsewhere.json()["code"] == "payment.bank_not_in_run"
        rerun = client.post("/api/agencies/41010000/benefit-runs", json={"month": "2026-01"})
        assert rerun.status_code == 200, rerun.text
        assert (rerun.json()["paid"], rerun.json()["run"], rerun.json()["banks"]) == (0, None, [])
    assert "every invariant holds" in run(url, "ledger", "check")


def test_the_readme_deemed_years_with_the_demo_data(url: str) -> None:
    """视同缴费年限 as the README walks them: ten years on record are under the minimum; the
    deemed years 1984-07..1997-12 are refused with one operator, recorded with two (the CLI),
    and a second overlapping span is refused over HTTP; the check run again awards N = 23.5
    years with the transitional pension (国发〔2005〕38号), shown in the record."""
    run(url, "db", "upgrade")
    person = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["deemed_retiree"]
    short = json.loads(
        run(url, "benefit", "apply", person, "--agency", "41010000", "--operator", "张三",
            "--bank", "中国建设银行郑州分行", "--account", "6217002430000012345", "--json")
    )  # fmt: skip
    assert short["state"] == "waiting"
    assert "retirement.below_minimum" in [f["code"] for f in short["findings"]]
    span = ["--id-number", person, "--agency", "41010000", "--start", "1984-07", "--end",
            "1997-12", "--basis", "档案：1984年招工登记表、1984—1997年工资台账"]  # fmt: skip
    alone = json.loads(
        run(url, "contribution", "deemed", *span, "--operator", "张三", "--checker", "张三",
            "--json", code=3)
    )  # fmt: skip
    assert alone["error"]["code"] == "deemed.same_operator"
    recorded = run(url, "contribution", "deemed", *span, "--operator", "张三", "--checker", "李四")
    assert "视同缴费年限13年6个月，计算为工作地410100的视同缴费年限" in recorded
    with TestClient(create_app(make_engine(url))) as client:
        again = client.post(
            f"/api/persons/{person}/deemed-years",
            json={"agency_code": "41010000", "start": "1990-01", "end": "1990-12",
                  "basis": "档案", "operator": "王五", "checker": "赵六"},
        )  # fmt: skip
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "deemed.overlap"
        late = client.post(
            f"/api/persons/{person}/deemed-years",
            json={"agency_code": "41010000", "start": "1998-01", "end": "1998-12",
                  "basis": "档案", "operator": "王五", "checker": "赵六"},
        )  # fmt: skip
        assert late.status_code == 422, late.text
        assert "1997-12" in late.json()["messages"]["zh"]
    awarded = json.loads(
        run(url, "benefit", "refresh", str(short["id"]), "--operator", "张三", "--json")
    )
    assert awarded["state"] == "awarded"
    (award,) = awarded["awards"]
    assert award["inputs"]["contribution_months"] == 120 + 162
    assert award["inputs"]["deemed_months"] == 162
    assert (award["basic"], award["account"], award["transitional"], award["total"]) == (
        132_840, 33_151, 104_093, 270_084,
    )  # fmt: skip
    shown = run(url, "benefit", "show", str(short["id"]))
    assert "过渡 1,040.93 = 2,700.84 元/月" in shown
    record = run(url, "person", "record", person)
    assert "视同缴费 162 个月" in record
    assert "视同缴费 1984-07至1997-12 162 月" in record
    entry = recorded.split("deemed years ")[1].split(":")[0]
    with TestClient(create_app(make_engine(url))) as client:
        alone = client.post(
            f"/api/deemed-years/{entry}/cancel",
            json={"reason": "误录", "operator": "张三", "checker": "张三"},
        )
        assert alone.status_code == 409, alone.text
        assert alone.json()["code"] == "deemed.same_operator"
    cancelled = run(url, "contribution", "deemed-cancel", entry, "--reason", "档案复核有误",
                    "--operator", "王五", "--checker", "赵六")  # fmt: skip
    assert f"jinbao benefit correct {short['id']}" in cancelled
    assert "视同缴费" not in run(url, "person", "record", person)
    assert "every invariant holds" in run(url, "ledger", "check")


def test_the_readme_residents_pension_with_the_demo_data(url: str, tmp_path: Path) -> None:
    """城乡居民养老保险待遇 as the README walks it: the demo's resident, 60 in May 2025 with 16
    years of the 500-yuan tier paid, applies; the draft is approved by a second operator; the
    raise finds nothing to raise (the minimum has not risen since her first month); the run
    pays every month since June 2025. Over HTTP the linkage person, with five years paid there,
    is refused with what to do."""
    run(url, "db", "upgrade")
    loaded = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))
    person = loaded["resident_pensioner"]
    applied = json.loads(
        run(url, "benefit", "resident-apply", person, "--agency", "41010000", "--operator", "张三",
            "--bank", "中国农业银行", "--account", "6228480010000012345", "--json")
    )  # fmt: skip
    assert (applied["scheme"], applied["state"], applied["retire_month"]) == (
        "resident", "awarded", "2025-05",
    )  # fmt: skip
    (award,) = applied["awards"]
    # 143 yuan, the minimum since 2025 (unverified), + 16 × (500 + 60) = 8 960 yuan ÷ 139
    assert (award["from_month"], award["basic"], award["account"]) == ("2025-06", 14_300, 6_446)
    shown = run(url, "benefit", "show", str(applied["id"]))
    assert "城乡居民养老保险待遇申请" in shown
    assert "过渡" not in shown  # no transitional part in the residents' scheme
    run(url, "benefit", "approve", str(award["id"]), "--operator", "李四")
    raised = json.loads(
        run(url, "benefit", "resident-raise", "--agency", "41010000", "--operator", "张三",
            "--checker", "李四", "--json")
    )  # fmt: skip
    assert (raised["raised"], raised["pending"]) == (0, 0)
    paid = json.loads(
        run(url, "benefit", "pay", "--agency", "41010000", "--month", "2026-01",
            "--bank-dir", str(tmp_path), "--json")
    )  # fmt: skip
    assert (paid["paid"], paid["total"]) == (1, 8 * 20_746)  # June 2025 to January 2026
    assert "年满60周岁 2025-05 月养老金 207.46 元" in run(url, "person", "record", person)
    with TestClient(create_app(make_engine(url))) as client:
        refused = client.post(
            "/api/resident-pensions",
            json={"id_number": loaded["linkage_person"], "agency_code": "41010000",
                  "operator": "张三"},
        )  # fmt: skip
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "resident_pension.below_minimum"
        assert "缴费5年，转入0个月，退还0个月" in refused.json()["messages"]["zh"]
        again = client.post(
            "/api/agencies/41010000/resident-pension-raises",
            json={"operator": "张三", "checker": "李四"},
        )
        assert again.status_code == 201, again.text
        assert again.json()["raised"] == 0
        notice = client.get(f"/api/awards/{award['id']}/notice.pdf")
        assert notice.status_code == 200
        assert notice.content.startswith(b"%PDF-")
    # Once his seven employee years are linked in (17号 第六条: they count as residents' years),
    # less the three residents' years paid in both schemes (第七条: refunded), he has nine.
    linkage = json.loads(
        run(url, "transfer", "apply", loaded["linkage_person"], "--to", "41010000", "--from",
            "44010600", "--scheme", "resident", "--kind", "linkage", "--json")
    )  # fmt: skip
    run(url, "transfer", "approve", linkage["case_id"])
    run(url, "transfer", "approve", linkage["case_id"])
    still = json.loads(
        run(url, "benefit", "resident-apply", loaded["linkage_person"], "--agency", "41010000",
            "--operator", "张三", "--json", code=3)
    )  # fmt: skip
    assert still["error"]["code"] == "resident_pension.below_minimum"
    assert "累计缴费9年（缴费5年，转入84个月，退还36个月）" in still["error"]["zh"]
    assert "every invariant holds" in run(url, "ledger", "check")


def test_a_persons_whole_record_in_one_view(url: str) -> None:
    """电子档案袋 after the README's transfer: both places' years, one account, the case."""
    run(url, "db", "upgrade")
    person = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["movers"][0]
    case = json.loads(run(url, "transfer", "apply", person, "--to", "41010000", "--json"))
    run(url, "transfer", "approve", case["case_id"])
    run(url, "transfer", "approve", case["case_id"])
    found = json.loads(run(url, "person", "record", person, "--json"))
    assert found["person"]["id_number"] == person
    assert [c["state"] for c in found["transfers"]] == ["completed"]
    assert found["transferred_years"]
    assert {y["agency"] for y in found["transferred_years"]} == {"41010000"}
    assert found["totals"]["paid_months"] == sum(y["months"] for y in found["transferred_years"])
    assert found["totals"]["unpaid_months"] == 1  # June 2025, left unpaid in Guangdong
    assert set(found["accounts"]) == {"enterprise"}
    assert "已缴" in run(url, "person", "record", person)


def test_a_death_in_service_through_the_cli_and_the_api(url: str, tmp_path: Path) -> None:
    """A demo mover dies before retiring: the death is recorded at the counter (CLI), the
    survivors claim through the API (遗属待遇申领), the settlement is shown, a second claim is
    refused, and the ledger holds."""
    run(url, "db", "upgrade")
    person = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["movers"][0]
    recorded = run(url, "benefit", "death", person, "--on", "2026-11-20", "--source", "死亡证明")
    assert f"jinbao benefit survivors {person}" in recorded
    with TestClient(create_app(make_engine(url))) as client:
        bad = client.post(f"/api/persons/{person}/survivor-claims", json={"claimant": " "})
        assert bad.status_code == 422, bad.text
        assert bad.json()["code"] == "survivors.claimant"
        made = client.post(f"/api/persons/{person}/survivor-claims", json={"claimant": "王家属"})
        assert made.status_code == 201, made.text
        settled = made.json()
        assert settled["claimant"] == "王家属"
        assert settled["application_id"] is None
        assert settled["funeral"] > 0
        assert settled["survivor_pension"] > 0
        assert settled["payable"] == (
            settled["funeral"] + settled["survivor_pension"] + settled["inheritance"]
        )
        assert any("第五条（一）" in s["zh"] for s in settled["explanation"]["steps"])
        shown = client.get(f"/api/persons/{person}/death-settlement")
        assert shown.json() == settled
        pdf = client.get(f"/api/persons/{person}/death-settlement.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-")
        again = client.post(f"/api/persons/{person}/survivor-claims", json={"claimant": "王家属"})
        assert again.status_code == 409
        assert again.json()["code"] == "survivors.settled"
        account = client.get(f"/api/persons/{person}/account").json()
        assert account["total"] == 0
    notice = tmp_path / "survivors.pdf"
    run(url, "benefit", "survivors-notice", person, "--out", str(notice))
    assert notice.read_bytes().startswith(b"%PDF-")
    assert "every invariant holds" in run(url, "ledger", "check")


def test_a_retirement_over_http_sends_the_transfers_it_starts(url: str) -> None:
    """POST /api/retirements starts the transfers the record check needs and pumps them as a
    transfer request does: with automatic review at both ends, the demo retiree's Guangzhou
    years come home within the request, and a refresh makes the award. Until session 38 the
    documents waited for some transfer request to pump them (found walking `make run`)."""
    run(url, "db", "upgrade")
    retiree = json.loads(run(url, "demo", "load", "--persons", "0", "--json"))["retiree"]
    with TestClient(create_app(make_engine(url))) as client:
        client.put("/api/agencies/41010000/transfer-settings", json={"auto_review": True})
        applied = client.post("/api/retirements", json={
            "id_number": retiree, "agency_code": "41010000", "operator": "张三",
            "bank": "中国工商银行郑州分行", "account_number": "6222021702000012345",
        })  # fmt: skip
        assert applied.status_code == 201, applied.text
        shown = applied.json()
        assert shown["state"] == "waiting"
        (case_id,) = shown["transfers"]
        case = client.get(f"/api/transfers/{case_id}").json()
        assert {s["side"]: s["state"] for s in case["sides"]} == {
            "receiving": "completed", "transferring": "completed",
        }  # fmt: skip
        refreshed = client.post(
            f"/api/retirements/{shown['id']}/refresh", json={"operator": "张三"}
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["state"] == "awarded"
