"""The demo country of ``make run``: small, realistic, deterministic, loaded through the use cases.

Every province has a provincial agency under the national centre; Guangdong (a receiving
province for migrant workers), Henan and Sichuan (sending provinces) have city, county,
township and village agencies. A few hundred persons, mostly from Henan and Sichuan, work for
employers in Guangdong, with relationships in every status. All names, addresses, phone numbers
and codes are invented (DEMO DATA, not real agencies or people); ID numbers and credit codes
carry valid check characters so they pass the same validation as real ones.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from jinbao.db.uow import UnitOfWork
from jinbao.kernel.identifiers import Sex, resident_id_check_character, uscc_check_character
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.registry import repository as repo
from jinbao.registry import service
from jinbao.registry.model import (
    AgencyLevel,
    Contact,
    RegionLevel,
    RelationshipKind,
    RelationshipStatus,
    RetirementCategory,
    Scheme,
)
from jinbao.transfers.workflow import set_auto_review

NATIONAL_CODE = "10000000"
SEED = 2260
DEMO = "（演示数据）"

# (level, code, name, region, parent code, networked since)
DETAILED: list[tuple[AgencyLevel, str, str, str, str, dt.date | None]] = [
    (AgencyLevel.CITY, "44010000", "广州市社会保险基金管理中心", "440100", "44000000", dt.date(2010, 7, 30)),
    (AgencyLevel.COUNTY, "44010600", "广州市天河区社会保险经办服务中心", "440106", "44010000", dt.date(2011, 3, 1)),
    (AgencyLevel.COUNTY, "44010300", "广州市荔湾区社会保险经办服务中心", "440103", "44010000", dt.date(2011, 3, 1)),
    (AgencyLevel.TOWNSHIP, "44010601", "天河南街道社会保障服务站", "440106", "44010600", dt.date(2015, 6, 1)),
    (AgencyLevel.TOWNSHIP, "44010602", "林和街道社会保障服务站", "440106", "44010600", None),
    (AgencyLevel.VILLAGE, "44010651", "天河南街道六运社区服务点", "440106", "44010601", None),
    (AgencyLevel.CITY, "44030000", "深圳市社会保险基金管理局", "440300", "44000000", dt.date(2010, 7, 30)),
    (AgencyLevel.COUNTY, "44030500", "深圳市社会保险基金管理局南山分局", "440305", "44030000", dt.date(2011, 1, 10)),
    (AgencyLevel.CITY, "41010000", "郑州市社会保险中心", "410100", "41000000", dt.date(2010, 12, 20)),
    (AgencyLevel.COUNTY, "41010500", "郑州市金水区社会保险中心", "410105", "41010000", dt.date(2012, 5, 8)),
    (AgencyLevel.COUNTY, "41010200", "郑州市中原区社会保险中心", "410102", "41010000", None),
    (AgencyLevel.CITY, "41160000", "周口市社会保险中心", "411600", "41000000", dt.date(2011, 9, 1)),
    (AgencyLevel.COUNTY, "41160200", "周口市川汇区社会保险中心", "411602", "41160000", None),
    (AgencyLevel.TOWNSHIP, "41160201", "川汇区城北街道劳动保障所", "411602", "41160200", None),
    (AgencyLevel.CITY, "51010000", "成都市社会保险事业管理局", "510100", "51000000", dt.date(2010, 10, 15)),
    (AgencyLevel.COUNTY, "51010700", "成都市武侯区社会保险事业管理局", "510107", "51010000", dt.date(2011, 4, 1)),
    (AgencyLevel.COUNTY, "51010400", "成都市锦江区社会保险事业管理局", "510104", "51010000", dt.date(2011, 4, 1)),
    (AgencyLevel.TOWNSHIP, "51010701", "武侯区浆洗街街道社区服务中心", "510107", "51010700", dt.date(2016, 3, 1)),
    (AgencyLevel.VILLAGE, "51010751", "浆洗街街道蜀汉社区服务点", "510107", "51010701", None),
    (AgencyLevel.CITY, "51160000", "广安市社会保险事业管理局", "511600", "51000000", dt.date(2012, 2, 1)),
]  # fmt: skip

# Long-distance area codes of the demo cities (real codes; the numbers after them are invented).
AREA_CODES = {
    "4401": "020",
    "4403": "0755",
    "4101": "0371",
    "4116": "0394",
    "5101": "028",
    "5116": "0826",
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯健俊帆帅旭宁龙林欢佳阳建国建华志强海燕丹慧"
FIRMS = [
    "粤海",
    "珠江",
    "南山",
    "天河",
    "岭南",
    "鹏城",
    "中原",
    "蜀通",
    "锦城",
    "华夏",
    "新科",
    "远航",
]
TRADES = ["电子科技", "物流", "建筑工程", "食品", "服装", "机械制造", "信息技术", "餐饮管理"]


@dataclass(frozen=True, slots=True)
class DemoReport:
    loaded: bool
    agencies: int
    employers: int
    persons: int
    relationships: int
    contributions: int
    movers: tuple[str, ...] = ()  # ready to apply for a transfer (see the README)
    # ready too, but their new agency is not on the network: the documents go on paper
    paper_movers: tuple[str, ...] = ()
    # past the statutory age with a short employee career and resident-scheme years: linkage
    linkage_person: str | None = None
    # at the statutory age with 5 years kept in Guangzhou and 16 at home: ready to retire
    retiree: str | None = None
    # 60 in May 2025 with 16 years paid in the residents' scheme: ready for its pension
    resident_pensioner: str | None = None
    # at the statutory age with 10 years on record and 1984–1997 worked before individual
    # contributions: ready to retire once the operator records those deemed years
    deemed_retiree: str | None = None


def load_demo(uow: UnitOfWork, params: Parameters | None = None) -> DemoReport:
    """Load the demo country once; a second call finds the national agency and does nothing."""
    if repo.agency_id(uow, NATIONAL_CODE) is not None:
        return DemoReport(False, 0, 0, 0, 0, 0)
    rng = random.Random(SEED)
    today = uow.clock.today()
    agencies = _agencies(uow, rng)
    employers = _employers(uow, rng)
    persons = _persons(uow, rng, today)
    relationships = _relationships(uow, rng, persons, employers, today)
    records = _contributions(uow, rng, employers, params or load_parameters())
    movers, paper_movers = _movers(uow, persons)
    linkage = _linkage_person(uow, rng, employers, params or load_parameters())
    retiree = _retiree(uow, rng, params or load_parameters())
    resident_pensioner = _resident_pensioner(uow, rng, params or load_parameters())
    deemed_retiree = _deemed_retiree(uow, rng, params or load_parameters())
    return DemoReport(
        True, agencies, len(employers) + 3, len(persons) + 4,
        relationships + len(movers) + len(paper_movers) + 6, records + 84 + 251 + 120, movers,
        paper_movers, linkage, retiree, resident_pensioner, deemed_retiree,
    )  # fmt: skip


def _contact(rng: random.Random, name: str, region: str) -> Contact:
    area = AREA_CODES.get(region[:4])
    return Contact(
        address=f"{name[:3]}人民路{rng.randint(1, 300)}号{DEMO}",
        department="养老保险关系转移接续科",
        phone=f"{area}-{rng.randint(60000000, 89999999)}" if area else "12333",
        hours="周一至周五 9:00-12:00, 13:30-17:00（法定节假日除外）",
    )


def _agencies(uow: UnitOfWork, rng: random.Random) -> int:
    service.add_agency(
        uow,
        service.NewAgency(
            code=NATIONAL_CODE,
            name="人力资源社会保障部社会保险事业管理中心",
            level=AgencyLevel.NATIONAL,
            parent_code=None,
            region_code=None,
            contact=Contact(
                f"北京市西城区{DEMO}", "养老保险关系转移接续处", "12333", "周一至周五 9:00-17:00"
            ),
            networked_since=dt.date(2010, 4, 30),
        ),
    )
    provinces = repo.list_regions(uow, level=RegionLevel.PROVINCE, parent_code=None, query=None)
    for i, p in enumerate(provinces):
        name = (
            "新疆生产建设兵团社会保险事业管理局"
            if p.code == "660000"
            else f"{p.name}社会保险事业管理局"
        )
        service.add_agency(
            uow,
            service.NewAgency(
                code=p.code + "00",
                name=name,
                level=AgencyLevel.PROVINCE,
                parent_code=NATIONAL_CODE,
                region_code=p.code,
                contact=_contact(rng, p.name, p.code),
                networked_since=dt.date(2010, 7, 30) + dt.timedelta(days=7 * i),
            ),
        )
    for level, code, name, region, parent, since in DETAILED:
        service.add_agency(
            uow,
            service.NewAgency(
                code, name, level, parent, region, _contact(rng, name, region), since
            ),
        )
    return 1 + len(provinces) + len(DETAILED)


def _uscc(rng: random.Random, region: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc_check_character(body)


def _employers(uow: UnitOfWork, rng: random.Random) -> list[tuple[str, str]]:
    """Employers registered at the county and city agencies of the three provinces."""
    made: list[tuple[str, str]] = []
    hosts = [d for d in DETAILED if d[0] in (AgencyLevel.CITY, AgencyLevel.COUNTY)]
    for i in range(24):
        # Guangdong hosts most employers, as it does most migrant workers.
        _, code, name, region, _, _ = hosts[i % 8] if i < 16 else rng.choice(hosts)
        firm = f"{name[:3].rstrip('市')}{rng.choice(FIRMS)}{rng.choice(TRADES)}有限公司"
        uscc = _uscc(rng, region)
        service.add_employer(uow, service.NewEmployer(uscc, firm + DEMO, code))
        made.append((uscc, code))
    return made


def _id_number(rng: random.Random, county: str, born: dt.date, sex: Sex) -> str:
    seq = rng.randint(0, 499) * 2 + (1 if sex is Sex.MALE else 0)
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + resident_id_check_character(body)


@dataclass(frozen=True, slots=True)
class _DemoPerson:
    id_number: str
    born: dt.date
    sex: Sex
    hukou: str


def _persons(uow: UnitOfWork, rng: random.Random, today: dt.date) -> list[_DemoPerson]:
    counties = {
        prefix: [
            r.code
            for r in repo.list_regions(
                uow, level=RegionLevel.COUNTY, parent_code=None, query=prefix
            )
        ]
        for prefix in ("41", "51", "44", "43", "36")
    }
    weights = {"41": 35, "51": 30, "44": 20, "43": 8, "36": 7}  # Henan, Sichuan, Guangdong, …
    people: list[_DemoPerson] = []
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    while len(people) < 300:
        province = rng.choices(list(weights), weights=list(weights.values()))[0]
        county = rng.choice(counties[province])
        born = dt.date(1958, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 44))
        sex = rng.choice([Sex.MALE, Sex.FEMALE])
        number = _id_number(rng, county, born, sex)
        if number in seen:
            continue
        seen.add(number)
        category = (
            RetirementCategory.MALE
            if sex is Sex.MALE
            else rng.choice([RetirementCategory.FEMALE_50, RetirementCategory.FEMALE_55])
        )
        name = (
            rng.choice(SURNAMES)
            + rng.choice(GIVEN)
            + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        )
        cmd = service.NewPerson(
            id_number=number,
            name=name,
            hukou_region_code=county,
            retirement_category=category,
            phone=f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}",
        )
        rows.append(service.validate_person(uow, cmd))
        people.append(_DemoPerson(number, born, sex, county))
    service.insert_persons(uow, rows)
    return people


def _relationships(
    uow: UnitOfWork,
    rng: random.Random,
    people: list[_DemoPerson],
    employers: list[tuple[str, str]],
    today: dt.date,
) -> int:
    """Enterprise relationships at employers (or as flexible workers), in every status."""
    count = 0
    local_counties = {d[3]: d[1] for d in DETAILED if d[0] is AgencyLevel.COUNTY}
    for person in people:
        started = max(dt.date(person.born.year + 18, person.born.month, 1), dt.date(1995, 1, 1))
        started += dt.timedelta(days=rng.randint(0, 2000))
        if started >= today:
            started = today - dt.timedelta(days=30)
        age = (today - person.born).days // 365
        if rng.random() < 0.8:
            uscc, agency = rng.choice(employers)
        else:  # 灵活就业人员: enrolled at the place of work, no employer
            uscc, agency = None, rng.choice([d[1] for d in DETAILED if d[0] is AgencyLevel.COUNTY])
        rel = service.add_relationship(
            uow,
            service.NewRelationship(
                person.id_number, Scheme.ENTERPRISE, agency, started, employer_uscc=uscc
            ),
        )
        count += 1
        later = started + (today - started) * 3 // 4
        retirement_age = 60 if person.sex is Sex.MALE else 50
        if age >= retirement_age + 2 and rng.random() < 0.7:
            service.change_relationship_status(
                uow, rel.id, RelationshipStatus.RECEIVING, changed_on=later, reason="退休待遇核定"
            )
        elif rng.random() < 0.15:
            service.change_relationship_status(
                uow, rel.id, RelationshipStatus.SUSPENDED, changed_on=later, reason="中断缴费"
            )
        # A temporary account where a man over 50 works away from his hukou (66号 第六条).
        if (
            person.sex is Sex.MALE
            and age >= 52
            and person.hukou not in local_counties
            and rng.random() < 0.3
        ):
            other = rng.choice(
                [d[1] for d in DETAILED if d[0] is AgencyLevel.CITY and d[1] != agency]
            )
            service.add_relationship(
                uow,
                service.NewRelationship(
                    person.id_number,
                    Scheme.ENTERPRISE,
                    other,
                    later,
                    kind=RelationshipKind.TEMPORARY,
                ),
            )
            count += 1
        # Some people at home were once in the resident scheme (城乡居保) at their county agency.
        if person.hukou in local_counties and rng.random() < 0.5:
            service.add_relationship(
                uow,
                service.NewRelationship(
                    person.id_number, Scheme.RESIDENT, local_counties[person.hukou], started
                ),
            )
            count += 1
    return count


def _contributions(
    uow: UnitOfWork, rng: random.Random, employers: list[tuple[str, str]], params: Parameters
) -> int:
    """Every employer declares 2024 and the first half of 2025 for its contributing employees,
    paid on the 15th of the next month — except June 2025, left unpaid (arrears)."""
    from jinbao.contributions.service import DeclarationRow, declare
    from jinbao.registry.tables import employers as employer_table
    from jinbao.registry.tables import persons as person_table
    from jinbao.registry.tables import relationships as relationship_table

    staff: dict[str, list[tuple[str, int]]] = {}
    rows = uow.conn.execute(
        select(employer_table.c.uscc, person_table.c.id_number)
        .select_from(
            relationship_table.join(
                employer_table, relationship_table.c.employer_id == employer_table.c.id
            ).join(person_table, relationship_table.c.person_id == person_table.c.id)
        )
        .where(relationship_table.c.status == "contributing", relationship_table.c.kind == "normal")
        .order_by(employer_table.c.uscc, person_table.c.id_number)
    )
    for uscc, number in rows:
        staff.setdefault(uscc, []).append((number, rng.randint(30, 150) * 100_00))
    count = 0
    for month in [YearMonth(2024, m) for m in range(1, 13)] + [
        YearMonth(2025, m) for m in range(1, 7)
    ]:
        paid_on = None if month == YearMonth(2025, 6) else month.plus(1).first_day().replace(day=15)
        for uscc, people in staff.items():
            lines = [
                DeclarationRow(i, uscc, month, n, Fen(w)) for i, (n, w) in enumerate(people, 1)
            ]
            count += declare(
                uow, lines, batch=f"demo:{uscc}:{month}", params=params, paid_on=paid_on
            ).records
    return count


HOME_CITY = {"41": "41010000", "51": "51010000"}  # where movers go home to work
OFF_NETWORK_HOME = "41160200"  # 周口市川汇区: not on the exchange network in the demo


def _movers(uow: UnitOfWork, people: list[_DemoPerson]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A few workers from Henan and Sichuan leave their Guangdong employer after June 2025 (the
    unpaid month stays as arrears), go home and enrol as flexible workers in their provincial
    capital — the starting point of a cross-province transfer (国办发〔2009〕66号 第八条 一).
    One more goes home to Zhoukou's 川汇区, whose agency is not on the network: that transfer
    runs in manual mode, on paper. The Guangdong agencies review transfers automatically
    (即时办结); the receiving cities leave it to their operators. Neither is any real agency's
    setting (DEMO DATA)."""
    movers: list[str] = []
    paper_movers: list[str] = []
    young = [
        p
        for p in people
        if p.hukou[:2] in HOME_CITY and (dt.date(2025, 7, 1) - p.born).days // 365 < 40
    ]
    for person in young:
        pid = repo.person_id(uow, person.id_number)
        assert pid is not None
        current = repo.current_normal_relationship(uow, pid, Scheme.ENTERPRISE)
        if (
            current is None
            or current.employer_uscc is None
            or current.status is not RelationshipStatus.CONTRIBUTING
            or current.started_on >= dt.date(2024, 1, 1)
        ):
            continue
        if len(movers) < 5:
            home, chosen = HOME_CITY[person.hukou[:2]], movers
        elif person.hukou[:2] == "41":
            home, chosen = OFF_NETWORK_HOME, paper_movers
        else:
            continue
        service.change_relationship_status(
            uow, current.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 7, 1),
            reason="离职返乡，中断缴费",
        )  # fmt: skip
        service.add_relationship(
            uow,
            service.NewRelationship(
                person.id_number, Scheme.ENTERPRISE, home, dt.date(2025, 8, 1),
            ),
        )  # fmt: skip
        chosen.append(person.id_number)
        if paper_movers:
            break
    for code in ["44000000", *(d[1] for d in DETAILED if d[1].startswith("44"))]:
        set_auto_review(uow, code, True)
    return tuple(movers), tuple(paper_movers)


