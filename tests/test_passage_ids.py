"""The dense index's id map in arrays: ranges per paper, owners per vector id, and its JSON form checked on load."""

from __future__ import annotations

import numpy as np
import pytest

from paperkg.core.errors import CorruptData
from paperkg.embeddings.passage_ids import PassageIds


def test_ranges_owners_and_reused_rows() -> None:
    ids = PassageIds()
    ids.add("a", 0, 3, 1.5)
    ids.add("b", 3, 2, 2.0)
    assert ids.ids("a").tolist() == [0, 1, 2] and ids.live == 5
    assert ids.owners([4, 1, 7, -1]) == [("b", 1), ("a", 1), None, None]
    assert ids.remove("a").tolist() == [0, 1, 2]
    ids.add("c", 5, 1, 3.0)  # takes a's row
    assert ids.owners([0, 5]) == [None, ("c", 0)] and ids.live == 3
    assert ids.is_live(np.array([0, 3, 5, 99])).tolist() == [False, True, True, False]
    assert ids.live_ids().tolist() == [3, 4, 5] and sorted(ids.papers()) == ["b", "c"]
    assert ids.sum_norms(["c", "b"]).tolist() == [3.0, 2.0]
    many, counts = ids.ids_many(["c", "b"])
    assert many.tolist() == [5, 3, 4] and counts.tolist() == [1, 2]
    again = PassageIds.from_json(*ids.to_json())
    assert again.owners([3, 4, 5]) == ids.owners([3, 4, 5]) and again.live == 3


@pytest.mark.parametrize("papers", [{"a": [0, 2]}, {"a": [0, 1], "b": [1, 2]}, {"a": []}, {"a": [-1, 0]}])
def test_inconsistent_maps_are_corrupt(papers: dict[str, list[int]]) -> None:
    with pytest.raises(CorruptData):
        PassageIds.from_json(papers, dict.fromkeys(papers, 1.0))
