"""Which states and causes an imported row may carry: the ones the state machine itself records.

An imported interval is read by the same uptime sums and contract rules (uptime_faults.DowntimeRule)
as a measured one, so its cause must be one those know: a degraded row names the failing aspect
(stream, picture, clock) and may add the detail monitoring records (picture:blur, stream:stalled);
an offline row may name how reach failed (tcp:timeout, passive:offline), else it is plain `reach`.
"""

from __future__ import annotations

from assetsvc.monitoring.evaluate import CONTINUITY_STREAM_FAULTS, NO_ANSWER, NOT_STREAM_FAULTS, REACH_PROBES
from probes.iq import PRECEDENCE
from probes.types import ErrorKind

# The words an old platform's export uses for a state -> our state.
STATE_WORDS = {
    "online": "up", "up": "up", "在线": "up", "正常": "up",
    "offline": "down", "down": "down", "离线": "down", "掉线": "down", "不在线": "down",
    "degraded": "degraded", "降级": "degraded", "异常": "degraded", "质量异常": "degraded",
}
# What a degraded aspect's detail may be (evaluate.py: stream errors but NOT_STREAM_FAULTS, continuity
# verdicts, picture faults); clock has none.
_DETAILS = {
    "stream": frozenset(e.value for e in ErrorKind if e.value not in NOT_STREAM_FAULTS) | CONTINUITY_STREAM_FAULTS,
    "picture": frozenset(PRECEDENCE),
    "clock": frozenset(),
}
_REACH_ERRORS = NO_ANSWER | {ErrorKind.PROTOCOL.value}
_REACH_CAUSES = frozenset({"reach", "passive:offline"} | {f"{p}:{e}" for p in REACH_PROBES for e in _REACH_ERRORS})


def cause_problem(state: str, cause: str) -> str | None:
    """Why `cause` cannot go with `state` (None: it can). `cause` is already lower-case and trimmed."""
    if state == "up":
        return None if not cause else f"an online row has no cause (got {cause!r})"
    if state == "down":
        if not cause or cause in _REACH_CAUSES:
            return None
        return (f"offline cause {cause!r} is not one monitoring records: leave it empty (reach), or "
                "passive:offline, or <probe>:<error> with probe tcp, onvif_light, snmp_light or snmp "
                "and error timeout, refused or protocol")
    aspect, _, detail = cause.partition(":")
    if aspect not in _DETAILS:
        return (f"a degraded row needs a cause: stream, picture or clock, optionally with a detail "
                f"(picture:blur, stream:stalled); got {cause or 'none'!r}")
    if detail and detail not in _DETAILS[aspect]:
        known = ", ".join(sorted(_DETAILS[aspect])) or "none"
        return f"{detail!r} is not a {aspect} fault monitoring records (known: {known})"
    return None


def stored_cause(state: str, cause: str) -> str:
    """The cause as the interval stores it (an offline row without one is `reach`, as evaluate writes)."""
    return "reach" if state == "down" and not cause else cause
