"""`assetsvc demo`: the embedded default with a simulated fleet on loopback, registered and probed."""

from __future__ import annotations

import secrets
from importlib import resources
from typing import Any

from assetsvc.accounts.service import Actor, add_user
from assetsvc.accounts.tables import User
from assetsvc.monitoring.config import MonitoringConfig, parse
from assetsvc.runtime import settings
from assetsvc.simfleet import Fleet, Mix

# A livelier mix than the fleet's default, recurring every 5 minutes with short episodes, so that
# outages, flapping, drifted clocks, bad pictures and dead switches are under way within minutes.
HORIZON_S = 300.0
DEMO_MIX = Mix(outage=0.05, unreachable=0.02, flapping=0.03, clock_drift=0.05, dark=0.02, covered=0.02,
               blurred=0.02, stream_lost=0.02, password_changed=0.01, dead_upstream=0.15,
               outage_s=(60.0, 180.0), flap_s=(20.0, 45.0), picture_s=(90.0, 240.0))


def fleet(count: int, seed: int) -> Fleet:
    """The demo fleet: `count` cameras with the demo's scripted fault mix, on the default ports."""
    return Fleet(count, seed=seed, mix=DEMO_MIX, horizon_s=HORIZON_S)


def monitoring_config() -> MonitoringConfig:
    """Plans sped up for the demo (assetsvc/demo_monitoring.toml)."""
    text = resources.files("assetsvc").joinpath("demo_monitoring.toml").read_text("utf-8")
    return parse(text, "demo_monitoring.toml")


async def seed(devices: Fleet, actor: Actor) -> dict[str, Any]:
    """Register the fleet (idempotent) and make sure an admin login exists."""
    from assetsvc.simfleet.registry import register

    counts = await register(devices, actor)
    lines = [f"demo fleet: {devices.layout.count} cameras ({counts['cameras_created']} new), "
             f"{counts['upstream']} switches/encoders, on loopback 127.15.x.y / 127.16.x.y"]
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
