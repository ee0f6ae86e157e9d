"""The national device ID (国标编码, GB/T 28181 coding rule A): parsing and plausibility checks."""

import re
from dataclasses import dataclass
from typing import Any

from assetsvc.registry.normalize import FieldProblem, parse_gb_id_text, show
from assetsvc.registry.regions import region

ID_LENGTH = 20

# Type codes (digits 11-13) accepted, per edition. 212-214 are reserved platform codes
# that platforms do emit, so they are accepted as platform servers.
TYPE_CODES: dict[str, dict[str, str]] = {
    "GB/T 28181-2022": {
        "111": "DVR", "112": "video server", "113": "encoder", "114": "decoder",
        "118": "NVR", "121": "checkpoint camera", "130": "HVR", "131": "camera",
        "132": "IP camera",
        **{str(code): "platform server" for code in range(200, 217)},
        "501": "O&M platform",
    },
}
TYPE_EDITION = "GB/T 28181-2022"

# Types a camera record (一机一档 row) may carry.
CAMERA_TYPE_CODES: frozenset[str] = frozenset({"121", "131", "132"})

# Industry codes (digits 9-10). The editions agree below 40 and differ from 40 upward, so only
# the shared part is named; the rest is known by range.
INDUSTRY_CODES: dict[str, dict[str, str]] = {
    "GB/T 28181-2016": {
        "00": "public roads", "01": "community", "02": "police internal",
        "03": "other public security", "04": "transport", "05": "transport", "06": "transport",
        "07": "transport", "08": "city management", "09": "health/environment",
        "10": "customs", "11": "education",
    },
}
INDUSTRY_RANGES: tuple[tuple[int, int, str], ...] = (
    (0, 39, "government"), (40, 79, "enterprise"), (80, 89, "resident-built"), (90, 99, "other"),
)

# Digit 14. The 2016 and 2022 editions label the values differently; both use 0-8.
NETWORK_CODES = frozenset("012345678")


@dataclass(frozen=True, slots=True)
class GbId:
    """The six parts of a 20-digit device ID."""

    region_code: str
    grassroots: str
    industry: str
    type_code: str
    network: str
    serial: str

    def __str__(self) -> str:
        return "".join((self.region_code, self.grassroots, self.industry, self.type_code,
                        self.network, self.serial))

    @property
    def type_name(self) -> str | None:
        return TYPE_CODES[TYPE_EDITION].get(self.type_code)


def industry_name(code: str, edition: str = "GB/T 28181-2016") -> str | None:
    """What an industry code means under an edition, or the broad range it falls in."""
    named = INDUSTRY_CODES.get(edition, {}).get(code)
    if named or not code.isdigit():
        return named
    return next((name for low, high, name in INDUSTRY_RANGES if low <= int(code) <= high), None)


def _split(text: str) -> GbId:
    return GbId(text[:6], text[6:8], text[8:10], text[10:13], text[13], text[14:])


def _check_digits(text: str, label: str) -> None:
    if not re.fullmatch(r"[0-9]+", text):
        raise FieldProblem("id_not_digits", f"{label} {show(text)} has characters other than digits")
    if len(text) != ID_LENGTH:
        raise FieldProblem(
            f"id_{len(text)}_digits",
            f"{label} {show(text)} has {len(text)} digits; a GB/T 28181 ID has {ID_LENGTH}",
        )


def _check_type(gb: GbId, label: str, camera: bool) -> None:
    known = TYPE_CODES[TYPE_EDITION]
    if gb.type_code not in known:
        raise FieldProblem(
            "id_type_invalid",
            f"{label} type code (digits 11-13) {gb.type_code} is not a {TYPE_EDITION} device type",
        )
    if camera and gb.type_code not in CAMERA_TYPE_CODES:
        allowed = ", ".join(sorted(CAMERA_TYPE_CODES))
        raise FieldProblem(
            "id_type_implausible",
            f"{label} type code {gb.type_code} ({known[gb.type_code]}) is not a camera type ({allowed})",
        )


def parse_gb_id(text: Any, *, camera: bool = False, label: str = "设备编码") -> GbId:
    """Parse and check an ID; `camera=True` also requires a camera type code (121/131/132)."""
    cleaned = parse_gb_id_text(text, label=label).value
    _check_digits(cleaned, label)
    gb = _split(cleaned)
    if region(gb.region_code) is None:
        raise FieldProblem(
            "id_region_unknown",
            f"{label} digits 1-6 ({gb.region_code}) are not a GB/T 2260 division code",
        )
    _check_type(gb, label, camera)
    if gb.network not in NETWORK_CODES:
        raise FieldProblem("id_network_invalid", f"{label} network digit (14) {gb.network} is not 0-8")
    return gb
