"""The report's content as flat tables (one per sheet / CSV): Chinese headers, values as in the JSON.

Every format reads these tables, so XLSX and CSV agree with the JSON by construction: a cell is
the JSON value at its path ("n/a" for a figure the report cannot give, empty for null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from assetsvc.reports.figures import NA

Cell = Any
PERCENT = "percent"
NUMBER = "number"
TEXT = "text"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[dict[str, Any]], Cell]
    kind: str = NUMBER


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's name and the API's `table`
    title: str  # the sheet's name and merged title row
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


def value(raw: Any) -> Cell:
    """A figure as a cell: a pending figure is "n/a"; lists are joined."""
    if isinstance(raw, dict) and raw.get("value") == NA:
        return NA
    if isinstance(raw, list):
        return "、".join(str(v) for v in raw)
    return raw


def at(*path: str) -> Callable[[dict[str, Any]], Cell]:
    def get(row: dict[str, Any]) -> Cell:
        found: Any = row
        for key in path:
            found = found.get(key) if isinstance(found, dict) else None
        return value(found)
    return get


def _table(name: str, title: str, columns: list[Column], rows: list[dict[str, Any]]) -> Table:
    return Table(name, title, tuple(columns), tuple(tuple(c.get(r) for c in columns) for r in rows))


SCOPE = [Column("范围", at("scope"), TEXT), Column("名称", at("name"), TEXT)]


def registry(content: dict[str, Any]) -> Table:
    cols = SCOPE + [Column("登记数", at("registered")), Column("在用数", at("in_service")),
                    Column("已联网", at("networked")), Column("联网上级平台", at("networked_to_province")),
                    Column("档案完整数", at("complete")), Column("一机一档完整率", at("completeness_rate"), PERCENT),
                    Column("缺失最多字段", lambda r: "、".join(f"{f['header']}({f['records']})"
                                                         for f in r["worst_fields"]), TEXT)]
    return _table("registry", "登记与覆盖", cols, content["registry"]["rows"])


def coverage(content: dict[str, Any]) -> Table:
    """Planned against built per district and category, with the district and city totals."""
    found = content["registry"]["coverage"]
    rows = [{**r, "name": r["category"]} for r in found["rows"]]
    rows += [{**d, "category": "合计", "name": "合计"} for d in found["districts"]]
    rows.append({**found["city"], "region_code": "全市", "category": "合计"})
    cols = [Column("行政区域", at("region_code"), TEXT), Column("类别", at("category"), TEXT),
            Column("规划点位", at("planned")), Column("已建点位", at("built")), Column("计入点位", at("counted")),
            Column("超规划建设", at("beyond_plan")), Column("覆盖率", at("rate"), PERCENT)]
    return _table("coverage", "覆盖规划", cols, rows)


def uptime(content: dict[str, Any]) -> Table:
    cols = SCOPE + [Column("摄像机数", at("cameras")), Column("在线率(时间加权)", at("online_rate"), PERCENT),
                    Column("在线率(整点抽样)", at("sampled_online_rate"), PERCENT),
                    Column("在线率(指定时点)", at("sampled_fixed_hours"), PERCENT),
                    Column("完好率", at("working_rate"), PERCENT), Column("未知占比", at("unknown_share"), PERCENT),
                    Column("时钟准确率", at("clock_accuracy"), PERCENT),
                    Column("图像质量合格率", at("picture_pass_rate"), PERCENT),
                    Column("图像故障占比", lambda r: "、".join(f"{k}:{v}" for k, v in r["picture_faults"].items()), TEXT),
                    Column("在线率环比", at("change", "online_rate"), PERCENT),
                    Column("完好率环比", at("change", "working_rate"), PERCENT),
                    Column("在用时长(小时)", at("hours", "in_service")), Column("维护时长(小时)", at("hours", "maintenance")),
                    Column("离线时长(小时)", at("hours", "down")), Column("未知时长(小时)", at("hours", "unknown"))]
    return _table("uptime", "在线与完好", cols, content["uptime"]["rows"])


def tickets(content: dict[str, Any]) -> Table:
    cols = SCOPE + [Column("新开", at("opened")), Column("关闭", at("closed")), Column("自行恢复", at("self_recovered")),
                    Column("超时", at("overdue")), Column("月末未结", at("open_at_end")),
                    Column("平均修复时长(小时)", at("mttr_wall_h")), Column("平均修复时长(合同时间,小时)", at("mttr_contract_h")),
                    Column("响应按时率", at("on_time", "respond", "rate"), PERCENT),
                    Column("到场按时率", at("on_time", "arrive", "rate"), PERCENT),
                    Column("修复按时率", at("on_time", "restore", "rate"), PERCENT)]
    return _table("tickets", "工单", cols, content["tickets"]["rows"])


def long_standing(content: dict[str, Any]) -> Table:
    cols = [Column("工单号", at("ticket_id")), Column("设备", at("subject"), TEXT), Column("故障", at("fault"), TEXT),
            Column("原因", at("cause"), TEXT), Column("已持续(天)", at("open_days")),
            Column("运维单位", at("contractor_id")), Column("记录的原因", at("reasons"), TEXT)]
    return _table("long_standing", "长期故障", cols, content["tickets"]["long_standing"])


def contractors(content: dict[str, Any]) -> Table:
    """One row per deduction (every deduction itemised), the contract's totals repeated on each."""
    rows = []
    for c in content["contractors"]["contracts"]:
        head = {"code": c["code"], "contractor": c["contractor"], "score": c["score"], "grade": c.get("grade"),
                "total_points": c.get("points"), "total_amount": c.get("amount")}
        if not c.get("deductions"):
            rows.append({**head, "rule": c.get("reason", "")})
        for d in c.get("deductions") or []:
            rows.append({**head, "rule": d["rule"], "units": d["units"], "points": d["points"], "amount": d["amount"],
                         "items": d["items"]})
    cols = [Column("合同", at("code"), TEXT), Column("运维单位", at("contractor"), TEXT),
            Column("得分", lambda r: _number(r.get("score"))), Column("等级", at("grade"), TEXT),
            Column("扣分合计", lambda r: _number(r.get("total_points"))),
            Column("扣款合计(元)", lambda r: _number(r.get("total_amount"))),
            Column("扣分项", at("rule"), TEXT), Column("次数", at("units")),
            Column("扣分", lambda r: _number(r.get("points"))), Column("扣款(元)", lambda r: _number(r.get("amount"))),
            Column("明细", at("items"), TEXT)]
    return _table("contractors", "运维考核", cols, rows)


