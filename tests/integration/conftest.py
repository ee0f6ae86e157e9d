"""Fixtures for tests on the real database: migrated schema, clean tables, users, API client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
import httpx

from assetsvc import db
from argon2 import PasswordHasher

from assetsvc.accounts.service import Actor, issue_token
from assetsvc.accounts.tables import LoginAttempt, LoginThrottle, Token, User
from assetsvc.api.app import create_app
from assetsvc.audit.tables import Change
from assetsvc.registry.tables import (
    DistrictOutline, KeyCheck, ServicePeriod,
    Camera, Contract, Contractor, CoveragePlan, Credential, ImportJob, Owner, Region, Site, Station, UpstreamDevice,
)
from assetsvc.monitoring import tables as monitoring
from assetsvc.monitoring import topology
from assetsvc.reports.province.tables import TABLES as PROVINCE_TABLES
from assetsvc.reports.tables import LeagueRulesDocument, MandatoryFieldsDocument, ReportVersion
from assetsvc.runtime import migrate
from assetsvc.tickets.store import TERMS
from assetsvc.tickets.tables import TABLES as TICKET_TABLES
from assetsvc.webhooks.tables import WebhookDelivery, WebhookEndpoint

# Children before parents, so deletes never trip a foreign key.
TABLES = (*reversed(PROVINCE_TABLES), ReportVersion, LeagueRulesDocument, MandatoryFieldsDocument, *TICKET_TABLES, WebhookDelivery, WebhookEndpoint, monitoring.ProbeTask, monitoring.DeviceState, monitoring.StateInterval, monitoring.LatestResult,
          monitoring.ResultHistory, monitoring.MaintenanceWindow, monitoring.DriftFlag, monitoring.StreamSource, monitoring.Node,
          monitoring.PlatformScope, monitoring.PassiveBatch, monitoring.PictureMemory, monitoring.PictureFrame,
          monitoring.PictureFrameLink, monitoring.HistoryRow, monitoring.HistoryBatch, monitoring.UptimeDay, monitoring.UptimeRollupCamera, monitoring.UptimeRollupBucket, monitoring.UptimeScopeDay,
          Token, LoginAttempt, LoginThrottle, KeyCheck, DistrictOutline, User, Change, ImportJob, ServicePeriod, Camera, UpstreamDevice, Credential, Contract, CoveragePlan, Site,
          Station, Owner, Contractor, Region)

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
ADMIN = Actor(user_id=0, username="test-admin", role="admin", contractor_id=None)


@pytest.fixture(scope="session", autouse=True)
async def database():
    await db.start()
    await migrate()
    yield
    await db.stop()


@pytest.fixture(autouse=True)
async def clean(database):
    # One transaction for every table: piccolo otherwise runs each DELETE on its own connection
    # with its own commit, and on SQLite that (a new connection, its pragmas, a WAL commit) times
    # 45 tables cost ~0.3 s before each test (loaded machine; ~30 ms in one transaction; on
    # PostgreSQL ~90 ms -> ~20 ms). The same statements in the same order empty the same tables.
    async with db.write_transaction():
        for table in TABLES:
            await table.delete(force=True).run()
    topology.forget()
    TERMS.forget()  # parsed contract terms: SQLite reuses deleted ids
    yield


@dataclass
class People:
    """Tokens of one user per role, and two contractors."""

    admin: str
    auditor: str
    contractor_a: str
    contractor_b: str
    a_id: int
    b_id: int


async def write_people() -> People:
    """Two contractors, admin, auditor and a user of each contractor, with an API token each.

    Rows written directly with one hash made per session: argon2 is slow on purpose, and the
    account service itself is tested in test_accounts.py.
    """
    a = Contractor(name="甲运维公司", contact="", phone="")
    b = Contractor(name="乙运维公司", contact="", phone="")
    await a.save().run()
    await b.save().run()
    for name, role, contractor in (("admin", "admin", None), ("auditor", "auditor", None),
                                   ("ca", "contractor", a.id), ("cb", "contractor", b.id)):
        await User(username=name, password_hash=PASSWORD_HASH, role=role, contractor=contractor).save().run()
    tokens = [await issue_token(u, "api") for u in ("admin", "auditor", "ca", "cb")]
    return People(*tokens, a_id=a.id, b_id=b.id)


@pytest.fixture
async def people() -> People:
    # One transaction (issue_token's own joins it): ten commits, each on a new SQLite connection,
    # cost ~0.1 s before every test that has people; the rows are the same.
    async with db.write_transaction():
        return await write_people()


@pytest.fixture(scope="session")
def app():
    return create_app(manage_db=False)


@pytest.fixture
async def client(app):
    # httpx's ASGI transport runs the app on the test's own event loop. Litestar's
    # AsyncTestClient runs it through an anyio portal on another loop, where the session's
    # asyncpg pool (bound to this loop) fails with "attached to a different loop".
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def api_import(client, token: str, files: dict, query: str = "") -> dict:
    """POST /import (202, the job), then poll the job until it has finished; the finished job."""
    started = await client.post(f"/api/v1/import{query}", files=files, headers=bearer(token))
    assert started.status_code == 202, started.text
    return await finished_job(client, token, started.json())


async def finished_job(client, token: str, job: dict) -> dict:
    """Poll GET /import/jobs/{id} until the job has finished."""
    while job["state"] in ("queued", "running"):
        await asyncio.sleep(0.02)
        response = await client.get(f"/api/v1/import/jobs/{job['id']}", headers=bearer(token))
        assert response.status_code == 200, response.text
        job = response.json()
    return job