def _linkage_person(
    uow: UnitOfWork, rng: random.Random, employers: list[tuple[str, str]], params: Parameters
) -> str:
    """Born April 1963 with 户籍 in Zhengzhou (statutory age 60: April 2023): employed in Tianhe
    2016–2022 (7 years, under 15), then insured in the resident scheme at home, paying the
    300-yuan tier 2020–2024 — three years overlap. The case for linkage into the resident
    scheme (城乡衔接, 人社部发〔2014〕17号 第三条、第六条、第七条). DEMO DATA."""
    from jinbao.contributions.service import DeclarationRow, declare
    from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year

    born = dt.date(1963, 4, 12)
    number = _id_number(rng, "410105", born, Sex.MALE)
    uscc = next(u for u, code in employers if code == "44010600")
    service.add_person(uow, service.NewPerson(number, "孔德明", "410105"))
    job = service.add_relationship(
        uow,
        service.NewRelationship(
            number, Scheme.ENTERPRISE, "44010600", dt.date(2016, 1, 1), employer_uscc=uscc
        ),
    )
    first = YearMonth(2016, 1)
    declare(
        uow,
        [DeclarationRow(i + 2, uscc, first.plus(i), number, Fen(450_000)) for i in range(84)],
        batch="demo-linkage",
        params=params,
        paid_on=dt.date(2023, 1, 15),
    )
    service.change_relationship_status(
        uow, job.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2023, 1, 1),
        reason="退休年龄已到，停止缴费",
    )  # fmt: skip
    service.add_relationship(
        uow, service.NewRelationship(number, Scheme.RESIDENT, "41010000", dt.date(2020, 1, 1))
    )
    for year in range(2020, 2025):
        pay_resident_year(uow, ResidentPayment(number, year, 300, dt.date(year, 3, 1)), params)
    return number


