"""Fit the issuer's weights on labelled real reports, cross-validated (``config/issuer_weights.toml``).

    python -m benchmarks.issuer_fit [--eval-dir ../shared/eval] [--folds 5] [--repeats 4] [--write]
    python -m benchmarks.issuer_fit --show s020.txt      # one report's candidates and their features

Every labelled report (``real`` and ``real2``: ``../shared/eval/*_metadata.tsv``) is read as the
indexer reads it; its candidates (``ingest/issuer.weigh``) are labelled right when the shared scorer's
``same_unit`` accepts their name. The model is a conditional logit — each report is one choice among
its candidates and "unknown" (the right choice when no candidate is right or the unit cannot be
known) — with an L2 penalty pulling each weight towards a prior set by reasoning (``PRIORS``); its strength
is chosen by cross-validation over reports. Printed: the
held-out unit accuracy (folds by report, repeated), and each set scored by weights fitted on the
other alone (``real`` → ``real2`` and back: the figure that says whether the model generalises).
``--write`` stores the weights fitted on every report. Needs the ``fit`` extra (scipy).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.issuer_eval import SETS, Labelled, labelled_reports, shared_scorer
from reportqa.errors import UnreadableFile
from reportqa.ingest.issuer import weigh
from reportqa.ingest.issuer_scoring import NULL
from reportqa.ingest.pipeline import ParseOptions, issuer_evidence
from reportqa.settings import Settings

PENALTIES = (0.1, 0.3, 1.0, 3.0, 10.0)
PLACE_PRIORS = {
    "place_votes": 0.5, "place_share": 1.0, "place_top": 1.0, "place_below": 0.3, "place_own": 1.0,
    "place_numbered": 1.0, "place_named_by": 1.0, "place_depth": 0.3, "place_open": 1.0,
    "place_kind_named": 1.0, "place_kind_strong": 3.0,
}

# What each feature is worth before any report is read: the weights are pulled towards these (the
# penalty is on the distance from them), so evidence the labelled reports show rarely (a signature
# alone, a ministry, a zone's committee) keeps the weight a careful reader gives it instead of
# whatever a handful of reports happen to say. Set by reasoning, not fitted.
PRIORS = {
    "unknown": 2.0,
    "title": 3.0, "title place": 2.0, "unit line": 3.0, "signature": 3.0, "self-naming": 3.0,
    "publisher": 1.0, "file name": 2.0, "opening": 2.0, "subject": 1.0, "body": 0.5,
    "issued document": 1.0, "self-reference": 0.5, "domain": 0.5, "own name": 1.0,
    "other_party": -1.5, "early": 0.5, "self_match": 2.0, "self_other": -1.5, "domain_share": 1.5,
    "party_alone": -1.0, "unlisted_kind": -0.3, "masked": -2.0, "level_match": 0.5, "level_other": -0.5,
    "place_stated": 2.0, "place_conf": 2.0, "place_open": -0.5,
}


@dataclass
class Choice:
    """One report: its candidates' features (the last row is "unknown") and which rows are right; the
    candidates that place an unplaced name, by that name, with their places' features."""

    name: str
    rows: list[dict[str, float]]
    names: list[str]
    right: list[int]  # indices of right rows; the unknown row when none is
    determinable: bool
    groups: dict[int, list[int]]  # unplaced name → its candidates' rows
    places: dict[int, dict[str, float]]  # row → its place's features


def choices(reports: list[Labelled], scorer, options: ParseOptions) -> list[Choice]:
    out = []
    for report in reports:
        try:
            evidence = issuer_evidence(report.file, report.file.parent, options)
        except UnreadableFile:
            continue
        _, ranked, _ = weigh(evidence, options.config_dir)
        rows = [{k: v for k, v in c.features.items() if k != "place_conf"} for c in ranked] + [{NULL: 1.0}]
        names = [c.name for c in ranked] + [NULL]
        right = [i for i, c in enumerate(ranked) if report.unit and scorer.same_unit(c.name, report.unit)]
        groups: dict[int, list[int]] = {}
        places: dict[int, dict[str, float]] = {}
        for i, c in enumerate(ranked):
            if c.group is not None and c.place is not None:
                groups.setdefault(c.group, []).append(i)
                places[i] = c.place.features
        out.append(Choice(report.file.name, rows, names, right or [len(rows) - 1], report.unit is not None,
                          groups, places))
    return out


