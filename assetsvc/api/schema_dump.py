"""Write the API's OpenAPI schema to a file without starting a server or opening the database:
`python -m assetsvc.api.schema_dump out.json` (admin-ui's build generates its client types from it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def schema() -> dict:
    """The schema exactly as GET /api/v1/schema/openapi.json serves it."""
    from litestar._openapi.plugin import OpenAPIPlugin

    from assetsvc.api.app import create_app

    app = create_app(manage_db=False)
    return app.plugins.get(OpenAPIPlugin)._openapi_schema  # noqa: SLF001 - set by openapi.finish()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m assetsvc.api.schema_dump OUT.json", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(json.dumps(schema(), ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
