"""What an attacker or an unlucky client meets at the edge of the API: body limits, bad JSON and
numbers, NUL characters, response headers, the docs page, the schema's error answers, file modes."""

from __future__ import annotations

import os
import re
import stat

import pytest

from assetsvc.registry.tables import Contractor
from tests.integration.conftest import bearer

API = "/api/v1"
DEEP = b"[" * 100_000 + b"]" * 100_000


async def test_a_login_body_over_the_small_limit_is_refused_before_it_is_read(client):
    answer = await client.post(f"{API}/auth/login", content=b" " * (2 * 2**20),
                               headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["detail"]


async def test_json_endpoints_take_the_small_limit_and_the_import_the_large_one(client, people):
    big = b'{"name": "' + b"x" * (2 * 2**20) + b'"}'
    answer = await client.post(f"{API}/contractors", content=big,
                               headers={**bearer(people.admin), "Content-Type": "application/json"})
    assert answer.status_code == 413
    sheet = "设备编码,设备名称\n".encode() + b"x" * (2 * 2**20)
    imported = await client.post(f"{API}/import?dry_run=true", files={"data": ("big.csv", sheet, "text/csv")},
                                 headers=bearer(people.admin))
    assert imported.status_code != 413, imported.text


@pytest.mark.parametrize("path", ["/auth/login", "/contractors"])
async def test_deeply_nested_json_is_a_400_not_a_500(client, people, path):
    answer = await client.post(API + path, content=DEEP,
                               headers={**bearer(people.admin), "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "the JSON is nested too deeply"


@pytest.mark.parametrize("path,field", [
    ("/uptime/cameras?start=2026-11-01&end=2026-11-02&page=99999999999999999999", "page"),
    ("/cameras?page=99999999999999999999", "page"),
    ("/cameras?per_page=501", "per_page"),
    ("/tickets/queue?per_page=99999999999999999999", "per_page"),
    ("/webhooks/deliveries?limit=99999999999999999999", "limit"),
    (f"/cameras/{2**31}", "record_id"),
    ("/status/cameras/99999999999999999999", "camera_id"),
])
async def test_pages_limits_and_ids_out_of_bounds_are_a_400_naming_the_parameter(client, people, path, field):
    answer = await client.get(API + path, headers=bearer(people.admin))
    assert answer.status_code == 400, answer.text
    assert field in {e["field"] for e in answer.json()["errors"]}


async def test_text_with_a_nul_character_is_refused_on_every_engine(client, people):
    answer = await client.post(f"{API}/contractors", json={"name": "甲\x00乙"}, headers=bearer(people.admin))
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "body"
    assert await Contractor.count().run() == 2  # the fixture's two
    query = await client.get(f"{API}/cameras?q=%00", headers=bearer(people.admin))
    assert query.status_code == 400
    escaped = await client.post(f"{API}/contractors", json={"name": "a\\u0000 is text"}, headers=bearer(people.admin))
    assert escaped.status_code == 201, escaped.text


# litestar decodes a JSON body whatever its Content-Type, so the check may not trust the type either.
@pytest.mark.parametrize("media", [None, "application/octet-stream", "application/x-www-form-urlencoded", "text/csv"])
async def test_a_json_body_with_a_nul_is_refused_whatever_its_declared_type(client, people, media):
    headers = bearer(people.admin) | ({"Content-Type": media} if media else {})
    answer = await client.post(f"{API}/contractors", content=b'{"name": "A\\u0000B"}', headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["field"] == "body"
    assert await Contractor.count().run() == 2  # the fixture's two


@pytest.mark.parametrize("path,status", [("/healthz", 200), (f"{API}/auth/me", 401), (f"{API}/cameras/7", 404)])
async def test_every_answer_forbids_caching_and_sniffing(client, people, path, status):
    answer = await client.get(path, headers=bearer(people.admin) if status == 404 else {})
    assert answer.status_code == status
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_docs_page_loads_only_same_origin_assets_and_they_are_served(client, people):
    page = await client.get(f"{API}/schema", headers=bearer(people.auditor))
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url


async def test_the_schema_documents_the_real_error_body_and_codes(client, people):
    schema = (await client.get(f"{API}/schema/openapi.json", headers=bearer(people.auditor))).json()
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"detail", "errors"}
    camera = schema["paths"][f"{API}/cameras/{{record_id}}"]
    assert {"400", "401", "403", "404", "409"} <= set(camera["delete"]["responses"])
    assert camera["get"]["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}
    login = schema["paths"][f"{API}/auth/login"]["post"]
    assert "429" in login["responses"] and "401" not in login["responses"] and login["security"] == []
    assert "202" in schema["paths"][f"{API}/status/passive"]["post"]["responses"]


def test_the_sqlite_file_and_the_key_file_are_readable_by_their_owner_only(tmp_path):
    from assetsvc.db import make_engine
    from assetsvc.secrets import write_key_file
    from assetsvc.settings import load_settings

    old = os.umask(0o022)
    try:
        settings = load_settings()
        path = tmp_path / "new.sqlite"
        make_engine(type(settings)(**{**settings.__dict__, "database_url": f"sqlite:///{path}"}))
        write_key_file(tmp_path / "secret.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
