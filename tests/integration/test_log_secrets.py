"""No secret in a log line: flows that handle passwords, tokens, device credentials, webhook
secrets and the provincial platform's signing key run with every logger at DEBUG into a JSON handler, and the captured text is searched for
each secret. The same capture shows each line carries the request id and the user."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest

from assetsvc import db, logs
from assetsvc.accounts.service import add_user, issue_token, set_password
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.app.jobs import month_just_ended
from assetsvc.monitoring.worker import Worker
from assetsvc.reports import versions
from assetsvc.reports.province import delivery as province
from assetsvc.registry.tables import Camera
from assetsvc.webhooks import delivery, outbox
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.fakes.province import Platform
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_webhooks import receiver  # noqa: F401 - the fixture

LOGIN_PW = "Leaky-Login-Pw-7f3a9c"
WRONG_PW = "Leaky-Typo-Pw-2b8d1e"
NEW_PW = "Leaky-New-Pw-5c0e44"
DEVICE_PW = "Leaky-Device-Pw-91ab"
PROVINCE_KEY = "Leaky-Province-Signing-Key-3d5e"
CONFIG = """
[[class]]
name = "onvif"
when = { subject = "camera", protocol = "onvif" }
light = { every = 300, probes = ["onvif_light"], timeout = 3 }
inventory = { every = 300, probes = ["onvif_deep"], timeout = 10, options = { snapshot = false } }
"""


@pytest.fixture
def captured():
    """Every record of every logger at DEBUG, formatted as the JSON lines operators would see."""
    stream = io.StringIO()
    handler = logs.handler("json", stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # Loggers set quieter elsewhere (apscheduler by configure_logging) are opened up too.
    quiet = {name: lg.level for name, lg in logging.root.manager.loggerDict.items()
             if isinstance(lg, logging.Logger) and lg.level > logging.DEBUG}
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def platform(tmp_path):
    fake = Platform(key=PROVINCE_KEY, folder=tmp_path)
    fake.start()
    yield fake
    fake.close()


async def test_no_password_token_or_secret_reaches_a_debug_log(client, people, captured, receiver,  # noqa: F811
                                                                platform):
    secrets: list[str] = [LOGIN_PW, WRONG_PW, NEW_PW, DEVICE_PW, PROVINCE_KEY, people.admin]
    # Passwords: a user made, a wrong login, a right one, the session used, the password changed.
    await add_user("leaky", LOGIN_PW, "admin")
    wrong = await client.post("/api/v1/auth/login", json={"username": "leaky", "password": WRONG_PW})
    assert wrong.status_code == 400 and "password" in wrong.text
    login = await client.post("/api/v1/auth/login", json={"username": "leaky", "password": LOGIN_PW})
    assert login.status_code == 200, login.text
    session = login.json()["token"]
    secrets.append(session)
    assert (await client.get("/api/v1/auth/me", headers=bearer(session))).status_code == 200
    api_token = await issue_token("leaky", "api", "ci")
    secrets.append(api_token)
    assert (await client.get("/api/v1/cameras/", headers=bearer(api_token))).status_code == 200
    assert (await client.get("/api/v1/cameras/", headers=bearer(api_token + "x"))).status_code == 401
    await set_password("leaky", NEW_PW)
    # A device credential stored through the API, then used by a deep ONVIF check.
    made = await client.post("/api/v1/credentials/", headers=bearer(people.admin),
                             json={"name": "cams", "username": "admin", "password": DEVICE_PW})
    assert made.status_code == 201, made.text
    async with FakeOnvifDevice(password=DEVICE_PW) as device:
        await Camera(gb_id="33010600131320000001", name="cam", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": device.port}, probe_protocols=["onvif"], credential=made.json()["id"]).save().run()
        config = parse(CONFIG, "test")
        await tasks.sync(config, time.time() - 600)
        stats = await Worker(config).run_until_idle()
        assert stats.probed == 2
        assert any(r.auth == "valid" for r in device.requests)  # it did log in with the password
    # A webhook endpoint: the secret shown once, then used to sign a delivery.
    hook = await client.post("/api/v1/webhooks", headers=bearer(people.admin),
                             json={"name": "office", "url": receiver.url()})
    assert hook.status_code == 201, hook.text
    secrets.append(hook.json()["secret"])
    async with db.write_transaction():
        await outbox.enqueue_to([hook.json()["id"]], "ticket.opened", {"id": 1}, time.time())
    sent = await delivery.deliver_due(time.time())
    assert receiver.requests, sent
    # The provincial platform: its signing key set through the API, then used to sign a report.
    put = await client.put("/api/v1/province", headers=bearer(people.admin),
                           json={"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
                                 "unit_code": "HZ-VIDEO-OFFICE", "secret": PROVINCE_KEY})
    assert put.status_code == 200, put.text
    month = month_just_ended(time.time())
    made = await versions.generate(ADMIN, month)
    await versions.approve(ADMIN, month, made["version"])
    pushed = await province.deliver_due(time.time())
    assert pushed["delivered"] == 1 and platform.distinct_keys == 1, pushed  # signed with the key

    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line["level"] == "DEBUG" for line in lines)  # DEBUG really was on
    assert any(line["logger"] == "assetsvc.access" and line["user"] == "leaky" and line["request_id"]
               for line in lines)
    leaked = [s[:6] + "..." for s in secrets if s in text]
    assert leaked == [], f"secrets found in the log: {leaked}"


async def test_each_line_carries_the_callers_request_id_or_a_new_one(client, people, captured):
    given = await client.get("/api/v1/auth/me", headers={**bearer(people.auditor), "X-Request-ID": "ticket-42.a"})
    assert given.headers["x-request-id"] == "ticket-42.a"
    odd = await client.get("/api/v1/auth/me", headers={**bearer(people.auditor), "X-Request-ID": "x" * 65})
    fresh = odd.headers["x-request-id"]
    assert len(fresh) == 32 and fresh != "x" * 65  # a caller's id that is not plain is replaced
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "assetsvc.access"}
    assert access["ticket-42.a"]["user"] == "auditor" and "GET /api/v1/auth/me 200" in access["ticket-42.a"]["message"]
    assert access[fresh]["user"] == "auditor"
    outside = [line for line in lines if line["logger"] != "assetsvc.access" and line["request_id"] is None]
    assert all(line["user"] is None for line in outside)  # no request: no id, no user
