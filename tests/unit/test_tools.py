"""tests/tools.py: a missing outside tool is one skip with one message, never a FileNotFoundError (issue 11)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import tools
from tests.fakes.snmp_agents import start_snmpd


@pytest.fixture
def no_snmpd(monkeypatch):
    """This machine as one without net-snmp: the check looks at a path that does not exist."""
    monkeypatch.setattr(tools, "SNMPD", "/nonexistent/usr/sbin/snmpd")
    tools.why_missing.cache_clear()
    yield
    tools.why_missing.cache_clear()  # the real answer for the tests after this one


def test_starting_snmpd_where_it_is_missing_raises_the_tools_message_not_file_not_found(no_snmpd):
    with pytest.raises(tools.ToolMissing) as raised:
        start_snmpd()
    assert str(raised.value) == tools.message("snmpd")
    assert str(raised.value) == ("snmpd missing: /nonexistent/usr/sbin/snmpd is not installed; needed for SNMP probes,"
                                 " sweeps and switch outages against net-snmp's agent"
                                 " (apt-get install snmpd snmp, or run scripts/test as root)")
    assert tools.missing().count("snmpd") == 1


def test_the_package_list_names_every_tools_packages_once():
    listed = subprocess.run([sys.executable, "tests/tools.py", "packages"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert len(listed) == len(set(listed))
    assert set(listed) == {p for tool in tools.TOOLS.values() for p in tool.packages}
    assert {"snmpd", "snmp", "chromium", "nodejs", "gstreamer1.0-rtsp"} <= set(listed)
