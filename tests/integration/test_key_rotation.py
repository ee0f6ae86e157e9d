"""Rotating the credential key: `assetsvc keys rotate`, `reencrypt`, `retire` through the real CLI,
on the test database (SQLite or PostgreSQL). After a rotation every stored secret is sealed with
the new key alone and still works where it is used: a device password by an ONVIF probe, a webhook
secret by a signed delivery, the province's signing key by a signed report. A wrong key list fails
with the key or record named and nothing written; no secret or key is ever printed."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from assetsvc import db, runtime
from assetsvc.app.jobs import month_just_ended
from assetsvc.audit.tables import Change
from assetsvc.monitoring import tasks
from assetsvc.monitoring.config import parse
from assetsvc.monitoring.worker import Worker
from assetsvc.registry.tables import Camera, Credential, KeyCheck
from assetsvc.reports import versions
from assetsvc.reports.province import delivery as province_delivery
from assetsvc.reports.province.tables import ProvinceTarget
from assetsvc.secrets import KeyError_, Vault, load_keys
from assetsvc.webhooks import delivery, outbox, service as webhooks
from assetsvc.webhooks.tables import WebhookEndpoint
from tests.fakes.onvif_device import FakeOnvifDevice
from tests.fakes.province import Platform
from tests.integration.conftest import ADMIN, bearer
from tests.integration.test_cli import assetsvc
from tests.integration.test_log_secrets import CONFIG  # an ONVIF class: light and inventory checks
from tests.integration.test_webhooks import receiver  # noqa: F401 - the fixture

DEVICE_PW = "Rotate-Device-Pw-4e1f"
PROVINCE_KEY = "Rotate-Province-Signing-Key-8a2c"


@pytest.fixture
def key_file(monkeypatch, tmp_path):
    """This process and the CLI read their keys from a key file holding the session's key."""
    path = tmp_path / "keys" / "secret.key"
    path.parent.mkdir()
    path.write_text(os.environ["ASSETSVC_SECRET_KEY"] + "\n")
    path.chmod(0o600)
    monkeypatch.delenv("ASSETSVC_SECRET_KEY")
    monkeypatch.setenv("ASSETSVC_SECRET_KEY_FILE", str(path))
    runtime.settings.cache_clear()
    yield path
    monkeypatch.undo()
    runtime.settings.cache_clear()
    runtime.install_vault(Vault(load_keys(runtime.settings())))


@pytest.fixture
def platform(tmp_path):
    fake = Platform(key=PROVINCE_KEY, folder=tmp_path)
    fake.start()
    yield fake
    fake.close()


def keys_in(path: Path) -> list[bytes]:
    return path.read_bytes().split()


async def sealed() -> dict[str, str]:
    """Every sealed token in the database, by table and row."""
    found = {f"credential {r['id']}": r["secret"] for r in await Credential.select(Credential.id, Credential.secret).run()}
    found |= {f"webhook {r['id']}": r["secret"] for r in await WebhookEndpoint.select(WebhookEndpoint.id,
                                                                                      WebhookEndpoint.secret).run()}
    found |= {f"province {r['id']}": r["secret"] for r in await ProvinceTarget.select(ProvinceTarget.id,
                                                                                      ProvinceTarget.secret).run()}
    found |= {f"key check {r['id']}": r["token"] for r in await KeyCheck.select(KeyCheck.id, KeyCheck.token).run()}
    return found


