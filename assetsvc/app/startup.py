"""Process start-up shared by serve, worker and demo: migrations, the credential key, rule files.

A wrong rules file or key stops start-up with a message that names it (SettingsError, KeyError_).
"""

from __future__ import annotations

from assetsvc import db, runtime, storage
from assetsvc.api.app import configure_logging
from assetsvc.monitoring.config import MonitoringConfig, current
from assetsvc.registry import keycheck
from assetsvc.reports.province import config as province
from assetsvc.secrets import load_keys, write_key_file
from assetsvc.settings import SettingsError
from assetsvc.storage import StorageFailure
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.calendar import DataError


async def check_key(*, create_if_unused: bool) -> None:
    """Fail clearly when secrets are sealed but the key is missing or wrong.

    With `create_if_unused`, a deployment that has sealed nothing and has no key gets a key file
    made for it (the embedded default must start with no set-up). The key is checked against the
    stored key check (registry/keycheck.py), written here when the key is first established.
    """
    settings = runtime.settings()
    if not load_keys(settings) and create_if_unused and not await keycheck.established(province.sealed_secrets):
        write_key_file(settings.secret_key_file)
    runtime.install_vault(await keycheck.verified_vault(province.sealed_secrets))  # webhooks' and the province's


async def prepare(*, create_key: bool) -> None:
    """A quick integrity check of an SQLite file, migrations, then the credential key check."""
    try:
        problem = await db.integrity_problem()
    except Exception as exc:  # "file is not a database" and the like, raised by the check itself
        if (failure := storage.classify(exc)) is None:
            raise
        raise failure from None
    if problem is not None:
        raise StorageFailure("damaged", f"PRAGMA quick_check: {problem}")
    await runtime.migrate()
    await check_key(create_if_unused=create_key)


def expose_metrics() -> None:
    """With ASSETSVC_METRICS_LISTEN, serve this process's own metrics there (prometheus_client's
    server in a daemon thread, no authentication: a management address only)."""
    listen = runtime.settings().metrics_listen
    if listen is not None:
        from prometheus_client import start_http_server

        start_http_server(listen[1], addr=listen[0])


def check_ticket_rules() -> None:
    """A wrong tickets file or holiday-notice folder stops start-up, with its message."""
    try:
        ticket_config.current()
        ticket_config.working_days()
    except DataError as exc:
        raise SettingsError(str(exc)) from None


def begin(*, ticket_rules: bool, config: MonitoringConfig | None = None) -> MonitoringConfig:
    """Logging on and the rule files read before anything starts: the monitoring configuration
    always, the ticket rules when this process serves them or may run the scheduled jobs."""
    configure_logging()
    config = config or current()  # a wrong monitoring file stops start-up here, with its message
    if ticket_rules:
        check_ticket_rules()
    return config
