"""Registry tables: regions, stations, sites, owners, contractors, contracts, devices, cameras."""

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    Float,
    ForeignKey,
    Integer,
    LazyTableReference,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Region(Table):
    """An administrative division (行政区划) from GB/T 2260: province > city > district."""

    code = Varchar(length=6, unique=True, index=True)
    name = Varchar(length=64)
    level = Varchar(length=10)  # province | city | district
    parent_code = Varchar(length=6, null=True, default=None)


class Station(Table):
    """A police station (派出所) within a district."""

    name = Varchar(length=128)
    region_code = Varchar(length=6, index=True)
    contact = Varchar(length=128, default="")


class Site(Table):
    """A monitoring point (点位): where one or more cameras stand."""

    name = Varchar(length=200)
    alias = Varchar(length=200, default="")  # 点位俗称
    address = Varchar(length=400, default="")
    region_code = Varchar(length=6, index=True)
    station = ForeignKey(references=Station, null=True, on_delete=OnDelete.set_null)
    point_class = Integer(null=True, default=None)  # 1 一类, 2 二类, 3 三类, 4 公安内部, 9 其他
    key_category = Varchar(length=40, default="")  # 应覆盖目标 category: school, checkpoint...
    coverage_status = Varchar(length=10, default="built")  # planned | built
    longitude = Float(null=True, default=None)
    latitude = Float(null=True, default=None)


class CoveragePlan(Table, tablename="coverage_plan"):
    """The coverage plan (应覆盖目标): how many points of a key-site category a district must cover.

    The office edits it; a site of that category (Site.key_category) with a camera in service
    counts as built (docs/reports.md)."""

    region_code = Varchar(length=6, index=True)
    category = Varchar(length=40)  # the same words as Site.key_category: school, hospital, checkpoint...
    planned = Integer()


class Owner(Table):
    """The unit that built and owns cameras (建设单位), with its class."""

    name = Varchar(length=200, unique=True)
    owner_class = Varchar(length=12, index=True)  # police | government | social
    contact = Varchar(length=128, default="")


class Contractor(Table):
    """A maintenance contractor (运维单位/维护单位)."""

    name = Varchar(length=200, unique=True)
    contact = Varchar(length=128, default="")
    phone = Varchar(length=40, default="")


class Contract(Table):
    """Which contractor maintains which regions x owner classes, from when to when."""

    code = Varchar(length=64, unique=True)
    contractor = ForeignKey(references=Contractor, on_delete=OnDelete.restrict)
    region_codes = JSON(default=[])
    owner_classes = JSON(default=[])
    starts_on = Date()
    ends_on = Date()
    note = Text(default="")


class Credential(Table):
    """Device login (user name + password encrypted at rest); cameras refer to it by name."""

    name = Varchar(length=100, unique=True)
    username = Varchar(length=100)
    secret = Text()  # Fernet token; never returned, printed or logged
    created_at = Timestamptz(default=TimestamptzNow())


class UpstreamDevice(Table):
    """An NVR, switch, encoder or link that cameras hang off (topology)."""

    name = Varchar(length=200)
    kind = Varchar(length=12)  # nvr | switch | encoder | link
    gb_id = Varchar(length=20, null=True, default=None, unique=True)
    vendor = Varchar(length=100, default="")
    model = Varchar(length=100, default="")
    ipv4 = Varchar(length=15, null=True, default=None, index=True)
    mac = Varchar(length=17, null=True, default=None)
    region_code = Varchar(length=6, index=True)
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.set_null)
    parent = ForeignKey(
        references=LazyTableReference("UpstreamDevice", module_path=__name__),
        null=True,
        on_delete=OnDelete.set_null,
    )
    contractor = ForeignKey(references=Contractor, null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="active")
    credential = ForeignKey(references=Credential, null=True, on_delete=OnDelete.set_null)


