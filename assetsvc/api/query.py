"""Query-string checks shared by the API modules."""

# No `from __future__ import annotations`: kept like the handler modules that import it.
from litestar import Request

from assetsvc.errors import ValidationFailed, field_error


def only(request: Request, *names: str) -> None:
    """Refuse query parameters the endpoint does not take: a misspelt one silently ignored would
    answer for everything (`?region=330106` on /uptime is the whole city; the scope is
    `scope=region&ref=330106`), or list every record."""
    unknown = sorted(set(request.query_params) - set(names))
    if unknown:
        allowed = f"this endpoint takes {', '.join(names)}" if names else "this endpoint takes none"
        raise ValidationFailed(f"unknown query parameter(s) {', '.join(unknown)}; {allowed}",
                               [field_error(n, "unknown", "not a parameter here") for n in unknown])