def opens(key: bytes, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


async def seed(client, people, receiver, platform) -> dict:  # noqa: F811
    """A device credential, a webhook endpoint and the province's target, sealed with the first key."""
    made = await client.post("/api/v1/credentials/", headers=bearer(people.admin),
                             json={"name": "cams", "username": "admin", "password": DEVICE_PW})
    assert made.status_code == 201, made.text
    hook = await client.post("/api/v1/webhooks", headers=bearer(people.admin),
                             json={"name": "office", "url": receiver.url()})
    assert hook.status_code == 201, hook.text
    put = await client.put("/api/v1/province", headers=bearer(people.admin),
                           json={"url": platform.url, "ca_bundle": str(platform.ca_pem), "area_code": "330100",
                                 "unit_code": "HZ-VIDEO-OFFICE", "secret": PROVINCE_KEY})
    assert put.status_code == 200, put.text
    return {"credential": made.json()["id"], "hook": hook.json()["id"], "hook_secret": hook.json()["secret"]}


def counts(stdout: str) -> dict[str, tuple[int, int]]:
    """`kind: N re-encrypted, M already with the newest key` lines as {kind: (N, M)}."""
    found = {}
    for line in stdout.splitlines():
        if " re-encrypted, " in line:
            kind, rest = line.split(": ", 1)
            found[kind] = (int(rest.split()[0]), int(rest.split(", ")[1].split()[0]))
    return found


async def test_rotate_reencrypt_retire_keeps_every_secret_working_with_the_new_key_alone(
        key_file, client, people, receiver, platform):  # noqa: F811
    made = await seed(client, people, receiver, platform)
    old = keys_in(key_file)[0]
    before = await sealed()
    assert len(before) == 4 and all(opens(old, t) for t in before.values())
    printed = []

    rotated = assetsvc("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    printed.append(rotated.stdout + rotated.stderr)
    new, kept = keys_in(key_file)
    assert kept == old and new != old
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # After the rotation a secret set by the running service is sealed with the new key already.
    late = await webhooks.create_endpoint(ADMIN, {"name": "late", "url": receiver.url("/late")})
    [late_row] = await WebhookEndpoint.select(WebhookEndpoint.secret).where(WebhookEndpoint.name == "late").run()
    assert opens(new, late_row["secret"]) and not opens(old, late_row["secret"])

    retired_early = assetsvc("keys", "retire")
    assert retired_early.returncode == 1
    assert "still sealed with an older key" in retired_early.stderr and "keys reencrypt" in retired_early.stderr
    assert keys_in(key_file) == [new, old]  # nothing removed

    first = assetsvc("keys", "reencrypt")
    assert first.returncode == 0, first.stderr
    printed.append(first.stdout + first.stderr)
    assert counts(first.stdout) == {"device credentials": (1, 0), "key check": (1, 0), "webhook secrets": (1, 1),
                                    "provincial signing key": (1, 0)}
    again = assetsvc("keys", "reencrypt")  # idempotent: nothing left to re-seal
    assert again.returncode == 0, again.stderr
    assert counts(again.stdout) == {"device credentials": (0, 1), "key check": (0, 1), "webhook secrets": (0, 2),
                                    "provincial signing key": (0, 1)}
    after = await sealed()
    assert set(before) < set(after)  # the late endpoint besides
    assert all(opens(new, t) and not opens(old, t) for t in after.values())
    [logged] = await Change.select(Change.changes).where(Change.action == "reseal").output(load_json=True).run()
    assert logged["changes"]["device credentials"] == ["older key", "newest key (1)"]

    retired = assetsvc("keys", "retire")
    assert retired.returncode == 0, retired.stderr
    printed.append(retired.stdout + retired.stderr)
    assert keys_in(key_file) == [new]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # Everything works with the new key alone, where each secret is used.
    runtime.settings.cache_clear()
    async with FakeOnvifDevice(password=DEVICE_PW) as device:
        await Camera(gb_id="33010600131320000001", name="cam", region_code="330106", ipv4="127.0.0.1",
                     ports={"onvif": device.port}, probe_protocols=["onvif"], credential=made["credential"]).save().run()
        config = parse(CONFIG, "test")
        await tasks.sync(config, time.time() - 600)
        stats = await Worker(config).run_until_idle()
        assert stats.probed == 2
        assert any(r.auth == "valid" for r in device.requests)  # logged in with the re-sealed password
    async with db.write_transaction():
        await outbox.enqueue_to([made["hook"]], "ticket.opened", {"id": 1}, time.time())
    await delivery.deliver_due(time.time())
    [sent] = [r for r in receiver.requests if r["path"] == "/ok"]
    headers = sent["headers"]
    assert delivery.verify_signature(made["hook_secret"], headers["X-Assetsvc-Timestamp"], sent["body"],
                                     headers["X-Assetsvc-Signature"])
    month = month_just_ended(time.time())
    report = await versions.generate(ADMIN, month)
    await versions.approve(ADMIN, month, report["version"])
    pushed = await province_delivery.deliver_due(time.time())
    assert pushed["delivered"] == 1 and platform.distinct_keys == 1, pushed  # signed with the re-sealed key

    text = "\n".join(printed)
    for secret in (DEVICE_PW, PROVINCE_KEY, made["hook_secret"], late["secret"], new.decode(), old.decode()):
        assert secret not in text


async def test_a_key_list_without_the_sealing_key_is_refused_naming_the_variable(key_file, client, people,
                                                                                receiver, platform):  # noqa: F811
    await seed(client, people, receiver, platform)
    before = await sealed()
    strangers = ",".join(Fernet.generate_key().decode() for _ in range(2))
    result = assetsvc("keys", "reencrypt", env={"ASSETSVC_SECRET_KEY": strangers})
    assert result.returncode == 1
    assert "ASSETSVC_SECRET_KEY" in result.stderr and "not the key that sealed them" in result.stderr
    assert "Traceback" not in result.stderr
    assert await sealed() == before


async def test_a_secret_no_key_opens_is_named_and_nothing_of_any_slice_is_written(key_file, client, people,
                                                                                 receiver, platform):  # noqa: F811
    await seed(client, people, receiver, platform)
    # The province's key (re-sealed last, after the registry and the webhooks) sealed with a lost key.
    stray = Fernet(Fernet.generate_key()).encrypt(PROVINCE_KEY.encode()).decode()
    await ProvinceTarget.update({ProvinceTarget.secret: stray}).where(ProvinceTarget.id == 1).run()
    before = await sealed()
    old = keys_in(key_file)[0].decode()
    result = assetsvc("keys", "reencrypt", env={"ASSETSVC_SECRET_KEY": f"{Fernet.generate_key().decode()},{old}"})
    assert result.returncode == 1
    assert "province_target" in result.stderr and "no configured key opens its secret" in result.stderr
    assert "nothing was re-encrypted" in result.stderr and PROVINCE_KEY not in result.stderr
    assert await sealed() == before  # the credential and webhook secrets re-sealed before it were rolled back
    assert await Change.count().where(Change.action == "reseal").run() == 0


async def test_a_malformed_key_is_named_by_its_source_and_position(key_file, client, people):
    good = keys_in(key_file)[0].decode()
    listed = assetsvc("keys", "reencrypt", env={"ASSETSVC_SECRET_KEY": f"{good}, not-a-key"})
    assert listed.returncode == 1
    assert "key 2 of 2 (comma-separated, newest first) in ASSETSVC_SECRET_KEY is not a Fernet key" in listed.stderr
    assert good not in listed.stderr
    single = assetsvc("keys", "reencrypt", env={"ASSETSVC_SECRET_KEY": "not-a-key"})
    assert "the credential key in ASSETSVC_SECRET_KEY is not a Fernet key" in single.stderr  # as before rotation
    key_file.write_text(f"{Fernet.generate_key().decode()}\n\n{good[:20]}\n")
    filed = assetsvc("keys", "rotate")
    assert filed.returncode == 1
    assert f"line 3 (one key a line, newest first) in {key_file} is not a Fernet key" in filed.stderr
    assert len(keys_in(key_file)) == 2  # untouched


async def test_rotate_refuses_keys_from_the_environment_and_a_missing_key_file(key_file, client, people):
    from_env = assetsvc("keys", "rotate", env={"ASSETSVC_SECRET_KEY": Fernet.generate_key().decode()})
    assert from_env.returncode == 1 and "ASSETSVC_SECRET_KEY, which this command cannot change" in from_env.stderr
    missing = assetsvc("keys", "rotate", env={"ASSETSVC_SECRET_KEY_FILE": str(key_file.with_name("none.key"))})
    assert missing.returncode == 1 and "assetsvc keygen" in missing.stderr
    assert not key_file.with_name("none.key").exists()


async def test_a_key_list_in_the_environment_decrypts_with_any_and_seals_with_the_first(key_file, client, people,
                                                                                       monkeypatch):
    old = keys_in(key_file)[0]
    made = await client.post("/api/v1/credentials/", headers=bearer(people.admin),
                             json={"name": "cams", "username": "admin", "password": DEVICE_PW})
    assert made.status_code == 201
    new = Fernet.generate_key()
    monkeypatch.setenv("ASSETSVC_SECRET_KEY", f"{new.decode()} , {old.decode()},")
    runtime.settings.cache_clear()
    assert load_keys(runtime.settings()) == [new, old]
    result = assetsvc("keys", "reencrypt")
    assert result.returncode == 0, result.stderr
    [row] = await Credential.select(Credential.secret).run()
    assert opens(new, row["secret"]) and not opens(old, row["secret"])
    retire = assetsvc("keys", "retire")  # the check passes, but the variable is the operator's to edit
    assert retire.returncode == 1 and "remove the others from it yourself" in retire.stderr
    monkeypatch.setenv("ASSETSVC_SECRET_KEY", ",")
    runtime.settings.cache_clear()
    with pytest.raises(KeyError_, match="holds no key"):
        load_keys(runtime.settings())


async def test_rotate_keeps_the_key_files_group_read_and_never_widens_it(key_file, client, people):
    # A key file 640 root:assetsvc (docs/operations.md) read by services running as assetsvc: a
    # rotation writing 600 would lock them out of every device password (a review's finding).
    key_file.chmod(0o640)
    assert assetsvc("keys", "rotate").returncode == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o640
    key_file.chmod(0o666)  # too wide already: the new file is no wider than 640
    assert assetsvc("keys", "rotate").returncode == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o640
    assert len(key_file.read_text().split()) == 3


async def test_retire_refuses_when_a_rotate_lands_during_its_check(key_file, client, people, monkeypatch):
    # The newest key seals everything; a spare older key is there to retire. A `keys rotate` lands
    # while retire checks the stored secrets: dropping all but the (new) head would lose the key
    # that sealed everything (a review's finding).
    from assetsvc.app import keys as rotation
    from assetsvc.registry import keycheck

    sealing, spare = keys_in(key_file)[0], Fernet.generate_key()
    key_file.write_bytes(sealing + b"\n" + spare + b"\n")
    checked = keycheck.unopened

    async def rotated_meanwhile(*args, **kwargs):
        found = await checked(*args, **kwargs)
        assert assetsvc("keys", "rotate").returncode == 0
        return found

    monkeypatch.setattr(keycheck, "unopened", rotated_meanwhile)
    runtime.settings.cache_clear()
    with pytest.raises(KeyError_, match="changed while `keys retire` checked") as refused:
        await rotation.retire(runtime.settings())
    assert "no key was removed" in str(refused.value)
    assert keys_in(key_file)[1:] == [sealing, spare]  # the rotated file, whole


async def test_rotates_at_once_each_keep_their_new_key(key_file, client, people):
    # Two rotates at once unlinked each other's temporary file and wrote over each other's list.
    import threading

    from assetsvc.secrets import add_key

    first = keys_in(key_file)
    start = threading.Barrier(4)
    added, failed = [], []

    def rotate_several() -> None:
        start.wait()
        for _ in range(10):
            try:
                added.append(add_key(key_file)[0])
            except Exception as exc:  # noqa: BLE001 - each failure is reported below
                failed.append(repr(exc))

    threads = [threading.Thread(target=rotate_several) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    held = keys_in(key_file)
    assert len(held) == 41 and set(held) == {*added, *first} and held[-1:] == first
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temporary file left
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


async def test_a_rotation_syncs_the_key_folder_after_the_rename(key_file, client, people, monkeypatch):
    # Without an fsync of the folder the rename may be lost in a crash, bringing back the old list.
    from assetsvc.secrets import add_key

    done = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        done.append(("fsync", stat.S_ISDIR(os.fstat(fd).st_mode)))
        real_fsync(fd)

    def replace(*args, **kwargs):
        done.append(("replace",))
        real_replace(*args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    add_key(key_file)
    assert ("replace",) in done and ("fsync", True) in done[done.index(("replace",)):]


async def test_retire_without_a_key_says_none_is_configured(key_file, client, people):
    result = assetsvc("keys", "retire", env={"ASSETSVC_SECRET_KEY_FILE": str(key_file.with_name("none.key"))})
    assert result.returncode == 1, result.stdout
    assert "no credential key is configured" in result.stderr and "assetsvc keygen" in result.stderr
    assert "single key" not in result.stdout


def test_a_rotated_key_file_that_falls_to_another_group_gives_that_group_no_read(tmp_path, monkeypatch):
    # An operator who may not give the new file the old one's group (chown refused): the file must not
    # keep a group read for whatever group it fell to (a review's finding: 640 under gid 0).
    from assetsvc import secrets

    path = tmp_path / "secret.key"
    secrets.write_key_file(path)
    os.chown(path, os.getuid(), 4242)
    path.chmod(0o640)

    def refused(*args, **kwargs):
        raise PermissionError("not root")

    monkeypatch.setattr(os, "chown", refused)
    secrets.add_key(path)
    assert (stat.S_IMODE(path.stat().st_mode), len(path.read_text().split())) == (0o600, 2)
