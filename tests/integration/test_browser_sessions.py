"""The web UI's browser sessions: the cookie, the same-origin rule for state changes, logout and
expiry on the server, temporary passwords, and serving the built UI under /ui with its CSP."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from assetsvc import runtime
from assetsvc.accounts import service
from assetsvc.accounts.tables import Token
from assetsvc.api.session import COOKIE
from tests.integration import world
from tests.integration.conftest import PASSWORD, bearer

OWN = "http://testserver"


@pytest.fixture
def setting(monkeypatch):
    """Set one ASSETSVC_ variable for this test (the process's settings are cached)."""
    def put(name: str, value: str) -> None:
        monkeypatch.setenv(f"ASSETSVC_{name}", value)
        runtime.settings.cache_clear()
    yield put
    monkeypatch.undo()
    runtime.settings.cache_clear()
LOGIN = {"username": "admin", "password": PASSWORD}


async def _browser_login(client, origin: str | None = OWN, body: dict = LOGIN) -> httpx.Response:
    headers = {"origin": origin} if origin else {}
    return await client.post("/api/v1/auth/session", json=body, headers=headers)


async def test_ui_login_sets_an_httponly_strict_cookie_and_no_token_in_the_body(client, people):
    response = await _browser_login(client)
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "admin", "role": "admin", "contractor": None,
                               "must_change_password": False,
                         "timezone": "Asia/Shanghai"}
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    assert "token" not in response.text
    assert (await client.get("/api/v1/auth/me")).json()["username"] == "admin"


async def test_ui_login_over_tls_marks_the_cookie_secure(app, people):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as tls:
        response = await _browser_login(tls, "https://testserver")
    assert response.status_code == 200, response.text
    assert "Secure" in response.headers["set-cookie"]


async def test_ui_login_from_another_site_is_refused(client, people):
    response = await _browser_login(client, "https://evil.example")
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "origin"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("origin", ["https://evil.example", "http://testserver.evil.example", None])
async def test_cookie_request_that_changes_state_from_elsewhere_is_refused(client, people, origin):
    await _browser_login(client)
    headers = {"origin": origin} if origin else {}
    response = await client.post("/api/v1/cameras", json=world.camera_body("45020400041326001213", people.a_id), headers=headers)
    assert response.status_code == 403
    body = response.json()
    assert "cross-site request refused" in body["detail"] and body["errors"][0]["kind"] == "cross_site"
    listed = await client.get("/api/v1/cameras")
    assert listed.status_code == 200 and listed.json()["total"] == 0  # nothing was written


async def test_cookie_request_from_our_own_pages_changes_state(client, people):
    await _browser_login(client)
    response = await client.post("/api/v1/cameras", json=world.camera_body("45020400041326001213", people.a_id), headers={"origin": OWN})
    assert response.status_code == 201, response.text


async def test_bearer_clients_need_no_origin(client, people):
    response = await client.post("/api/v1/cameras", json=world.camera_body("45020400041326001213", people.a_id), headers=bearer(people.admin))
    assert response.status_code == 201, response.text


async def test_logout_ends_the_cookie_session_on_the_server(app, client, people):
    await _browser_login(client)
    stolen = client.cookies[COOKIE]
    response = await client.post("/api/v1/auth/logout", headers={"origin": OWN})
    assert response.status_code == 204
    assert "Max-Age=0" in response.headers["set-cookie"]
    # The old cookie value, replayed, is refused: the session is gone from the database.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=OWN,
                                 cookies={COOKIE: stolen}) as thief:
        assert (await thief.get("/api/v1/auth/me")).status_code == 401


async def test_expired_cookie_session_is_refused(client, people):
    await _browser_login(client)
    assert (await client.get("/api/v1/auth/me")).status_code == 200
    await Token.update({Token.expires_at: dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)}) \
        .where(Token.kind == "browser").run()
    assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_session_lifetime_is_the_minutes_setting(client, people, setting):
    setting("SESSION_MINUTES", "3")
    before = dt.datetime.now(dt.timezone.utc)
    response = await _browser_login(client)
    assert "Max-Age=180" in response.headers["set-cookie"]
    row = await Token.select(Token.expires_at).where(Token.kind == "browser").first().run()
    assert dt.timedelta(minutes=2) < row["expires_at"] - before <= dt.timedelta(minutes=3, seconds=5)
    bearer_login = await client.post("/api/v1/auth/login", json=LOGIN)
    assert bearer_login.json()["expires_in"] == 180


