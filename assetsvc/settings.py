"""One settings object, read from ASSETSVC_* environment variables and validated at start-up."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"  # the office's time zone unless ASSETSVC_TIMEZONE says otherwise


Network = ipaddress.IPv4Network | ipaddress.IPv6Network  # an address block from a CIDR setting


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the variable."""


def _env(name: str) -> str | None:
    value = os.environ.get(f"ASSETSVC_{name}")
    return value if value not in (None, "") else None


def _number(name: str, default: float, low: float, high: float, cast: type = int):
    """A bounded number from ASSETSVC_<name>; `cast` is int or float."""
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = cast(raw)
    except ValueError:
        what = "a whole number" if cast is int else "a number"
        raise SettingsError(f"ASSETSVC_{name}={raw!r} is not {what}") from None
    if not low <= value <= high:
        raise SettingsError(f"ASSETSVC_{name}={value} is outside {low}..{high}")
    return value


def _timezone() -> str:
    name = _env("TIMEZONE") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ASSETSVC_TIMEZONE={name!r} is not a known time zone (an IANA name such as "
                            f"{DEFAULT_TIMEZONE})") from None
    return name


DEFAULT_SAMPLE_HOURS = "02:00,08:00,14:00,20:00"  # a provincial assessment's usual spot checks
MAX_SAMPLE_HOURS = 48


def times_of_day(items: "str | list | tuple") -> tuple[int, ...]:
    """Times of day ("02:00,08:00" or ["02:00", "08:00"]) as sorted distinct minutes after midnight.

    Raises ValueError with a message fit for the caller's field error.
    """
    if isinstance(items, str):
        items = [part for part in items.split(",") if part.strip()]
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError("give one or more times of day such as 02:00,08:00,14:00,20:00")
    minutes = set()
    for item in items:
        text = item.strip() if isinstance(item, str) else ""
        hour, _, minute = text.partition(":")
        if not (hour.isascii() and hour.isdigit() and minute.isascii() and minute.isdigit()
                and len(hour) in (1, 2) and len(minute) == 2 and int(hour) < 24 and int(minute) < 60):
            raise ValueError(f"{item!r} is not a time of day HH:MM (00:00 to 23:59)")
        minutes.add(int(hour) * 60 + int(minute))
    if len(minutes) > MAX_SAMPLE_HOURS:
        raise ValueError(f"at most {MAX_SAMPLE_HOURS} times of day")
    return tuple(sorted(minutes))


def _sample_hours() -> tuple[int, ...]:
    raw = _env("SAMPLE_HOURS") or DEFAULT_SAMPLE_HOURS
    try:
        return times_of_day(raw)
    except ValueError as exc:
        raise SettingsError(f"ASSETSVC_SAMPLE_HOURS={raw!r}: {exc}") from None


