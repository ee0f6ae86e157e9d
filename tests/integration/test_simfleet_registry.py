"""The simulated fleet registered through the registry services, and checked against what it answers."""

from __future__ import annotations

import pytest

from assetsvc.audit.tables import Change
from assetsvc.registry.tables import Camera, Credential, UpstreamDevice
from assetsvc.simfleet import Fleet, Ports
from assetsvc.simfleet.registry import camera_rows, register, upstream_rows
from probes.onvif import probe_onvif_deep
from probes.types import Credentials, ProbeTarget
from tests.integration.conftest import ADMIN


@pytest.fixture
async def fleet():
    fleet = Fleet(40, seed=3, ports=Ports(0, 0, 0))
    await fleet.start()
    yield fleet
    await fleet.stop()


async def test_register_writes_cameras_upstream_devices_and_links(fleet):
    summary = await register(fleet, ADMIN)

    assert summary == {"cameras_created": 40, "cameras_completed": 40, "upstream": 3}
    assert await Camera.count().run() == 40
    devices = await UpstreamDevice.select().order_by(UpstreamDevice.ipv4).run()
    assert [d["ipv4"] for d in devices] == list(fleet.upstream_addresses)
    row = next(camera_rows(fleet, 17, 18))
    stored = await Camera.select().where(Camera.gb_id == row["gb_id"]).first().output(load_json=True).run()
    assert stored["ipv4"] == fleet.addresses[17]
    assert stored["ports"] == {"onvif": fleet.ports.onvif, "rtsp": fleet.ports.rtsp}
    assert stored["probe_protocols"] == ["onvif", "rtsp"]
    assert (stored["serial"], stored["mac"], stored["vendor"]) == (row["serial"], row["mac"], row["vendor"])
    upstream = await UpstreamDevice.select().where(UpstreamDevice.id == stored["upstream"]).first().run()
    assert upstream["ipv4"] == fleet.upstream_addresses[1]  # cameras 16..31 hang off the second switch
    credential = await Credential.select().where(Credential.id == stored["credential"]).first().run()
    assert credential["username"] == fleet.username
    assert await Change.count().where(Change.source == "simfleet").run() > 40  # audited like any edit


async def test_register_twice_changes_nothing(fleet):
    await register(fleet, ADMIN)
    changes = await Change.count().run()

    again = await register(fleet, ADMIN)

    assert again == {"cameras_created": 0, "cameras_completed": 0, "upstream": 3}
    # Only the credential is rewritten (its password is re-encrypted, which the log cannot compare).
    assert await Change.count().run() - changes <= 1


async def test_encoders_carry_a_national_id_of_type_encoder(fleet):
    rows = list(upstream_rows(fleet))

    assert [r["kind"] for r in rows] == ["switch", "switch", "switch"]
    big = Fleet(200, per_upstream=16, encoder_every=8)
    kinds = [r["kind"] for r in upstream_rows(big)]
    assert kinds.count("encoder") == 1 and kinds[7] == "encoder"
    assert next(r for r in upstream_rows(big) if r["kind"] == "encoder")["gb_id"][10:13] == "113"


async def test_the_serial_drift_is_seen_by_a_deep_probe_of_the_registered_camera(fleet):
    await register(fleet, ADMIN)
    drift = next(d for d in fleet.drifts() if d.kind == "serial_mismatch")
    stored = await Camera.select(Camera.serial).where(Camera.ipv4 == drift.address).first().run()

    facts = await probe_onvif_deep(ProbeTarget(drift.address, onvif_port=fleet.ports.onvif,
                                               credentials=Credentials(fleet.username, fleet.password),
                                               options={"snapshot": False}))

    assert stored["serial"] == drift.registry
    assert facts["serial"] == drift.device != stored["serial"]


async def test_the_swapped_camera_reports_the_identity_registered_at_another_address(fleet):
    await register(fleet, ADMIN)
    here, there = [d for d in fleet.drifts() if d.kind == "address_swap"]

    facts = await probe_onvif_deep(ProbeTarget(here.address, onvif_port=fleet.ports.onvif,
                                               credentials=Credentials(fleet.username, fleet.password),
                                               options={"snapshot": False}))

    owner = await Camera.select(Camera.ipv4, Camera.mac).where(Camera.serial == facts["serial"]).first().run()
    assert owner["ipv4"] == there.address != here.address
    assert facts["macs"] == [owner["mac"]]