def _number(raw: Any) -> Cell:
    """Scores and money are decimal strings in the JSON (exact); a cell takes the number."""
    if raw is None or raw == NA:
        return raw
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return raw
    return int(number) if number.is_integer() else number


def league(content: dict[str, Any]) -> Table:
    """排名: one row per scope, best first, with each figure's points."""
    found = content["league"]
    names = [f["figure"] for f in found["rules"]["figures"]] + [a["figure"] for a in found["rules"]["adjustments"]]
    cols = [Column("名次", at("rank")), Column("范围", at("scope"), TEXT), Column("名称", at("name"), TEXT),
            Column("总分", at("total"))]
    cols += [Column(f"{name}得分", lambda r, i=i: r["items"][i]["points"]) for i, name in enumerate(names)]
    cols.append(Column("缺少的指标", at("missing"), TEXT))
    return _table("league", "排名", cols, found["rows"])


def worst(content: dict[str, Any]) -> Table:
    cols = [Column("排名", at("rank")), Column("设备编码", at("gb_id"), TEXT), Column("设备名称", at("name"), TEXT),
            Column("行政区域", at("region_code"), TEXT), Column("离线时长(小时)", at("down_hours")),
            Column("在线率", at("online_rate"), PERCENT),
            Column("原因", lambda r: "、".join(f"{c}:{h}" for by in r["causes"].values() for c, h in by.items()), TEXT),
            Column("工单", at("tickets"), TEXT), Column("记录的原因", at("reasons"), TEXT)]
    return _table("worst_cameras", "最差点位", cols, content["worst_cameras"]["rows"])


BUILDERS = (registry, coverage, uptime, tickets, long_standing, contractors, league, worst)
NAMES = ("registry", "coverage", "uptime", "tickets", "long_standing", "contractors", "league", "worst_cameras")


def tables(content: dict[str, Any]) -> list[Table]:
    """The tables present in this content (a contractor's view holds the contractors table only)."""
    out = []
    for build in BUILDERS:
        try:
            out.append(build(content))
        except KeyError:  # a section the caller may not read is not in its content
            continue
    return out