def _retiree(uow: UnitOfWork, rng: random.Random, params: Parameters) -> str:
    """Born September 1965 with 户籍 in Zhengzhou (statutory month December 2025 under the 2024
    reform): employed in Tianhe 2005–2009 (the relation is kept there), then in Zhengzhou until
    November 2025. His retirement application in Zhengzhou brings the Guangzhou years back
    (转回待遇领取地) before the award. DEMO DATA."""
    number = _id_number(rng, "410105", dt.date(1965, 9, 20), Sex.MALE)
    service.add_person(uow, service.NewPerson(number, "冯德胜", "410105"))
    for agency, region, first, count, until in (
        ("44010600", "440106", YearMonth(2005, 1), 60, dt.date(2010, 1, 1)),
        ("41010000", "410100", YearMonth(2010, 1), 191, dt.date(2025, 12, 1)),
    ):
        employer = f"{'广州' if region[:2] == '44' else '郑州'}某机械制造有限公司{DEMO}"
        _employed(uow, rng, params, number, agency, region, employer, first, count, Fen(520_000),
                  paid_on=until.replace(day=10), left=(until, "离职"),
                  batch=f"demo-retiree-{agency}")  # fmt: skip
    return number


def _deemed_retiree(uow: UnitOfWork, rng: random.Random, params: Parameters) -> str:
    """Born August 1965 with 户籍 in Zhengzhou (statutory month October 2025 under the 2024
    reform): his file shows work at a Zhengzhou state factory from July 1984, before individual
    contributions began (视同缴费年限, not yet recorded: the README records them), then ten years
    paid in Zhengzhou, 2015-10 to 2025-09. Ten years alone are under the minimum. DEMO DATA."""
    number = _id_number(rng, "410105", dt.date(1965, 8, 16), Sex.MALE)
    service.add_person(uow, service.NewPerson(number, "陈国强", "410105"))
    _employed(uow, rng, params, number, "41010000", "410100", f"郑州某纺织机械厂{DEMO}",
              YearMonth(2015, 10), 120, Fen(480_000), paid_on=dt.date(2025, 10, 10),
              left=(dt.date(2025, 10, 1), "达到退休年龄，停止缴费（演示数据）"),
              batch="demo-deemed-retiree")  # fmt: skip
    return number


