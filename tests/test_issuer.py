"""Who wrote a report, where and when: each kind of evidence on a small report written here.

Every test writes a file as a government website or an administrator's folder would hold it and
checks the unit, its place, the date and that the evidence is recorded for ``inspect``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.domain.model import ReportMeta
from reportqa.ingest.pipeline import ParseOptions, parse_report
from reportqa.settings import BUNDLED_CONFIG_DIR

OPTIONS = ParseOptions(BUNDLED_CONFIG_DIR)
BODY = "一、主要举措和成效\n（一）加强组织领导。全年召开专题会议4次，组织执法培训2期，聘请法律顾问1名。\n二、存在的问题\n培训不够深入。"


def read(tmp_path: Path, text: str, name: str = "report.txt") -> ReportMeta:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return parse_report(path, tmp_path, OPTIONS).meta


def evidence(meta: ReportMeta, field: str) -> str:
    return " + ".join(meta.evidence.get(field, []))


def test_unit_in_the_title(tmp_path: Path) -> None:
    meta = read(tmp_path, f"柳州市城中区城市管理局关于2023年度法治政府建设情况的报告\n{BODY}")
    assert meta.unit == "柳州市城中区城市管理局"
    assert meta.region == "广西壮族自治区柳州市城中区"  # 城中区 is ambiguous, 柳州市 decides
    assert meta.year == 2023
    assert evidence(meta, "unit").startswith("title")


def test_a_title_naming_only_a_place_names_its_government(tmp_path: Path) -> None:
    meta = read(tmp_path, f"嘉善县2022年度法治政府建设情况报告\n2022年，嘉善县坚持依法行政。\n{BODY}")
    assert (meta.unit, meta.unit_kind, meta.region) == ("嘉善县人民政府", "人民政府", "浙江省嘉兴市嘉善县")
    street = read(tmp_path, f"花园街2024年法治政府建设情况报告\n{BODY}", "b.txt")
    assert street.unit == "花园街道办事处" and street.region == "花园街道"  # no county named: none guessed


def test_a_unit_line_above_the_title_and_a_lone_heading(tmp_path: Path) -> None:
    meta = read(tmp_path, f"江门市交通运输局\n2023年度法治政府建设工作报告\n{BODY}")
    assert meta.unit == "江门市交通运输局" and evidence(meta, "unit").startswith("unit line")
    lone = read(tmp_path, f"泉州市人力资源和社会保障局\n时间:2021-03-22 16:48 来源:泉州市人民政府门户网站\n"
                          f"现将泉州市人力社保局2020年法治政府建设年度工作开展情况报告如下。\n{BODY}", "b.txt")
    assert lone.unit == "泉州市人力资源和社会保障局"
    assert (lone.date, lone.date_kind) == ("2021-03-22", "published")


def test_the_signature_and_its_date(tmp_path: Path) -> None:
    meta = read(tmp_path, f"2021年法治政府建设情况报告\n{BODY}\n重庆市大足区玉龙镇人民政府\n2021年11月23日")
    assert meta.unit == "重庆市大足区玉龙镇人民政府"
    assert (meta.place_code, meta.locality) == ("500111", "玉龙镇")
    assert (meta.date, meta.date_kind) == ("2021-11-23", "signed")
    assert evidence(meta, "date").startswith("signature")


def test_the_opening_sentence_names_the_unit_and_the_body_its_city(tmp_path: Path) -> None:
    text = ("2023年，在市委、市政府的坚强领导下，市市场监管局坚持以习近平法治思想为指导。"
            "出台《宁波市电梯安全管理规定》，宁波经验获评全省最佳实践案例。\n" + BODY)
    meta = read(tmp_path, text)
    assert meta.unit == "宁波市市场监督管理局"
    assert meta.unit_written == "市市场监管局"  # the report's own wording kept
    assert meta.unit_kind == "市场监督管理局"
    assert meta.region == "浙江省宁波市"
    assert evidence(meta, "unit").startswith("opening") and "宁波" in evidence(meta, "place")


def test_a_level_without_a_place_named_anywhere_stays_as_written(tmp_path: Path) -> None:
    meta = read(tmp_path, "2025年，市卫生健康委在市委、市政府的坚强领导下，推进全市卫生健康法治建设。\n" + BODY)
    assert (meta.unit, meta.region) == ("市卫生健康委员会", None)


def test_the_report_naming_itself_completes_a_title(tmp_path: Path) -> None:
    text = ("市人力资源社会保障局2020年法治政府建设年度报告\n"
            "2020年度，天津市人力资源和社会保障局（以下称市人社局）深入推进法治建设，现将情况报告如下。\n" + BODY)
    meta = read(tmp_path, text)
    assert meta.unit == "天津市人力资源和社会保障局"
    assert meta.region == "天津市"


def test_we_the_bureau_and_the_documents_it_issues(tmp_path: Path) -> None:
    text = ("根据法治政府建设年度报告制度的要求，现将我局2022年度法治政府建设工作报告如下：\n"
            "一、加强组织领导\n我局高度重视法治政府建设，印发《汕尾市公安局重大行政决策程序规定》，"
            "落实《广东省公安厅关于规范执法的意见》。\n")
    meta = read(tmp_path, text)
    assert meta.unit == "汕尾市公安局"  # its own document (印发), not the province's it carries out (落实)
    assert evidence(meta, "unit").startswith("issued document")


def test_we_the_bureau_with_its_domain_and_the_one_place_it_names(tmp_path: Path) -> None:
    text = ("市委、市政府：\n现将我局2023年度法治政府建设工作报告如下：\n"
            "一、以法治引领交通运输高质量发展\n我局将法治思维融入交通运输中心工作，推进交通运输系统依法行政，"
            "助推《湛江市道路桥梁管理条例》立法调研，规范交通运输执法，确保《湛江市网约车管理实施细则》顺利实施。\n")
    meta = read(tmp_path, text)
    assert meta.unit == "湛江市交通运输局"
    assert evidence(meta, "unit").startswith("domain")


@pytest.mark.parametrize(
    "text",
    [
        # 我局 with its domain but no place: a reader cannot say which county's
        "2024年，我局落实县委、县政府要求，全面推进公安法治建设，提升公安机关执法公信力，维护全县公安工作稳定。\n" + BODY,
        # a template with the place masked
        "法治政府建设年度情况自查报告\n依据20xx年度xx县考评指标，我镇进行了自查。xx镇人民政府共有行政应诉案件2件。\n" + BODY,
        # 我区 of a district whose name is starred out
        "五年来，*区严格落实第一责任人职责规定，我区认真梳理了近五年法治政府建设情况。\n" + BODY,
    ],
)
def test_what_cannot_be_known_stays_unknown(tmp_path: Path, text: str) -> None:
    meta = read(tmp_path, text)
    assert meta.unit is None


def test_web_chrome_is_never_the_issuer_or_the_date(tmp_path: Path) -> None:
    text = ("今天是:2019年10月31日 星期三 农历十月初七\n新闻中心\n首页 > 政务公开 > 工作报告\n"
            "文章来源:区司法局 发布时间:2021/03/29 11:30:01\n"
            "2020年南岸区法治政府建设情况报告\n" + BODY)
    meta = read(tmp_path, text)
    assert meta.unit == "南岸区人民政府"  # not 新闻中心, not 区司法局 (the office that posted it)
    assert meta.region == "重庆市南岸区"
    assert (meta.date, meta.date_kind) == ("2021-03-29", "published")  # never the site clock
    assert meta.year == 2020


def test_the_page_date_by_its_most_trusted_label(tmp_path: Path) -> None:
    text = ("黄陂区2020年法治政府建设工作报告\n2020-12-22 11:50\n发文单位\n区人民政府\n发文字号\n发文日期\n"
            "2020-12-03 10:00\n效力状态\n有效\n" + BODY)
    meta = read(tmp_path, text)
    assert meta.date == "2020-12-03"  # 发文日期, on the line after its label, beats the page's own time
    assert meta.unit == "黄陂区人民政府"
    assert not any("发文单位" in p for p in _passages(tmp_path / "report.txt"))


def test_a_delivery_line_under_the_title_is_the_date(tmp_path: Path) -> None:
    text = ("西乌珠穆沁旗人民政府2024年度法治政府建设情况报告\n"
            "2025年3月17日在西乌珠穆沁旗第十六届人民代表大会常务委员会第二十四次会议上\n主任、各位副主任、委员：\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.date, meta.date_kind, meta.year) == ("2025-03-17", "signed", 2024)


def test_a_joint_report_keeps_both_names(tmp_path: Path) -> None:
    meta = read(tmp_path, f"中共长春市委 长春市人民政府\n关于2021年度法治政府建设情况的报告\n{BODY}")
    assert meta.unit == "中共长春市委、长春市人民政府"
    assert meta.unit_kind == "人民政府"
    assert meta.region == "吉林省长春市"


def test_a_town_report_is_placed_by_the_county_it_is_addressed_to(tmp_path: Path) -> None:
    meta = read(tmp_path, f"大马营镇人民政府关于2025年法治政府建设情况的报告\n山丹县人民政府：\n{BODY}")
    assert meta.unit == "大马营镇人民政府"
    assert meta.region == "甘肃省张掖市山丹县大马营镇"
    assert evidence(meta, "place").startswith("addressee")


def test_the_folder_and_the_file_name_an_administrator_gave(tmp_path: Path) -> None:
    meta = read(tmp_path, f"2021年法治政府建设情况报告\n{BODY}", "大足区/应急管理局2021年法治政府建设情况报告.txt")
    assert meta.unit == "大足区应急管理局"
    assert meta.region == "重庆市大足区"
    assert evidence(meta, "unit").startswith("file name") and evidence(meta, "place").startswith("folder")


def test_metadata_csv_names_a_unit_the_text_never_does(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,unit,year,date,region\nreport.txt,永川区司法局,,,\n", encoding="utf-8")
    (tmp_path / "report.txt").write_text(f"2021年法治政府建设情况报告\n{BODY}", encoding="utf-8")
    from reportqa.ingest.pipeline import read_overrides

    meta = parse_report(tmp_path / "report.txt", tmp_path, OPTIONS, read_overrides(tmp_path)["report.txt"]).meta
    assert (meta.unit, meta.region) == ("永川区司法局", "重庆市永川区")
    assert evidence(meta, "unit").startswith("metadata.csv")


def test_a_traditional_page_with_pinyin_left_in_it(tmp_path: Path) -> None:
    meta = read(tmp_path, "2022年，應(yīng)急管理部堅持以習(xí)近平新時代中國特色社會主義思想為指導(dǎo)。\n" + BODY)
    assert meta.unit == "应急管理部" and meta.national
    assert meta.region is None and meta.place_code is None


def _passages(path: Path) -> list[str]:
    return [p.text for p in parse_report(path, path.parent, OPTIONS).passages]


def test_metadata_csv_region_places_the_report(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,unit,year,date,region\nreport.txt,,,,四川省攀枝花市西区\n",
                                           encoding="utf-8")
    (tmp_path / "report.txt").write_text(f"2021年法治政府建设情况报告\n{BODY}", encoding="utf-8")
    from reportqa.ingest.pipeline import read_overrides

    meta = parse_report(tmp_path / "report.txt", tmp_path, OPTIONS, read_overrides(tmp_path)["report.txt"]).meta
    assert (meta.region, meta.place_code) == ("四川省攀枝花市西区", "510403")


def test_a_district_name_several_cities_have_is_decided_by_the_city_the_text_names(tmp_path: Path) -> None:
    text = ("2020年，区审计局在区委、区政府的正确领导下，依法履行审计监督职责，推动《鼓楼区审计整改工作办法》出台，"
            "南京市审计局对我局工作给予肯定。\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.unit, meta.region) == ("鼓楼区审计局", "江苏省南京市鼓楼区")
    alone = read(tmp_path, "2020年，区审计局在区委、区政府的正确领导下，推动《鼓楼区审计整改工作办法》出台。\n" + BODY, "b.txt")
    assert (alone.unit, alone.region) == ("区审计局", None)  # four 鼓楼区 and nothing to choose: none chosen


def test_titles_that_name_a_prefecture_by_its_short_form_and_masked_kinds(tmp_path: Path) -> None:
    meta = read(tmp_path, f"延边州2022年法治政府建设情况报告\n{BODY}")
    assert (meta.unit, meta.region) == ("延边朝鲜族自治州人民政府", "吉林省延边朝鲜族自治州")
    masked = read(tmp_path, f"2022年度法治政府建设年度报告\n2022年，XX区XX局在区委、区政府的坚强领导下，坚持依法行政。\n{BODY}",
                  "b.txt")
    assert masked.unit is None


def test_a_street_whose_county_is_unknown_is_still_placed_in_its_province(tmp_path: Path) -> None:
    text = ("2024年，小营街道深入学习贯彻习近平法治思想，落实《浙江省行政合法性审查工作规定》。"
            "现将小营街道办事处2024年法治政府建设年度报告如下：\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.unit, meta.region, meta.place_code) == ("小营街道办事处", "浙江省小营街道", "330000")
    assert not meta.place_exact  # somewhere in 浙江: never grouped with another 小营街道


def test_a_citation_keeps_the_name_the_unit_has(tmp_path: Path) -> None:
    """重庆市交通局 is a real name: cited as written, matched as a 交通运输局; an abbreviation is written out."""
    meta = read(tmp_path, f"重庆市交通局2021年度法治政府建设年度报告\n2021年，我局坚持依法行政。\n{BODY}")
    assert (meta.unit, meta.unit_kind) == ("重庆市交通局", "交通运输局")
    short = read(tmp_path, f"成都市应急局2021年法治政府建设情况报告\n{BODY}", "b.txt")
    assert short.unit == "成都市应急管理局"


def test_a_news_headline_names_the_ministry(tmp_path: Path) -> None:
    text = ("国家林业和草原局发布2023年法治政府建设年度报告\n发布时间:2024-03-29 来源:本网\n"
            "据国家林业和草原局网站消息，国家林业和草原局发布2023年法治政府建设年度报告。具体内容如下：\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.unit, meta.national, meta.place_code) == ("国家林业和草原局", True, None)


def test_a_town_calls_itself_ours_beside_its_name(tmp_path: Path) -> None:
    text = ("一、主要举措和成效\n我镇把法治建设纳入重要议事日程。2023年石坪镇组织开展行政执法检查12次，"
            "印制石坪镇公共服务中心办事指南，聘请律师为我镇法律顾问。\n石坪镇党委坚持依法决策。\n" + BODY)
    meta = read(tmp_path, text)
    assert meta.unit == "石坪镇人民政府" and meta.locality == "石坪镇"


def test_a_township_known_only_by_its_slogan(tmp_path: Path) -> None:
    text = "现将我乡2024年度法治政府建设情况汇报如下：\n由乡长亲自挂帅，明确法治柳溪建设的重点任务。\n" + BODY
    assert read(tmp_path, text).unit == "柳溪乡人民政府"


def test_a_county_government_named_only_by_its_slogan(tmp_path: Path) -> None:
    text = ("2022年，在市委市政府和县委的坚强领导下，县政府坚持依法行政，法治武义建设再上台阶，"
            "县政府常务会议专题学法4次。\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.unit, meta.region) == ("武义县人民政府", "浙江省金华市武义县")


def test_a_county_level_city_by_its_short_name(tmp_path: Path) -> None:
    text = ("2022年,市交通运输局坚持依法行政。实现海安主城区至高速出口5分钟通达，开通海安至如皋毗邻公交专线，"
            "海安农村物流达标。\n" + BODY)
    meta = read(tmp_path, text)
    assert (meta.unit, meta.place_code) == ("海安市交通运输局", "320685")


@pytest.mark.parametrize(("title", "unit", "code"), [
    ("麻阳苗族自治县公安局2023年法治政府建设年度报告", "麻阳苗族自治县公安局", "431226"),
    ("西乌珠穆沁旗司法局关于2022年度法治政府建设情况的报告", "西乌珠穆沁旗司法局", "152526"),
    ("锡林郭勒盟生态环境局2023年法治政府建设工作报告", "锡林郭勒盟生态环境局", "152500"),
    ("阿勒泰地区应急管理局2021年法治政府建设年度报告", "阿勒泰地区应急管理局", "654300"),
    ("成都高新区管委会2022年法治政府建设工作报告", "成都高新区管理委员会", "510100"),
])
def test_autonomous_counties_banners_leagues_prefectures_and_zones(tmp_path: Path, title: str, unit: str,
                                                                   code: str) -> None:
    meta = read(tmp_path, f"{title}\n{BODY}")
    assert (meta.unit, meta.place_code) == (unit, code)


def test_metadata_csv_names_a_unit_no_gazetteer_place_fits(tmp_path: Path) -> None:
    """The administrator's word is final: kept exactly as written, its place said to be unknown."""
    from reportqa.ingest.pipeline import read_overrides

    (tmp_path / "metadata.csv").write_text("file,unit\nreport.txt,测试市测试局\n", encoding="utf-8")
    (tmp_path / "report.txt").write_text(f"重庆市大足区应急管理局2021年法治政府建设情况报告\n{BODY}", encoding="utf-8")
    report = parse_report(tmp_path / "report.txt", tmp_path, OPTIONS, read_overrides(tmp_path)["report.txt"])
    assert (report.meta.unit, report.meta.place_code) == ("测试市测试局", None)
    assert any(w.startswith("place of 测试市测试局 unknown") for w in report.warnings)
    assert evidence(report.meta, "unit").startswith("metadata.csv")
