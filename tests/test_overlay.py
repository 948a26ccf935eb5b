"""An overlaid index (a base with dead passages, an overlay weighed with the live statistics) answers
exactly as a fresh build of its live passages: the same passages, the same scores."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from reportqa.bm25 import postings as postings_module
from reportqa.bm25.overlay import LiveStats, OverlaidPostings, df_of_passages
from reportqa.bm25.scoring import Frequencies, TermMatrix, weigh
from tests.test_postings import assert_same_top, exhaustive, random_filters, random_query, report_corpus

N_TERMS = 208 + 700  # report_corpus's words, and room for the overlay's new ones


def overlaid(seed: int, variant: str, dead_reports: int, new_reports: int, longer: int = 1,
             ) -> tuple[OverlaidPostings, list[Counter[int]], np.ndarray]:
    """A base of 600 reports (12 passages each), ``dead_reports`` of them removed, and an overlay of
    ``new_reports`` reports that also use words the base never had. Returns the overlaid postings,
    the live passages' rows in the overlaid numbering (dead ones empty), and which are dead."""
    rng = random.Random(seed)
    base_rows = report_corpus(seed)
    new_rows = [Counter({t: c * longer for t, c in row.items()}) for row in report_corpus(seed + 100, reports=new_reports)]
    for row in new_rows:
        if rng.random() < 0.3:
            row[800 + rng.randrange(50)] += 1  # words only the overlay has
    base = weigh(Frequencies.from_matrix(TermMatrix.from_rows(base_rows), 808), variant, 1.2, 0.75, 0.5)
    base_freqs = Frequencies.from_matrix(TermMatrix.from_rows(base_rows), 808)
    base_len = base_freqs.doc_len()
    dead = np.zeros(len(base_rows), dtype=bool)
    for report in rng.sample(range(600), dead_reports):
        dead[report * 12:(report + 1) * 12] = True
    base_df = np.diff(base.indptr) - df_of_passages(base, np.flatnonzero(dead))
    # the overlay's own numbering: its terms in first-seen order
    overlay_terms = sorted({t for row in new_rows for t in row})
    local = {t: i for i, t in enumerate(overlay_terms)}
    overlay_freqs = Frequencies.from_matrix(
        TermMatrix.from_rows([{local[t]: c for t, c in row.items()} for row in new_rows]), len(overlay_terms))
    overlay_len = overlay_freqs.doc_len()
    live = LiveStats.combine(variant, ~dead, base_df, float(base_len[~dead].sum()), float(base_len.mean()),
                             np.array(overlay_terms, dtype=np.int64), overlay_freqs.df, float(overlay_len.sum()),
                             overlay_freqs.n_docs, N_TERMS)
    overlay = weigh(overlay_freqs, variant, 1.2, 0.75, 0.5, idf=live.idf[overlay_terms], avgdl=live.avgdl)
    postings = OverlaidPostings(base, overlay, live, base_freqs.tf, base_len, variant, 1.2, 0.75, 0.5)
    rows = [Counter() if d else row for row, d in zip(base_rows, dead, strict=True)] + new_rows
    return postings, rows, dead


def fresh(rows: list[Counter[int]], dead: np.ndarray, variant: str):  # type: ignore[no-untyped-def]
    """A fresh build of the live passages only, and the overlaid number of each of its passages."""
    keep = [i for i in range(len(rows)) if i >= len(dead) or not dead[i]]
    postings = weigh(Frequencies.from_matrix(TermMatrix.from_rows([rows[i] for i in keep]), N_TERMS), variant,
                     1.2, 0.75, 0.5)
    return postings, np.array(keep)


def test_df_of_passages_counts_what_removing_them_takes_off() -> None:
    rows = report_corpus(7, reports=80)
    postings = weigh(Frequencies.from_matrix(TermMatrix.from_rows(rows), 208 + 80), "plus", 1.2, 0.75, 0.5)
    gone = np.array(sorted(random.Random(7).sample(range(len(rows)), 60)))
    expected = np.zeros(208 + 80, dtype=np.int64)
    for i in gone:
        for term in rows[i]:
            expected[term] += 1
    np.testing.assert_array_equal(df_of_passages(postings, gone), expected)


