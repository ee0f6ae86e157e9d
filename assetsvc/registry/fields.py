"""The camera record's fields (一机一档字段) and code tables, shared by import, export, API and validation."""

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Field:
    """One column: `key` in code, DB and API; `header` as the office's sheet shows it."""

    key: str
    header: str
    aliases: tuple[str, ...]
    kind: str  # which parser reads it: gb_id, text, region, coord, ipv4, ipv6, mac, enum, date, int, stream


# Export order is this order. The aliases are the other names offices' templates use for the same
# field: pinyin initials, older 标准 names, names from platform exports, and English. A header is
# compared in a folded form (header_match_key), so case, spaces, "_" and "-", full-width letters, a
# leading * and a unit in brackets do not matter.
FIELDS: tuple[Field, ...] = (
    Field("gb_id", "设备编码", ("SBBM", "国标编码", "设备国标编码", "国标编号", "国标ID", "设备国标ID", "国标设备编码",
                            "视频通道编码", "通道国标编码", "GB28181编码", "national ID", "GB ID", "GB28181 ID",
                            "device code", "device ID"), "gb_id"),
    Field("name", "设备名称", ("SBMC", "点位名称", "摄像机名称", "监控点名称", "监控点位名称", "通道名称",
                            "device name", "camera name"), "text"),
    Field("vendor", "设备厂商", ("SBCS", "厂商", "生产厂商", "设备厂家", "厂家", "品牌", "制造商", "vendor",
                              "manufacturer", "brand", "make"), "text"),
    Field("model", "设备型号", ("SBXH", "型号", "规格型号", "产品型号", "model", "device model"), "text"),
    Field("region_code", "行政区域", ("XZQY", "行政区划", "行政区划代码", "行政区域代码", "行政区域编码",
                                   "区划代码", "所属区县", "region", "region code", "district",
                                   "district code", "administrative division", "division code"), "region"),
    Field("station", "所属派出所", ("SSPCS", "派出所", "管辖派出所", "所属辖区派出所", "police station",
                               "station"), "text"),
    Field("site_alias", "点位俗称", ("DWSC", "俗称", "点位别名", "site alias", "common name"), "text"),
    Field("address", "安装地址", ("AZDZ", "地址", "安装位置", "点位地址", "详细地址", "安装地点",
                               "address", "install address", "installation address", "location"), "text"),
    Field("longitude", "经度", ("JD", "经度坐标", "longitude", "lng", "lon", "long"), "coord"),
    Field("latitude", "纬度", ("WD", "纬度坐标", "latitude", "lat"), "coord"),
    Field("ipv4", "IPV4", ("IP地址", "IPV4地址", "IP", "设备IP", "设备IP地址", "IP address", "IPv4 address"), "ipv4"),
    Field("ipv6", "IPV6", ("IPV6地址", "设备IPV6地址", "IPv6 address"), "ipv6"),
    Field("mac", "MAC地址", ("MACDZ", "MAC", "物理地址", "设备MAC", "MAC address"), "mac"),
    Field("camera_type", "摄像机类型", ("SXJLX", "摄像机类别", "相机类型", "摄像机形态", "camera type"), "enum"),
    Field("point_class", "监控点位类型", ("JKDWLX", "点位类型", "点位类别", "监控点类型", "监控点位类别",
                                    "point class", "point type", "site class"), "enum"),
    Field("owner_class", "建设单位类型", ("JSDWLX", "建设单位类别", "建设主体类型", "owner class", "owner type"),
          "enum"),
    Field("owner_unit", "建设单位", ("JSDW", "建设单位名称", "权属单位", "产权单位", "所属单位", "owner",
                                "owner unit", "owned by"), "text"),
    Field("contractor", "维护单位", ("WHDW", "维护单位名称", "运维单位", "维保单位", "运维公司", "contractor",
                                  "maintainer", "maintenance contractor", "maintained by"), "text"),
    Field("networked", "联网属性", ("LWSX", "是否联网", "联网状态", "联网情况", "networked", "network attribute"),
          "enum"),
    Field("province_networked", "联网上级平台", ("LWSJPT", "是否联网上级平台", "上级平台联网", "联网省平台",
                                           "networked to province", "province networked"), "enum"),
    Field("province_networked_on", "联网上级平台日期", ("LWSJPTRQ", "联网上级平台时间", "上级平台联网日期",
                                                "province networked on"), "date"),
    Field("install_date", "安装时间", ("AZSJ", "安装日期", "建设时间", "建设日期", "install date",
                                    "installation date", "installed", "installed on"), "date"),
    Field("retention_days", "录像保存天数", ("LXBCTS", "录像存储天数", "存储天数", "保存天数", "录像天数",
                                        "retention days", "retention", "recording days", "storage days"), "int"),
    Field("light", "补光属性", ("BGSX", "补光类型", "补光方式", "light", "fill light", "illumination"), "enum"),
    Field("direction", "监视方位", ("JSFW", "方位", "监视方向", "监控方向", "拍摄方向", "朝向", "direction",
                                 "facing", "orientation"), "enum"),
    Field("contact", "联系方式", ("LXFS", "联系电话", "联系人电话", "负责人电话", "contact", "phone",
                               "contact phone"), "text"),
    Field("stream_uri", "取流地址", ("视频流地址", "RTSP地址", "RTSP流地址", "码流地址", "视频流URL", "取流URL",
                                 "流地址", "stream URI", "stream URL", "RTSP URL", "RTSP URI", "RTSP path",
                                 "stream path"), "stream"),
    # The first and last day of the camera's service (its service periods, service_periods.py); not
    # 建设日期, which offices use for 安装时间 above.
    Field("registered_on", "注册日期", ("ZCRQ", "启用日期", "注册时间", "启用时间", "入网日期", "投用日期",
                                     "registration date", "registered on", "in service since",
                                     "commissioned on"), "date"),
    Field("decommissioned_on", "撤除日期", ("CCRQ", "停用日期", "撤除时间", "停用时间", "拆除日期", "报废日期",
                                         "decommissioning date", "decommissioned on", "removed on",
                                         "out of service since"), "date"),
    Field("status", "设备状态", ("SBZT", "使用状态", "设备使用状态", "状态", "status", "device status",
                              "lifecycle status"), "enum"),
)

FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

# Code -> the word the office writes. A word with "/" lists synonyms; the first one is shown.
CODE_TABLES: dict[str, dict[Any, str]] = {
    "camera_type": {1: "球机", 2: "半球", 3: "固定枪机", 4: "遥控枪机", 5: "卡口枪机", 99: "未知"},
    "point_class": {1: "一类", 2: "二类", 3: "三类", 4: "公安内部", 9: "其他"},
    "owner_class": {"police": "公安自建", "government": "其他政府部门", "social": "社会面"},
    "networked": {True: "已联网", False: "未联网"},
    "province_networked": {True: "已联网上级平台/是", False: "未联网上级平台/否"},
    "light": {"none": "无补光", "ir": "红外补光", "white": "白光补光", "laser": "激光补光"},
    "direction": {
        "E": "东", "S": "南", "W": "西", "N": "北",
        "SE": "东南", "SW": "西南", "NE": "东北", "NW": "西北",
    },
    # Declared lifecycle (what the office says), not the probed online state.
    "status": {"planned": "规划", "active": "在用", "under_repair": "维修", "decommissioned": "停用/报废"},
}

# A trailing unit note such as 经度(WGS-84) or 录像保存天数（天）.
_UNIT_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
# Templates often flag mandatory columns with an asterisk (*设备编码).
_MARKS = "*＊"


def header_text_key(text: str) -> str:
    """The comparable form of a header: half-width, no whitespace, ASCII lower-case, no unit note."""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = "".join(ch for ch in folded if not ch.isspace())
    folded = folded.strip(_MARKS)
    folded = _UNIT_NOTE.sub("", folded).strip(_MARKS)
    return folded.lower()


# Separators that templates put inside a name ("IP-Address", "gb_id", "经度/°").
_SEPARATORS = str.maketrans("", "", "_-./·、")


def header_match_key(text: str) -> str:
    """The folded form two header names are compared in: header_text_key without separators."""
    return header_text_key(text).translate(_SEPARATORS)


def _header_index() -> dict[str, Field]:
    index: dict[str, Field] = {}
    for field in FIELDS:
        # The English key is accepted too, so a sheet exported by the API reads back.
        for name in (field.header, field.key, *field.aliases):
            key = header_match_key(name)
            if index.get(key, field) is not field:
                raise AssertionError(f"header name {name!r} is given to {index[key].key} and {field.key}")
            index[key] = field
    return index


_BY_HEADER = _header_index()


def field_for_header(text: Any) -> Field | None:
    """The standard field a sheet header names, or None for a custom column."""
    if text is None:
        return None
    return _BY_HEADER.get(header_match_key(text))


def near_field(text: Any) -> Field | None:
    """The standard field an unrecognised header most likely meant (did you mean 经度?), or None.

    Near means a small edit away (similarity 0.75 or more), or containing a known name of at
    least two Chinese characters or four letters ("摄像机IP地址", "安装经度"), or contained in one.
    """
    key = header_match_key(text)
    if not key or key in _BY_HEADER:
        return None
    best = difflib.get_close_matches(key, _BY_HEADER, n=1, cutoff=0.75)
    if best:
        return _BY_HEADER[best[0]]
    inside = [name for name in _BY_HEADER if _meaningful(name) and (name in key or key in name and _meaningful(key))]
    return _BY_HEADER[max(inside, key=len)] if inside else None


def _meaningful(name: str) -> bool:
    """Long enough that finding it inside another name says something."""
    return len(name) >= (4 if name.isascii() else 2)


def header_for(key: str) -> str:
    """The Chinese header of a field key; a custom field (`custom.<header>`) is named by its header."""
    field = FIELDS_BY_KEY.get(key)
    return field.header if field else key.removeprefix("custom.")


def words(code_word: str) -> tuple[str, ...]:
    """The synonyms packed into one code-table word ('停用/报废' -> ('停用', '报废'))."""
    return tuple(w for w in code_word.split("/") if w)