def _employed(
    uow: UnitOfWork, rng: random.Random, params: Parameters, number: str, agency: str,
    region: str, employer: str, first: YearMonth, count: int, base: Fen, *, paid_on: dt.date,
    left: tuple[dt.date, str], batch: str,
) -> None:  # fmt: skip
    """A job at a new employer in ``region``, insured at ``agency``: ``count`` months from ``first`` declared
    at ``base`` and collected on ``paid_on``, then the relation suspended (``left``: the day and
    the reason)."""
    from jinbao.contributions.service import DeclarationRow, declare

    uscc = _uscc(rng, region)
    service.add_employer(uow, service.NewEmployer(uscc, employer, agency))
    job = service.add_relationship(
        uow,
        service.NewRelationship(
            number, Scheme.ENTERPRISE, agency, first.first_day(), employer_uscc=uscc
        ),
    )
    rows = [DeclarationRow(i + 2, uscc, first.plus(i), number, base) for i in range(count)]
    declare(uow, rows, batch=batch, params=params, paid_on=paid_on)
    service.change_relationship_status(
        uow, job.id, RelationshipStatus.SUSPENDED, changed_on=left[0], reason=left[1]
    )


def _resident_pensioner(uow: UnitOfWork, rng: random.Random, params: Parameters) -> str:
    """Born May 1965 with 户籍 in Zhengzhou: insured in the residents' scheme at the Zhengzhou
    agency from 2009, paying the 500-yuan tier every year 2009–2024 (16 years); 60 in May 2025,
    the relation suspended, waiting for the scheme's pension (国发〔2014〕8号). DEMO DATA."""
    from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year

    born = dt.date(1965, 5, 10)
    number = _id_number(rng, "410105", born, Sex.FEMALE)
    service.add_person(uow, service.NewPerson(number, "赵桂兰", "410105"))
    relation = service.add_relationship(
        uow, service.NewRelationship(number, Scheme.RESIDENT, "41010000", dt.date(2009, 1, 1))
    )
    for year in range(2009, 2025):
        pay_resident_year(uow, ResidentPayment(number, year, 500, dt.date(year, 3, 1)), params)
    service.change_relationship_status(
        uow, relation.id, RelationshipStatus.SUSPENDED, changed_on=dt.date(2025, 5, 10),
        reason="年满60周岁，待领取城乡居民养老保险待遇（演示数据）",
    )  # fmt: skip
    return number
