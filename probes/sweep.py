"""SNMP sweep (SNMP 网段扫描) of an address list: who answers, who is silent, who is not registered."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any, Iterable

from probes.runner import run_probe
from probes.snmp import probe_snmp
from probes.types import ErrorKind, ProbeTarget

MAX_ADDRESSES = 65_536  # a /16: larger lists are split by the caller
SILENT_KINDS = (ErrorKind.TIMEOUT, ErrorKind.REFUSED)


@dataclass(frozen=True)
class SweepResult:
    """What a sweep saw. Every swept address is in exactly one of found, failed, silent, skipped."""

    found: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> system facts
    failed: dict[str, str] = field(default_factory=dict)  # answered, but "auth: ..." / "protocol: ..."
    silent: list[str] = field(default_factory=list)  # no SNMP answer in time
    skipped: list[str] = field(default_factory=list)  # not probed: the sweep's total time ran out
    unknown: list[str] = field(default_factory=list)  # answered (found or failed) but not in `known`

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _normalise(text: str) -> str | None:
    try:
        return ipaddress.ip_address(str(text).strip()).compressed
    except ValueError:
        return None  # a registry row without a usable address cannot match anything


def _addresses(addresses: Iterable[str]) -> list[str]:
    """The list in order, without repeats, each a literal IP address (names are not swept)."""
    seen: dict[str, None] = {}
    for text in addresses:
        address = _normalise(text)
        if address is None:
            raise ValueError(f"not an IP address: {text!r}")
        seen.setdefault(address, None)
        if len(seen) > MAX_ADDRESSES:
            raise ValueError(f"more than {MAX_ADDRESSES} addresses in one sweep")
    return list(seen)


async def snmp_sweep(addresses: Iterable[str], target_template: ProbeTarget, concurrency: int = 64,
                     timeout_s: float = 2.0, known: Iterable[str] | None = None,
                     total_timeout_s: float | None = None) -> SweepResult:
    """Probe every address with `probe_snmp` (template's credentials and port), at most
    `concurrency` at a time, each for at most `timeout_s` (one attempt unless the template's
    options say otherwise), the whole sweep for at most `total_timeout_s` (default: enough
    rounds for every address, plus one). `known` is the registry's address list to diff against.
    """
    todo = _addresses(addresses)
    concurrency = max(1, min(int(concurrency), 1024))
    options = {"snmp_timeout_s": timeout_s, "snmp_retries": 0, **target_template.options, "interfaces": False}
    per_probe_s = float(options["snmp_timeout_s"]) * (int(options["snmp_retries"]) + 1) + 0.5
    if total_timeout_s is None:
        total_timeout_s = (math.ceil(len(todo) / concurrency) + 1) * per_probe_s
    outcomes: dict[str, Any] = {}
    queue = list(reversed(todo))

    async def worker() -> None:
        while queue:
            address = queue.pop()
            target = dataclasses.replace(target_template, host=address, options=options)
            outcomes[address] = await run_probe("snmp", probe_snmp, target, per_probe_s)

    try:
        async with asyncio.timeout(total_timeout_s):
            await asyncio.gather(*(worker() for _ in range(min(concurrency, len(todo)))))
    except TimeoutError:
        pass  # the bound on the whole sweep: what did not finish is reported as skipped
    return _result(todo, outcomes, known)


def _result(todo: list[str], outcomes: dict[str, Any], known: Iterable[str] | None) -> SweepResult:
    result = SweepResult()
    for address in todo:
        outcome = outcomes.get(address)
        if outcome is None:
            result.skipped.append(address)
        elif outcome.ok:
            result.found[address] = dict(outcome.facts)
        elif outcome.error in SILENT_KINDS:
            result.silent.append(address)
        else:
            result.failed[address] = f"{outcome.error.value}: {outcome.message}"
    if known is not None:
        registered = {a for a in map(_normalise, known) if a is not None}
        result.unknown.extend(a for a in todo if (a in result.found or a in result.failed) and a not in registered)
    return result