def _networks(name: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDR blocks from ASSETSVC_<name>, each checked."""
    out = []
    for item in (_env(name) or "").split(","):
        if not item.strip():
            continue
        try:
            out.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise SettingsError(f"ASSETSVC_{name}: {item.strip()!r} is not an address or CIDR block "
                                "(10.0.0.0/8, fd00::/8)") from None
    return tuple(out)


def _database_url(data_dir: Path) -> str:
    raw = _env("DATABASE_URL") or f"sqlite:///{data_dir / 'assetsvc.sqlite'}"
    scheme = urlparse(raw).scheme
    if scheme == "sqlite":
        if not raw.startswith("sqlite:///") or raw == "sqlite:///":
            raise SettingsError(
                f"ASSETSVC_DATABASE_URL={raw!r}: write sqlite:///relative/path or sqlite:////absolute/path"
            )
    elif scheme not in ("postgresql", "postgres"):
        raise SettingsError(
            f"ASSETSVC_DATABASE_URL={raw!r}: the scheme must be sqlite:// or postgresql://"
        )
    return raw


def _listen(name: str) -> tuple[str, int] | None:
    """host:port from ASSETSVC_<name> ([::1]:9850 for IPv6), or None when unset."""
    raw = _env(name)
    if raw is None:
        return None
    host, sep, port = raw.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SettingsError(f"ASSETSVC_{name}={raw!r} is not host:port (127.0.0.1:9850, [::1]:9850)")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SettingsError(f"ASSETSVC_{name}={raw!r}: the host must be an IP address") from None
    return host, int(port)


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (_env(name) or default).lower()
    if value not in allowed:
        raise SettingsError(f"ASSETSVC_{name}={value!r} is not one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Settings:
    """Every ASSETSVC_* variable; README.md's configuration table mirrors these docstrings."""

    data_dir: Path = field(metadata={"doc": "Folder for the SQLite file, the key file and uploads."})
    database_url: str = field(
        metadata={"doc": "sqlite:///path (embedded default, WAL) or postgresql://user@host:port/db."}
    )
    secret_key: str | None = field(
        metadata={"doc": "Key that encrypts device passwords (Fernet, urlsafe base64); several, comma-separated, "
                       "newest first, during a key rotation. Overrides the key file."}
    )
    secret_key_file: Path = field(
        metadata={"doc": "File holding the credential key (one a line, newest first, during a key rotation); "
                       "`assetsvc keygen` writes it."}
    )
    host: str = field(metadata={"doc": "Address `assetsvc serve` listens on."})
    port: int = field(metadata={"doc": "Port `assetsvc serve` listens on."})
    session_minutes: int = field(
        metadata={"doc": "Lifetime of a login session (bearer session token or the web UI's cookie), minutes."}
    )
    api_token_days: int = field(
        metadata={"doc": "Lifetime of an API token made without --hours/--days, days (at most 365)."}
    )
    login_max_failures: int = field(
        metadata={"doc": "Failed logins per client address within the window before 429; an account "
                         "with this many failures is slowed (growing delay), never locked."}
    )
    login_window_seconds: int = field(metadata={"doc": "Window of the login rate limit, seconds."})
    trusted_proxies: tuple = field(
        metadata={"doc": "Comma-separated addresses or CIDR blocks of reverse proxies whose "
                         "X-Forwarded-For is believed (default none: the peer address counts)."}
    )
    import_max_mb: int = field(metadata={"doc": "Largest accepted import file, MB."})
    outline_max_mb: int = field(metadata={"doc": "Largest accepted district outline file (GeoJSON), MB."})
    region_max_km: float = field(
        metadata={"doc": "How far (km) a camera may lie from its district's centre before it is rejected."}
    )
    db_busy_timeout_s: float = field(
        metadata={"doc": "SQLite: how long a writer waits for the lock before failing, seconds."}
    )
    log_level: str = field(metadata={"doc": "DEBUG, INFO, WARNING or ERROR."})
    log_format: str = field(
        metadata={"doc": "text (one plain line per record) or json (one JSON object per line with the "
                         "request id and the user; docs/operations.md)."}
    )
    metrics_listen: tuple | None = field(
        metadata={"doc": "host:port where this process also serves its own metrics in Prometheus format "
                         "WITHOUT authentication (for `assetsvc worker`, which has no API); unset: none. "
                         "Bind it to loopback or a management address (docs/operations.md)."}
    )
    monitoring_config: str | None = field(
        metadata={"doc": "TOML file of probe plans per device class, confirmation rules and limits "
                         "(default: the built-in one; see docs/monitoring.md)."}
    )
    tickets_config: str | None = field(
        metadata={"doc": "TOML file of ticket rules: grace periods, severity, verification, escalation "
                         "(default: the built-in one; see docs/tickets.md)."}
    )
    calendar_dir: str | None = field(
        metadata={"doc": "Folder of State Council holiday notices (<year>.toml) for years the "
                         "chinesecalendar package does not cover yet (docs/sla.md)."}
    )
    upload_max_mb: int = field(metadata={"doc": "Largest accepted ticket attachment (photo, PDF), MB."})
    timezone: str = field(
        metadata={"doc": "The office's time zone (IANA name, default Asia/Shanghai): local dates and months, "
                         "times the CLI prints, the default of contract calendars and of uptime offsets."}
    )
    body_max_kb: int = field(
        metadata={"doc": "Largest request body on every endpoint but the uploads (import, attachments), KB."}
    )
    passive_hold_share: float = field(
        metadata={"doc": "Share (0-1) of a platform account's cameras its reports may take down within the "
                         "window before they are held for the office to confirm."}
    )
    passive_hold_window_s: int = field(metadata={"doc": "Window of the passive hold share, seconds."})
    webhook_allow_cidrs: tuple = field(
        metadata={"doc": "Comma list of CIDRs webhooks may reach although they are loopback, link-local or a "
                         "cloud metadata service (refused by default), e.g. 127.0.0.0/8 for a receiver on this host."}
    )
    webhook_deny_cidrs: tuple = field(
        metadata={"doc": "Comma list of further CIDRs webhooks may never reach (private ranges are allowed "
                         "unless listed here); it wins over the allow list."}
    )
    ui_dir: Path = field(
        metadata={"doc": "Folder of the built web UI served under /ui (default: admin-ui/dist of the "
                         "source tree, built by scripts/demo and scripts/test; docs/ui.md)."}
    )
    passive_hold_min: int = field(
        metadata={"doc": "Reports taking down fewer cameras than this are never held (small scopes)."}
    )
    evidence_per_camera: int = field(
        metadata={"doc": "Evidence frames (picture grabs as JPEGs of at most 100 KB) kept per camera, newest "
                         "first; frames a ticket holds come on top (docs/probes-iq.md, 'Evidence frames')."}
    )
    evidence_max_mb: int = field(
        metadata={"doc": "Total size of all evidence frames, MB; the oldest frames no ticket holds go first."}
    )
    evidence_keep_days: int = field(
        metadata={"doc": "Days a ticket's evidence frames are kept after the ticket closed (never evicted "
                         "while it is active or disputed)."}
    )
    evidence_every_s: int = field(
        metadata={"doc": "A camera's grab is kept when its verdict differs from the last kept one, or the last "
                         "kept one of that kind is older than this, seconds."}
    )
    uptime_rollup_days: int = field(
        default=400,
        metadata={"doc": "Days the daily uptime rollup (uptime_day: one row per camera and closed day) is kept; "
                         "older days are pruned by the nightly uptime_rollup job and computed from the intervals "
                         "when asked (docs/monitoring.md)."}
    )
    sample_hours: tuple = field(
        default=(120, 480, 840, 1200),
        metadata={"doc": "Times of day (office time, comma list HH:MM, default 02:00,08:00,14:00,20:00) at which "
                         "the sampled online rate spot-checks the cameras, unless a request or a contract names "
                         "its own (docs/metrics.md)."}
    )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))

    @property
    def zone(self) -> ZoneInfo:
        """The office's time zone."""
        return ZoneInfo(self.timezone)