@pytest.mark.parametrize("variant", ["plus", "l"])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("compiled", [False, True])
def test_overlaid_answers_equal_a_fresh_build_of_the_live_passages(variant: str, seed: int, compiled: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Same passages and scores as a fresh build over what is alive, over filters, scales, repeated
    and down-weighted terms, words only the overlay has, and k from 1 to 400; the dead are never
    answered. Both of the base's ways (blocks, accumulator) and the merge are taken."""
    monkeypatch.setattr(postings_module, "BLOCKS_MIN_PASSAGES", 0)
    monkeypatch.setattr(postings_module, "PROBE_MAX_SHARE_INVERSE", 2)
    postings, rows, dead = overlaid(seed, variant, dead_reports=30, new_reports=40)
    if compiled:
        pytest.importorskip("numba")
        assert postings.accelerate()
    reference, numbering = fresh(rows, dead, variant)
    rng = random.Random(seed)
    n = postings.n_docs
    assert postings.n_live == reference.n_docs == len(numbering)
    for _ in range(60):
        query = random_query(rng, (0, 3), (1, 3), list(range(8, 208)) + list(range(800, 850)))
        allowed, scale = random_filters(rng, n, keep=0.8)
        k = rng.choice([1, 5, 10, 40, 400])
        docs, scores, matched = postings.top(query, k, allowed, scale, count=rng.random() < 0.3)
        assert not dead[docs[docs < len(dead)]].any()
        local_allowed = None if allowed is None else allowed[numbering]
        local_scale = None if scale is None else scale[numbering]
        expected_docs, expected_scores = exhaustive(reference, query, k, local_allowed, local_scale)
        assert_same_top(docs, scores, numbering[expected_docs], expected_scores)
        if matched is not None:
            assert matched == reference.top(query, reference.n_docs, local_allowed, local_scale, count=True)[2]
        present = np.sort(docs)
        for term in query:
            np.testing.assert_array_equal(postings.contains(term, present),
                                          [term in rows[d] for d in present.tolist()])


def test_the_base_is_asked_for_more_until_nothing_it_left_can_reach_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the live statistics move the base's scores far (most of the base dead, long new
    passages), its first answer is not enough and it is asked again; the answer is still exact."""
    monkeypatch.setattr(postings_module, "BLOCKS_MIN_PASSAGES", 0)
    postings, rows, dead = overlaid(3, "plus", dead_reports=400, new_reports=300, longer=4)
    assert postings.live.rho > 1.5
    asked: list[int] = []
    base_top = postings.base.top

    def counted(query, k, *args):  # type: ignore[no-untyped-def]
        asked.append(k)
        return base_top(query, k, *args)

    monkeypatch.setattr(postings.base, "top", counted)
    reference, numbering = fresh(rows, dead, "plus")
    for terms in ([0, 1, 2, 3, 4, 5, 6, 7], [0], [1, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]):
        query = dict.fromkeys(terms, 1)
        docs, scores, _ = postings.top(query, 10)
        expected_docs, expected_scores = exhaustive(reference, query, 10)
        assert_same_top(docs, scores, numbering[expected_docs], expected_scores)
    assert max(asked) > 20  # asked again, for more


# --- overlaid generations, built and served -------------------------------------------------------------

def _answers(index_dir, settings, questions):  # type: ignore[no-untyped-def]
    """Each question's top 50: (source, ordinal) → score, as the command line would answer."""
    import asyncio

    from reportqa.answers.compose import answer_question
    from reportqa.retrieval.searcher import SearchIndex

    async def run() -> list[dict[str, float]]:
        index = await SearchIndex.load(index_dir, settings)
        try:
            out = []
            for question in questions:
                answer = await answer_question(index, question, top_k=50)
                out.append({f"{r.report.source}#{r.ordinal}": round(r.score, 4) for r in answer.results})
            return out
        finally:
            await index.close()

    return asyncio.run(run())


QUESTIONS = ("执法培训", "法律顾问", "双随机一公开", "哪些单位开展了普法", "行政复议 案件", "2021年 法治政府建设")