class Camera(Table):
    """One camera's record (一机一档); `status` is the declared lifecycle, never the measured one."""

    gb_id = Varchar(length=20, unique=True, index=True)
    name = Varchar(length=200, index=True)
    vendor = Varchar(length=100, default="")
    model = Varchar(length=100, default="")
    firmware = Varchar(length=100, default="")
    serial = Varchar(length=100, default="")
    mac = Varchar(length=17, null=True, default=None)
    ipv4 = Varchar(length=15, null=True, default=None, index=True)
    ipv6 = Varchar(length=45, null=True, default=None)
    ports = JSON(default={})  # {"onvif": 80, "rtsp": 554, "snmp": 161}
    camera_type = Integer(null=True, default=None, index=True)
    point_class = Integer(null=True, default=None, index=True)
    light = Varchar(length=8, null=True, default=None)
    direction = Varchar(length=2, null=True, default=None)
    longitude = Float(null=True, default=None)
    latitude = Float(null=True, default=None)
    region_code = Varchar(length=6, index=True)
    site_alias = Varchar(length=200, default="")
    address = Varchar(length=400, default="")
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.set_null)
    # Indexed: list filters (station, owner, contractor) and a contractor's every query (its
    # scope) scanned all 100,000 cameras without them (docs/performance.md).
    station = ForeignKey(references=Station, null=True, on_delete=OnDelete.set_null, index=True)
    owner = ForeignKey(references=Owner, null=True, on_delete=OnDelete.set_null, index=True)
    contractor = ForeignKey(references=Contractor, null=True, on_delete=OnDelete.set_null, index=True)
    networked = Boolean(default=False, index=True)
    province_networked = Boolean(default=False)  # 联网上级平台: channel networked to the provincial platform
    province_networked_on = Date(null=True, default=None)  # ... since this day
    install_date = Date(null=True, default=None, index=True)  # a list sort key
    retention_days = Integer(null=True, default=None)
    contact = Varchar(length=128, default="")
    status = Varchar(length=16, default="active", index=True)
    upstream = ForeignKey(references=UpstreamDevice, null=True, on_delete=OnDelete.set_null)
    probe_protocols = JSON(default=[])  # subset of onvif, snmp, rtsp
    credential = ForeignKey(references=Credential, null=True, on_delete=OnDelete.set_null)
    # 取流地址: an rtsp:// URI or a path ("/Streaming/Channels/101"); only its port, path and query
    # are used (the host is always ipv4/ipv6). Empty: the stream ONVIF reports, else the class default.
    stream_uri = Varchar(length=512, default="")
    custom = JSON(default={})  # columns an office adds to its sheet, kept by header text
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # a list sort key


class ServicePeriod(Table):
    """One stretch of a camera's service (在用时段): [starts_at, ends_at) in Unix seconds, open while in service.

    Written when the declared status enters or leaves service, or by an import's registration
    (注册/启用日期) and decommissioning (撤除/停用日期) dates; every uptime figure counts a camera
    only inside these (registry/service_periods.py). Removed with the camera.
    """

    camera_id = Integer(index=True)
    starts_at = DoublePrecision()
    ends_at = DoublePrecision(null=True, default=None)
    source = Varchar(length=32, default="status")  # status | import | migration


class ImportJob(Table):
    """A sheet import sent through the API (导入任务): its progress, then its report or error.

    Kept in the database so that every process (API nodes, the CLI) sees it, and so that a
    restart can mark the jobs it interrupted as failed.
    """

    state = Varchar(length=16, default="queued", index=True)  # queued running done rejected failed
    stage = Varchar(length=16, default="")  # reading, validating, writing
    done = Integer(default=0)  # rows through the current stage
    total = Integer(default=0)  # rows the stage has to go through (0: not known yet)
    filename = Varchar(length=255, default="")
    dry_run = Boolean(default=False)
    skip_invalid = Boolean(default=False)
    created_by = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    heartbeat_at = Timestamptz(default=TimestamptzNow())  # moved on while the job runs
    finished_at = Timestamptz(null=True, default=None)
    report = JSON(null=True, default=None)  # the import report (docs/api.md), when done or rejected
    error = JSON(null=True, default=None)  # {"detail", "errors"} when failed


class KeyCheck(Table, tablename="secret_key_check"):
    """One row: a known constant sealed with the credential key when the key was established.

    Every path that seals or opens a secret first opens this, so a wrong key is refused before
    anything is written (docs/architecture.md, Secrets)."""

    token = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class DistrictOutline(Table, tablename="district_outline"):
    """One district's outline (区划边界) from the office's GeoJSON upload, drawn under the cameras on the map.

    The upload replaces the whole set (registry/outlines/service.py); `datum` is the file's
    (wgs84, or gcj02 as the public DataV files are), the map converts before drawing.
    """

    region_code = Varchar(length=6, unique=True)
    name = Varchar(length=64, default="")
    geometry = JSON(default={})  # {"type": "Polygon" | "MultiPolygon", "coordinates": [...]}, [lon, lat] only
    vertices = Integer(default=0)
    datum = Varchar(length=8, default="wgs84")
    uploaded_by = Varchar(length=150, default="")
    uploaded_at = Timestamptz(default=TimestamptzNow())
