"""Every event name the service queues for webhooks is in the catalog the UI reads (webhooks/events.py)."""

from __future__ import annotations

import re
from pathlib import Path

from assetsvc.tickets.lifecycle import ACTIONS
from assetsvc.reports.province.service import STATES
from assetsvc.webhooks.events import EVENTS, NAMES

ROOT = Path(__file__).parents[2] / "assetsvc"
# notify("ticket.x", ...), enqueue("x.y", ...), enqueue_to([...], "x", ...) with a literal name
LITERAL = re.compile(r"""(?:notify|enqueue|enqueue_to)\((?:\[[^\]]*\],\s*)?["']([a-z_.]+)["']""")


def test_every_literal_event_name_in_the_code_is_in_the_catalog():
    found = {name for path in ROOT.rglob("*.py") for name in LITERAL.findall(path.read_text(encoding="utf-8"))}
    assert found, "the pattern found no event at all"
    assert found <= NAMES, found - NAMES


def test_the_names_built_at_run_time_are_in_the_catalog():
    # lifecycle.act notifies ticket.<target> of each action; a pause ticket.suspended or .resumed;
    # the province delivery report.province_<end state>.
    built = {f"ticket.{target}" for _, target, _ in ACTIONS.values()} | {"ticket.suspended", "ticket.resumed"}
    built |= {f"report.province_{state}" for state in STATES if state != "pending"}
    assert built <= NAMES, built - NAMES


def test_names_are_unique_and_well_formed():
    assert len(NAMES) == len(EVENTS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", e.name) and e.summary for e in EVENTS)
