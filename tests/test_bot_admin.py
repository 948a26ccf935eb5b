"""Administrators change the library from the chat: uploads, /reindex, /remove — end to end against
the fake Bot API, with the real ``reportqa`` command line doing the work in a child process."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

from reportqa.index import database as store
from reportqa.settings import Settings
from tests.bot_harness import report_docx, texts, wait_for_text
from tests.conftest import ADMIN, STAFF
from tests.fake_telegram import document, message


async def test_an_uploaded_docx_is_searchable_while_questions_keep_being_answered(
    library_bot, settings: Settings, reports_copy: Path
) -> None:
    harness = await library_bot()
    before = store.current_generation(settings.index_dir)
    content = report_docx("重庆市某某区交通运输局", 2024, "全年组织无人机巡查执法培训4期，参训执法人员160人次。")
    harness.fake.files["f1"] = content
    # hold the index's build lock: the upload's rebuild waits for it, so the questions below are
    # certainly answered while a rebuild is under way
    lock = (settings.index_dir / store.LOCK_NAME).open("a+")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    try:
        upload = await harness.push(document("交通局2024年报告.docx", file_id="f1", size=len(content), user_id=ADMIN,
                                             chat_id=ADMIN))
        await wait_for_text(harness, "已收到")
        asked = [await harness.push(message(q, chat_id=100 + i, user_id=100 + i))
                 for i, q in enumerate(["执法培训", "法律顾问", "双随机一公开"])]
        await harness.handled_all(*asked)
        for i in range(3):
            assert texts(harness, 100 + i), "a question waited for the rebuild"
        assert not any("已加入索引" in t for t in texts(harness))
        assert store.current_generation(settings.index_dir) == before
    finally:
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        lock.close()
    await harness.handled_all(upload, timeout=120)
    reply = await wait_for_text(harness, "已加入索引")
    assert "uploads/交通局2024年报告.docx" in reply
    assert "重庆市某某区交通运输局" in reply and "2024" in reply
    assert "没有找到落款日期" in reply  # the indexer's warning, in the admin's language
    assert (reports_copy / "uploads" / "交通局2024年报告.docx").read_bytes() == content
    assert not (settings.index_dir / ".incoming").exists() or not any((settings.index_dir / ".incoming").iterdir())

    [answer] = await harness.ask(message("无人机巡查执法培训", chat_id=200, user_id=200))
    assert "重庆市某某区交通运输局" in answer.params["text"]
    assert "无人机" in answer.params["text"]


async def test_documents_from_others_are_refused_and_never_downloaded(
    library_bot, settings: Settings, reports_copy: Path
) -> None:
    harness = await library_bot()
    listing = sorted(p.name for p in reports_copy.rglob("*"))
    harness.fake.files["f2"] = b"2024\xe5\xb9\xb4"
    [reply] = await harness.ask(document("x.txt", file_id="f2", size=7, user_id=STAFF, chat_id=STAFF))
    assert "管理员" in reply.params["text"]
    assert harness.fake.sent("getFile") == [] and harness.fake.downloads == []
    assert sorted(p.name for p in reports_copy.rglob("*")) == listing
    assert not (settings.index_dir / ".incoming").exists()


async def test_wrong_type_or_too_large_is_refused_before_downloading(library_bot) -> None:
    harness = await library_bot()
    [reply] = await harness.ask(document("setup.exe", file_id="f3", size=10, user_id=ADMIN, chat_id=ADMIN))
    assert ".exe" in reply.params["text"]
    [reply] = await harness.ask(document("big.pdf", file_id="f4", size=30 * 1024 * 1024, user_id=ADMIN,
                                         chat_id=ADMIN))
    assert "20 MB" in reply.params["text"]
    assert harness.fake.sent("getFile") == []


async def test_an_unreadable_upload_gets_the_reason_and_changes_nothing(
    library_bot, settings: Settings, reports_copy: Path
) -> None:
    harness = await library_bot()
    before = store.current_generation(settings.index_dir)
    harness.fake.files["f5"] = b"%PDF-1.7\n this is not really a pdf"
    update = await harness.push(document("扫描件.pdf", file_id="f5", size=34, user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    reply = texts(harness, ADMIN)[-1]
    assert "无法读取" in reply and "pdf" in reply.lower()
    assert store.current_generation(settings.index_dir) == before
    assert not (reports_copy / "uploads").exists()


async def test_a_duplicate_upload_is_recognised_and_a_hostile_name_made_safe(
    library_bot, reports_copy: Path, seeds_dir: Path
) -> None:
    harness = await library_bot()
    seed = (seeds_dir / "003_dcdaca7f04dbe387.txt").read_bytes()
    harness.fake.files["f6"] = seed
    update = await harness.push(document("copy.txt", file_id="f6", size=len(seed), user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    reply = texts(harness, ADMIN)[-1]
    assert "已在库中" in reply and "003_dcdaca7f04dbe387.txt" in reply
    assert not (reports_copy / "uploads").exists()

    content = "某某街道办事处\n2024年法治政府建设情况报告\n一、主要工作\n开展“法律明白人”培训，培养骨干85名。\n".encode()
    harness.fake.files["f7"] = content
    update = await harness.push(document("../../etc/<b>报告</b>\n.TXT", file_id="f7", size=len(content),
                                         user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    reply = texts(harness, ADMIN)[-1]
    assert "已加入索引" in reply
    assert "<b>报告</b>" not in reply and "&lt;b&gt;" not in reply  # the stored name is plain
    [stored] = list((reports_copy / "uploads").iterdir())
    assert stored.name == "etc_b_报告_b.txt" and stored.read_bytes() == content
    assert not (reports_copy.parent / "etc").exists()


async def test_reindex_and_remove_are_for_administrators(
    library_bot, settings: Settings, reports_copy: Path
) -> None:
    harness = await library_bot()
    [reply] = await harness.ask(message("/reindex", user_id=STAFF, chat_id=STAFF))
    assert "管理员" in reply.params["text"]
    [reply] = await harness.ask(message("/remove 000", user_id=STAFF, chat_id=STAFF))
    assert "管理员" in reply.params["text"]

    shutil.copy(reports_copy / "004_c1f201046002a3b5.txt", reports_copy / "dropped-in-by-hand.txt")
    (reports_copy / "empty.txt").write_bytes(b"")
    update = await harness.push(message("/reindex", user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    reply = texts(harness, ADMIN)[-1]
    assert "索引已更新" in reply and "empty.txt" in reply

    update = await harness.push(message("/remove 000_95c7", user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    reply = texts(harness, ADMIN)[-1]
    assert "已移出索引" in reply and "000_95c7b36e77b4132c.txt" in reply
    assert not (reports_copy / "000_95c7b36e77b4132c.txt").exists()
    assert list((reports_copy / ".removed").rglob("000_95c7b36e77b4132c.txt"))
    [answer] = await harness.ask(message("执法培训", chat_id=300, user_id=300))
    assert "000_95c7b36e77b4132c" not in answer.params["text"]

    update = await harness.push(message("/remove 不存在的文件", user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    assert "没有找到" in texts(harness, ADMIN)[-1]
    update = await harness.push(message("/remove 00", user_id=ADMIN, chat_id=ADMIN))
    await harness.handled_all(update, timeout=120)
    assert "多个" in texts(harness, ADMIN)[-1]


def test_every_indexer_warning_has_a_chinese_wording() -> None:
    import re

    from reportqa.present.catalog import knows_reason

    sources = (Path(__file__).resolve().parents[1] / "src" / "reportqa" / "ingest").glob("*.py")
    emitted = {m for path in sources for m in re.findall(r'warnings\.append\(f?"([^"]+)"', path.read_text("utf-8"))}
    assert emitted and all(knows_reason(w) for w in emitted), [w for w in emitted if not knows_reason(w)]
