"""Monitoring tables: probe work queue, current state, latest results, intervals, maintenance, drift.

Instants are Unix seconds (DOUBLE PRECISION) rather than timestamps: interval arithmetic
(clip to a period, sum durations) is then the same plain SQL on SQLite and PostgreSQL, and the
hot path binds floats instead of converting datetimes per row. The API renders ISO 8601.

A "subject" is what is probed and has a state: a camera (subject_type "camera") or an upstream
device such as a switch or NVR ("upstream"); subject_id is that row's id.
"""

from piccolo.columns import JSON, Boolean, Bytea, DoublePrecision, Integer, Text, Varchar
from piccolo.table import Table


class ProbeTask(Table, tablename="probe_task"):
    """One (subject, plan) in the work queue: when it is next due and who holds it (lease)."""

    subject_type = Varchar(length=8)
    subject_id = Integer()
    plan = Varchar(length=16)  # light | deep | inventory
    due_at = DoublePrecision(index=True)
    lease_owner = Varchar(length=64, null=True, default=None)
    lease_until = DoublePrecision(null=True, default=None)
    failures = Integer(default=0)  # consecutive failed runs; drives the back-off
    runs = Integer(default=0)
    last_run_at = DoublePrecision(null=True, default=None)


class DeviceState(Table, tablename="device_state"):
    """A subject's measured state now (up | degraded | down | unknown) and its debounce memory."""

    subject_type = Varchar(length=8)
    subject_id = Integer()
    state = Varchar(length=10, default="unknown")
    cause = Varchar(length=64, default="")
    root_upstream = Integer(null=True, default=None)  # the dead upstream device this outage is due to
    since = DoublePrecision()
    aspects = JSON(default={})  # per fault aspect: confirmed and pending status (evaluate.py)
    last_seen = DoublePrecision(null=True, default=None)  # last probe result or passive report
    samples = Integer(default=0)  # results written; slot of the history ring


class StateInterval(Table, tablename="state_interval"):
    """[start, end) during which a subject was in one state for one cause; end NULL = still open."""

    subject_type = Varchar(length=8)
    subject_id = Integer()
    state = Varchar(length=10)
    cause = Varchar(length=64, default="")
    root_upstream = Integer(null=True, default=None)
    start = DoublePrecision()
    end = DoublePrecision(null=True, default=None)


class LatestResult(Table, tablename="latest_result"):
    """The newest result of each probe kind for each subject."""

    subject_type = Varchar(length=8)
    subject_id = Integer()
    probe_kind = Varchar(length=16)
    at = DoublePrecision()
    ok = Boolean()
    error = Varchar(length=12, null=True, default=None)
    message = Text(default="")
    duration_ms = DoublePrecision(default=0.0)
    facts = JSON(default={})


class ResultHistory(Table, tablename="result_history"):
    """A bounded ring of recent results per subject (slot = sample number modulo the ring size)."""

    subject_type = Varchar(length=8)
    subject_id = Integer()
    slot = Integer()
    probe_kind = Varchar(length=16)
    at = DoublePrecision()
    ok = Boolean()
    error = Varchar(length=12, null=True, default=None)
    message = Text(default="")
    duration_ms = DoublePrecision(default=0.0)
    facts = JSON(default={})


class MaintenanceWindow(Table, tablename="maintenance_window"):
    """Planned work: time in it does not count against availability or contractors."""

    scope = Varchar(length=10)  # camera | site | region | upstream
    scope_ref = Varchar(length=20)  # the camera/site/upstream id, or the region code (prefix)
    starts_at = DoublePrecision()
    ends_at = DoublePrecision()
    reason = Text()
    created_by = Varchar(length=64)
    created_at = DoublePrecision()


class DriftFlag(Table, tablename="drift_flag"):
    """A device that reports a different identity than the registry holds, or answers at another's address."""

    camera_id = Integer(index=True)
    kind = Varchar(length=16)  # serial | model | mac | address
    expected = Varchar(length=200, default="")
    reported = Varchar(length=200, default="")
    other_camera_id = Integer(null=True, default=None)
    first_seen = DoublePrecision()
    last_seen = DoublePrecision()
    cleared_at = DoublePrecision(null=True, default=None)