def test_updates_written_as_overlays_answer_as_a_fresh_build(reports_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Changed, added and removed reports go into an overlay over the last full build (its files
    linked, not copied); every answer equals a fresh full build's of the same files, through two
    overlaid updates and the full build that compacts them; ``reportqa check`` passes each."""
    import asyncio
    import json

    from reportqa.index import database as store
    from reportqa.index.builder import build_index
    from reportqa.index.checks import verified_load
    from reportqa.settings import Settings

    settings = Settings(index_dir=tmp_path / "index", reports_dir=reports_copy, overlay_min_passages=0,
                        overlay_max_share=1.0, _env_file=None)

    def build(**changes):  # type: ignore[no-untyped-def]
        here = settings.model_copy(update=changes)
        return asyncio.run(build_index(reports_copy, here.index_dir, here))

    def same_as_fresh() -> None:
        fresh = settings.model_copy(update={"index_dir": tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"})
        asyncio.run(build_index(reports_copy, fresh.index_dir, fresh))
        assert _answers(settings.index_dir, settings, QUESTIONS) == _answers(fresh.index_dir, fresh, QUESTIONS)

    def manifest() -> dict:
        return json.loads((store.current_generation(settings.index_dir) / "MANIFEST.json").read_text())

    build()
    base_inode = (store.current_generation(settings.index_dir) / "terms.npz").stat().st_ino
    assert "base" not in manifest()
    files = sorted(reports_copy.glob("*.txt"))
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\n（七）新增段落。组织执法培训2次，聘请法律顾问3名。\n",
                        encoding="utf-8")
    # a new report like another (no passage the same: a tie's order follows the numbering, which an
    # update and a fresh build give differently, as every incremental build does)
    (reports_copy / "new-copy.txt").write_text(files[1].read_text(encoding="utf-8").replace("2021", "2022")
                                               .replace("。", "。另") + "\n开展双随机一公开抽查15次。\n",
                                               encoding="utf-8")
    files[2].unlink()
    summary = build()
    generation = store.current_generation(settings.index_dir)
    assert "base" in manifest() and (generation / "overlay").is_dir()
    assert (generation / "terms.npz").stat().st_ino == base_inode  # linked, not copied
    assert summary.reports == 5 and sorted(summary.parsed) == sorted([files[0].name, "new-copy.txt"])
    assert summary.removed == [files[2].name]
    same_as_fresh()
    verified_load(generation, deep=True, integrity=True)

    # a second update over the overlaid one: the overlay carries its kept reports forward
    files[3].write_text(files[3].read_text(encoding="utf-8") + "\n推进行政复议规范化建设，办结行政复议案件12件。\n",
                        encoding="utf-8")
    (reports_copy / "new-copy.txt").unlink()
    summary = build()
    assert "base" in manifest() and summary.parsed == [files[3].name]
    assert (store.current_generation(settings.index_dir) / "terms.npz").stat().st_ino == base_inode
    same_as_fresh()

    # past the share, the next update is a full build of everything (compaction), still the same answers
    files[4].write_text(files[4].read_text(encoding="utf-8") + "\n法治政府建设年度考核。\n", encoding="utf-8")
    build(overlay_max_share=0.0)
    assert "base" not in manifest()
    same_as_fresh()


# --- a damaged overlaid generation is refused, and the next build reads the files again -----------------

@pytest.fixture(scope="module")
def good_overlaid(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sample reports indexed, then one changed: an overlaid generation over the first build,
    and another build of the same files to take a database from. (index, other generation, reports)"""
    import asyncio
    import shutil

    from reportqa.index import database as store
    from reportqa.index.builder import build_index
    from reportqa.settings import Settings
    from tests.conftest import SEEDS

    root = tmp_path_factory.mktemp("overlaid")
    reports = root / "reports"
    shutil.copytree(SEEDS, reports)
    settings = Settings(index_dir=root / "index", reports_dir=reports, overlay_min_passages=0, overlay_max_share=1.0,
                        _env_file=None)
    asyncio.run(build_index(reports, settings.index_dir, settings))
    changed = sorted(reports.glob("*.txt"))[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n（九）新增段落。组织执法培训2次。\n", encoding="utf-8")
    asyncio.run(build_index(reports, settings.index_dir, settings))
    generation = store.current_generation(settings.index_dir)
    assert (generation / "overlay").is_dir()
    other = settings.model_copy(update={"index_dir": root / "other"})
    asyncio.run(build_index(reports, other.index_dir, other))
    return settings.index_dir, store.current_generation(other.index_dir), reports


def _live_change(name: str, change):  # type: ignore[no-untyped-def]
    def damage(generation) -> None:  # type: ignore[no-untyped-def]
        with np.load(generation / "live.npz") as npz:
            arrays = {key: npz[key] for key in npz.files}
        arrays[name] = change(arrays[name].copy())
        np.savez(generation / "live.npz", **arrays)
    return damage


def _first_flipped(values: np.ndarray) -> np.ndarray:
    values[0] = not values[0]
    return values


def _other_overlay_database(other):  # type: ignore[no-untyped-def]
    def damage(generation) -> None:  # type: ignore[no-untyped-def]
        import shutil

        from reportqa.index import database as store
        shutil.copy(other / store.DB_NAME, generation / "overlay" / store.DB_NAME)
    return damage


OVERLAID_DAMAGE = {
    "live.npz truncated": ("truncate", "live.npz"),
    "overlay terms flipped": ("flip", "overlay/terms.npz"),
    "overlay vocabulary missing": ("delete", "overlay/vocab.json"),
    "extra vocabulary flipped": ("flip", "vocab_extra.json"),
    "a dead passage said alive": ("live", ("alive", _first_flipped)),
    "overlay terms shuffled": ("live", ("overlay_terms", lambda v: v[::-1].copy())),
    "a count off by one": ("live", ("df", lambda v: v + (np.arange(len(v)) == 0))),
    "the overlay's database another build's": ("database", None),
}


@pytest.mark.parametrize("case", list(OVERLAID_DAMAGE))
def test_a_damaged_overlaid_generation_is_refused_and_rebuilt(tmp_path, good_overlaid, case: str,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_index_damage import damaged_copy, delete, flip_byte, refused_then_rebuilt, truncate

    kind, what = OVERLAID_DAMAGE[case]
    damage = {"truncate": truncate, "flip": flip_byte, "delete": delete}.get(kind)
    if kind == "live":
        damage_of = _live_change(*what)
    elif kind == "database":
        damage_of = _other_overlay_database(good_overlaid[1])
    else:
        damage_of = damage(what)
    index_dir, settings = damaged_copy(tmp_path, good_overlaid, damage_of, rewrite_manifest=kind in ("live", "database"))
    refused_then_rebuilt(index_dir, settings, good_overlaid[2], monkeypatch)


def test_linking_and_removing_shared_files_keeps_their_verification(reports_copy, tmp_path,  # type: ignore[no-untyped-def]
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An overlaid generation's base files are hard links shared with the generations before it: the
    next update links them again and removes the older generation, both of which change the files'
    change time. What .verified.json remembers is carried across the build's own links and unlinks
    (else every update and the ask after it checksums the whole base again: 6 GB at 1M passages);
    a file rewritten meanwhile, or linked by anyone else, is still checked in full."""
    import asyncio
    import os

    from reportqa.index import checks as index_check
    from reportqa.index import database as store
    from reportqa.index.builder import build_index
    from reportqa.index.checks import read_manifest, verification_kept, verified_before
    from reportqa.settings import Settings

    settings = Settings(index_dir=tmp_path / "index", reports_dir=reports_copy, overlay_min_passages=0,
                        overlay_max_share=1.0, _env_file=None)
    checked: list[str] = []
    real_check_files = index_check.check_files
    monkeypatch.setattr(index_check, "check_files",
                        lambda generation, *a, **k: checked.append(generation.name) or real_check_files(generation, *a, **k))
    files = sorted(reports_copy.glob("*.txt"))
    asyncio.run(build_index(reports_copy, settings.index_dir, settings))
    for round_ in range(3):  # three overlaid updates: each links the base again and removes an older one
        files[round_].write_text(files[round_].read_text(encoding="utf-8") + f"\n新增段落{round_}。组织执法培训。\n",
                                 encoding="utf-8")
        served = store.current_generation(settings.index_dir)
        checked.clear()
        asyncio.run(build_index(reports_copy, settings.index_dir, settings))
        generation = store.current_generation(settings.index_dir)
        assert (generation / "overlay").is_dir()
        assert served.name not in checked  # the served generation was known good: not read again
        assert verified_before(generation, read_manifest(generation), deep=True)

    # a link nobody carried, or a rewrite inside the block, still makes the generation checked in full
    manifest = read_manifest(generation)
    os.link(generation / store.TERMS_NAME, tmp_path / "stray-link")
    assert not verified_before(generation, manifest)
    index_check.remember_verified(generation, manifest, deep=True)
    with verification_kept(settings.index_dir):
        os.utime(generation / store.VOCAB_NAME, ns=(1, 1))
    assert not verified_before(generation, manifest)
