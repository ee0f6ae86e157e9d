"""Simulated fleet: layout arithmetic, seeded fault scripts and conditions over time (no sockets)."""

from __future__ import annotations

import math

import pytest

from assetsvc.simfleet import Condition, Episode, Fault, Fleet, Layout, Mix, NO_FAULTS, plan
from assetsvc.simfleet.scenarios import active


def test_every_camera_address_maps_back_to_its_index():
    layout = Layout(100_000)
    for n in (0, 249, 250, 63_999, 64_000, 99_999):
        assert layout.camera_index(layout.camera_address(n)) == n
    assert layout.camera_address(0) == "127.16.0.1"
    assert layout.camera_address(64_000) == "127.17.0.1"
    assert all(not a.endswith((".0", ".255")) for a in map(layout.camera_address, range(0, 2000, 7)))


def test_addresses_outside_the_fleet_are_no_device():
    layout = Layout(1000)
    for address in ("127.0.0.1", "127.16.4.1", "127.16.0.0", "127.16.0.251", "10.16.0.1", "127.16.x.1", "::1",
                    "127.15.0.1"):
        assert layout.camera_index(address) is None, address
    assert layout.upstream_index("127.15.0.1") == 0
    assert layout.upstream_index("127.15.0.64") is None  # 1000 cameras / 16 = 63 upstream devices


def test_cameras_hang_off_upstream_devices_in_blocks():
    layout = Layout(40, per_upstream=16)
    assert layout.upstream_count == 3
    assert [layout.upstream_of(n) for n in (0, 15, 16, 39)] == [0, 0, 1, 2]
    assert layout.cameras_of(2) == range(32, 40)


def test_identities_depend_on_the_seed_but_not_on_the_call():
    assert Layout(50, seed=1).identity(7) == Layout(50, seed=1).identity(7)
    assert {Layout(50, seed=s).identity(7).manufacturer for s in range(12)} >= {"HIKVISION", "Dahua"}
    macs = {Layout(5000).identity(n).mac for n in range(5000)}
    assert len(macs) == 5000


def test_drifted_devices_disagree_with_the_registry_and_nobody_else_does():
    layout = Layout(200, seed=9)
    drifted = layout.drifted
    assert len(drifted) == 3
    for n in range(200):
        assert (layout.reported(n) != layout.identity(n)) == (n in drifted)
    swap = [d for d in layout.drifts() if d.kind == "address_swap"]
    assert swap[0].device == swap[1].registry and swap[1].device == swap[0].registry
    assert Layout(200, seed=9, drifts=False).drifted == frozenset()


def test_the_same_seed_gives_the_same_script_and_another_seed_another():
    layout = Layout(5000, seed=4)
    first, again = plan(layout, 4, Mix()), plan(layout, 4, Mix())
    assert first == again
    assert plan(layout, 5, Mix()) != first
    assert plan(layout, 4, NO_FAULTS) == {}


def test_a_script_holds_roughly_the_mix_it_was_drawn_from():
    layout = Layout(20_000)
    script = plan(layout, 1, Mix())
    faults = [episodes[0].condition.fault for address, episodes in script.items()
              if layout.camera_index(address) is not None]
    assert 300 < faults.count(Fault.OUTAGE) < 500  # 2 % of 20,000
    assert 450 < faults.count(Fault.CLOCK_DRIFT) < 750  # 3 %
    dead = [a for a in script if layout.upstream_index(a) is not None]
    assert 10 <= len(dead) <= 50  # 2 % of 1,250 upstream devices
    for episodes in script.values():
        for episode in episodes:
            assert 0 <= episode.start_s < episode.end_s


def test_mix_shares_over_one_are_refused():
    with pytest.raises(ValueError, match="more than 1"):
        plan(Layout(10), 0, Mix(outage=0.6, dark=0.6))


def test_flapping_alternates_up_then_down():
    flap = Condition(Fault.FLAPPING, up_s=10, down_s=5)
    states = [flap.down_at(t) for t in (0, 9.9, 10, 14.9, 15, 26)]
    assert states == [None, None, Fault.OUTAGE, Fault.OUTAGE, None, Fault.OUTAGE]


def test_the_latest_started_episode_wins_where_windows_overlap():
    episodes = (Episode(0, 100, Condition(Fault.DARK)), Episode(50, 60, Condition(Fault.OUTAGE)))
    assert active(episodes, 55).condition.fault is Fault.OUTAGE
    assert active(episodes, 70).condition.fault is Fault.DARK
    assert active(episodes, 100) is None


class Clock:
    """A scenario clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_scripted_outage_starts_and_ends_on_the_scenario_clock():
    clock = Clock()
    address = Layout(10).camera_address(3)
    fleet = Fleet(10, clock=clock, epoch=1000.0,
                  script={address: (Episode(60, 120, Condition(Fault.OUTAGE)),)})
    seen = []
    for t in (59, 60, 119, 120):
        clock.t = 1000.0 + t
        seen.append(fleet.status(address))
    assert seen == ["up", "refuse", "refuse", "up"]


def test_a_manual_fault_overrides_the_script_until_cleared():
    clock = Clock()
    fleet = Fleet(10, clock=clock, epoch=clock.t,
                  script={"127.16.0.2": (Episode(0, math.inf, Condition(Fault.CLOCK_DRIFT, offset_s=90)),)})
    fleet.set("127.16.0.2", Fault.OUTAGE)
    assert fleet.status("127.16.0.2") == "refuse"
    fleet.clear("127.16.0.2")
    assert fleet.condition("127.16.0.2") == Condition(Fault.CLOCK_DRIFT, offset_s=90)
    with pytest.raises(KeyError):
        fleet.set("127.99.0.1", Fault.OUTAGE)


def test_a_dead_upstream_device_silences_exactly_its_cameras():
    fleet = Fleet(40, per_upstream=16)
    fleet.set(fleet.upstream_addresses[1], Fault.OUTAGE)
    silent = [n for n, address in enumerate(fleet.addresses) if fleet.status(address) == "silent"]
    assert silent == list(range(16, 32))
    assert fleet.camera_state(fleet.addresses[20])[2].fault is Fault.UNREACHABLE


def test_an_upstream_device_that_comes_back_has_just_booted():
    clock = Clock()
    fleet = Fleet(20, clock=clock, epoch=clock.t)
    switch = fleet.upstream_addresses[0]
    assert fleet.upstream_uptime_s(switch) > 86400  # up for days before the epoch
    fleet.set(switch, Fault.OUTAGE)
    clock.t += 300
    fleet.clear(switch)
    clock.t += 42
    assert fleet.upstream_uptime_s(switch) == pytest.approx(42)


def test_the_script_repeats_every_horizon():
    clock = Clock()
    address = "127.16.0.1"
    fleet = Fleet(5, clock=clock, epoch=clock.t, horizon_s=100,
                  script={address: (Episode(10, 20, Condition(Fault.OUTAGE)),)})
    clock.t += 215
    assert fleet.status(address) == "refuse"
