"""Query-string checks shared by the API modules."""

# No `from __future__ import annotations`: kept like the handler modules that import it.
from typing import Annotated

from litestar import Request
from litestar.params import PathParameter, QueryParameter

from assetsvc.errors import ValidationFailed, field_error

# Every number a client sends in a path or a page is bounded here, once: the database's integer
# columns are 32-bit, and a page beyond this would only ever be empty. Out of bounds is a 400
# naming the parameter, and the schema states the bounds.
MAX_ID = 2**31 - 1
MAX_PAGE_NUMBER = 1_000_000
MAX_PER_PAGE = 500
Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
Page = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_NUMBER)]
PerPage = Annotated[int, QueryParameter(ge=1, le=MAX_PER_PAGE)]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


def choice(name: str, values: list[str], description: str = "") -> QueryParameter:
    """A query parameter whose allowed values the schema lists; the handler checks them itself
    (with its own message), so the enum only documents."""
    return QueryParameter(name=name, description=description or None, schema_extra={"enum": values})


def only(request: Request, *names: str) -> None:
    """Refuse query parameters the endpoint does not take: a misspelt one silently ignored would
    answer for everything (`?region=330106` on /uptime is the whole city; the scope is
    `scope=region&ref=330106`), or list every record."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        allowed = f"this endpoint takes {', '.join(names)}" if names else "this endpoint takes none"
        raise ValidationFailed(f"unknown query parameter(s) {', '.join(unknown)}; {allowed}",
                               [field_error(n, "unknown", "not a parameter here") for n in unknown])
