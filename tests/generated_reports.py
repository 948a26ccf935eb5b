"""Report openings written in every way a unit names itself, for every kind of place in the gazetteer.

The shared real reports only sample how units write about themselves; this writes the ways out —
a title, a news headline, a title naming only the place, a unit line, a signature, the report naming
itself, an opening sentence with the full name or only its level (市公安局) and the place named
elsewhere, ``我局`` and the work it does, a town's ``我镇`` beside its (invented) name, a web page's
publisher line, an administrator's file name, a joint 党委 + 政府 report, a development zone's
committee, a ministry — for provinces, autonomous regions, cities, prefectures, leagues, districts,
counties, county-level cities, banners and autonomous counties drawn from the whole gazetteer. Each
report carries what a careful reader would cite and where the unit is, so a rule that only fits the
shared files fails here first. The bodies are written here from what each office does, not from the
duty words the issuer reads (``config/unit_duties.tsv``), so the test does not grade itself.

    python -m tests.generated_reports OUT_DIR [--count 2400]   # files + labels.tsv (metadata_score.py's format)
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from reportqa.domain.places import CITY, COUNTY, PROVINCE, Gazetteer, Place, load_gazetteer, load_zones, short_forms
from reportqa.settings import BUNDLED_CONFIG_DIR

MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
OUTSIDE_MAINLAND = ("71", "81", "82")

# offices: kind → sentences about its work (numbers filled in), written from what each office does
WORK = {
    "交通运输局": ["全年新改建农村公路{n}公里，开展道路运输市场执法检查{n}次，查处超限超载车辆{n}辆。",
              "推进城乡客运一体化，新开通公交线路{n}条，规范出租汽车和网约车经营。"],
    "公安局": ["全年破获刑事案件{n}起，查处治安案件{n}起，派出所执法规范化建设全面推进。",
            "深入开展扫黑除恶常态化斗争，电信网络诈骗发案数同比下降{n}%。"],
    "应急管理局": ["开展安全生产大检查，排查整治安全隐患{n}处，危险化学品企业全部纳入重点监管。",
              "修订完善应急预案{n}部，组织防汛抗旱和地质灾害应急演练{n}次。"],
    "生态环境局": ["全年空气质量优良天数{n}天，细颗粒物平均浓度同比下降{n}%，国控断面水质全部达标。",
              "办理建设项目环境影响评价审批{n}件，查处环境违法案件{n}起。"],
    "市场监督管理局": ["新登记市场主体{n}户，企业开办时间压缩至1个工作日，营业执照实现全程电子化。",
                "开展食品安全和特种设备专项检查{n}次，查处商标侵权案件{n}件。"],
    "教育局": ["组织全体教职工和中小学学生参加法治教育{n}场次，聘请法治副校长{n}名。",
            "落实义务教育学校管理标准，开展校园安全专项整治{n}次。"],
    "民政局": ["全年发放低保和特困供养资金{n}万元，办理婚姻登记{n}对。", "规范社会组织登记管理，推进养老服务机构标准化建设。"],
    "人力资源和社会保障局": ["新增城镇就业{n}人，开展劳动保障监察专项行动，追讨欠薪{n}万元。",
                   "办结劳动人事争议仲裁案件{n}件，养老保险参保率稳步提高。"],
    "司法局": ["全年办理法律援助案件{n}件，人民调解组织调解纠纷{n}件。", "社区矫正对象无脱管漏管，公证服务实现“最多跑一次”。"],
    "退役军人事务局": ["落实退役军人优抚安置政策，走访慰问退役军人{n}人次。", "双拥共建工作扎实推进，烈士纪念设施管护全面加强。"],
    "住房和城乡建设局": ["开展建筑市场和工程质量安全检查{n}次，规范房地产开发经营。", "推进老旧小区改造{n}个，物业管理纠纷调处率明显提高。"],
    "农业农村局": ["开展农资打假专项行动，抽检农产品、兽药和饲料{n}批次。", "新建高标准农田{n}万亩，动物防疫工作有序开展。"],
    "水利局": ["全面落实河长制，完成水土保持方案审批{n}件，查处河道非法采砂{n}起。", "新建和加固水库堤防{n}处，取水许可管理进一步规范。"],
    "医疗保障局": ["开展医保基金监管专项检查，追回医保基金{n}万元。", "规范定点医药机构协议管理，药品集中带量采购全面落地。"],
    "城市管理局": ["整治占道经营{n}处，拆除违法建设{n}平方米。", "推进生活垃圾分类，市容环境卫生明显改善。"],
    "审计局": ["完成审计项目{n}个，推动审计整改资金{n}万元。", "审计发现问题全部建立整改台账。"],
}
PROVINCE_KINDS = {"司法局": "司法厅", "公安局": "公安厅", "交通运输局": "交通运输厅", "生态环境局": "生态环境厅",
                  "民政局": "民政厅", "教育局": "教育厅", "水利局": "水利厅", "应急管理局": "应急管理厅",
                  "农业农村局": "农业农村厅", "市场监督管理局": "市场监督管理局",
                  "住房和城乡建设局": "住房和城乡建设厅", "审计局": "审计厅"}
ABBREVIATED = {"市场监督管理局": "市场监管局", "应急管理局": "应急局", "人力资源和社会保障局": "人社局"}
# names some offices of a kind really have (重庆市交通局): cited as they are, never as the kind's usual name
VARIANTS = {"交通运输局": "交通局", "人力资源和社会保障局": "人力资源社会保障局", "住房和城乡建设局": "住房城乡建设局"}
MINISTRIES = ["应急管理部", "司法部", "公安部", "交通运输部", "生态环境部", "水利部", "农业农村部", "民政部",
              "自然资源部", "商务部", "文化和旅游部", "退役军人事务部"]
GENERAL = [
    "深入学习贯彻习近平法治思想，全面落实法治政府建设实施纲要，把法治建设纳入年度工作要点。",
    "严格落实重大行政决策程序，重大决策事项合法性审查率达到100%。",
    "全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度。",
    "组织领导干部集体学法{n}次，举办法治专题讲座{n}场。",
    "聘请法律顾问{n}名，行政规范性文件全部经过合法性审查。",
    "行政复议和行政应诉工作依法开展，行政机关负责人出庭应诉率100%。",
    "全面落实“谁执法谁普法”普法责任制，开展法治宣传活动{n}场次。",
    "主动接受人大监督、政协民主监督和社会舆论监督，办理建议提案{n}件。",
]
TOWN_WORK = ["完成村（社区）“两委”法治培训{n}场，培育“法律明白人”{n}名。", "调处矛盾纠纷{n}件，调解成功率98%。",
             "推进“一村一法律顾问”全覆盖，村规民约全部完成合法性审查。"]
GOVERNMENT_WORK = ["政府常务会议专题学法{n}次，全年制定行政规范性文件{n}件。", "深化“放管服”改革，政务服务事项全部实现网上可办。",
                   "推动各部门落实法治政府建设责任，开展法治督察{n}次。"]
TOWN_CHARS = "安平新兴龙凤河山桥湖石马塘坪坝溪江白云青松柳杨梅桃林泉沙田家庄营店埠岗岭坡洪乐福寿和丰顺宁永太长金银玉"
EVIDENCE_KINDS = ("title", "news title", "title place", "unit line", "signature", "self-naming", "opening full",
                  "opening level", "we the office", "town", "publisher", "file name", "joint", "zone", "ministry")


@dataclass(frozen=True)
class GeneratedReport:
    name: str  # file name
    text: str
    evidence: str  # which of EVIDENCE_KINDS names the unit
    province: str  # the province it is in ("国家" for a ministry)
    unit: str  # what a careful reader cites
    tail: str  # the part every right citation ends with: its most specific place (or town) and kind
    code: str | None  # the division the unit is in (None: a ministry)
    year: int


@dataclass(frozen=True)
class _Unit:
    """A unit of a generated report: its name in full, its kind, where it is."""

    name: str  # the full name as a citation writes it
    kind: str
    place: Place | None
    level_marker: str  # how the report says its level: 市, 区, 县, 州, 旗, 省
    government: bool = False
    tail: str = ""  # the most specific place (or town) and the kind: what every right citation ends with
    shown: str = ""  # the kind as the unit's name has it (交通局 for some 交通运输局)


class _Writer:
    def __init__(self, gazetteer: Gazetteer, seed: int) -> None:
        self.g = gazetteer
        self.rng = random.Random(seed)
        # the mainland's divisions a text can name (not those whose name is an everyday word: 城区)
        places = sorted((p for p in gazetteer.places.values() if p.code[:2] not in OUTSIDE_MAINLAND
                         and gazetteer.lookup(p.name, short=False)), key=lambda p: p.code)
        self.provinces = [p for p in places if p.level == PROVINCE]
        self.provinces_places = [p for p in places if p.level == COUNTY and self.unique(p)]
        self.by_province: dict[str, list[Place]] = {p.code: [] for p in self.provinces}
        for place in places:
            if place.level != PROVINCE:
                self.by_province[gazetteer.chain(place.code)[0].code].append(place)

    # -- places ---------------------------------------------------------------------------------

    def unique(self, place: Place) -> bool:
        return len(self.g.lookup(place.name, short=False)) == 1

    def written(self, place: Place) -> str:
        """The place as a name writes it: with its city when its own name is shared (南京市鼓楼区)."""
        if self.unique(place) or place.level != COUNTY:
            return place.name
        parent = self.g.places.get(place.parent or "")
        return (parent.name if parent else "") + place.name

    def short(self, place: Place) -> str:
        """A short form the text can call the place by (绍兴), if one stands for it alone."""
        for form in short_forms(place, ()):
            if self.g.by_short.get(form) == (place.code,):
                return form
        return place.name

    def marker(self, place: Place) -> str:
        if place.level == PROVINCE:
            return "市" if place.code in MUNICIPALITIES else "区" if place.name.endswith("自治区") else "省"
        if place.name.endswith("自治州"):
            return "州"
        if place.name.endswith("盟"):
            return "盟"
        if place.name.endswith("地区"):
            return "地区"
        if place.name.endswith(("旗", "自治旗")):
            return "旗"
        return place.name[-1]

    def place_in(self, province: Place, level: int) -> Place:
        pool = [p for p in self.by_province[province.code] if p.level == level]
        return self.rng.choice(pool) if pool else province

    # -- units ----------------------------------------------------------------------------------

    def office(self, place: Place, kind: str | None = None, variant: bool = True) -> _Unit:
        """An office of ``place``; now and then under a name some offices of its kind really have
        (``variant``: not for an office the report never names, whose name nobody can know)."""
        kind = kind or self.rng.choice(sorted(WORK))
        marker = self.marker(place)
        shown = PROVINCE_KINDS.get(kind, kind) if marker == "省" else kind
        if variant and kind in VARIANTS and marker != "省" and self.rng.random() < 0.3:
            shown = VARIANTS[kind]
        return _Unit(self.written(place) + shown, kind, place, marker, tail=place.name + shown, shown=shown)

    def government(self, place: Place) -> _Unit:
        return _Unit(self.written(place) + "人民政府", "人民政府", place, self.marker(place), government=True,
                     tail=place.name + "人民政府")

    def town_name(self) -> str:
        while True:
            name = "".join(self.rng.sample(TOWN_CHARS, self.rng.choice((2, 2, 3))))
            if not self.g.mentions(name) and name[:2] not in self.g.by_short:
                return name

    # -- text -----------------------------------------------------------------------------------

    def n(self) -> int:
        return self.rng.randint(2, 300)

    def fill(self, sentences: list[str], count: int) -> list[str]:
        return [s.format(n=self.n()) for s in self.rng.sample(sentences, min(count, len(sentences)))]

    def body(self, unit: _Unit, year: int, opening: str | None = None, self_word: str | None = None) -> str:
        """Headings and paragraphs about the unit's work; superiors named by level only, the province's
        plan by name (a place the unit is in, never the unit)."""
        superior = {"区": "区委、区政府", "县": "县委、县政府", "市": "市委、市政府", "州": "州委、州政府",
                    "旗": "旗委、旗政府", "省": "省委、省政府", "盟": "盟委、行署", "地区": "地委、行署"}
        if unit.place is not None and unit.place.name.endswith("自治区"):
            superior["区"] = "自治区党委、自治区政府"
        above = superior.get(unit.level_marker, "市委、市政府")
        province = self.g.chain(unit.place.code)[0].name if unit.place else "国务院"
        if unit.government:
            work = self.fill(GOVERNMENT_WORK, 2)
        elif unit.kind in WORK:
            work = self.fill(WORK[unit.kind], 2)
        else:
            work = self.fill(TOWN_WORK, 2)
        me = self_word or ""
        lead = self.rng.choice([f"{year}年，在{above}的坚强领导下，", f"{year}年以来，", "一年来，", f"{year}年，"])
        first = opening or f"{lead}{me}坚持以习近平新时代中国特色社会主义思想为指导，依法履行职责。"
        parts = [
            first,
            f"一、{year}年度推进法治政府建设的主要举措和成效",
            "（一）加强组织领导。" + self.fill(GENERAL, 1)[0] + f"认真落实《{province}法治政府建设实施方案（2021—2025年）》。",
            "（二）依法履行职能。" + "".join(work) + self.others(unit),
            "（三）规范执法行为。" + "".join(self.fill(GENERAL, 2)),
            "二、存在的不足",
            "法治宣传的针对性还需增强，执法人员的专业素养有待提高。",
            f"三、{year + 1}年工作打算",
            f"{me}将继续深入推进法治政府建设，" + self.fill(GENERAL, 1)[0],
        ]
        return "\n".join(parts)

    def others(self, unit: _Unit) -> str:
        """Units that are not the writer, as real reports name them: its superiors by name, a partner
        of the same kind elsewhere, an office above it that praised it."""
        out = []
        place = unit.place
        chain = self.g.chain(place.code) if place is not None else []
        if len(chain) >= 2 and self.rng.random() < 0.4:
            parent = chain[-2]
            out.append(f"认真贯彻{self.written(parent)}委全面依法治{self.marker(parent)}工作会议精神。")
        if self.rng.random() < 0.4:
            other = self.rng.choice(self.provinces_places)
            kind = unit.kind if unit.kind in WORK else self.rng.choice(sorted(WORK))
            out.append(f"与{self.written(other)}{kind}签订跨区域执法协作协议。")
        if len(chain) >= 2 and self.rng.random() < 0.3:
            province = chain[0]
            out.append(f"{province.name}司法厅对{self_word_of(unit)}法治建设工作给予充分肯定。")
        return "".join(out)

    def place_hints(self, place: Place) -> str:
        """Where a unit that names only its level is: the place named as its own in one or two ways
        (a name several divisions share with its city, as a reader would need it)."""
        short = self.short(place) if self.unique(place) else self.written(place)
        full = self.written(place)
        hints = [f"法治{short}建设扎实推进，", f"{full}获评全省法治建设先进单位，",
                 f"《{full}行政执法监督办法》出台实施，", f"{short}经验在全省推广，"]
        return "".join(self.rng.sample(hints, 2))

    def me(self, unit: _Unit) -> str:
        """How the unit calls itself: 我局, 我厅, 我委, 我区."""
        return self_word_of(unit)


def self_word_of(unit: _Unit) -> str:
    """How a unit calls itself: 我局, 我厅, 我委, and a government by its level (我县, 我区)."""
    if unit.government:
        return "我" + ("区" if unit.level_marker in ("地区", "盟") else unit.level_marker)
    return "我" + ("委" if unit.name.endswith("委员会") else unit.name[-1])


CHROME = ["今天是：{y}年3月1日 星期五", "首页 > 政务公开 > 法治政府建设 > 正文", "【字体：大 中 小】 打印本页 关闭窗口",
          "索引号：11{n}/{y}-00012", "无障碍 简体|繁体"]


def _year(rng: random.Random) -> int:
    return rng.randint(2019, 2025)


def generate(count: int = 2400, seed: int = 20261206) -> list[GeneratedReport]:
    """``count`` reports, the evidence kinds in turn, each in a province in turn and a place on a
    level drawn at random from it (deterministic for a seed)."""
    writer = _Writer(load_gazetteer(BUNDLED_CONFIG_DIR), seed)
    rng = writer.rng
    out: list[GeneratedReport] = []
    for index in range(count):
        kind = EVIDENCE_KINDS[index % len(EVIDENCE_KINDS)]
        province = writer.provinces[(index // len(EVIDENCE_KINDS)) % len(writer.provinces)]
        made = _one(writer, kind, province, _year(rng), index)
        if made is None:
            continue
        text = made.text
        if rng.random() < 0.25 and kind not in ("publisher", "news title"):  # a web page's furniture above it
            chrome = [line.format(y=made.year + 1, n=rng.randint(10000, 99999)) for line in rng.sample(CHROME, 2)]
            text = "\n".join(chrome) + "\n" + text
        if rng.random() < 0.1:  # a page in traditional characters
            text = _to_traditional(text)
        out.append(replace(made, text=text))
    return out


def _to_traditional(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def _level(writer: _Writer, province: Place) -> Place:
    """A place in the province, on a level drawn at random (the province itself a tenth of the time)."""
    draw = writer.rng.random()
    if draw < 0.1:
        return province
    return writer.place_in(province, CITY if draw < 0.4 else COUNTY)


def _one(writer: _Writer, evidence: str, province: Place, year: int, index: int) -> GeneratedReport | None:
    rng = writer.rng
    name = f"g{index:04d}.txt"
    place = _level(writer, province)
    if evidence == "title":
        unit = writer.office(place) if rng.random() < 0.7 else writer.government(place)
        title = rng.choice([f"{unit.name}关于{year}年度法治政府建设情况的报告", f"{unit.name}{year}年法治政府建设年度报告",
                            f"{unit.name}{year}年度法治政府建设工作报告", f"{year}年度{unit.name}法治政府建设情况报告",
                            f"关于{unit.name}{year}年度法治政府建设情况的报告", f"【{unit.name}】{year}年法治政府建设年度报告",
                            f"{unit.name} {year}年法治政府建设工作总结", f"{unit.name}法治政府建设{year}年度报告"])
        text = title + "\n" + writer.body(unit, year, self_word=writer.me(unit))
    elif evidence == "news title":
        unit = writer.office(place)
        text = (f"{unit.name}发布{year}年法治政府建设年度报告\n发布时间:{year + 1}-03-28 来源:本网\n"
                f"据{unit.name}网站消息，{unit.name}发布{year}年法治政府建设年度报告。具体内容如下：\n"
                + writer.body(unit, year, self_word=writer.me(unit)))
    elif evidence == "title place":
        unit = writer.government(place)
        text = (f"{writer.written(place)}{year}年法治政府建设情况报告\n"
                + writer.body(unit, year, self_word="我" + unit.level_marker))
    elif evidence == "unit line":
        unit = writer.office(place) if rng.random() < 0.7 else writer.government(place)
        text = f"{unit.name}\n{year}年度法治政府建设工作报告\n" + writer.body(unit, year, self_word=writer.me(unit))
    elif evidence == "signature":
        unit = writer.office(place) if rng.random() < 0.7 else writer.government(place)
        text = (f"{year}年法治政府建设情况报告\n" + writer.body(unit, year, self_word=writer.me(unit))
                + f"\n{unit.name}\n{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日")
    elif evidence == "self-naming":
        unit = writer.office(place)
        opening = (f"根据法治政府建设年度报告制度的要求，现将{unit.name}{year}年度法治政府建设工作情况报告如下：")
        text = "法治政府建设年度报告\n" + writer.body(unit, year, opening=opening, self_word=writer.me(unit))
    elif evidence == "opening full":
        unit = writer.office(place)
        opening = f"{year}年，{unit.name}坚持以习近平法治思想为指导，全面推进依法行政，各项工作取得新成效。"
        text = writer.body(unit, year, opening=opening, self_word=writer.me(unit))
    elif evidence == "opening level":
        if place.level == PROVINCE and place.code not in MUNICIPALITIES:
            place = writer.place_in(province, CITY)
        unit = writer.office(place)
        short_kind = ABBREVIATED.get(unit.kind, unit.kind) if unit.shown == unit.kind else unit.shown
        marker = writer.marker(place)
        marker = marker if marker in ("市", "区", "县", "州", "旗", "盟") else "市"
        opening = (f"{year}年，在{marker}委、{marker}政府的坚强领导下，{marker}{short_kind}坚持依法行政，"
                   + writer.place_hints(place) + "各项工作取得新成效。")
        text = writer.body(unit, year, opening=opening, self_word=writer.me(unit))
    elif evidence == "we the office":
        if place.level == PROVINCE:
            place = writer.place_in(province, COUNTY)
        unit = writer.office(place, variant=False)
        opening = (f"{year}年，我局在{writer.marker(place)}委、{writer.marker(place)}政府的坚强领导下，"
                   + writer.place_hints(place) + "".join(writer.fill(WORK[unit.kind], 2)))
        text = writer.body(unit, year, opening=opening, self_word="我局") + "\n" + "".join(writer.fill(WORK[unit.kind], 2))
    elif evidence == "town":
        county = writer.place_in(province, COUNTY)
        town = writer.town_name() + rng.choice(("镇", "镇", "乡", "街道"))
        ending = "街道" if town.endswith("街道") else town[-1]
        office = town + ("办事处" if ending == "街道" else "人民政府")
        unit = _Unit(office, "人民政府", county, ending, tail=office)
        above = writer.written(county)
        opening = (f"{year}年，{town}在{above}委、{above}政府的坚强领导下，坚持依法行政。"
                   f"我{ending}高度重视法治政府建设，{town}党委把法治建设纳入重要议事日程。")
        text = writer.body(unit, year, opening=opening, self_word=f"我{ending}") + f"\n{town}将持续推进依法行政。"
        return GeneratedReport(name, text, evidence, province.name, unit.name, unit.tail, county.code, year)
    elif evidence == "publisher":
        unit = writer.office(place)
        text = (f"首页 > 政务公开 > 法治政府建设\n{year}年度法治政府建设工作报告\n"
                f"发布时间:{year + 1}-02-1{rng.randint(0, 9)} 来源:{unit.name}\n"
                + writer.body(unit, year, self_word=writer.me(unit)))
    elif evidence == "file name":
        unit = writer.office(place)
        name = f"{unit.name}{year}年法治政府建设情况报告.txt"
        text = f"{year}年法治政府建设情况报告\n" + writer.body(unit, year, self_word=writer.me(unit))
    elif evidence == "joint":
        if place.level == COUNTY and not writer.unique(place):
            place = writer.place_in(province, CITY)
        government = writer.government(place)
        party = f"中共{writer.written(place)}委"
        unit = _Unit(f"{party}、{government.name}", "人民政府", place, government.level_marker, government=True,
                     tail=government.tail)
        text = (f"{party} {government.name}\n关于{year}年度法治政府建设情况的报告\n"
                + writer.body(unit, year, self_word="我" + unit.level_marker))
    elif evidence == "zone":
        named = [(zone, code) for zone, code in load_zones(BUNDLED_CONFIG_DIR).items()
                 if writer.g.chain(code)[0].code == province.code]
        if named and rng.random() < 0.5:  # a new area whose name carries no place: 两江新区
            zone, code = rng.choice(sorted(named))
            unit = _Unit(f"{zone}管理委员会", "管理委员会", writer.g.places[code], "区", tail=f"{zone}管理委员会")
            text = f"{zone}管委会{year}年法治政府建设工作报告\n" + writer.body(unit, year, self_word="我委")
        else:
            city = writer.place_in(province, CITY) if province.code not in MUNICIPALITIES else province
            short = writer.short(city)
            zone = rng.choice(("高新区", "经开区", "经济技术开发区", "高新技术产业开发区"))
            unit = _Unit(f"{short}{zone}管理委员会", "管理委员会", city, "区", tail=f"{short}{zone}管理委员会")
            text = (f"{short}{zone}管委会{year}年法治政府建设工作报告\n"
                    + writer.body(unit, year, self_word="我委"))
    else:  # ministry
        ministry = MINISTRIES[index % len(MINISTRIES)]
        unit = _Unit(ministry, ministry, None, "部")
        text = f"{ministry}{year}年法治政府建设年度报告\n" + writer.body(unit, year, self_word="我部")
        return GeneratedReport(name, text, evidence, "国家", ministry, ministry, None, year)
    assert unit.place is not None
    return GeneratedReport(name, text, evidence, writer.g.chain(unit.place.code)[0].name, unit.name, unit.tail,
                           unit.place.code, year)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=2400)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = ["file\tunit\tunit_evidence\tregion_province\tregion_city\tregion_county\tyear\tdate\tkind\tnotes"]
    for report in generate(args.count):
        (args.out / report.name).write_text(report.text, encoding="utf-8")
        rows.append(f"{report.name}\t{report.unit}\t{report.evidence}\t{report.province}\t-\t-\t{report.year}\t-\treport\t")
    (args.out / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows) - 1} reports and labels.tsv to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
