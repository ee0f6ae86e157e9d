"""`assetsvc demo`: the embedded default with a simulated fleet on loopback, registered and probed."""

from __future__ import annotations

import datetime as dt
import secrets
import tomllib
from importlib import resources
from typing import Any

from assetsvc.accounts.service import add_user
from assetsvc.accounts.tables import User
from assetsvc.actor import Actor
from assetsvc.app import process, startup
from assetsvc.monitoring.config import MonitoringConfig, parse
from assetsvc.registry import crud
from assetsvc.registry.entities import CONTRACT
from assetsvc.registry.tables import Contract, Contractor
from assetsvc.runtime import settings
from assetsvc.simfleet import Fleet, Mix
from assetsvc.simfleet.registry import CONTRACTORS, register
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets import contracts as terms
from assetsvc.tickets.config import TicketsConfig
from assetsvc.tickets.config import parse as parse_tickets

# A livelier mix than the fleet's default, recurring every 5 minutes with short episodes, so that
# outages, flapping, drifted clocks, bad pictures and dead switches are under way within minutes.
HORIZON_S = 300.0
DEMO_MIX = Mix(outage=0.05, unreachable=0.02, flapping=0.03, clock_drift=0.05, dark=0.02, covered=0.02,
               blurred=0.02, stream_lost=0.02, password_changed=0.01, dead_upstream=0.15,
               outage_s=(60.0, 180.0), flap_s=(20.0, 45.0), picture_s=(90.0, 240.0))


def fleet(count: int, seed: int) -> Fleet:
    """The demo fleet: `count` cameras with the demo's scripted fault mix, on the default ports."""
    return Fleet(count, seed=seed, mix=DEMO_MIX, horizon_s=HORIZON_S)


def tickets_config() -> TicketsConfig:
    """Ticket rules with short grace periods for the demo (assetsvc/demo_tickets.toml)."""
    text = resources.files("assetsvc").joinpath("demo_tickets.toml").read_text("utf-8")
    return parse_tickets(tomllib.loads(text), "demo_tickets.toml")


async def contracts(actor: Actor, year: int) -> int:
    """One contract per simulated contractor over the fleet's city, with the example SLA terms
    (idempotent: an existing contract code is left as it is). Returns how many were created."""
    document = resources.files("assetsvc.tickets").joinpath("data/contract-sla.example.toml").read_text("utf-8")
    # The example's rural districts are Hangzhou's; the demo city's outer district (柳江) is rural here.
    document = document.replace('rural = ["330127", "330122"]', 'rural = ["450206"]')
    created = 0
    for n, name in enumerate(CONTRACTORS, 1):
        code = f"DEMO-{year}-{n}"
        contractor = await Contractor.select(Contractor.id).where(Contractor.name == name).first().run()
        if contractor is None or await Contract.exists().where(Contract.code == code).run():
            continue
        row = await crud.create_record(CONTRACT, actor, {
            "code": code, "contractor": contractor["id"], "region_codes": ["450200"],
            "owner_classes": ["police", "government", "social"], "starts_on": dt.date(year, 1, 1),
            "ends_on": dt.date(year, 12, 31)})
        await terms.put_terms(actor, row["id"], document)
        created += 1
    return created


def monitoring_config() -> MonitoringConfig:
    """Plans sped up for the demo (assetsvc/demo_monitoring.toml)."""
    text = resources.files("assetsvc").joinpath("demo_monitoring.toml").read_text("utf-8")
    return parse(text, "demo_monitoring.toml")


async def seed(devices: Fleet, actor: Actor) -> dict[str, Any]:
    """Register the fleet (idempotent) and make sure an admin login exists."""
    counts = await register(devices, actor)
    made = await contracts(actor, dt.date.today().year)
    lines = [f"demo fleet: {devices.layout.count} cameras ({counts['cameras_created']} new), "
             f"{counts['upstream']} switches/encoders, on loopback 127.15.x.y / 127.16.x.y",
             f"maintenance contracts with SLA terms: {made} new; tickets open 1 min after a fault "
             f"(assetsvc/demo_tickets.toml)"]
    secret_file = settings().data_dir / "demo-admin-password.txt"
    if not await User.exists().where(User.username == "admin").run():
        password = secrets.token_urlsafe(12)
        await add_user("admin", password, "admin")
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n")
        secret_file.chmod(0o600)
        lines.append(f"created user admin; its password is in {secret_file}")
    else:
        lines.append(f"user admin exists (a demo-made password is in {secret_file})")
    return {"message": "\n".join(lines), "counts": counts}


async def prepare(devices: Fleet, actor: Actor) -> dict[str, Any]:
    """Migrations and the key check, then the fleet registered (run with the database open)."""
    await startup.prepare(create_key=True)
    return await seed(devices, actor)


def serve(devices: Fleet, host: str, port: int) -> None:
    """Serve with the fleet up, the demo's sped-up plans and its short ticket grace periods."""
    ticket_config.install(tickets_config())
    process.serve(host, port, extra=devices, config=monitoring_config())