def load_settings() -> Settings:
    """Read and validate the environment; raise SettingsError naming the variable at fault."""
    data_dir = Path(_env("DATA_DIR") or "var")
    level = (_env("LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError(f"ASSETSVC_LOG_LEVEL={level!r} is not DEBUG, INFO, WARNING or ERROR")
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(data_dir),
        secret_key=_env("SECRET_KEY"),
        secret_key_file=Path(_env("SECRET_KEY_FILE") or data_dir / "secret.key"),
        host=_env("HOST") or "127.0.0.1",
        port=_number("PORT", 8750, 1, 65535),
        session_minutes=_number("SESSION_MINUTES", 720, 1, 30 * 24 * 60),
        api_token_days=_number("API_TOKEN_DAYS", 90, 1, 365),
        login_max_failures=_number("LOGIN_MAX_FAILURES", 5, 1, 1000),
        login_window_seconds=_number("LOGIN_WINDOW_SECONDS", 900, 1, 86400),
        trusted_proxies=_networks("TRUSTED_PROXIES"),
        import_max_mb=_number("IMPORT_MAX_MB", 50, 1, 2048),
        outline_max_mb=_number("OUTLINE_MAX_MB", 20, 1, 512),
        region_max_km=_number("REGION_MAX_KM", 50.0, 1.0, 5000.0, float),
        db_busy_timeout_s=_number("DB_BUSY_TIMEOUT_S", 30.0, 0.1, 600.0, float),
        log_level=level,
        log_format=_choice("LOG_FORMAT", "text", ("text", "json")),
        metrics_listen=_listen("METRICS_LISTEN"),
        monitoring_config=_env("MONITORING_CONFIG"),
        tickets_config=_env("TICKETS_CONFIG"),
        calendar_dir=_env("CALENDAR_DIR"),
        upload_max_mb=_number("UPLOAD_MAX_MB", 10, 1, 100),
        timezone=_timezone(),
        body_max_kb=_number("BODY_MAX_KB", 1024, 16, 65536),
        passive_hold_share=_number("PASSIVE_HOLD_SHARE", 0.2, 0.0, 1.0, float),
        passive_hold_window_s=_number("PASSIVE_HOLD_WINDOW_S", 600, 1, 7 * 86400),
        passive_hold_min=_number("PASSIVE_HOLD_MIN", 5, 1, 1_000_000),
        webhook_allow_cidrs=_networks("WEBHOOK_ALLOW_CIDRS"),
        webhook_deny_cidrs=_networks("WEBHOOK_DENY_CIDRS"),
        evidence_per_camera=_number("EVIDENCE_PER_CAMERA", 4, 2, 1000),
        evidence_max_mb=_number("EVIDENCE_MAX_MB", 20480, 1, 10_000_000),
        evidence_keep_days=_number("EVIDENCE_KEEP_DAYS", 180, 1, 3650),
        evidence_every_s=_number("EVIDENCE_EVERY_S", 86400, 60, 30 * 86400),
        uptime_rollup_days=_number("UPTIME_ROLLUP_DAYS", 400, 2, 3650),
        sample_hours=_sample_hours(),
        ui_dir=Path(_env("UI_DIR") or Path(__file__).resolve().parents[1] / "admin-ui" / "dist"),
    )


def settings_table() -> list[tuple[str, str]]:
    """(variable, meaning) rows for the README and `assetsvc config`."""
    return [(f"ASSETSVC_{f.name.upper()}", f.metadata["doc"]) for f in fields(Settings)]
