"""A device's declared lifecycle status (the registry's, written by people) and which count as in service.

In-service devices (在用 active, 维修 under repair) are probed, ticketed and counted in every
figure; planned (规划) and decommissioned (停用/报废) devices are not. Every slice asks here.
"""

LIFECYCLE = ("planned", "active", "under_repair", "decommissioned")
IN_SERVICE = ("active", "under_repair")


def in_service(status: str | None) -> bool:
    """Whether a device with this declared status is monitored, ticketed and counted."""
    return status in IN_SERVICE
