"""Validation rules taken from settings (contract and site numbers are data, not constants)."""

from functools import lru_cache

from assetsvc.registry.validate import DEFAULT_RULES, ValidationRules
from assetsvc.settings import load_settings


@lru_cache(maxsize=1)
def camera_rules() -> ValidationRules:
    """The camera rules with this deployment's district-distance limit."""
    from dataclasses import replace

    return replace(DEFAULT_RULES, max_km_from_district=load_settings().region_max_km)
