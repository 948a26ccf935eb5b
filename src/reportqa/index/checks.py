"""A generation checks itself: what a build wrote is recorded, and a damaged index is refused.

A build ends by writing ``MANIFEST.json`` into its generation: every file's size and CRC-32, the
build's id (also in the database's ``info`` table), and the shape of its arrays. Serving a
generation (``ask``, the bot) first checks the arrays' and vocabulary's checksums, the database's
size and build id, and the invariants every answer depends on: offsets that start at 0 and never
go down, passage positions in range and ascending within a term, weights finite, vocabulary,
arrays and database of one build. A generation that fails is refused with what is wrong, never
answered from: a reversed vocabulary, shuffled weights or passage ids off by one give exit 0 and
wrong passages otherwise. ``reportqa check`` (``deep=True``) also checksums the database and runs
SQLite's own integrity check.

The checks read every serving byte (0.25 s at 100,000 passages, most of a cold ``ask``), so a
generation that passed them is remembered in the index folder's ``.verified.json`` with each file's
inode, size, modification and change times, as git remembers which files it has hashed: a later
load whose files all stat the same skips the checksums and invariants. Anything that rewrites,
truncates, replaces or touches a file changes its change time (which no program can set back), so
it is checked again in full (a build's own links and unlinks of the files an overlaid
generation shares with the ones before it are carried: ``verification_kept``). Bytes rotting on the
disk under an unchanged inode are the one damage this no longer sees at load; ``reportqa check``
always reads everything.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportqa.bm25.overlay import LIVE_ARRAYS
from reportqa.bm25.postings import BLOCK
from reportqa.domain.stored_words import WORDS_NAME
from reportqa.errors import IndexDamaged
from reportqa.index import database as store
from reportqa.index.arrays import load_arrays

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_VERSION = 1
VERIFIED_NAME = ".verified.json"  # in the index folder, beside the generations
VERIFIED_KEPT = 4  # generations remembered
CHECKSUM_CHUNK = 4 * 1024 * 1024
TERM_ARRAYS = ("post_indptr", "post_absent", "post_idf", "post_df")
POSTING_ARRAYS = ("post_docs", "post_tf", "post_weights")
PASSAGE_ARRAYS = ("passage_ids", "passage_report", "passage_kind", "passage_len")
BLOCK_ARRAYS = ("block_indptr", "block_ids", "block_max")  # per term, its blocks' largest weights
ALL_ARRAYS = (*TERM_ARRAYS, *POSTING_ARRAYS, *PASSAGE_ARRAYS, *BLOCK_ARRAYS)
# what answering reads (not the raw frequencies or lengths, which only a build needs)
SERVING_ARRAYS = ("post_indptr", "post_docs", "post_weights", "post_absent", "post_idf", "post_df",
                  "passage_ids", "passage_report", "passage_kind", *BLOCK_ARRAYS)
# the boilerplate, and the counts an overlay recounts it from (boilerplate.py: keys at the candidate
# floor, how many reports hold each, the share of reports the floor allows an overlay)
OPTIONAL_ARRAYS = ("boilerplate", "boilerplate_keys", "boilerplate_counts", "boilerplate_share")


def new_build_id() -> str:
    return uuid.uuid4().hex


def file_crc32(path: Path) -> int:
    """CRC-32 of a file, read in chunks (about 1 GB/s: fast enough to check at every load)."""
    crc = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHECKSUM_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


@dataclass(frozen=True)
class Shape:
    """What a generation's arrays must agree on."""

    passages: int
    terms: int
    postings: int
    reports: int


