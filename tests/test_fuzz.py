"""A bounded schemathesis run over the OpenAPI document, in-process: no request may produce a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from paperkg.api.app import create_app
from paperkg.core.settings import Settings
from paperkg.kb import KnowledgeBase
from paperkg.sources import read_papers
from tests.conftest import SEED_FILE


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    settings = Settings(data=Path(tmp_path_factory.mktemp("fuzz")) / "data", model="hashing", sparql_timeout=3.0)
    with KnowledgeBase.open(settings) as kb:
        kb.add_papers(read_papers(SEED_FILE)[:15])
        yield schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, kb))


@pytest.mark.slow
def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    """Every operation, 40 generated requests each (schema-valid and not): no 5xx."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        check()
    assert not failures, failures[:5]
