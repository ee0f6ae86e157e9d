"""The web UI (admin-ui/, built to ASSETSVC_UI_DIR) under /ui: its files, index.html for deep
links (the app routes in the browser), `/` sends browsers there, and a strict CSP.

The files are public (the app asks for a login itself; the API behind it checks every call).
Hashed build assets are cached for a year; index.html never, so a new build is seen at once.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.params import FromPath
from litestar.response import File, Redirect

from assetsvc.runtime import settings

# Scripts, styles, fonts, pictures and API calls from this origin only; no inline script, no
# frames, no plugins. `data:`/`blob:` pictures: Element Plus' icons and a photo's preview before upload.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; media-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"content-security-policy": CSP, "referrer-policy": "same-origin", "x-frame-options": "DENY"}
ASSET_CACHE = "public, max-age=31536000, immutable"  # Vite names every asset by its content hash


def _not_built(folder: Path) -> Response[str]:
    text = (f"The web UI is not built: {folder / 'index.html'} is missing. Run scripts/demo (it builds "
            f"admin-ui/ with npm), or `cd admin-ui && npm ci && npm run build` (docs/ui.md).")
    return Response(text, status_code=503, media_type="text/plain; charset=utf-8", headers=HEADERS)


def _file(path: Path, cache: str) -> File:
    # filename= gives the media type (from the suffix); without it litestar sends octet-stream.
    return File(path, filename=path.name, content_disposition_type="inline",
                headers={**HEADERS, "cache-control": cache})


@get(["/ui", "/ui/{path:path}"], include_in_schema=False, sync_to_thread=False)
def ui_file(path: FromPath[str] = "") -> Response | File:
    """A file of the build, or index.html for any path the app routes itself."""
    folder = settings().ui_dir.resolve()
    index = folder / "index.html"
    if not index.is_file():
        return _not_built(folder)
    wanted = (folder / path.lstrip("/")).resolve()
    if path.strip("/") and wanted.is_relative_to(folder) and wanted.is_file():
        cache = ASSET_CACHE if wanted.parent.name == "assets" else "no-cache"
        return _file(wanted, cache)
    if path.lstrip("/").startswith("assets/"):  # a missing hashed file is a 404, not the app
        return Response("no such file", status_code=404, media_type="text/plain", headers=HEADERS)
    return _file(index, "no-cache")


@get("/", include_in_schema=False, sync_to_thread=False)
def to_ui() -> Redirect:
    """The product's front door is the web UI."""
    return Redirect("/ui/", status_code=302)


HANDLERS = [ui_file, to_ui]
