"""`assetsvc sweep` against a real snmpd on loopback, diffed against the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.fakes.snmp_agents import start_snmpd

pytestmark = pytest.mark.needs("snmpd")


def assetsvc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assetsvc.cli", *args], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))


def test_sweep_reports_answering_silent_and_unregistered_addresses(tmp_path):
    known = tmp_path / "known.txt"
    known.write_text("127.0.0.9\n")
    with start_snmpd(hosts=("127.0.0.1",)) as agent:
        result = assetsvc("sweep", "127.0.0.1", "127.0.0.2", "--port", str(agent.port), "--timeout", "0.5",
                          "--known", str(known), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report["found"]) == ["127.0.0.1"]
    assert report["silent"] == ["127.0.0.2"]
    assert report["unknown"] == ["127.0.0.1"]


def test_sweep_refuses_an_oversized_block():
    result = assetsvc("sweep", "127.0.0.0/8")
    assert result.returncode == 1 and "at most" in result.stderr