class Node(Table, tablename="monitor_node"):
    """A worker or scheduler process: heartbeat, and whether it holds scheduler leadership."""

    name = Varchar(length=64, unique=True)
    host = Varchar(length=128, default="")
    pid = Integer(default=0)
    role = Varchar(length=16, default="worker")  # worker | scheduler | both
    leader = Boolean(default=False)
    started_at = DoublePrecision()
    seen_at = DoublePrecision()
    probes_done = Integer(default=0)


class StreamSource(Table, tablename="stream_source"):
    """The stream URIs a camera last reported (ONVIF GetStreamUri / GetSnapshotUri) and when.

    As the device gave them (login removed): the stream checks take only port, path and query
    from them, and the host from the registry (the device may report a LAN or NATed address).
    """

    camera_id = Integer(unique=True)
    main_uri = Varchar(length=1024, default="")  # the first profile's stream (main stream, 主码流)
    sub_uri = Varchar(length=1024, default="")  # the second profile's (sub stream, 子码流), if any
    snapshot_uri = Varchar(length=1024, default="")
    main_fps = DoublePrecision(null=True, default=None)  # the profiles' FrameRateLimit: the declared rate
    sub_fps = DoublePrecision(null=True, default=None)
    read_at = DoublePrecision(default=0.0)


class PlatformScope(Table, tablename="platform_scope"):
    """One rule of the cameras a platform account may report on (kind owner, owner_class or region).

    Rules of one kind are alternatives, kinds together narrow: owner_class=social and region=4502
    is 社会面 cameras in that city. An account without rules reports on nothing.
    """

    user_id = Integer(index=True)  # account_user.id (the accounts slice owns that table)
    kind = Varchar(length=12)
    value = Varchar(length=64)


class PassiveBatch(Table, tablename="passive_batch"):
    """A platform account's request that reported cameras offline: applied, or held for the office.

    Applied batches within the hold window count towards the account's share of cameras taken
    down; a held batch keeps its reports until an admin confirms (applies) or discards it.
    """

    user_id = Integer(index=True)
    username = Varchar(length=64)
    received_at = DoublePrecision(index=True)
    status = Varchar(length=10)  # applied | held | confirmed | discarded
    offline = JSON(default=[])  # ids of the cameras it reported offline
    reports = JSON(default=[])  # held only: [gb_id, online, at] to apply on confirmation
    cameras = Integer(default=0)  # cameras in the account's scope when it arrived
    decided_by = Varchar(length=64, default="")
    decided_at = DoublePrecision(null=True, default=None)


class PictureMemory(Table, tablename="picture_memory"):
    """A camera's picture memory (画面基准, probes.iq_memory): its day and night baselines, the grabs
    being learned, the previous grab's signature and each mode's normal change between grabs; one row
    per camera, about 20 KB."""

    camera_id = Integer(unique=True)
    memory = Text(default="")  # PictureMemory.to_bytes(), JSON
    day_learned = DoublePrecision(null=True, default=None)  # when the day baseline was learned
    night_learned = DoublePrecision(null=True, default=None)
    updated_at = DoublePrecision()
    reset_at = DoublePrecision(null=True, default=None)  # last reset by the office (re-aimed camera)
    reset_by = Varchar(length=64, default="")


class PictureFrame(Table, tablename="picture_frame"):
    """An evidence frame (证据图): a grab kept as a JPEG of at most 100 KB with its verdict and what the
    checks measured (monitoring/evidence.py). Bounded: the newest N per camera and a total size cap,
    except frames a ticket holds (picture_frame_link)."""

    camera_id = Integer(index=True)
    kind = Varchar(length=8)  # fault | good
    at = DoublePrecision(index=True)
    width = Integer(default=0)  # of the picture as grabbed
    height = Integer(default=0)
    size = Integer(default=0)  # bytes of the JPEG
    verdict = Varchar(length=16, default="ok")
    faults = JSON(default=[])
    stats = JSON(default={})  # {"mode": "day" | "night", "stats": {...}}: enough to learn it as normal
    jpeg = Bytea(default=b"")


class PictureFrameLink(Table, tablename="picture_frame_link"):
    """A frame kept as a ticket's evidence: never evicted while held (the ticket is active or disputed),
    then kept until keep_until. The ticket is named by id (the tickets slice owns that table)."""

    frame_id = Integer(index=True)
    ticket_id = Integer(index=True)
    role = Varchar(length=8)  # fault | good (the camera's last good frame before the fault)
    held = Boolean(default=True)
    keep_until = DoublePrecision(null=True, default=None)
