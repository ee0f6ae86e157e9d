"""`assetsvc backup` / `assetsvc restore`: an online SQLite copy taken while writes go on, restored
into a fresh data folder with every record, ticket and secret readable; a wrong key is refused
before anything is written; PostgreSQL is pointed at pg_dump/pg_restore."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from assetsvc.app import backup as backups
from assetsvc.app.jobs import month_just_ended
from assetsvc.reports import versions as report_versions
from assetsvc.reports.province import config as province
from assetsvc.registry.tables import Camera
from assetsvc.runtime import settings
from assetsvc.tickets.tables import Ticket, TicketEvent
from assetsvc.webhooks import service as webhooks
from tests.integration.conftest import ADMIN, bearer

SQLITE = os.environ.get("ASSETSVC_TEST_DB", "sqlite") == "sqlite"
DEVICE_PW = "Backup-Device-Pw-1"
PROVINCE_KEY = "Backup-Province-Signing-Key-1"


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`assetsvc ARGS` on the embedded database of `data_dir`, with the key file there (no env key)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ASSETSVC_DATABASE_URL", "ASSETSVC_SECRET_KEY")}
    env["ASSETSVC_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def rows(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of an SQLite file, in rowid order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        conn.close()


async def seed(client, people) -> dict:
    made = await client.post("/api/v1/credentials/", headers=bearer(people.admin),
                             json={"name": "cams", "username": "admin", "password": DEVICE_PW})
    assert made.status_code == 201, made.text
    for n in range(20):
        await Camera(gb_id=f"330106001313200{n:05d}", name=f"cam {n}", region_code="330106",
                     credential=made.json()["id"]).save().run()
    now = time.time()
    ticket = Ticket(subject_type="camera", subject_id=1, fault="down", severity="P2", state="open",
                    fault_since=now, opened_at=now, updated_at=now)
    await ticket.save().run()
    await TicketEvent(ticket=ticket.id, at=now, actor="system", kind="opened", to_state="open").save().run()
    hook = await webhooks.create_endpoint(ADMIN, {"name": "office", "url": "http://127.0.0.1:9/hooks"}, now=now)
    # The province's signing key is a sealed secret too (a .invalid host: never sent to).
    await province.configure(ADMIN, {"url": "https://province.example.invalid/api/reports", "area_code": "330100",
                                     "unit_code": "HZ-VIDEO-OFFICE", "secret": PROVINCE_KEY}, now=now)
    report = await report_versions.generate(ADMIN, month_just_ended(now), now)
    await report_versions.approve(ADMIN, report["month"], report["version"], now=now)  # queued for the province
    return {"webhook_secret": hook["secret"], "ticket": ticket.id, "report": report}


@pytest.mark.skipif(not SQLITE, reason="the SQLite backup; PostgreSQL uses pg_dump (tested below)")
async def test_backup_while_writing_restores_every_record_ticket_and_secret(client, people, tmp_path):
    seeded = await seed(client, people)
    dest = tmp_path / "backup-1"
    copying = asyncio.create_task(asyncio.to_thread(backups.backup, settings(), dest))
    written = 0
    while not copying.done() or written < 5:  # the service goes on writing during the copy
        await Camera(gb_id=f"330106001313201{written:05d}", name=f"later {written}", region_code="330106").save().run()
        written += 1
        await asyncio.sleep(0)
    report = await copying
    assert report.key_file == dest / "secret.key" and (dest / "secret.key").stat().st_mode & 0o777 == 0o600
    taken = rows(dest / "assetsvc.sqlite")
    assert len(taken["camera"]) >= 20 and len(taken["ticket"]) == 1 and len(taken["report_version"]) == 1
    assert len(taken["province_delivery"]) == 1 and len(taken["province_target"]) == 1

    fresh = tmp_path / "fresh"
    done = cli(fresh, "restore", str(dest))
    assert done.returncode == 0, done.stderr
    assert "key opens the stored secrets" in done.stdout
    restored = rows(fresh / "assetsvc.sqlite")
    assert restored == taken  # every row of every table, as it was at the instant of the copy
    key = Fernet((fresh / "secret.key").read_bytes().strip())
    secret = restored["credential"][0][3]
    assert key.decrypt(secret.encode()).decode() == DEVICE_PW
    sealed = [r for r in restored["webhook_endpoint"]][0]
    assert seeded["webhook_secret"] in [key.decrypt(v.encode()).decode() for v in sealed if isinstance(v, str)
                                        and v.startswith("gAAAA")]
    province_sealed = restored["province_target"][0]
    assert PROVINCE_KEY in [key.decrypt(v.encode()).decode() for v in province_sealed if isinstance(v, str)
                            and v.startswith("gAAAA")]
    report = seeded["report"]
    shown = cli(fresh, "report", "versions", "--month", report["month"])
    assert shown.returncode == 0 and "v1  approved" in shown.stdout, (shown.stdout, shown.stderr)
    assert report["content_hash"][:12] in shown.stdout  # the report version, as it was generated
    # The frozen content itself came back intact: it still hashes to the stored SHA-256.
    with contextlib.closing(sqlite3.connect(f"file:{fresh / 'assetsvc.sqlite'}?mode=ro", uri=True)) as conn:
        version = conn.execute("SELECT content, content_hash, status FROM report_version").fetchone()
    version = dict(zip(("content", "content_hash", "status"), version))
    assert hashlib.sha256(version["content"].encode("utf-8")).hexdigest() == report["content_hash"]
    assert version["status"] == "approved"
    # The restored folder serves: the CLI reads its tickets.
    listed = cli(fresh, "tickets", "list")
    assert listed.returncode == 0 and f"{seeded['ticket']}" in listed.stdout, listed.stderr


@pytest.mark.skipif(not SQLITE, reason="the SQLite backup")
async def test_a_wrong_key_is_refused_before_anything_is_restored(client, people, tmp_path):
    await seed(client, people)
    dest = tmp_path / "backup"
    backups.backup(settings(), dest)
    wrong = tmp_path / "other.key"
    wrong.write_bytes(Fernet.generate_key())
    fresh = tmp_path / "fresh"
    refused = cli(fresh, "restore", str(dest), "--key", str(wrong))
    assert refused.returncode == 1
    assert "is not the key of this backup" in refused.stderr and "nothing was restored" in refused.stderr
    assert not (fresh / "assetsvc.sqlite").exists() and not (fresh / "secret.key").exists()
    # Without the key file kept apart, the secrets cannot come back: said as much.
    (dest / "secret.key").rename(tmp_path / "kept-apart.key")
    missing = cli(fresh, "restore", str(dest))
    assert missing.returncode == 1 and "no key was given" in missing.stderr
    assert not (fresh / "assetsvc.sqlite").exists()
    # With the key from where it was kept, it restores.
    assert cli(fresh, "restore", str(dest), "--key", str(tmp_path / "kept-apart.key")).returncode == 0


@pytest.mark.skipif(not SQLITE, reason="the SQLite backup")
async def test_restore_never_overwrites_a_database_and_backup_wants_a_new_folder(client, people, tmp_path):
    dest = tmp_path / "backup"
    backups.backup(settings(), dest)
    with pytest.raises(backups.BackupError, match="not an empty folder"):
        backups.backup(settings(), dest)
    with pytest.raises(backups.BackupError, match="a database already exists"):
        backups.restore(settings(), dest)  # onto the test's own, live database


@pytest.mark.skipif(SQLITE, reason="PostgreSQL only")
def test_on_postgresql_the_commands_point_to_pg_dump_and_pg_restore(tmp_path):
    env = {**os.environ}
    done = subprocess.run([sys.executable, "-m", "assetsvc.cli", "backup", str(tmp_path / "b")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "pg_dump --format=custom" in done.stderr and "pg_restore" in done.stderr and "key" in done.stderr
    assert not (tmp_path / "b").exists()


@pytest.mark.skipif(not SQLITE, reason="the SQLite backup")
async def test_backups_across_a_key_rotation_each_restore_with_the_keys_saved_with_them(client, people, tmp_path,
                                                                                        monkeypatch):
    from assetsvc import runtime
    from assetsvc.app import keys as rotation
    from assetsvc.secrets import Vault, load_keys

    seeded = await seed(client, people)
    old = os.environ["ASSETSVC_SECRET_KEY"]
    backups.backup(settings(), tmp_path / "before")
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("ASSETSVC_SECRET_KEY", f"{new},{old}")
    settings.cache_clear()
    try:
        backups.backup(settings(), tmp_path / "rotating")  # both keys: the copy may hold secrets of each
        await rotation.reencrypt(settings(), ADMIN)
        backups.backup(settings(), tmp_path / "after")
    finally:
        monkeypatch.undo()
        settings.cache_clear()
        runtime.install_vault(Vault(load_keys(settings())))
    assert (tmp_path / "rotating" / "secret.key").read_text().split() == [new, old]
    # The backup made before the rotation opens with its own key file, not with the new key alone.
    refused = cli(tmp_path / "fresh-a", "restore", str(tmp_path / "before"), "--key", str(tmp_path / "after" / "x"))
    assert refused.returncode == 1 and "does not exist" in refused.stderr
    (tmp_path / "new-only.key").write_text(new + "\n")
    refused = cli(tmp_path / "fresh-a", "restore", str(tmp_path / "before"), "--key", str(tmp_path / "new-only.key"))
    assert refused.returncode == 1 and "is not the key of this backup" in refused.stderr
    # A configured key list must hold the backup's key (the old one kept after the new).
    env = {k: v for k, v in os.environ.items() if k != "ASSETSVC_DATABASE_URL"}
    for keys, code in ((new, 1), (f"{new},{old}", 0)):
        env.update(ASSETSVC_DATA_DIR=str(tmp_path / f"fresh-env-{code}"), ASSETSVC_SECRET_KEY=keys)
        done = subprocess.run([sys.executable, "-m", "assetsvc.cli", "restore", str(tmp_path / "before")], env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == code, done.stderr
        assert code == 0 or "lacks a key of this backup's" in done.stderr
    for name in ("before", "rotating", "after"):
        fresh = tmp_path / f"fresh-{name}"
        done = cli(fresh, "restore", str(tmp_path / name))
        assert done.returncode == 0, (name, done.stderr)
        vault = Vault([k.encode() for k in (fresh / "secret.key").read_text().split()])
        restored = rows(fresh / "assetsvc.sqlite")
        assert vault.decrypt(restored["credential"][0][3]) == DEVICE_PW
        hook = [v for v in restored["webhook_endpoint"][0] if isinstance(v, str) and v.startswith("gAAAA")]
        assert [vault.decrypt(v) for v in hook] == [seeded["webhook_secret"]]
    after = (tmp_path / "fresh-after" / "secret.key").read_text().split()
    assert after == [new, old]  # retire, then back up again, to drop the old key from later backups


@pytest.mark.skipif(not SQLITE, reason="the SQLite backup")
async def test_a_key_file_that_cannot_be_written_leaves_the_database_unrestored(client, people, tmp_path,
                                                                               monkeypatch):
    # The key goes in first: restored data without its key holds secrets nothing opens.
    await seed(client, people)
    dest = tmp_path / "backup"
    backups.backup(settings(), dest)
    (tmp_path / "not-a-folder").write_text("")
    fresh = tmp_path / "fresh"
    env = {k: v for k, v in os.environ.items() if k not in ("ASSETSVC_DATABASE_URL", "ASSETSVC_SECRET_KEY")}
    env.update(ASSETSVC_DATA_DIR=str(fresh), ASSETSVC_SECRET_KEY_FILE=str(tmp_path / "not-a-folder" / "secret.key"))
    failed = subprocess.run([sys.executable, "-m", "assetsvc.cli", "restore", str(dest)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "not-a-folder" in failed.stderr, failed.stderr
    assert not (fresh / "assetsvc.sqlite").exists()
    # When the database copy then fails, the key file installed for it goes again: nothing is left.
    target = dataclasses.replace(settings(), database_url=f"sqlite:///{fresh / 'assetsvc.sqlite'}", secret_key=None,
                                 secret_key_file=fresh / "secret.key")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    copy = backups._copy
    monkeypatch.setattr(backups, "_copy", disk_full)
    with pytest.raises(OSError, match="No space left"):
        backups.restore(target, dest)
    assert not (fresh / "assetsvc.sqlite").exists() and not (fresh / "secret.key").exists()
    monkeypatch.setattr(backups, "_copy", copy)
    assert backups.restore(target, dest) == fresh / "assetsvc.sqlite" and (fresh / "secret.key").exists()
