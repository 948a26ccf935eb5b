"""``reportqa crawl`` against a loopback site built from the sample reports: pagination, article
pages, attachments, robots.txt, the User-Agent, the delay between requests, no URL twice, redirects
within the site, broken links with reasons, conditional requests (304), a changed page replacing its
file, one copy per document, the --json summary and the index built after."""

from __future__ import annotations

import html
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from reportqa.crawl.crawler import Crawler, target_path
from reportqa.crawl.links import Link, attachment_suffix, is_article, is_pagination, page_links
from reportqa.crawl.sources import SourcesError, load_sources
from reportqa.settings import Settings
from tests.loopback_site import LoopbackSite, Route
from tests.office_fixtures import government_page, word_binary

SEEDS = Path(__file__).parent.parent / "reports"
DELAY = 0.05


def report_lines(name: str) -> list[str]:
    return [line.strip() for line in (SEEDS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def column(links: list[tuple[str, str]]) -> bytes:
    nav = '<ul><li><a href="/">首页</a></li><li><a href="/xxgk/">信息公开</a></li></ul>'
    items = "".join(f'<li><a href="{href}">{html.escape(text)}</a><span>2024-03-28</span></li>' for href, text in links)
    return f"<html><body>{nav}<div class='list'><ul>{items}</ul></div></body></html>".encode()


def article(lines: list[str], extra: str = "") -> bytes:
    return government_page(lines[0], lines[1:], publisher="某某区司法局", date="2024-03-28",
                           index_no="11500000/2024-001").replace(b"</body>", extra.encode() + b"</body>")


def build_site(site: LoopbackSite) -> None:
    """Two column pages; four articles (one a stub whose report is its attachment); a moved page;
    a copy of an article under a second URL; a 404; a redirect off the site; a page robots.txt
    forbids; a link to another host."""
    other_host = site.url("/other.html", host="localhost")
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /fzzf/private/\n", "text/plain")
    site.routes["/fzzf/index.html"] = Route(column([
        ("a1.html", "大足区应急管理局2021年法治政府建设情况报告"),
        ("a2.html", "长寿区招商投资促进局2021年度法治政府建设年度报告"),
        ("private/p.html", "内部资料：不公开的法治政府建设材料"),
        (other_host, "外网站转载的法治政府建设情况报告"),
        ("index_1.html", "下一页"),
    ]), etag='"col-1"')
    site.routes["/fzzf/index_1.html"] = Route(column([
        ("old-a3.html", "XX经济和信息化局2023年法治政府建设工作总结"),
        ("a1-copy.html", "（转载）大足区应急管理局2021年法治政府建设情况报告"),
        ("missing.html", "已经删除的法治政府建设情况报告页面"),
        ("away.html", "搬到别的网站的法治政府建设情况报告"),
        ("index.html", "上一页"),
    ]), etag='"col-2"')
    a1 = article(report_lines("004_c1f201046002a3b5.txt"))
    site.routes["/fzzf/a1.html"] = Route(a1, etag='"a1-v1"')
    site.routes["/fzzf/a1-copy.html"] = Route(a1)  # the same document under a second URL, no validators
    attachment = "/uploadfiles/长寿区2021年报告.doc"
    site.routes["/fzzf/a2.html"] = Route(article(["长寿区招商投资促进局2021年度法治政府建设年度报告", "详见附件。"],
                                                 f'<p>附件：<a href="{quote(attachment)}">长寿区2021年报告.doc</a> '
                                                 '<a href="/download.jsp?id=7&amp;filename=report.pdf">下载PDF</a></p>'),
                                         etag='"a2"')
    site.routes[quote(attachment)] = Route(word_binary([*report_lines("001_525c5565d93138a1.txt")[:40], "end"]),
                                           "application/msword", last_modified="Tue, 02 Apr 2024 08:00:00 GMT")
    site.routes["/download.jsp?id=7&filename=report.pdf"] = Route(b"%PDF-1.4 not a real pdf", "application/octet-stream",
                                                                   headers={"Content-Disposition":
                                                                            'attachment; filename="baogao.pdf"'},
                                                                   etag='"pdf7"')
    site.routes["/fzzf/old-a3.html"] = Route(status=301, headers={"Location": "/fzzf/a3.html"})
    site.routes["/fzzf/a3.html"] = Route(article(report_lines("003_dcdaca7f04dbe387.txt")),
                                         last_modified="Mon, 01 Apr 2024 08:00:00 GMT")
    site.routes["/fzzf/away.html"] = Route(status=302, headers={"Location": site.url("/x.html", host="localhost")})
    site.routes["/fzzf/private/p.html"] = Route(article(["内部资料", "不应被抓取。" * 50]))


@pytest.fixture
def crawl_settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", reports_dir=tmp_path / "reports", crawl_delay_seconds=DELAY,
                    crawl_timeout_seconds=2, _env_file=None)


def sources_file(tmp_path: Path, start: str, allow: str = '["/fzzf/"]') -> Path:
    path = tmp_path / "SOURCES.toml"
    path.write_text(f'[[source]]\nname = "某某区司法局 法治政府建设"\nstart = "{start}"\nallow = {allow}\n', encoding="utf-8")
    return path


def test_the_crawl_of_a_site_and_the_runs_after(tmp_path: Path, crawl_settings: Settings) -> None:
    reports = tmp_path / "reports"
    with LoopbackSite() as site:
        build_site(site)
        sources = sources_file(tmp_path, site.url("/fzzf/index.html"))
        env = {**os.environ, **crawl_settings.environment()}
        done = subprocess.run([sys.executable, "-m", "reportqa", "crawl", "--sources", str(sources), "--reports-dir",
                               str(reports), "--index-dir", str(tmp_path / "index"), "--json"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        first = json.loads(done.stdout)
        requests = site.take_requests()

        # what it saved: the three reports and both attachments, under crawled/<host>/<path>
        host = f"127.0.0.1_{site.port}"
        saved = {item["url"].split(str(site.port))[1]: item["file"] for item in first["saved"]}
        download = "/download.jsp?id=7&filename=report.pdf"
        assert saved == {
            "/fzzf/a1.html": f"crawled/{host}/fzzf/a1.html",
            "/fzzf/old-a3.html": f"crawled/{host}/fzzf/a3.html",  # where it was redirected to
            quote("/uploadfiles/长寿区2021年报告.doc"): f"crawled/{host}/uploadfiles/长寿区2021年报告.doc",
            download: target_path(site.url(download), ".pdf", "baogao.pdf"),  # named by its Content-Disposition
        }
        assert saved[download].startswith(f"crawled/{host}/baogao-") and saved[download].endswith(".pdf")
        assert all((reports / file).is_file() for file in saved.values())
        reasons = {item["url"].split(str(site.port))[-1]: item["reason"] for item in first["skipped"]}
        assert reasons["/fzzf/missing.html"] == "HTTP 404 Not Found"
        assert reasons["/fzzf/away.html"].startswith("redirected to another site")
        assert reasons["/fzzf/private/p.html"] == "disallowed by robots.txt"
        assert reasons["/fzzf/a1-copy.html"].startswith("the same document as")  # saved once
        assert reasons["/fzzf/a2.html"].startswith("article page not saved")  # a stub: its attachments are the report
        assert not any("other.html" in url for url in reasons)  # another host's link is not followed at all

        # politely: robots.txt first, its User-Agent, no URL twice, DELAY between two requests
        assert requests[0].path == "/robots.txt"
        assert {r.headers.get("User-Agent") for r in requests} == {crawl_settings.crawl_user_agent}
        paths = [r.path for r in requests]
        assert len(paths) == len(set(paths)), paths
        gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
        assert min(gaps) >= DELAY - 0.015, gaps  # as the server saw them arrive (a connection's setup apart)
        assert first["requests"] == len(requests) and first["not_modified"] == 0
        assert first["fetched"] == sum(r.status == 200 for r in requests) - 1  # robots.txt apart
        assert "/fzzf/private/p.html" not in paths and "/other.html" not in paths

        # the index was built from what was saved
        assert first["index"]["reports"] == 3, first["index"]

        # the next run: everything with a validator costs a 304, nothing is saved again
        second = Crawler(reports, crawl_settings).run(load_sources(sources))
        again = site.take_requests()
        assert second.saved == []
        not_modified = [r.path for r in again if r.status == 304]
        assert len(not_modified) == second.not_modified == 7, not_modified
        assert all("If-None-Match" in r.headers or "If-Modified-Since" in r.headers for r in again if r.status == 304)

        # a changed page replaces its file; the rest is still unchanged
        changed = article(["大足区应急管理局2021年法治政府建设情况报告（更正）", *report_lines("004_c1f201046002a3b5.txt")[2:]])
        site.routes["/fzzf/a1.html"] = Route(changed, etag='"a1-v2"')
        site.routes["/fzzf/a1-copy.html"] = Route(changed)  # its mirror too
        third = Crawler(reports, crawl_settings).run(load_sources(sources))
        assert [(s["file"], s["replaced"]) for s in third.saved] == [(f"crawled/{host}/fzzf/a1.html", True)]
        assert (reports / f"crawled/{host}/fzzf/a1.html").read_bytes() == changed
        assert third.not_modified == 6  # the rest still unchanged


def test_the_human_summary_and_bad_sources(tmp_path: Path, crawl_settings: Settings) -> None:
    env = {**os.environ, **crawl_settings.environment()}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "x"\nstart = "ftp://example.gov.cn/"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "reportqa", "crawl", "--sources", str(bad), "--reports-dir",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and "http(s) URL" in done.stderr
    with LoopbackSite() as site:
        site.routes["/c/"] = Route(column([("a.html", "某某镇2021年法治政府建设情况报告全文")]))
        site.routes["/c/a.html"] = Route(article(report_lines("000_95c7b36e77b4132c.txt")))
        done = subprocess.run([sys.executable, "-m", "reportqa", "crawl", "--sources",
                               str(sources_file(tmp_path, site.url("/c/"), "[]")), "--reports-dir", str(tmp_path / "r")],
                              capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "1 sources: 3 requests, 2 fetched, 0 not modified (304), 1 saved, 0 skipped" in done.stdout
    assert f"crawled/127.0.0.1_{site.port}/c/a.html" in done.stdout


def test_limits_timeouts_and_sizes(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "i", reports_dir=tmp_path / "r", crawl_delay_seconds=0,
                        crawl_timeout_seconds=0.5, crawl_max_pages=4, max_file_mb=1, _env_file=None)
    with LoopbackSite() as site:
        site.routes["/robots.txt"] = Route(status=500)
        site.routes["/c/index.html"] = Route(column([]))
        blocked = Crawler(tmp_path / "r", settings).run(load_sources(sources_file(tmp_path, site.url("/c/index.html"))))
        assert [s["reason"] for s in blocked.skipped] == [
            "robots.txt answered HTTP 500: the site is not crawled this run"]
        site.routes["/robots.txt"] = Route(status=404)  # no robots.txt: everything allowed
        site.routes["/c/index.html"] = Route(column([(f"a{i}.html", f"第{i}份法治政府建设情况报告") for i in range(6)]
                                                    + [("slow.html", "一个很慢的法治政府建设情况报告"),
                                                       ("big.pdf", "一个很大的法治政府建设报告.pdf"),
                                                       ("file?id=9", "附件：报告.pdf")]))
        site.routes["/c/file?id=9"] = Route(b"\x89PNG\r\n\x1a\n", "image/png")
        site.routes["/c/big.pdf"] = Route(b"%PDF" + b"0" * (1024 * 1024 + 10), "application/pdf")
        site.routes["/c/slow.html"] = Route(article(report_lines("002_e4b091e3fb9e6599.txt")), delay=2)
        settings = settings.model_copy(update={"crawl_max_pages": 20})
        summary = Crawler(tmp_path / "r2", settings).run(load_sources(sources_file(tmp_path, site.url("/c/index.html"),
                                                                                   '["/c/"]')))
        reasons = {s["url"].rsplit("/", 1)[-1]: s["reason"] for s in summary.skipped}
        assert reasons["slow.html"] == "timed out after 0.5 s"
        assert reasons["big.pdf"] == "larger than 1 MB (REPORTQA_MAX_FILE_MB)"
        assert reasons["a0.html"] == "HTTP 404 Not Found"
        assert reasons["file?id=9"] == "not a report file (image/png)"
        few = settings.model_copy(update={"crawl_max_pages": 3})
        limited = Crawler(tmp_path / "r3", few).run(load_sources(sources_file(tmp_path, site.url("/c/index.html"),
                                                                              '["/c/"]')))
        assert limited.requests == 3 and any("limit of 3 requests" in s["reason"] for s in limited.skipped)


def test_links_and_names() -> None:
    page = ('<html><head><base href="http://site.gov.cn/col/"></head><body><a href="a.html#top">某某局2021年法治政府建设'
            '情况报告</a><a href="javascript:void(0)">打印</a><a href="mailto:x@y">邮箱</a><a href="index_2.html">2</a>'
            '<a href="/download.jsp?filename=%E6%8A%A5%E5%91%8A.docx">附件</a></body></html>').encode()
    links = page_links(page, "http://other/")
    assert [link.url for link in links] == ["http://site.gov.cn/col/a.html", "http://site.gov.cn/col/index_2.html",
                                           "http://site.gov.cn/download.jsp?filename=%E6%8A%A5%E5%91%8A.docx"]
    assert is_article(links[0]) and not is_article(Link("http://site.gov.cn/", "首页"))
    assert is_pagination(links[1], "http://site.gov.cn/col/index.html")
    assert is_pagination(Link("http://site.gov.cn/col/list?page=3", "3"), "http://site.gov.cn/col/list")
    assert not is_pagination(Link("http://site.gov.cn/other/index_2.html", "2"), "http://site.gov.cn/col/index.html")
    assert attachment_suffix(links[2].url) == ".docx" and attachment_suffix("http://x/a", "报告.PDF") == ".pdf"
    assert target_path("http://site.gov.cn:8080/a/../b/c.shtml", ".html") == "crawled/site.gov.cn_8080/b/c.html"
    assert target_path("http://site.gov.cn/col/", ".html") == "crawled/site.gov.cn/col/index.html"
    assert target_path("http://site.gov.cn/.hidden/~$x.doc", ".doc") == "crawled/site.gov.cn/hidden/x.doc"
    assert target_path("http://site.gov.cn/d.jsp?id=1", ".pdf", "申报.pdf").startswith("crawled/site.gov.cn/申报-")


def test_sources_files_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    for text, message in [("", "no [[source]]"), ("[[source]]\nname='x'\n", "http(s) URL"),
                          ("[[source]]\nstart='http://a.gov.cn/'\nallow='fzzf'\n", "path prefixes"),
                          ("[[source\n", "not valid TOML")]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SourcesError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
            load_sources(path)
    with pytest.raises(SourcesError, match="no sources file"):
        load_sources(tmp_path / "missing.toml")
    path.write_text("[[source]]\nstart='http://a.gov.cn/x/'\nallow='/x/'\n", encoding="utf-8")
    assert load_sources(path)[0].allow == ("/x/",) and load_sources(path)[0].name == "a.gov.cn"
