"""Metadata: unit, year, date from where reports put them, and nothing invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportqa.ingest.metadata import extract_metadata, is_unit_name, parse_date
from reportqa.ingest.pipeline import ParseOptions, parse_report
from reportqa.ingest.readers import Line
from reportqa.settings import BUNDLED_CONFIG_DIR
from tests.seed_metadata import SEED_METADATA

OPTIONS = ParseOptions(BUNDLED_CONFIG_DIR)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2021年11月23日", "2021-11-23"),
        ("2022年1月14日", "2022-01-14"),
        ("2021.11.23", "2021-11-23"),
        ("2021-11-23", "2021-11-23"),
        ("2021/11/23", "2021-11-23"),
        ("二〇二一年十一月二十三日", "2021-11-23"),
        ("二零二二年一月十四日", "2022-01-14"),
        ("2021年13月40日", None),
        ("没有日期", None),
    ],
)
def test_dates_in_every_form(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(("seed", "unit", "year", "date"), SEED_METADATA)
def test_metadata_of_every_seed(seeds_dir: Path, seed: str, unit: str | None, year: int, date: str | None) -> None:
    report = parse_report(seeds_dir / seed, seeds_dir, OPTIONS)
    assert (report.meta.unit, report.meta.year, report.meta.date) == (unit, year, date)
    if unit is None:
        assert any("unit unknown" in w for w in report.warnings)


def test_addressee_signature_and_cc_are_metadata_not_passages(seeds_dir: Path) -> None:
    report = parse_report(seeds_dir / "002_e4b091e3fb9e6599.txt", seeds_dir, OPTIONS)
    assert report.meta.addressee == "区政府"
    assert report.meta.cc == "抄送：区委依法治区办。"
    assert report.meta.region == "重庆市大足区玉龙镇"
    assert report.meta.place_code == "500111" and report.meta.locality == "玉龙镇"
    text = "\n".join(p.text for p in report.passages)
    assert "区政府：" not in text
    assert "抄送" not in text
    assert "2021年11月23日" not in text
    assert not any(p.text.strip() == "重庆市大足区玉龙镇人民政府" for p in report.passages)


def test_metadata_csv_overrides_what_was_extracted(tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "a.txt").write_bytes((seeds_dir / "000_95c7b36e77b4132c.txt").read_bytes())
    (tmp_path / "metadata.csv").write_text(
        "file,unit,year,date,region\na.txt,重庆市大足区经济发展局,,2022-01-10,\n", encoding="utf-8"
    )
    from reportqa.ingest.pipeline import read_overrides

    report = parse_report(tmp_path / "a.txt", tmp_path, OPTIONS, read_overrides(tmp_path)["a.txt"])
    assert report.meta.unit == "重庆市大足区经济发展局"
    assert report.meta.year == 2021  # blank cell: the extracted year stays
    assert report.meta.date == "2022-01-10"
    assert report.meta.region == "重庆市大足区"
    assert not any("unit unknown" in w for w in report.warnings)


def _meta(*texts: str):
    return extract_metadata([Line(t) for t in texts], BUNDLED_CONFIG_DIR).meta


def test_unit_from_the_title_line() -> None:
    meta = _meta("重庆市某区司法局关于2022年度法治政府建设情况的报告", "一、主要举措", "正文。")
    assert meta.unit == "重庆市某区司法局"
    assert meta.year == 2022


def test_unit_from_the_signature_when_the_title_has_none() -> None:
    meta = _meta("2022年法治政府建设情况报告", "一、主要举措", "正文。", "玉龙镇人民政府", "二〇二三年一月五日")
    assert meta.unit == "玉龙镇人民政府"
    assert meta.date == "2023-01-05"
    assert meta.year == 2022


def test_year_from_the_body_when_the_title_has_none() -> None:
    meta = _meta("法治政府建设工作总结", "2020年，我局认真贯彻落实……", "一、主要举措")
    assert meta.year == 2020


def test_unit_names() -> None:
    assert is_unit_name("重庆市大足区应急管理局", BUNDLED_CONFIG_DIR)
    assert is_unit_name("重慶市長壽區招商投資促進局", BUNDLED_CONFIG_DIR)
    assert is_unit_name("XX经济和信息化局", BUNDLED_CONFIG_DIR)
    assert not is_unit_name("2021年11月23日", BUNDLED_CONFIG_DIR)
    assert not is_unit_name("一是加强组织领导，明确责任分工", BUNDLED_CONFIG_DIR)