def place_matrices(data: list[Choice], features: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each unplaced name with a right place among its options: one choice of the place model."""
    index = {f: i for i, f in enumerate(features)}
    out = []
    for choice in data:
        for rows in choice.groups.values():
            target = np.array([r in choice.right for r in rows])
            if not target.any() or target.all():
                continue
            x = np.zeros((len(rows), len(features)))
            for k, r in enumerate(rows):
                for name, value in choice.places[r].items():
                    if name in index:
                        x[k, index[name]] = value
            out.append((x, target))
    return out


def with_confidence(data: list[Choice], place_features: list[str], v: np.ndarray) -> list[Choice]:
    """The choices with each placing candidate's ``place_conf`` under place weights ``v``."""
    index = {f: i for i, f in enumerate(place_features)}
    out = []
    for choice in data:
        rows = [dict(row) for row in choice.rows]
        for members in choice.groups.values():
            scores = np.array([sum(v[index[k]] * val for k, val in choice.places[r].items() if k in index)
                               for r in members])
            p = np.exp(scores - scores.max())
            p /= p.sum()
            for r, value in zip(members, p, strict=True):
                rows[r]["place_conf"] = float(value)
        out.append(Choice(choice.name, rows, choice.names, choice.right, choice.determinable, choice.groups,
                          choice.places))
    return out


def matrices(data: list[Choice], features: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    index = {f: i for i, f in enumerate(features)}
    out = []
    for choice in data:
        x = np.zeros((len(choice.rows), len(features)))
        for r, row in enumerate(choice.rows):
            for name, value in row.items():
                if name in index:
                    x[r, index[name]] = value
        target = np.zeros(len(choice.rows), dtype=bool)
        target[choice.right] = True
        out.append((x, target))
    return out


def fit(data: list[tuple[np.ndarray, np.ndarray]], prior: np.ndarray, penalty: float) -> np.ndarray:
    """Weights minimising the conditional logit's loss plus ``penalty``/2 · |w - prior|²."""
    from scipy.optimize import minimize

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total = 0.5 * penalty * float((w - prior) @ (w - prior))
        grad = penalty * (w - prior)
        for x, target in data:
            s = x @ w
            top = s.max()
            p_all = np.exp(s - top)
            z_all = p_all.sum()
            p_right = p_all * target
            z_right = p_right.sum()
            total += math.log(z_all) - math.log(z_right)
            grad += x.T @ (p_all / z_all) - x.T @ (p_right / z_right)
        return total, grad

    result = minimize(loss, prior.copy(), jac=True, method="L-BFGS-B")
    return result.x


def accuracy(data: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray,
             which: list[Choice]) -> tuple[int, int, int, int]:
    """(right units, determinable reports, unknown kept, undeterminable reports)."""
    units = ok_units = kept = none = 0
    for (x, target), choice in zip(data, which, strict=True):
        s = x @ w
        best = int(np.argmax(s))  # ties: the first (candidates come ranked by the current weights)
        if choice.determinable:
            units += 1
            ok_units += bool(target[best]) and best != len(s) - 1
        else:
            none += 1
            kept += best == len(s) - 1
    return ok_units, units, kept, none


def prior_of(features: list[str], priors: dict[str, float] | None = None) -> np.ndarray:
    return np.array([(PRIORS if priors is None else priors).get(f, 0.0) for f in features])


PLACE_FEATURES = sorted(PLACE_PRIORS)


@dataclass
class Model:
    place: np.ndarray
    unit: np.ndarray


def fit_model(train: list[Choice], features: list[str], penalty: float) -> Model:
    """The place weights first (on the unplaced names whose right place is among their options), then
    the unit weights on candidates carrying the place confidence those weights give."""
    v = fit(place_matrices(train, PLACE_FEATURES), prior_of(PLACE_FEATURES, PLACE_PRIORS), penalty)
    w = fit(matrices(with_confidence(train, PLACE_FEATURES, v), features), prior_of(features), penalty)
    return Model(v, w)


def evaluate(model: Model, data: list[Choice], features: list[str]) -> tuple[int, int, int, int]:
    scored = with_confidence(data, PLACE_FEATURES, model.place)
    return accuracy(matrices(scored, features), model.unit, scored)


def cross_validate(data: list[Choice], features: list[str], penalty: float, folds: int, repeats: int,
                   missed: list[str] | None = None) -> tuple[int, ...]:
    totals = np.zeros(4, dtype=int)
    for repeat in range(repeats):
        order = np.random.default_rng(repeat).permutation(len(data))
        for fold in range(folds):
            held = set(order[fold::folds].tolist())
            train = [c for i, c in enumerate(data) if i not in held]
            test = [c for i, c in enumerate(data) if i in held]
            model = fit_model(train, features, penalty)
            totals += evaluate(model, test, features)
            if missed is not None and repeat == 0:
                missed += wrong_choices(model, test, features)
    return tuple(int(t) for t in totals)


def wrong_choices(model: Model, data: list[Choice], features: list[str]) -> list[str]:
    scored = with_confidence(data, PLACE_FEATURES, model.place)
    out = []
    for choice, (x, target) in zip(scored, matrices(scored, features), strict=True):
        best = int(np.argmax(x @ model.unit))
        if not target[best] or (choice.determinable and best == len(target) - 1):
            out.append(f"{choice.name}: chose {choice.names[best]}; right {[choice.names[j] for j in choice.right]}")
    return out


def _figure(counts: tuple[int, ...]) -> str:
    ok, n, kept, none = counts
    return f"unit {ok / max(n, 1):.3f} ({ok}/{n}), unknown kept {kept}/{none}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=Path("../shared/eval"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="store the weights fitted on every report")
    parser.add_argument("--show", help="print one report's candidates (a file name of a labelled set)")
    parser.add_argument("--errors", action="store_true", help="list the reports the weights fitted on all get wrong")
    args = parser.parse_args()
    scorer = shared_scorer(args.eval_dir)
    settings = Settings()
    options = ParseOptions(settings.config_dir)
    by_set = {name: choices(labelled_reports(args.eval_dir, name), scorer, options) for name in sorted(SETS)}
    every = [c for data in by_set.values() for c in data]
    if args.show:
        for choice in every:
            if choice.name == args.show:
                for i, (name, row) in enumerate(zip(choice.names, choice.rows, strict=True)):
                    mark = "*" if i in choice.right else " "
                    print(f"{mark} {name}  " + " ".join(f"{k}={v:.2f}" for k, v in sorted(row.items())))
        return 0
    features = sorted({f for c in every for row in c.rows for f in row} | set(PRIORS))
    print(f"{len(every)} reports, {sum(len(c.rows) for c in every)} candidates, {len(features)} features")
    best = None
    missed: dict[float, list[str]] = {}
    for penalty in PENALTIES:
        missed[penalty] = []
        counts = cross_validate(every, features, penalty, args.folds, args.repeats, missed[penalty])
        print(f"penalty {penalty:<5} held-out ({args.folds} folds x {args.repeats}): {_figure(counts)}")
        score = counts[0] + counts[2]
        if best is None or score > best[0]:
            best = (score, penalty, counts)
    assert best is not None
    _, penalty, counts = best
    for train, test in (("real", "real2"), ("real2", "real")):
        model = fit_model(by_set[train], features, penalty)
        print(f"fitted on {train} alone, scored on {test}: {_figure(evaluate(model, by_set[test], features))}")
    priors = Model(prior_of(PLACE_FEATURES, PLACE_PRIORS), prior_of(features))
    print(f"the priors alone: {_figure(evaluate(priors, every, features))}")
    model = fit_model(every, features, penalty)
    print(f"fitted on all, scored on all (not held out): {_figure(evaluate(model, every, features))}")
    reachable = sum(1 for c in every if c.determinable and c.right[0] != len(c.rows) - 1)
    print(f"a right candidate exists for {reachable}/{sum(c.determinable for c in every)} determinable reports")
    if args.errors:
        print("held out, wrong:")
        print("\n".join(f"  {line}" for line in missed[penalty]))
        print("fitted on all, wrong:")
        print("\n".join(f"  {line}" for line in wrong_choices(model, every, features)))
    for table, names, values, prior in (("place", PLACE_FEATURES, model.place, PLACE_PRIORS),
                                        ("unit", features, model.unit, PRIORS)):
        print(f"[{table}]")
        for name, value in sorted(zip(names, values, strict=True), key=lambda p: -abs(p[1])):
            print(f"  {name:<18} {value:+.3f}   (prior {prior.get(name, 0.0):+.1f})")
    if args.write:
        lines = [
            "# Weights of the issuer's scorer (src/reportqa/ingest/issuer_scoring.py), written by",
            "# `python -m benchmarks.issuer_fit --write`: conditional logits — [place] over the divisions an",
            "# unplaced name may be in, [unit] over each report's candidates and \"unknown\" — fitted on",
            f"# {len(every)} labelled real reports ({', '.join(sorted(SETS))}), each weight pulled towards its prior",
            f"# (benchmarks/issuer_fit.py) with penalty {penalty}, chosen by cross-validation. Held-out",
            f"# ({args.folds} folds x {args.repeats}): {_figure(counts)}. Fitted {dt.date.today().isoformat()}.",
            "# A feature missing here weighs nothing.",
        ]
        for table, names, values in (("place", PLACE_FEATURES, model.place), ("unit", features, model.unit)):
            lines.append(f"[{table}]")
            lines += [f'"{name}" = {value:.4f}' for name, value in zip(names, values, strict=True)
                      if abs(value) >= 1e-4]
        path = settings.config_dir / "issuer_weights.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
