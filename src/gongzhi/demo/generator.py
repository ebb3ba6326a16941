"""A realistic synthetic district (or city), deterministic by seed.

Geometry: one jittered lattice covers the whole area; every grid is a cell of
it, so grids tile communities, communities tile streets and streets tile the
district with no gap and no overlap. Organisation: the urban chain (street
party working committee → community party committee → compound branch →
building group → centre household) and the rural chain (township committee →
village branch → villagers' group → contact household), each party
organisation with at least three full members, plus committees, property
companies, schools, hospitals, enterprises, social organisations and the
district's departments; people, households, grid workers, party members
covering areas and linking households (包片联户), and a power/responsibility list.

The generator writes with bulk inserts into an empty database (explicit ids,
sequences reset afterwards) and checks the rules the services enforce.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction

from gongzhi.core.events import emit
from gongzhi.core.models import Region, _clear_region_cache
from gongzhi.org import geo
from gongzhi.org.kinds import (
    MIN_FULL_MEMBERS,
    PARTY_GROUP_KINDS,
    PRIMARY_ORG_KINDS,
    MemberRole,
    PartyStatus,
    StaffRoleKind,
    UnitKind,
)
from gongzhi.org.models import (
    Grid,
    GridAssignment,
    Household,
    HouseholdLink,
    MatterCategory,
    Membership,
    Person,
    ResponsibilityRule,
    StaffRole,
    Unit,
)
from gongzhi.org.services import ID_CHECK, ID_WEIGHTS

from . import contracts
from . import names as N

DEMO_PASSWORD = "gongzhi-demo"
#: The demo's resident: a log-in without a platform role (their own requests, topics, service).
DEMO_RESIDENT = "resident"


@dataclass(frozen=True)
class Scale:
    districts: tuple[int, int]
    streets: tuple[int, int]
    rural_streets: int  # how many streets of each district are rural townships
    communities: tuple[int, int]
    grids: tuple[int, int]
    people_urban: int
    people_rural: int


SCALES = {
    "tiny": Scale((1, 1), (2, 1), 1, (2, 1), (2, 2), 40, 30),
    "district": Scale((1, 1), (4, 2), 3, (2, 3), (3, 2), 450, 250),
    "city": Scale((3, 4), (5, 2), 3, (2, 5), (3, 3), 940, 650),
}

CELL_LON = 0.005
CELL_LAT = 0.004
ORIGIN = (118.80, 42.20)
CITY_CODE = "990100"


class Ids:
    def __init__(self):
        self.n = defaultdict(int)

    def __call__(self, model) -> int:
        self.n[model] += 1
        return self.n[model]


class DemoGenerator:
    def __init__(self, seed: int = 1, scale: str = "district", progress=None):
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
        self.seed = seed
        self.scale_name = scale
        self.s = SCALES[scale]
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.ids = Ids()
        self.rows: dict[type, list] = defaultdict(list)
        self.progress = progress or (lambda label, done, total: None)
        self.today = dt.date(2026, 1, 1)
        self.used_place_words: set[str] = set()
        self.co_builders: list = []
        self.street_units: dict = {}
        self.community_units: dict = {}
        self.grid_workers: list = []
        self.party_people: list = []
        self.workplaces: list = []  # (unit, people working there): written after the build
        self.urban_streets: list = []  # (street, its party pool, its party working committee)

    # ------------------------------------------------------------ helpers
    def add(self, model, **fields):
        obj = model(id=self.ids(model), **fields)
        self.rows[model].append(obj)
        return obj

    def place_name(self) -> str:
        for _ in range(50):
            w = self.rng.choice(N.PLACE_WORDS)
            if w not in self.used_place_words:
                self.used_place_words.add(w)
                return w
        w = self.rng.choice(N.PLACE_WORDS) + self.rng.choice(N.PLACE_WORDS)
        self.used_place_words.add(w)
        return w

    def person_name(self) -> str:
        g = N.GIVEN
        given = self.rng.choice(g) if self.rng.random() < 0.35 else self.rng.choice(g) + self.rng.choice(g)
        return self.rng.choice(N.SURNAMES) + given

    def id_number(self, district_code: str, birth: dt.date, male: bool, seq: int) -> str:
        s = seq % 500 * 2 + (1 if male else 0)
        body = f"{district_code}{birth:%Y%m%d}{s:03d}"
        return body + ID_CHECK[sum(int(a) * w for a, w in zip(body, ID_WEIGHTS)) % 11]

    def unit(self, kind, name, region, parent=None, lon=None, lat=None, code=None):
        uid = self.ids(Unit)
        path = (parent.path if parent else "/") + f"{uid}/"
        u = Unit(
            id=uid,
            code=code or f"U{uid:07d}",
            name=name,
            kind=kind,
            parent=parent,
            region=region,
            path=path,
            depth=(parent.depth + 1) if parent else 0,
            status=Unit.Status.ESTABLISHED,
            established_on=dt.date(2018 + uid % 7, 1 + uid % 12, 1 + uid % 28),
            lon=lon,
            lat=lat,
        )
        self.rows[Unit].append(u)
        return u

    def members(self, unit, people, n, role=MemberRole.FULL_MEMBER):
        chosen = self.rng.sample(people, min(n, len(people)))
        for p in chosen:
            self.add(Membership, person=p, unit=unit, role=role, region=unit.region, start_date=unit.established_on)
        return chosen

    # ------------------------------------------------------------ geometry
    def lattice(self):
        s = self.s
        cols = s.districts[0] * s.streets[0] * s.communities[0] * s.grids[0]
        rows = s.districts[1] * s.streets[1] * s.communities[1] * s.grids[1]
        xs = ORIGIN[0] + np.arange(cols + 1) * CELL_LON
        ys = ORIGIN[1] + np.arange(rows + 1) * CELL_LAT
        pts = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1)
        jitter = self.np_rng.uniform(-0.22, 0.22, size=pts.shape) * [CELL_LON, CELL_LAT]
        jitter[0, :, :] = jitter[-1, :, :] = 0
        jitter[:, 0, :] = jitter[:, -1, :] = 0
        self.pts = np.round(pts + jitter, 6)
        self.cols, self.rows_n = cols, rows

    def cell_polygon(self, i, j):
        p = self.pts
        ring = [p[i, j], p[i + 1, j], p[i + 1, j + 1], p[i, j + 1], p[i, j]]
        return {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in ring]]}

    # ------------------------------------------------------------ build
    def build(self):
        s = self.s
        self.lattice()
        city = self.add(Region, code=CITY_CODE, name="共治市", level="city", kind="urban", path=f"/{CITY_CODE}/")
        city_party = self.unit(UnitKind.PARTY_CITY, "中共共治市委员会", city, code="C-PARTY")
        self.unit(UnitKind.GOVERNMENT, "共治市人民政府", city, code="C-GOV")
        self.cities = [city]
        self.streets_by_district = []
        n_d = s.districts[0] * s.districts[1]
        total_comm = n_d * s.streets[0] * s.streets[1] * s.communities[0] * s.communities[1]
        done = 0
        for dx in range(s.districts[0]):
            for dy in range(s.districts[1]):
                dn = len(self.streets_by_district)
                dcode = f"9901{dn + 2:02d}"
                dname = N.DISTRICT_NAMES[dn % len(N.DISTRICT_NAMES)]
                district = self.add(
                    Region,
                    code=dcode,
                    name=dname,
                    level="district",
                    kind="urban",
                    parent=city,
                    path=f"{city.path}{dcode}/",
                )
                d_party = self.unit(
                    UnitKind.PARTY_DISTRICT, f"中共{dname}委员会", district, city_party, code=f"{dcode}-PARTY"
                )
                d_gov = self.unit(UnitKind.GOVERNMENT, f"{dname}人民政府", district, code=f"{dcode}-GOV")
                depts = {
                    abbr: self.unit(UnitKind.DEPARTMENT, f"{dname}{name}", district, d_gov, code=f"{dcode}-{abbr}")
                    for abbr, name in N.DEPARTMENTS
                }
                self.district_ctx = (district, d_party, d_gov, depts)
                streets = []
                district_mark = len(self.party_people)
                for sx in range(s.streets[0]):
                    for sy in range(s.streets[1]):
                        k = len(streets)
                        rural = k >= s.streets[0] * s.streets[1] - s.rural_streets
                        streets.append(self.build_street(district, d_party, d_gov, k, rural, dx, dy, sx, sy))
                        done += s.communities[0] * s.communities[1]
                        self.progress("结构", done, total_comm)
                district_party = self.party_people[district_mark:]
                self.members(d_party, district_party, 9)
                self.members(d_party, district_party, 1, MemberRole.SECRETARY)
                self.streets_by_district.append((district, streets, depts))
        self.members(city_party, self.party_people, 11)
        self.members(city_party, self.party_people, 1, MemberRole.SECRETARY)
        self.build_categories_and_rules()
        self.build_users()
        self.build_party_standing()
        # Urban–rural pairing: the first urban street with the first township of each district.
        self.pairs = []
        for _district, streets, _ in self.streets_by_district:
            urban = [r for r in streets if r.kind == "urban"]
            rural = [r for r in streets if r.kind == "rural"]
            if urban and rural:
                urban[0].paired_with = rural[0]
                rural[0].paired_with = urban[0]

    def build_street(self, district, d_party, d_gov, k, rural, dx, dy, sx, sy):
        s = self.s
        scode = f"{district.code}{k + 1:03d}"
        word = self.place_name()
        sname = f"{word}镇" if rural else f"{word}街道"
        street = self.add(
            Region,
            code=scode,
            name=sname,
            level="street",
            kind="rural" if rural else "urban",
            parent=district,
            path=f"{district.path}{scode}/",
        )
        s_party = self.unit(
            UnitKind.PARTY_TOWNSHIP if rural else UnitKind.PARTY_STREET,
            f"中共{sname}委员会" if rural else f"中共{sname}工作委员会",
            street,
            d_party,
            code=f"{scode}-PARTY",
        )
        s_gov = self.unit(
            UnitKind.GOVERNMENT, f"{sname}人民政府" if rural else f"{sname}办事处", street, d_gov, code=f"{scode}-GOV"
        )
        street_people = []
        comms = []
        for cx in range(s.communities[0]):
            for cy in range(s.communities[1]):
                c0 = ((dx * s.streets[0] + sx) * s.communities[0] + cx) * s.grids[0]
                r0 = ((dy * s.streets[1] + sy) * s.communities[1] + cy) * s.grids[1]
                comm, party_pool = self.build_community(street, s_party, len(comms), rural, c0, r0)
                comms.append(comm)
                street_people.extend(party_pool)
        self.members(s_party, street_people, 7)
        self.members(s_party, street_people, 1, MemberRole.SECRETARY)
        # Street-level units: a school, a health centre, enterprises with party branches, a social organisation.
        grids = [g for g in self.rows[Grid] if g.region.parent_id == street.id]
        first = grids[0]
        self.unit(
            UnitKind.SCHOOL,
            f"{sname}{'中心小学' if rural else '第一小学'}",
            street,
            lon=first.centroid_lon,
            lat=first.centroid_lat,
        )
        self.unit(
            UnitKind.HOSPITAL,
            f"{sname}{'卫生院' if rural else '社区卫生服务中心'}",
            street,
            lon=grids[1].centroid_lon,
            lat=grids[1].centroid_lat,
        )
        for e in range(2):
            g = grids[(e * 7 + 3) % len(grids)]
            kind = UnitKind.ENTERPRISE_STATE if (rural and e == 0) else UnitKind.ENTERPRISE_PRIVATE
            ename = f"{word}{self.rng.choice(N.ENTERPRISES)}{'有限公司' if e else '集团有限公司'}"
            ent = self.unit(kind, ename, street, lon=g.centroid_lon, lat=g.centroid_lat)
            branch = self.unit(UnitKind.PARTY_BRANCH, f"中共{ename}支部委员会", street, s_party)
            branch.host = ent
            self.workplaces.append((ent, self.members(branch, street_people, 3)))
            if e == 0 and not rural:
                # A functional grid party organisation co-built with the enterprise in its grid.
                gp = self.unit(UnitKind.PARTY_GRID, f"{g.name}功能型党支部", street, s_party)
                self.members(gp, street_people, 3)
                g.party_org = gp
                self.co_builders.append((g, ent))
        soc = self.unit(UnitKind.SOCIAL_ORG, f"{word}{self.rng.choice(N.SOCIAL_ORGS)}", street)
        branch = self.unit(UnitKind.PARTY_BRANCH, f"中共{soc.name}支部委员会", street, s_party)
        branch.host = soc
        self.workplaces.append((soc, self.members(branch, street_people, 3)))
        self.street_units[street.code] = (s_party, s_gov)
        if not rural:
            self.urban_streets.append((street, street_people, s_party))
        return street

    def build_community(self, street, s_party, idx, rural, c0, r0):
        s = self.s
        ccode = f"{street.code}{idx + 1:03d}"
        word = self.place_name()
        cname = f"{word}村" if rural else f"{word}社区"
        npeople = s.people_rural if rural else s.people_urban
        comm = self.add(
            Region,
            code=ccode,
            name=cname,
            level="community",
            kind=street.kind,
            parent=street,
            path=f"{street.path}{ccode}/",
            population=npeople,
            area_km2=round(s.grids[0] * s.grids[1] * 0.18, 2),
        )
        # Grids
        grids = []
        for gi in range(s.grids[0]):
            for gj in range(s.grids[1]):
                geom = geo.parse_polygon(self.cell_polygon(c0 + gi, r0 + gj))
                n = len(grids) + 1
                g = self.add(
                    Grid, code=f"{ccode}{n:03d}", name=f"{cname}第{n}网格", region=comm, **geo.grid_fields(geom)
                )
                grids.append(g)
        # People and households
        people, households = [], []
        district_code = street.code[:6]
        i = 0
        compounds = (
            [f"{self.place_name() if not rural else word}{self.rng.choice(N.COMPOUND_WORDS)}" for _ in range(2)]
            if not rural
            else []
        )
        while i < npeople:
            g = self.rng.choice(grids)
            hid = self.ids(Household)
            if rural:
                grp = 1 + hid % 3
                addr, bld = f"{cname}{grp}组{self.rng.randint(1, 200)}号", f"{grp}组"
            else:
                comp = compounds[hid % 2]
                b = self.rng.randint(1, 12)
                addr = (
                    f"{comp}{b}号楼{self.rng.randint(1, 4)}单元{self.rng.randint(1, 18)}{self.rng.randint(1, 4):02d}室"
                )
                bld = f"{comp}{b}号楼"
            h = Household(id=hid, code=f"{ccode}{hid:07d}", address=addr, building=bld, region=comm, grid=g)
            self.rows[Household].append(h)
            households.append(h)
            for _ in range(min(self.rng.choice((1, 2, 2, 3, 3, 3, 4, 5)), npeople - i)):
                male = self.rng.random() < 0.5
                birth = dt.date(self.rng.randint(1940, 2012), self.rng.randint(1, 12), self.rng.randint(1, 28))
                pid = self.ids(Person)
                p = Person(
                    id=pid,
                    name=self.person_name(),
                    gender="m" if male else "f",
                    birth_date=birth,
                    id_number=self.id_number(district_code, birth, male, pid),
                    phone=f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}",
                    region=comm,
                    household=h,
                    is_mobile=(not rural and self.rng.random() < 0.15),
                )
                self.rows[Person].append(p)
                people.append(p)
                i += 1
        adults = [p for p in people if p.birth_date.year <= 2006] or people
        party_pool = self.rng.sample(adults, max(12, len(adults) // 14)) if len(adults) >= 12 else adults
        # Committees and party chain
        if rural:
            c_party = self.unit(UnitKind.PARTY_VILLAGE, f"中共{cname}支部委员会", comm, s_party)
            committee = self.unit(UnitKind.VILLAGERS_COMMITTEE, f"{cname}村民委员会", comm)
            c_party.host = committee
            self.members(c_party, party_pool, 5)
            for grp in range(1, 4):
                pg = self.unit(UnitKind.PARTY_VILLAGER_GROUP, f"{cname}第{grp}村民小组党小组", comm, c_party)
                mem = self.members(pg, party_pool, 3)
                hh = self.unit(UnitKind.PARTY_CONTACT_HOUSEHOLD, f"{mem[0].name}党员联系户", comm, pg)
                self.add(
                    Membership,
                    person=mem[0],
                    unit=hh,
                    role=MemberRole.FULL_MEMBER,
                    region=comm,
                    start_date=hh.established_on,
                )
        else:
            c_party = self.unit(UnitKind.PARTY_COMMUNITY, f"中共{cname}委员会", comm, s_party)
            committee = self.unit(UnitKind.RESIDENTS_COMMITTEE, f"{cname}居民委员会", comm)
            c_party.host = committee
            self.members(c_party, party_pool, 7)
            for k, comp in enumerate(compounds):
                g = grids[k % len(grids)]
                self.unit(
                    UnitKind.PROPERTY_COMPANY, f"{comp}物业服务有限公司", comm, lon=g.centroid_lon, lat=g.centroid_lat
                )
                self.unit(UnitKind.OWNERS_COMMITTEE, f"{comp}业主委员会", comm)
                branch = self.unit(UnitKind.PARTY_COMPOUND, f"中共{comp}支部委员会", comm, c_party)
                self.members(branch, party_pool, 5)
                for b in range(1, 4):
                    bg = self.unit(UnitKind.PARTY_BUILDING, f"{comp}{b}号楼党小组", comm, branch)
                    mem = self.members(bg, party_pool, 3)
                    hh = self.unit(UnitKind.PARTY_CENTRE_HOUSEHOLD, f"{mem[0].name}党员中心户", comm, bg)
                    self.add(
                        Membership,
                        person=mem[0],
                        unit=hh,
                        role=MemberRole.FULL_MEMBER,
                        region=comm,
                        start_date=hh.established_on,
                    )
        self.members(c_party, party_pool, 1, MemberRole.SECRETARY)
        # Grid workers, party members covering grids and linking households (包片联户).
        in_party = set(party_pool)
        non_party = [p for p in adults if p not in in_party] or adults
        workers = self.rng.sample(non_party, len(grids)) if len(non_party) >= len(grids) else non_party
        for g, w in zip(grids, workers * len(grids)):
            self.add(
                Membership, person=w, unit=committee, role=MemberRole.GRID_WORKER, region=comm, start_date=self.today
            )
            self.add(
                GridAssignment,
                grid=g,
                person=w,
                kind=GridAssignment.Kind.GRID_WORKER,
                region=comm,
                start_date=self.today,
            )
            self.grid_workers.append((g, w))
        for k, p in enumerate(party_pool):
            self.add(
                GridAssignment,
                grid=grids[k % len(grids)],
                person=p,
                kind=GridAssignment.Kind.COVERAGE,
                region=comm,
                start_date=self.today,
            )
            for h in self.rng.sample(households, min(3, len(households))):
                self.add(HouseholdLink, member=p, household=h, region=comm, start_date=self.today)
        for p in self.rng.sample(adults, min(len(adults), max(3, len(adults) // 40))):
            self.add(
                Membership, person=p, unit=committee, role=MemberRole.VOLUNTEER, region=comm, start_date=self.today
            )
        self.community_units[comm.code] = (c_party, committee)
        self.party_people.extend(party_pool)
        return comm, party_pool

    def build_categories_and_rules(self):
        cats = {}
        for code, name, sla, kw in N.CATEGORIES:
            cats[code] = self.add(
                MatterCategory,
                code=code,
                name=name,
                parent=cats.get(code[:2]) if len(code) == 5 else None,
                default_sla=sla,
                keywords=kw,
            )
        for district, streets, depts in self.streets_by_district:
            for code, level, dept, basis in N.RULES:
                cat = cats[code]
                self.add(
                    ResponsibilityRule,
                    category=cat,
                    region=district,
                    handler_level=level,
                    department=depts[dept] if dept else None,
                    legal_basis=basis,
                    sla=cat.default_sla,
                    version=1,
                    effective_from=dt.date(2025, 1, 1),
                    effective_to=dt.date(2026, 7, 1) if code == "04004" else None,
                )
            # Versioning: parking moved from the community to the street on 2026-07-01.
            self.add(
                ResponsibilityRule,
                category=cats["04004"],
                region=district,
                handler_level="street",
                legal_basis="区政府2026年第3号通知",
                sla="general",
                version=2,
                effective_from=dt.date(2026, 7, 1),
            )
            # A street-level line overriding the district's for noise.
            self.add(
                ResponsibilityRule,
                category=cats["05001"],
                region=streets[0],
                handler_level="street",
                legal_basis="《噪声污染防治法》；街道综合执法队承办",
                sla="general",
                version=1,
                effective_from=dt.date(2025, 3, 1),
            )

    def build_users(self):
        district, streets, depts = self.streets_by_district[0]
        s1, s2 = streets[0], streets[1]
        comm = next(r for r in self.rows[Region] if r.parent_id == s1.id)
        grid, worker = next((g, w) for g, w in self.grid_workers if g.region_id == comm.id)
        taken = {w.id for _g, w in self.grid_workers}
        self.demo_resident = next((p for p in self.rows[Person] if p.region_id == comm.id and p.id not in taken), None)
        self.demo_users = [
            ("admin", "系统管理员", None, None, None),
            (
                "district",
                "区级管理员",
                self.rows[Unit][[u.code for u in self.rows[Unit]].index(f"{district.code}-GOV")],
                StaffRoleKind.DISTRICT_ADMIN,
                None,
            ),
            ("street", f"{s1.name}干部", self.street_units[s1.code][1], StaffRoleKind.STREET_CADRE, None),
            ("street2", f"{s2.name}干部", self.street_units[s2.code][1], StaffRoleKind.STREET_CADRE, None),
            ("community", f"{comm.name}干部", self.community_units[comm.code][1], StaffRoleKind.COMMUNITY_CADRE, None),
            ("grid", f"{grid.name}网格员", self.community_units[comm.code][1], StaffRoleKind.GRID_WORKER, worker),
            ("dept", f"{depts['CGJ'].name}工作人员", depts["CGJ"], StaffRoleKind.DEPARTMENT_STAFF, None),
            (
                "auditor",
                "监督审计员",
                self.rows[Unit][[u.code for u in self.rows[Unit]].index(f"{district.code}-GOV")],
                StaffRoleKind.AUDITOR,
                None,
            ),
        ]

    def build_party_standing(self) -> None:
        """Party standing and relations, workplaces, and the gaps the street should see (应建未建).

        Every person with a full-member membership is a full party member; the relation is held by the
        deepest primary organisation they belong to. Members of an enterprise's or social
        organisation's branch work there. In each urban street, one private enterprise has full
        members working in it and no party organisation (a gap, with one probationary member who
        does not count), and one with only two full members (not a gap). Drawn from a separate
        random stream, after everything else, so the rest of the district is the same as before."""
        rng = random.Random(self.seed * 7919 + 20)
        units = {u.id: u for u in self.rows[Unit]}
        for unit, people in self.workplaces:
            for p in people:
                self.add(
                    Membership, person=p, unit=unit, role=MemberRole.STAFF, region=unit.region, start_date=self.today
                )
        for street, pool, _s_party in self.urban_streets:
            comm_units = [self.community_units[r.code] for r in self.rows[Region] if r.parent_id == street.id]
            grids = [g for g in self.rows[Grid] if g.region.parent_id == street.id]
            word = street.name.removesuffix("街道")
            for k, (n_full, label) in enumerate(((4, "数码科技有限公司"), (2, "连锁超市有限公司"))):
                g = grids[(k * 5 + 1) % len(grids)]
                ent = self.unit(
                    UnitKind.ENTERPRISE_PRIVATE,
                    f"{word}{label}",
                    street,
                    lon=g.centroid_lon,
                    lat=g.centroid_lat,
                )
                staff = rng.sample(pool, min(n_full, len(pool)))
                if k == 0:
                    # A probationary member among the staff: listed nowhere, counted nowhere.
                    c_party = comm_units[0][0]
                    taken = {p.id for p in self.party_people}
                    cand = [p for p in self.rows[Person] if p.region_id == c_party.region.id and p.id not in taken]
                    cand = [p for p in cand if p.birth_date.year <= 2000]
                    if cand:
                        prob = rng.choice(cand)
                        prob.party_status = PartyStatus.PROBATIONARY
                        prob.party_relation = c_party
                        self.add(
                            Membership,
                            person=prob,
                            unit=c_party,
                            role=MemberRole.PROBATIONARY_MEMBER,
                            region=c_party.region,
                            start_date=dt.date(2025, 7, 1),
                        )
                        staff.append(prob)
                for p in staff:
                    self.add(
                        Membership, person=p, unit=ent, role=MemberRole.STAFF, region=street, start_date=self.today
                    )
        # A party group's members are members of its branch (支部工作条例 art. 13), and every member of a
        # community's party pool belongs to a primary organisation (the community's, at least).
        held: dict[int, set[int]] = defaultdict(set)
        for m in list(self.rows[Membership]):
            if m.role == MemberRole.FULL_MEMBER:
                held[m.unit.id].add(m.person.id)
        for m in list(self.rows[Membership]):
            u = m.unit
            if (
                m.role == MemberRole.FULL_MEMBER
                and u.kind in PARTY_GROUP_KINDS
                and m.person.id not in held[u.parent.id]
            ):
                held[u.parent.id].add(m.person.id)
                self.add(
                    Membership,
                    person=m.person,
                    unit=u.parent,
                    role=MemberRole.FULL_MEMBER,
                    region=u.parent.region,
                    start_date=u.parent.established_on,
                )
        in_primary = {
            m.person.id
            for m in self.rows[Membership]
            if m.role == MemberRole.FULL_MEMBER and m.unit.kind in PRIMARY_ORG_KINDS
        }
        for p in self.party_people:
            if p.id not in in_primary:
                in_primary.add(p.id)
                c_party = self.community_units[p.region.code][0]
                self.add(
                    Membership,
                    person=p,
                    unit=c_party,
                    role=MemberRole.FULL_MEMBER,
                    region=c_party.region,
                    start_date=c_party.established_on,
                )
        relation: dict[int, tuple[int, Unit]] = {}
        full: set[int] = set()
        for m in self.rows[Membership]:
            if m.role != MemberRole.FULL_MEMBER:
                continue
            full.add(m.person.id)
            u = units.get(m.unit.id, m.unit)
            if u.kind in PRIMARY_ORG_KINDS and (m.person.id not in relation or u.depth > relation[m.person.id][0]):
                relation[m.person.id] = (u.depth, u)
        for p in self.rows[Person]:
            if p.id in full:
                p.party_status = PartyStatus.FULL
                p.party_relation = relation[p.id][1] if p.id in relation else None

    # ------------------------------------------------------------ write
    def check(self):
        """The rules the services enforce, checked on the generated rows."""
        full = defaultdict(int)
        for m in self.rows[Membership]:
            if m.role == MemberRole.FULL_MEMBER:
                full[m.unit.id] += 1
        for u in self.rows[Unit]:
            if u.needs_three_members and full[u.id] < MIN_FULL_MEMBERS:
                raise AssertionError(f"{u.name} has only {full[u.id]} full members")
        for m in self.rows[Membership]:
            if m.role == MemberRole.FULL_MEMBER and m.person.party_status != PartyStatus.FULL:
                raise AssertionError(f"{m.person.name} holds a full member's place without being one")
        codes = [u.code for u in self.rows[Unit]]
        assert len(codes) == len(set(codes)), "duplicate unit codes"

    def write(self, batch: int = 5000) -> dict:
        User = get_user_model()
        order = [
            Region,
            Unit,
            MatterCategory,
            ResponsibilityRule,
            Grid,
            Household,
            Person,
            Membership,
            GridAssignment,
            HouseholdLink,
        ]
        total = sum(len(self.rows[m]) for m in order)
        done = 0
        with transaction.atomic():
            for model in order:
                objs = self.rows[model]
                for k in range(0, len(objs), batch):
                    chunk = objs[k : k + batch]
                    if model in FAST_MODELS:
                        _fast_insert(model, chunk)
                    else:
                        model.objects.bulk_create(chunk, batch_size=batch)
                    done += len(chunk)
                    self.progress("写入", done, total)
            through = Grid.co_builders.through
            through.objects.bulk_create([through(grid_id=g.id, unit_id=u.id) for g, u in self.co_builders])
            for model in order:
                with connection.cursor() as cur:
                    for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
                        cur.execute(sql)
            hashed = make_password(DEMO_PASSWORD)  # one slow hash for all demo users
            for username, full_name, unit, role, person in self.demo_users:
                user = User.objects.filter(username=username).first()
                if user is None:
                    user = User.objects.create(
                        username=username,
                        password=hashed,
                        first_name=full_name,
                        is_staff=True,
                        is_superuser=role is None,
                    )
                if unit is not None:
                    StaffRole.objects.get_or_create(user=user, unit=unit, role=role, defaults={"region": unit.region})
                if person is not None:
                    Person.objects.filter(pk=person.id).update(user=user)
            # A resident: a log-in with no platform role, linked to a person of the grid worker's community.
            resident = User.objects.filter(username=DEMO_RESIDENT).first()
            if resident is None and self.demo_resident is not None:
                resident = User.objects.create(
                    username=DEMO_RESIDENT, password=hashed, first_name=self.demo_resident.name
                )
                Person.objects.filter(pk=self.demo_resident.id).update(user=resident)
            _clear_region_cache()  # regions were bulk-inserted: no signals fired
            counts = {m._meta.model_name: len(self.rows[m]) for m in order}
            emit(
                contracts.GENERATED,
                aggregate_type="demo",
                aggregate_id=self.seed,
                region=self.cities[0],
                payload={"seed": self.seed, "scale": self.scale_name, "counts": counts},
                public=False,
            )
        return counts


def run_module_demos(*, seed: int, scale: str, progress) -> dict[str, int]:
    """Each app's demo step (``demo=DemoStep("gongzhi.cases.demo:generate", order)`` in its manifest),
    ``generate(*, seed, scale, progress) -> dict[str, int]`` (counts of what it wrote), run by order
    after the district is written."""
    from gongzhi.core import manifest

    counts: dict[str, int] = {}
    for _app, _step, generate in manifest.loaded().demos:
        counts.update(generate(seed=seed, scale=scale, progress=progress) or {})
    return counts


# The big tables (no JSON or other fields needing conversion) are written with a plain
# executemany: the same rows as bulk_create, without its per-value preparation.
FAST_MODELS = (Household, Person, Membership, GridAssignment, HouseholdLink)


def _fast_insert(model, objs) -> None:
    fields = [f for f in model._meta.concrete_fields]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    names = [f.attname for f in fields]
    with connection.cursor() as cur:
        cur.executemany(sql, [tuple(getattr(o, n) for n in names) for o in objs])


def database_is_empty() -> bool:
    return not Region.objects.exists()
