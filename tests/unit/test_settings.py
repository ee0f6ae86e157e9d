"""Settings: defaults, and a wrong value stops start-up naming the variable."""

from __future__ import annotations

import pytest

from assetsvc.settings import SettingsError, load_settings, settings_table
from tests.conftest import REPO


@pytest.mark.parametrize("name,value,words", [
    ("PORT", "eighty", "not a whole number"),
    ("PORT", "70000", "outside"),
    ("DATABASE_URL", "mysql://x/y", "scheme"),
    ("DATABASE_URL", "sqlite://", "scheme"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ("REGION_MAX_KM", "far", "not a number"),
    ("SESSION_MINUTES", "0", "outside"),
    ("TIMEZONE", "Asia/Atlantis", "not a known time zone"),
    ("LOG_FORMAT", "xml", "not one of text, json"),
    ("METRICS_LISTEN", "9850", "not host:port"),
    ("METRICS_LISTEN", "127.0.0.1:99999", "not host:port"),
    ("METRICS_LISTEN", "metrics.local:9850", "must be an IP address"),
])
def test_bad_value_names_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(f"ASSETSVC_{name}", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert f"ASSETSVC_{name}" in str(info.value) or words in str(info.value)
    assert words in str(info.value) or f"ASSETSVC_{name}" in str(info.value)


def test_defaults_are_the_embedded_sqlite(monkeypatch):
    for var, _ in settings_table():
        monkeypatch.delenv(var, raising=False)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/assetsvc.sqlite"
    assert settings.is_sqlite and settings.port == 8750
    assert settings.timezone == "Asia/Shanghai" and str(settings.zone) == "Asia/Shanghai"


def test_readme_documents_every_variable():
    readme = (REPO / "README.md").read_text()
    missing = [var for var, _ in settings_table() if f"`{var}`" not in readme]
    assert missing == []


def test_the_office_time_zone_sets_month_bounds_and_uptime_offsets():
    import datetime as dt
    import os
    from zoneinfo import ZoneInfo

    from assetsvc import runtime
    from assetsvc.monitoring.uptime_input import parse_offset
    from assetsvc.tickets.contracts import month_bounds

    before = os.environ.get("ASSETSVC_TIMEZONE")
    os.environ["ASSETSVC_TIMEZONE"] = "Asia/Kathmandu"  # +05:45 all year
    runtime.settings.cache_clear()
    try:
        start, end = month_bounds("2026-11")
        assert start == dt.datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Kathmandu")).timestamp()
        assert end - start == 30 * 86400
        assert parse_offset(None) == dt.timezone(dt.timedelta(hours=5, minutes=45))
    finally:
        if before is None:
            del os.environ["ASSETSVC_TIMEZONE"]
        else:
            os.environ["ASSETSVC_TIMEZONE"] = before
        runtime.settings.cache_clear()
