"""Process start-up shared by serve, worker and demo: migrations, the credential key, rule files.

A wrong rules file or key stops start-up with a message that names it (SettingsError, KeyError_).
"""

from __future__ import annotations

from assetsvc import runtime
from assetsvc.api.app import configure_logging
from assetsvc.monitoring.config import MonitoringConfig, current
from assetsvc.registry.tables import Credential
from assetsvc.secrets import KeyError_, Vault, load_key, write_key_file
from assetsvc.settings import SettingsError
from assetsvc.tickets import config as ticket_config
from assetsvc.tickets.calendar import DataError
from assetsvc.webhooks.tables import WebhookEndpoint


async def check_key(*, create_if_unused: bool) -> None:
    """Fail clearly when credentials exist but the key is missing or wrong.

    With `create_if_unused`, a deployment that has no stored credentials and no key gets a key
    file made for it (the embedded default must start with no set-up).
    """
    settings = runtime.settings()
    key = load_key(settings)
    # Webhook secrets are sealed with the same key: a deployment with endpoints but no device
    # credentials must not get a fresh key and silently fail every delivery.
    sample = (await Credential.select(Credential.secret).first().run()
              or await WebhookEndpoint.select(WebhookEndpoint.secret).first().run())
    if key is None:
        if sample is not None:
            raise KeyError_(
                "device credentials or webhook secrets are stored but no key is configured: set ASSETSVC_SECRET_KEY "
                f"or restore the key file {settings.secret_key_file}"
            )
        if create_if_unused:
            key = write_key_file(settings.secret_key_file)
    vault = runtime.install_vault(Vault(key))
    if sample is not None:
        vault.decrypt(sample["secret"])  # raises KeyError_ when the key is the wrong one


async def prepare(*, create_key: bool) -> None:
    """Migrations, then the credential key check."""
    await runtime.migrate()
    await check_key(create_if_unused=create_key)


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
