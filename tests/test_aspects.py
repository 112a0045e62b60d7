"""Similar papers by aspect: sentences assigned to method / task / results, and rankings that differ by aspect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from paperkg.api.app import create_app
from paperkg.cli import main
from paperkg.core.errors import InvalidInput
from paperkg.core.settings import Settings, bundled_seeds
from paperkg.embeddings.aspects import Cues, aspect_entities, aspect_text, check_aspect, sentence_aspects
from paperkg.kb import KnowledgeBase

ABSTRACT = ("Serving large language models is costly because the KV cache grows with the context. "
            "We propose TinyKV, which compresses the cache based on low-rank projections of the keys. "
            "TinyKV outperforms H2O by 2.1x in throughput on an A100 while matching its accuracy.")


@pytest.fixture(scope="module")
def cues() -> Cues:
    return Cues.load(bundled_seeds() / "vocab" / "sentence_roles.json")


def test_sentences_get_the_aspect_their_cues_and_place_say(cues: Cues) -> None:
    assert [aspect for _, aspect in sentence_aspects(ABSTRACT, cues)] == ["task", "method", "results"]
    spans = sentence_aspects(ABSTRACT, cues)
    assert aspect_text("TinyKV", ABSTRACT, "method", spans).startswith("TinyKV. We propose TinyKV")
    assert aspect_text("TinyKV", ABSTRACT, "results", spans).startswith("TinyKV outperforms H2O")


def test_an_extracted_relation_votes_for_its_sentence(cues: Cues) -> None:
    text = "A dataset called Foo is used. The model was trained for a while. Nothing else is said here."
    plain = [aspect for _, aspect in sentence_aspects(text, cues)]
    voted = [aspect for _, aspect in sentence_aspects(text, cues, [("outperforms", text.index("The model"))])]
    assert plain[1] != "results" and voted[1] == "results"


def test_aspect_entities_come_from_its_sentences_and_relation_types(cues: Cues) -> None:
    spans = sentence_aspects(ABSTRACT, cues)
    mentions = [("technique/kv-cache", ABSTRACT.index("KV cache"), 0),
                ("technique/low-rank", ABSTRACT.index("low-rank"), 0), ("software/h2o", ABSTRACT.index("H2O"), 0)]
    relations = [("runs-on", "hardware/a100"), ("uses", "technique/low-rank")]
    assert aspect_entities(mentions, relations, spans, "method") == {"technique/low-rank"}
    assert aspect_entities(mentions, relations, spans, "task") == {"technique/kv-cache"}
    assert aspect_entities(mentions, relations, spans, "results") == {"software/h2o", "hardware/a100"}


def test_unknown_aspect_is_refused() -> None:
    assert check_aspect("all") is None and check_aspect(None) is None and check_aspect("task") == "task"
    with pytest.raises(InvalidInput):
        check_aspect("style")


@pytest.fixture(scope="module")
def seeded(seeded_settings: Settings) -> Iterator[KnowledgeBase]:
    with KnowledgeBase.open(seeded_settings, read_only=True) as kb:
        yield kb


def _profiles(kb: KnowledgeBase, pid: str) -> dict[str, dict[str, float]]:
    return kb.queries._aspect_info([pid])[pid][1]


def test_aspects_rank_differently_and_by_what_they_share(seeded: KnowledgeBase) -> None:
    """Over the seed papers: a method neighbour shares the paper's method entities more often than a task
    neighbour does, and the other way round; and the aspects do not all give the same list."""
    pids = seeded.indexes.dense.paper_ids()[:40] if seeded.indexes.dense else []
    shares = {("method", "method"): 0, ("task", "method"): 0, ("task", "task"): 0, ("method", "task"): 0}
    differ = 0
    for pid in pids:
        lists = {a: [r.id for r in seeded.similar(pid, 3, a)] for a in ("all", "method", "task", "results")}
        differ += len({tuple(v) for v in lists.values()}) > 1
        mine = _profiles(seeded, pid)
        for asked, compared in shares:
            top = lists[asked][0]
            shares[(asked, compared)] += bool(set(mine[compared]) & set(_profiles(seeded, top)[compared]))
    assert differ >= 0.75 * len(pids)
    assert shares[("method", "method")] > shares[("task", "method")]
    assert shares[("task", "task")] > shares[("method", "task")]


def test_aspect_over_http_and_the_command_line(seeded_settings: Settings, seeded: KnowledgeBase) -> None:
    pid = seeded.indexes.dense.paper_ids()[0] if seeded.indexes.dense else ""
    with TestClient(create_app(seeded.settings, seeded)) as client:
        method = client.get(f"/papers/{pid}/similar", params={"k": 5, "aspect": "method"})
        assert method.status_code == 200 and len(method.json()["results"]) == 5
        assert client.get(f"/papers/{pid}/similar", params={"aspect": "style"}).status_code == 422
        spec = client.get("/openapi.json").json()["paths"]["/papers/{paper_id}/similar"]["get"]["parameters"]
        assert {"all", "method", "task", "results"} <= set(next(p for p in spec if p["name"] == "aspect")
                                                            ["schema"]["enum"])
    result = CliRunner().invoke(main, ["similar", pid, "--aspect", "task", "-k", "3", "--json", "--data",
                                       str(seeded_settings.data)], env={"PAPERKG_MODEL": "hashing"})
    assert result.exit_code == 0, result.output
    assert '"results"' in result.output


def test_aspect_lists_are_the_same_in_every_process(seeded_settings: Settings, seeded: KnowledgeBase) -> None:
    """Candidates were cut from a set whose order follows the process's hash seed: the CLI, a server and its replicas
    gave other lists for the same data."""
    pids = seeded.indexes.dense.paper_ids()[:6] if seeded.indexes.dense else []
    script = ("import json, sys\nfrom paperkg.core.settings import Settings\nfrom paperkg.kb import KnowledgeBase\n"
              "with KnowledgeBase.open(Settings(data=sys.argv[1], model='hashing'), read_only=True) as kb:\n"
              "    print(json.dumps([[(r.id, round(r.score, 6)) for r in kb.similar(p, 5, a)] for p in sys.argv[2:]"
              " for a in ('method', 'task', 'results')]))\n")
    runs = [subprocess.run([sys.executable, "-c", script, str(seeded_settings.data), *pids], capture_output=True,
                           text=True, env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1] and len(json.loads(runs[0])) == 3 * len(pids)