class HistoryBatch(Table, tablename="history_batch"):
    """One history import (历史数据导入批次): a file of outage history or maintenance windows from
    the old platform, written as a whole and undone as a whole (monitoring/history/)."""

    kind = Varchar(length=16)  # states | maintenance (history/kinds.py)
    filename = Varchar(length=255, default="")
    rows = Integer(default=0)  # data rows in the file
    written = Integer(default=0)  # records written (a row clipped in two writes two)
    clipped = Integer(default=0)  # rows shortened or dropped by the overlap rule
    created_by = Varchar(length=64)
    created_at = DoublePrecision()
    undone_by = Varchar(length=64, default="")
    undone_at = DoublePrecision(null=True, default=None)
    summary = JSON(default={})  # the import report's summary


class HistoryRow(Table, tablename="history_row"):
    """A record a history batch wrote (a state_interval or maintenance_window row, by the batch's
    kind), with the content key of the file row it came from: the same row imported again is found
    by its key and skipped, and undoing the batch deletes exactly these records."""

    batch = Integer(index=True)
    key = Varchar(length=64, index=True)  # SHA-256 of the row's normalised content (history/rows.py)
    target_id = Integer(index=True)  # which batch wrote a stored interval (the overlap rule's clip report)
    row = Integer(default=0)  # the file's row number (Excel's)
    source = Varchar(length=64, default="")  # the old platform the row came from


class UptimeDay(Table, tablename="uptime_day"):
    """One camera's uptime sums of one closed day (每日在线率汇总): what uptime._totals adds up for that day.

    The day is [day_start, day_end) in Unix seconds, so a day at another offset is another row.
    Filled by monitoring/uptime_rollup.py with the uptime service's own queries; dropped by every
    write that changes a closed day (uptime_forget.py). A camera with no service that day has a
    row of zeros (so a day's rows show which cameras were rolled up).
    """

    camera_id = Integer()
    day_start = DoublePrecision()
    day_end = DoublePrecision()
    service = DoublePrecision(default=0.0)  # seconds in service
    held = DoublePrecision(default=0.0)  # of them in maintenance
    up = DoublePrecision(default=0.0)
    degraded = DoublePrecision(default=0.0)
    down = DoublePrecision(default=0.0)
    upstream = DoublePrecision(default=0.0)  # down for a dead upstream device
    h_up = DoublePrecision(default=0.0)  # h_: the part in maintenance
    h_degraded = DoublePrecision(default=0.0)
    h_down = DoublePrecision(default=0.0)
    h_upstream = DoublePrecision(default=0.0)
    computed_at = DoublePrecision(default=0.0)


class UptimeRollupCamera(Table, tablename="uptime_rollup_camera"):
    """What a camera's rolled-up days were computed with, from the registry: site, upstream device and region
    (a maintenance window reaches a camera through them) and its service periods. A change drops its days."""

    camera_id = Integer(unique=True)
    site = Integer(null=True, default=None)
    upstream = Integer(null=True, default=None)
    region_code = Varchar(length=6, default="")
    periods = Text(default="")


class UptimeRollupBucket(Table, tablename="uptime_rollup_bucket"):
    """Digests that tell cheaply what changed in the registry: per bucket of cameras (id % 1024) the
    registry's digest of their service periods; bucket -1 the upstream topology (id, parent)."""

    bucket = Integer(unique=True)
    digest = Text(default="")


class UptimeScopeDay(Table, tablename="uptime_scope_day"):
    """One camera set's summed uptime_day rows of one day (the dashboard's scopes: 30 rows, not 30 per camera).

    Valid while the set has the same members (members: count and id sums of its cameras) and none of the
    day's camera rows was dropped (every drop of uptime_day rows drops the scope rows of those days).
    """

    scope_key = Varchar(length=64)  # SHA-256 of the set's condition and arguments
    day_start = DoublePrecision()
    day_end = DoublePrecision()
    members = Varchar(length=100, default="")
    n = Integer(default=0)  # camera rows added up
    cameras = Integer(default=0)  # of them with service time that day
    service = DoublePrecision(default=0.0)
    held = DoublePrecision(default=0.0)
    up = DoublePrecision(default=0.0)
    degraded = DoublePrecision(default=0.0)
    down = DoublePrecision(default=0.0)
    upstream = DoublePrecision(default=0.0)
    h_up = DoublePrecision(default=0.0)
    h_degraded = DoublePrecision(default=0.0)
    h_down = DoublePrecision(default=0.0)
    h_upstream = DoublePrecision(default=0.0)