def write_manifest(generation: Path, build_id: str, files: list[str], shape: Shape) -> None:
    """Record the generation's files (size, CRC-32), build id and shape, once they are written."""
    manifest = {
        "version": MANIFEST_VERSION,
        "build_id": build_id,
        "files": {name: {"size": (generation / name).stat().st_size, "crc32": file_crc32(generation / name)}
                  for name in files},
        "shape": {"passages": shape.passages, "terms": shape.terms, "postings": shape.postings,
                  "reports": shape.reports},
    }
    (generation / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def write_overlaid_manifest(generation: Path, build_id: str, base: dict, files: Iterable[str],
                            overlay_shape: Shape) -> None:
    """An overlaid generation's manifest: its base's files as the base's build recorded them (they
    are the same files, linked), its own files measured now, and both builds' ids and shapes."""
    records = dict(base["files"])
    records.update({name: {"size": (generation / name).stat().st_size, "crc32": file_crc32(generation / name)}
                    for name in files})
    manifest = {
        "version": MANIFEST_VERSION,
        "build_id": build_id,
        "files": records,
        "shape": base["shape"],
        "base": {"build_id": base["build_id"]},
        "overlay": {"build_id": build_id, "shape": {"passages": overlay_shape.passages, "terms": overlay_shape.terms,
                                                    "postings": overlay_shape.postings,
                                                    "reports": overlay_shape.reports}},
    }
    (generation / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def read_manifest(generation: Path) -> dict:
    """The generation's manifest. Raises ``IndexDamaged``."""
    path = generation / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexDamaged(f"it has no {MANIFEST_NAME} (built by an older reportqa, or its build did not "
                           "finish)") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise IndexDamaged(f"{MANIFEST_NAME} is unreadable: {exc}"[:300]) from exc
    if (not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION
            or not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("shape"), dict)):
        raise IndexDamaged(f"{MANIFEST_NAME} is not a manifest this reportqa reads")
    return manifest


def check_files(generation: Path, manifest: dict, checksummed: tuple[str, ...]) -> list[str]:
    """Problems with the generation's files: missing, of another size, or (for ``checksummed``)
    of another content than the build wrote."""
    problems = []
    for name, record in manifest["files"].items():
        path = generation / name
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if size != record.get("size"):
            problems.append(f"{name} is {size:,} bytes, the build wrote {record.get('size'):,}")
        elif name in checksummed and file_crc32(path) != record.get("crc32"):
            problems.append(f"{name} does not match its checksum (changed or damaged since it was built)")
    return problems


def check_arrays(arrays: dict[str, np.ndarray], vocab: object, shape: dict,
                 wanted: Iterable[str] | None = None) -> list[str]:
    """Problems with the arrays and vocabulary as loaded: the invariants every answer relies on.
    ``wanted`` are the arrays that must be there (default: all); each check runs on what is loaded."""
    wanted = ALL_ARRAYS if wanted is None else tuple(wanted)
    missing = [name for name in wanted if name not in arrays]
    if missing:
        return [f"terms.npz lacks {', '.join(missing)}"]
    problems: list[str] = []
    n_terms, n_passages, n_postings = shape.get("terms"), shape.get("passages"), shape.get("postings")
    if not isinstance(vocab, list) or not all(isinstance(t, str) for t in vocab):
        problems.append("vocab.json is not a list of terms")
    elif len(vocab) != n_terms:
        problems.append(f"vocab.json has {len(vocab):,} terms, the build had {n_terms:,}")
    elif len(set(vocab)) != len(vocab):
        problems.append("vocab.json lists a term twice")
    expected = {**{name: n_terms for name in TERM_ARRAYS}, "post_indptr": (n_terms or 0) + 1,
                **{name: n_postings for name in POSTING_ARRAYS}, **{name: n_passages for name in PASSAGE_ARRAYS}}
    for name, length in expected.items():
        if name in arrays and arrays[name].shape != (length,):
            problems.append(f"{name} has shape {arrays[name].shape}, expected ({length},)")
    if problems:
        return problems
    indptr, docs = arrays["post_indptr"], arrays.get("post_docs")
    if n_terms and (indptr[0] != 0 or indptr[-1] != n_postings or np.any(np.diff(indptr) < 0)):
        problems.append("post_indptr is not a run of offsets from 0 to the number of postings")
    elif n_postings and docs is not None:
        if docs.min() < 0 or docs.max() >= n_passages:
            problems.append("post_docs points outside the passages")
        else:
            if not _ascending_within_terms(docs, indptr):
                problems.append("post_docs is not ascending within a term")
    if n_postings and "post_df" in arrays and not np.array_equal(np.diff(indptr), arrays["post_df"]):
        problems.append("post_df does not count each term's postings")
    if n_postings and "post_tf" in arrays and arrays["post_tf"].min() < 1:
        problems.append("post_tf holds a count below 1")
    for name in ("post_weights", "post_absent", "post_idf"):
        if name in arrays and len(arrays[name]) and not np.isfinite(arrays[name]).all():
            problems.append(f"{name} holds a value that is not a finite number")
    problems += _block_problems(arrays, n_terms or 0, n_passages or 0)
    ids = arrays.get("passage_ids")
    if n_passages and ids is not None and (ids.min() < 1 or np.any(np.diff(ids) <= 0)):
        problems.append("passage_ids are not ascending positive ids")
    if n_passages and "passage_len" in arrays and arrays["passage_len"].min() < 0:
        problems.append("passage_len holds a negative length")
    return problems


def _ascending_within_terms(values: np.ndarray, indptr: np.ndarray) -> bool:
    """Whether ``values`` rise strictly within each term's run values[indptr[t]:indptr[t+1]] (values
    < 2**31: the steps fit the array's own type)."""
    rising = np.diff(values) > 0
    starts = indptr[1:-1]
    rising[starts[(starts > 0) & (starts < len(values))] - 1] = True  # a step across two terms
    return bool(rising.all())


def _block_problems(arrays: dict[str, np.ndarray], n_terms: int, n_passages: int) -> list[str]:
    """The block bounds' invariants: offsets per term, block numbers inside the passages and
    ascending within a term, maxima finite and not negative (a bound below a weight would lose
    answers silently; the checksum, not this, tells a changed value)."""
    if not all(name in arrays for name in BLOCK_ARRAYS):
        return []
    indptr, blocks, maxima = arrays["block_indptr"], arrays["block_ids"], arrays["block_max"]
    if indptr.shape != (n_terms + 1,) or blocks.shape != maxima.shape or blocks.ndim != 1:
        return ["the block bounds' arrays do not match the terms or each other"]
    if indptr[0] != 0 or indptr[-1] != len(blocks) or np.any(np.diff(indptr) < 0):
        return ["block_indptr is not a run of offsets from 0 to the number of blocks"]
    if not len(blocks):
        return []
    if blocks.min() < 0 or blocks.max() >= -(-n_passages // BLOCK):
        return ["block_ids points outside the passages"]
    if not _ascending_within_terms(blocks, indptr):
        return ["block_ids is not ascending within a term"]
    if not np.isfinite(maxima).all() or maxima.min() < 0:
        return ["block_max holds a value that is not a finite number of at least 0"]
    return []


def check_database(db_path: Path, manifest: dict, arrays: dict[str, np.ndarray], integrity: bool) -> list[str]:
    """Problems with the database against the manifest and the arrays: another build's, passages
    the arrays name that it lacks, or (``integrity``) pages SQLite finds broken."""
    try:
        facts = store.read_facts(db_path, integrity)
    except sqlite3.Error as exc:
        return [f"index.sqlite3 cannot be read: {exc}"[:300]]
    if facts.build_id != manifest.get("build_id"):
        return ["index.sqlite3 is from another build than the arrays"]
    report_ids = np.array(facts.report_ids, dtype=np.int64)
    passage_ids = arrays["passage_ids"]
    problems = []
    if not np.isin(arrays["passage_report"], report_ids).all():
        problems.append("passage_report names reports index.sqlite3 does not hold")
    if len(report_ids) != manifest["shape"].get("reports"):
        problems.append(f"index.sqlite3 has {len(report_ids):,} reports, the build had "
                        f"{manifest['shape'].get('reports')}")
    if len(passage_ids) and (facts.passages != len(passage_ids) or facts.low_id != int(passage_ids[0])
                             or facts.high_id != int(passage_ids[-1])):
        problems.append("index.sqlite3's passages are not the ones the arrays name")
    if facts.integrity is not None and facts.integrity != "ok":
        problems.append(f"index.sqlite3 fails SQLite's integrity check: {facts.integrity}"[:300])
    return problems


def _file_stamps(generation: Path, names: Iterable[str]) -> dict[str, list[int]] | None:
    """Each file's inode, size, modification and change times; None if one cannot be read."""
    stamps = {}
    for name in (MANIFEST_NAME, *names):
        stamp = _stamp(generation / name)
        if stamp is None:
            return None
        stamps[name] = stamp
    return stamps


def _stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _read_verified(index_dir: Path) -> dict:
    try:
        remembered = json.loads((index_dir / VERIFIED_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return remembered if isinstance(remembered, dict) else {}


def verified_before(generation: Path, manifest: dict, deep: bool = False) -> bool:
    """Whether this generation passed every serving check (``deep``: and the database's checksum)
    with its files exactly as they are now."""
    entry = _read_verified(generation.parent).get(generation.name)
    stamps = _file_stamps(generation, manifest["files"])
    return (isinstance(entry, dict) and stamps is not None and entry.get("build_id") == manifest.get("build_id")
            and entry.get("files") == stamps and (entry.get("deep") is True or not deep))


def remember_verified(generation: Path, manifest: dict, deep: bool = False) -> None:
    """Record that the generation passed (``deep``: with its database's checksum; best effort: a
    read-only index folder checks every time)."""
    stamps = _file_stamps(generation, manifest["files"])
    if stamps is None:
        return
    remembered = {name: entry for name, entry in _read_verified(generation.parent).items()
                  if name != generation.name and (generation.parent / name).is_dir()}
    kept = dict(sorted(remembered.items())[-(VERIFIED_KEPT - 1):]) if VERIFIED_KEPT > 1 else {}
    kept[generation.name] = {"build_id": manifest.get("build_id"), "files": stamps, "deep": deep}
    _write_verified(generation.parent, kept)


def _write_verified(index_dir: Path, remembered: dict) -> None:
    path = index_dir / VERIFIED_NAME
    tmp = path.with_name(f"{VERIFIED_NAME}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(remembered), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def verification_kept(index_dir: Path) -> Iterator[None]:
    """Carry what ``.verified.json`` remembers across the block's own links and unlinks of index
    files: an overlaid generation's base files are hard links shared with the generations before
    it, and linking or removing a name changes the file's change time, which would make the next
    load check 6 GB again at 1M passages. A file whose record matched before the block and whose
    inode, size and modification time are the same after it gets its new change time recorded;
    anything else is left to be checked in full, as before. Call it holding the build lock."""
    remembered = _read_verified(index_dir)
    valid: dict[tuple[str, str], list[int]] = {}
    for generation, entry in remembered.items():
        files = entry.get("files") if isinstance(entry, dict) else None
        for name, recorded in (files or {}).items():
            if _stamp(index_dir / generation / name) == recorded:
                valid[(generation, name)] = recorded
    yield
    changed = False
    for (generation, name), recorded in valid.items():
        now = _stamp(index_dir / generation / name)
        if now is not None and now != recorded and now[:3] == recorded[:3]:
            remembered[generation]["files"][name] = now
            changed = True
    if changed:
        _write_verified(index_dir, {name: entry for name, entry in remembered.items()
                                    if (index_dir / name).is_dir()})


# An overlaid generation (overlay.py): its base's files (hard links), the overlay's in a folder, and
# the live statistics. Its manifest says so with a "base" entry; its arrays come back in one dict,
# the overlay's and the live statistics' under these prefixes, its vocabulary the base's and then the
# overlay's new terms.
OVERLAY_DIR = "overlay"  # the overlay's own generation, inside the overlaid one
OVERLAY_PREFIX = "overlay/"
LIVE_PREFIX = "live/"
LIVE_NAME = "live.npz"
EXTRA_VOCAB_NAME = "vocab_extra.json"  # terms the overlay has and the base does not, in id order
RESCORING_ARRAYS = ("post_tf", "passage_len")  # the base's, to rescore its answers exactly


def arrays_under(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The overlay's (``OVERLAY_PREFIX``) or the live statistics' (``LIVE_PREFIX``) arrays of a loaded
    overlaid generation, by their own names."""
    return {name.removeprefix(prefix): value for name, value in arrays.items() if name.startswith(prefix)}


def is_overlaid(manifest: dict) -> bool:
    return isinstance(manifest.get("base"), dict) and isinstance(manifest.get("overlay"), dict)


def overlay_files() -> tuple[str, ...]:
    """The files of an overlaid generation beyond its base's (manifest names)."""
    return (LIVE_NAME, EXTRA_VOCAB_NAME, *(f"{OVERLAY_DIR}/{name}" for name in
                                          (store.DB_NAME, store.TERMS_NAME, store.VOCAB_NAME)))


def verified_load(generation: Path, *, arrays: Iterable[str] | None = None, deep: bool = False,
                  integrity: bool = False, remember: bool = False) -> tuple[dict[str, np.ndarray], list[str], dict]:
    """The generation's arrays (``arrays``, default all, and the optional ones) and vocabulary, after
    every check; its manifest too. The whole terms file is checksummed whatever is loaded. ``deep``
    also checksums the database (a build does, before copying it forward), ``integrity`` runs
    SQLite's integrity check (``reportqa check``). ``remember`` (serving): skip the checks when the
    files are as they were when they last passed, and remember them when they pass now. Raises
    ``IndexDamaged`` naming each problem."""
    wanted = ALL_ARRAYS if arrays is None else tuple(arrays)
    try:
        manifest = read_manifest(generation)
    except IndexDamaged as exc:
        raise damaged(generation, [str(exc)]) from exc
    overlaid = is_overlaid(manifest)
    known_good = remember and not integrity and verified_before(generation, manifest, deep)
    checksummed = (store.TERMS_NAME, store.VOCAB_NAME, WORDS_NAME) + ((store.DB_NAME,) if deep else ())
    if overlaid:
        checksummed += tuple(name for name in overlay_files() if deep or not name.endswith(store.DB_NAME))
    problems = [] if known_good else check_files(generation, manifest, checksummed)
    if problems:
        raise damaged(generation, problems)
    base_wanted = tuple(dict.fromkeys((*wanted, *RESCORING_ARRAYS))) if overlaid else wanted
    try:
        vocab = json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))
        loaded = load_arrays(generation / store.TERMS_NAME, (*base_wanted, *OPTIONAL_ARRAYS))
        if overlaid:
            overlay = generation / OVERLAY_DIR
            overlay_vocab = json.loads((overlay / store.VOCAB_NAME).read_text(encoding="utf-8"))
            extra = json.loads((generation / EXTRA_VOCAB_NAME).read_text(encoding="utf-8"))
            overlay_arrays = load_arrays(overlay / store.TERMS_NAME, (*wanted, *OPTIONAL_ARRAYS))
            live = load_arrays(generation / LIVE_NAME, LIVE_ARRAYS)
    except Exception as exc:  # a damaged zip raises assorted errors from inside numpy and zipfile
        raise damaged(generation, [f"cannot be read: {type(exc).__name__}: {exc}"[:300]]) from exc
    if not known_good:
        if overlaid:
            problems = _content_problems(generation / store.DB_NAME, base_part(manifest), loaded, vocab, base_wanted,
                                         integrity)
            problems += _overlay_problems(generation, manifest, overlay_arrays, overlay_vocab, live, loaded, vocab,
                                          extra, wanted, integrity)
        else:
            problems = _content_problems(generation / store.DB_NAME, manifest, loaded, vocab, wanted, integrity)
        if problems:
            raise damaged(generation, problems)
        if remember:
            remember_verified(generation, manifest, deep)
    if overlaid:
        loaded.update({OVERLAY_PREFIX + name: value for name, value in overlay_arrays.items()})
        loaded.update({LIVE_PREFIX + name: value for name, value in live.items()})
        vocab = vocab + extra
    return loaded, vocab, manifest


def base_part(manifest: dict) -> dict:
    """An overlaid generation's manifest as its base's (build id and shape)."""
    return {"build_id": manifest["base"].get("build_id"), "shape": manifest["shape"]}


def overlay_part(manifest: dict) -> dict:
    """An overlaid generation's manifest as its overlay's."""
    return {"build_id": manifest["overlay"].get("build_id"), "shape": manifest["overlay"].get("shape", {})}


def _content_problems(db_path: Path, manifest: dict, arrays: dict[str, np.ndarray], vocab: object,
                      wanted: Iterable[str], integrity: bool) -> list[str]:
    """The invariants of the arrays and vocabulary, then the database against them."""
    problems = check_arrays(arrays, vocab, manifest["shape"], wanted)
    return problems or check_database(db_path, manifest, arrays, integrity)


def _overlay_problems(generation: Path, manifest: dict, overlay_arrays: dict[str, np.ndarray], overlay_vocab: object,
                      live: dict[str, np.ndarray], base_arrays: dict[str, np.ndarray], base_vocab: list[str],
                      extra: object, wanted: Iterable[str], integrity: bool) -> list[str]:
    """The overlay's arrays and database, then the live statistics against base and overlay."""
    problems = [f"overlay: {p}" for p in _content_problems(generation / OVERLAY_DIR / store.DB_NAME,
                                                           overlay_part(manifest), overlay_arrays, overlay_vocab,
                                                           wanted, integrity)]
    return problems or live_problems(live, base_arrays, base_vocab, extra, overlay_arrays, overlay_vocab)


def live_problems(live: dict[str, np.ndarray], base: dict[str, np.ndarray], base_vocab: list[str], extra: object,
                  overlay: dict[str, np.ndarray], overlay_vocab: object) -> list[str]:
    """The live statistics' invariants: one flag per base passage, counts within the base's, the
    overlay's terms mapped onto the same words of the whole vocabulary, counts that add up."""
    if not isinstance(extra, list) or not all(isinstance(t, str) for t in extra) or not isinstance(overlay_vocab, list):
        return ["vocab_extra.json is not a list of terms"]
    if missing := [name for name in LIVE_ARRAYS if name not in live]:
        return [f"live.npz lacks {', '.join(missing)}"]
    n_base_terms, n_base = len(base["post_indptr"]) - 1, len(base["passage_ids"])
    n_terms = n_base_terms + len(extra)
    shapes = {"alive": (n_base,), "base_df": (n_base_terms,), "overlay_terms": (len(overlay_vocab),),
              "df": (n_terms,)}
    bad = [name for name, shape in shapes.items() if live[name].shape != shape]
    if bad:
        return [f"live.npz: {', '.join(bad)} of the wrong shape"]
    terms, base_df, df = live["overlay_terms"], live["base_df"], live["df"]
    if len(terms) and (terms.min() < 0 or terms.max() >= n_terms or len(np.unique(terms)) != len(terms)):
        return ["live.npz: the overlay's terms are not distinct terms of the index"]
    whole = base_vocab + extra
    if len(set(whole)) != len(whole) or any(whole[int(t)] != word for t, word in zip(terms, overlay_vocab,
                                                                                         strict=True)):
        return ["live.npz: the overlay's terms are not the words its vocabulary names"]
    if base_df.min(initial=0) < 0 or np.any(base_df > np.diff(base["post_indptr"])):
        return ["live.npz: base_df is not within the base's counts"]
    expected = np.zeros(n_terms, dtype=np.int64)
    expected[:n_base_terms] = base_df
    np.add.at(expected, terms, np.diff(overlay["post_indptr"]))
    if not np.array_equal(expected, df):
        return ["live.npz: df is not the base's live counts and the overlay's"]
    n_live = int(live["n_live"])
    if n_live != int(live["alive"].sum()) + len(overlay["passage_ids"]):
        return ["live.npz: n_live is not the live passages"]
    values = np.array([float(live[name]) for name in ("base_length", "base_avgdl", "avgdl")])
    if not np.isfinite(values).all() or values.min() < 0:
        return ["live.npz holds a value that is not a finite number of at least 0"]
    base_ids, overlay_ids = base["passage_ids"], overlay["passage_ids"]
    if len(base_ids) and len(overlay_ids) and overlay_ids[0] <= base_ids[-1]:
        return ["live.npz: the overlay's passage ids are not past the base's"]
    return []


def check_written(generation: Path, arrays: dict[str, np.ndarray], vocab: list[str]) -> None:
    """A build's own check of the generation it has just written (manifest included), on the arrays
    it wrote, still in memory: a generation that fails is never published. It is then remembered as
    checked, so neither the first question nor the next build reads it all again. Raises
    ``IndexDamaged``."""
    manifest = read_manifest(generation)
    problems = _content_problems(generation / store.DB_NAME, manifest, arrays, vocab, ALL_ARRAYS, integrity=False)
    if problems:
        raise IndexDamaged(f"the build wrote an index that fails its own checks ({'; '.join(problems[:3])}): "
                           "this is a bug, please report it; the served index is unchanged")
    remember_verified(generation, manifest, deep=True)


def check_written_overlaid(generation: Path, overlay_arrays: dict[str, np.ndarray], overlay_vocab: list[str],
                           live: dict[str, np.ndarray], extra: list[str]) -> None:
    """``check_written`` for an overlaid generation: the overlay and the live statistics it wrote
    (its base is files of the served generation, checked before this build used them)."""
    manifest = read_manifest(generation)
    base = load_arrays(generation / store.TERMS_NAME, ("post_indptr", "passage_ids"))
    base_vocab = json.loads((generation / store.VOCAB_NAME).read_text(encoding="utf-8"))
    problems = _overlay_problems(generation, manifest, overlay_arrays, overlay_vocab, live, base, base_vocab, extra,
                                 ALL_ARRAYS, integrity=False)
    if problems:
        raise IndexDamaged(f"the build wrote an index that fails its own checks ({'; '.join(problems[:3])}): "
                           "this is a bug, please report it; the served index is unchanged")
    remember_verified(generation, manifest, deep=True)


def damaged(generation: Path, problems: list[str]) -> IndexDamaged:
    shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
    return IndexDamaged(f"the index {generation.name} is damaged: {shown}. "
                        "Run `reportqa index REPORTS_DIR` to rebuild it from the report files")
