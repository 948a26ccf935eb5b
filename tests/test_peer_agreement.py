"""benchmarks/peers.py's top-10 agreement: equal up to float32 rounding and ties at the cut, and
nothing looser."""

from __future__ import annotations

from benchmarks.peers import same_ranking

THEIRS = [(10, 14.67291), (11, 14.63858), (12, 14.60383), (13, 14.4269), (14, 14.42023), (15, 14.41734)]


def test_a_passage_a_hair_either_side_of_the_cut_agrees() -> None:
    ours = [*THEIRS[:4], (14, 14.420224), THEIRS[5]]  # summed in another order: just under the cut there
    assert same_ranking(ours, THEIRS)
    assert same_ranking(THEIRS, ours)


def test_ties_with_the_last_may_be_either_passage() -> None:
    assert same_ranking([*THEIRS[:5], (99, 14.41734)], THEIRS)


def test_another_passage_or_score_disagrees() -> None:
    assert not same_ranking([(98, 14.67291), *THEIRS[1:]], THEIRS)
    assert not same_ranking([(10, 14.9), *THEIRS[1:]], THEIRS)
    assert not same_ranking(THEIRS[:5], THEIRS)
    assert same_ranking([], [])
