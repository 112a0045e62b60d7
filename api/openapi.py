"""Print the OpenAPI document (committed as api/openapi.json; a test fails when the two drift)."""

from __future__ import annotations

import json
from typing import Any

from paperkg.api.app import create_app
from paperkg.core.settings import Settings


def document() -> dict[str, Any]:
    return create_app(Settings()).openapi()


def render() -> str:
    return json.dumps(document(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
