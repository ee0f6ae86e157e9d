"""The monitoring file: the shipped one is valid, and each wrong file is refused naming its key."""

from __future__ import annotations

import random

import pytest

from assetsvc.monitoring.config import Backoff, ConfigError, default_text, load, parse
from assetsvc.monitoring.queue import Claimed, next_due


def test_shipped_file_defines_light_deep_and_inventory_plans_for_onvif_cameras():
    config = parse(default_text(), "built-in")
    onvif = config.classify({"subject": "camera", "probe_protocols": ["onvif", "rtsp"]})
    assert onvif.name == "onvif-camera"
    assert set(onvif.plans) == {"light", "deep", "inventory"}
    assert onvif.plans["light"].every_s == 300
    assert config.classify({"subject": "upstream", "upstream_kind": "switch"}).name == "switch-or-encoder"
    assert config.classify({"subject": "camera", "probe_protocols": []}).plans == {}
    assert config.state_rules().clock_tolerance_s == 30


BAD = [
    ("not toml", "[rules", "not valid TOML"),
    ("unknown rule", "[rules]\nflap = 3", "rules:"),
    ("negative rule", "[rules]\ndown_after_failures = -1", "rules.down_after_failures"),
    ("limit not a number", "[limits]\nglobal = 'many'", "limits.global"),
    ("limit not whole", "[limits]\nbatch = 2.5", "limits.batch"),
    ("class without name", "[[class]]\nwhen = {}", "needs a name"),
    ("bad when key", "[[class]]\nname='x'\nwhen = { colour = 'red' }", "when: keys"),
    ("unknown probe", "[[class]]\nname='x'\nlight = { every = 60, probes = ['ping'], timeout = 1 }",
     "unknown probe kinds ['ping']"),
    ("empty probes", "[[class]]\nname='x'\nlight = { every = 60, probes = [], timeout = 1 }", "non-empty list"),
    ("interval zero", "[[class]]\nname='x'\nlight = { every = 0, probes = ['tcp'], timeout = 1 }", "every"),
    ("unknown plan", "[[class]]\nname='x'\nhourly = { every = 60, probes = ['tcp'] }", "unknown keys ['hourly']"),
    ("backoff below one", "[backoff]\nfactor = 0.5", "backoff.factor"),
    ("scene_change not a boolean", "[[class]]\nname='x'\ndeep = { every = 14400, probes = ['rtsp_frame'], "
     "timeout = 25, options = { scene_change = 'no' } }", "deep.options.scene_change = 'no' must be true or false"),
    ("stale before a backed-off check", "[rules]\nstale_after_s = 600\n[[class]]\nname='x'\n"
     "light = { every = 300, probes = ['tcp'], timeout = 5 }", "rules.stale_after_s = 600 must exceed"),
    # The shipped snmp-camera deep plan with a 10 s limit: every continuity check (10 s window) cut off.
    ("deep plan shorter than the continuity check", "[[class]]\nname='snmp-camera'\n"
     "deep = { every = 14400, probes = ['rtsp_frame', 'rtsp_continuity'], timeout = 10 }",
     "class #1 (snmp-camera).deep.timeout = 10 s is shorter than rtsp_continuity can take: at least 21.5 s"),
    ("continuity window longer than the limit", "[[class]]\nname='x'\n"
     "deep = { every = 3600, probes = ['rtsp_continuity'], timeout = 25, options = { continuity_window_s = 20 } }",
     "at least 31.5 s (continuity_window_s 20 + 2 x continuity_open_s 4"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in BAD], ids=[n for n, _, _ in BAD])
def test_wrong_file_is_refused_with_the_key_named(text, expected):
    with pytest.raises(ConfigError) as caught:
        parse(text, "site.toml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("site.toml")


def test_backoff_stretches_after_repeated_failures_and_is_capped():
    backoff = Backoff(after_failures=3, factor=2, max_factor=4)
    assert [backoff.stretch(n) for n in range(7)] == [1, 1, 1, 2, 4, 4, 4]


def _task(due_at: float) -> Claimed:
    return Claimed(1, "camera", 1, "light", due_at, 0)


def test_next_run_keeps_the_device_slot_in_the_cycle():
    rng = random.Random(1)
    assert next_due(_task(1000.0), 1003.0, 300, 0, Backoff(), None, rng) == 1300.0


def test_a_slot_already_missed_is_spread_over_the_next_interval_not_bunched():
    rng = random.Random(1)
    dues = [next_due(_task(1000.0), 2000.0, 300, 0, Backoff(), None, rng) for _ in range(200)]
    assert all(2000.0 <= d <= 2300.0 for d in dues)
    assert max(dues) - min(dues) > 250  # spread over (nearly) the whole interval


def test_first_failure_asks_for_an_early_recheck_and_repeated_failures_back_off():
    rng = random.Random(1)
    assert next_due(_task(1000.0), 1001.0, 300, 1, Backoff(), 60, rng) == 1061.0
    assert next_due(_task(1000.0), 1001.0, 300, 4, Backoff(after_failures=3), None, rng) == 1000.0 + 300 * 4


def test_a_plan_whose_limit_covers_the_continuity_window_loads():
    text = ("[[class]]\nname='x'\ndeep = { every = 3600, probes = ['rtsp_continuity'], timeout = 16, "
            "options = { continuity_window_s = 4.5 } }")
    assert parse(text, "site.toml").classes[0].plans["deep"].timeout_s == 16


def test_a_site_file_whose_deep_limit_cuts_the_continuity_check_off_fails_to_load_naming_it(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(default_text().replace(
        'deep = { every = 14400, probes = ["rtsp_frame", "rtsp_continuity"], timeout = 25 }',
        'deep = { every = 14400, probes = ["rtsp_frame", "rtsp_continuity"], timeout = 10 }', 1), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load(str(site))
    assert str(caught.value).startswith(f"{site}: class #")
    assert ".deep.timeout = 10 s is shorter than rtsp_continuity can take: at least 21.5 s" in str(caught.value)
