"""How many clusters (core.clustering.k_choice): the range of k, the sweep's ks, a suggestion that says when it is an edge."""
import numpy as np

from core.session import background, view_link
from core.clustering.k_choice import K_RANGE, k_max, pick, quick_suggestion, sweep_ks


def test_k_goes_to_200_and_at_most_a_fifth_of_the_texts_and_the_link_reads_the_same_range():
    assert (K_RANGE.start, K_RANGE.stop - 1) == (2, 200)
    assert k_max(3080) == 200 and k_max(400) == 80 and k_max(20) == 4 and k_max(6) == 3 and k_max(None) == 200
    assert background.K_RANGE is K_RANGE
    assert view_link.parse({"k": "150"})[0] == {"k": 150}
    assert view_link.parse({"k": "201"})[0] == {} and "2 to 200" in view_link.parse({"k": "201"})[1][0]


def test_the_sweep_covers_every_k_to_20_then_on_request_a_ladder_to_the_top_and_always_the_current_k():
    assert sweep_ks(200) == list(range(2, 21))
    assert sweep_ks(12) == list(range(2, 13))  # a small corpus: its whole range
    assert sweep_ks(200, current=77) == [*range(2, 21), 77]
    further = sweep_ks(200, extended=True)
    assert further[-1] == 200 and {25, 50, 100, 150} <= set(further)
    assert sweep_ks(64, extended=True)[-1] == 60


def test_a_suggestion_says_when_it_is_an_edge_of_the_range_it_tried():
    inside = pick([2, 3, 4, 5, 6], [0.1, 0.2, 0.4, 0.3, 0.2], what="silhouette", high=6)
    assert inside.k == 4 and "edge" not in inside.reason and "lowest" not in inside.reason
    low = pick([2, 3, 4, 5, 6], [0.5, 0.2, 0.4, 0.3, 0.2], what="silhouette", high=6)
    assert low.k == 2 and "lowest k tried" in low.reason and "(k = 4, 0.400)" in low.reason
    top = pick([2, 3, 4], [0.1, 0.2, 0.3], what="silhouette", high=200)
    assert top.k == 4 and "k above 4 (up to 200) was not tried" in top.reason
    end = pick([2, 3, 4], [0.1, 0.2, 0.3], what="silhouette", high=4)
    assert end.k == 4 and "top of the range" in end.reason
    assert pick([2, 3], [None, float("nan")], what="silhouette") is None


def test_the_quick_suggestion_finds_five_separated_groups_and_says_how():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 384)) * 3
    X = (centres[np.repeat(np.arange(5), 60)] + rng.normal(size=(300, 384)) * 0.3).astype(np.float32)
    suggestion = quick_suggestion(X, seed=0, top=k_max(300))
    assert suggestion.k == 5 and suggestion.ks == tuple(range(2, 31))
    assert suggestion.reason.startswith("K-Means on the raw embeddings (all 300 texts, cosine)")