async def test_temporary_password_must_be_changed_before_anything_else(client, people):
    await service.add_user("newbie", "temporary-pass-1", "auditor", temporary=True)
    login = await _browser_login(client, body={"username": "newbie", "password": "temporary-pass-1"})
    assert login.json()["must_change_password"] is True
    refused = await client.get("/api/v1/cameras")
    assert refused.status_code == 403 and refused.json()["errors"][0]["kind"] == "change_required"
    wrong = await client.post("/api/v1/auth/password", headers={"origin": OWN},
                              json={"current_password": "not-it-at-all", "new_password": "my-own-password"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "current_password"
    short = await client.post("/api/v1/auth/password", headers={"origin": OWN},
                              json={"current_password": "temporary-pass-1", "new_password": "short"})
    assert short.status_code == 400 and short.json()["errors"][0]["field"] == "new_password"
    changed = await client.post("/api/v1/auth/password", headers={"origin": OWN},
                                json={"current_password": "temporary-pass-1", "new_password": "my-own-password"})
    assert changed.status_code == 204, changed.text
    assert (await client.get("/api/v1/cameras")).status_code == 200  # the same session goes on
    assert (await client.get("/api/v1/auth/me")).json()["must_change_password"] is False


async def test_changing_ones_password_ends_the_other_sessions(client, people):
    other = await client.post("/api/v1/auth/login", json=LOGIN)
    await _browser_login(client)
    changed = await client.post("/api/v1/auth/password", headers={"origin": OWN},
                                json={"current_password": PASSWORD, "new_password": "a-brand-new-password"})
    assert changed.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=bearer(other.json()["token"]))).status_code == 401
    assert (await client.get("/api/v1/auth/me")).status_code == 200


async def test_office_reset_to_a_temporary_password_forces_a_change(client, people):
    await service.set_password("auditor", "reset-by-office", temporary=True)
    login = await client.post("/api/v1/auth/login", json={"username": "auditor", "password": "reset-by-office"})
    token = login.json()["token"]
    assert (await client.get("/api/v1/cameras", headers=bearer(token))).status_code == 403
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).json()["must_change_password"] is True


# --- the built UI under /ui -----------------------------------------------------------------------


@pytest.fixture
def built_ui(tmp_path, setting):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><div id=app></div><script type=module "
                                         "src=/ui/assets/index-abc.js></script>")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log('app')")
    (tmp_path.parent / "secret.txt").write_text("outside the build")
    setting("UI_DIR", str(tmp_path))
    return tmp_path


async def test_root_redirects_to_the_ui(client):
    response = await client.get("/")
    assert response.status_code == 302 and response.headers["location"] == "/ui/"


@pytest.mark.parametrize("path", ["/ui/", "/ui", "/ui/cameras/17", "/ui/queue"])
async def test_ui_serves_the_app_for_every_route_with_a_strict_csp(client, built_ui, path):
    response = await client.get(path)
    assert response.status_code == 200 and "id=app" in response.text
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


async def test_ui_assets_are_served_and_cached_and_missing_ones_are_404(client, built_ui):
    asset = await client.get("/ui/assets/index-abc.js")
    assert asset.status_code == 200 and asset.text == "console.log('app')"
    assert "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"]
    assert (await client.get("/ui/assets/index-gone.js")).status_code == 404


async def test_ui_never_serves_files_outside_its_folder(client, built_ui):
    for path in ("/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/assets/%2e%2e/%2e%2e/secret.txt"):
        response = await client.get(path)
        assert "outside the build" not in response.text, path


async def test_ui_not_built_says_how_to_build_it(client, tmp_path, setting):
    setting("UI_DIR", str(tmp_path / "nothing"))
    response = await client.get("/ui/")
    assert response.status_code == 503 and "npm run build" in response.text
