"""The body mapping (字段映射): which field of the province's body comes from which path of the report.

Provinces define their own bodies; a mapping is data (a TOML file: `[fields] name = "path"`), one
is shipped (data/province-v1.toml). A path is dotted keys, and `list[key=value]` picks the item of
a list whose `key` is `value` (the report's scope rows: `uptime.rows[scope=city].online_rate`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
STEP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[([A-Za-z_][A-Za-z0-9_]*)=([^\]]+)\])?$")
FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_FIELDS = 500
MAX_BYTES = 256 * 1024


class MappingError(ValueError):
    """A mapping file that cannot be used, with the reason."""


@dataclass(frozen=True)
class Step:
    key: str
    pick: tuple[str, str] | None  # (key, value) of the list item to take


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping: its name and, per body field, the path's steps."""

    name: str
    fields: tuple[tuple[str, tuple[Step, ...]], ...]

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        """The province's report object from the report's content (missing paths are null)."""
        return {field: resolve(content, steps) for field, steps in self.fields}


def parse_path(path: str) -> tuple[Step, ...]:
    if not isinstance(path, str) or not path:
        raise MappingError("a path must be a non-empty string")
    steps = []
    for part in path.split("."):
        found = STEP.match(part)
        if not found:
            raise MappingError(f"path {path!r}: {part!r} is not a key or key[field=value]")
        key, pick_key, pick_value = found.groups()
        steps.append(Step(key, (pick_key, pick_value) if pick_key else None))
    return tuple(steps)


def resolve(content: Any, steps: tuple[Step, ...]) -> Any:
    value = content
    for step in steps:
        if not isinstance(value, dict) or step.key not in value:
            return None
        value = value[step.key]
        if step.pick is not None:
            key, wanted = step.pick
            if not isinstance(value, list):
                return None
            value = next((item for item in value if isinstance(item, dict) and str(item.get(key)) == wanted), None)
    return value


def locate(ref: str) -> Path:
    """A shipped mapping by name (province-v1) or a TOML file's path."""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,60}", ref or ""):
        return DATA / f"{ref}.toml"
    return Path(ref)


def load(ref: str) -> Mapping:
    """Read and check a mapping; MappingError names what is wrong."""
    path = locate(ref)
    try:
        if not path.is_file():  # never a device or a folder (/dev/zero would never end)
            raise FileNotFoundError(path)
        if path.stat().st_size > MAX_BYTES:
            raise MappingError(f"mapping {ref!r} is larger than {MAX_BYTES // 1024} KB")
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise MappingError(f"no mapping {ref!r} (shipped: {', '.join(shipped())}; or a TOML file's path)") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"mapping {ref!r} cannot be read: {exc}") from None
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError(f"mapping {ref!r} has no [fields] table")
    if len(fields) > MAX_FIELDS:
        raise MappingError(f"mapping {ref!r} has more than {MAX_FIELDS} fields")
    parsed = []
    for name, path in fields.items():
        if not FIELD.match(name):
            raise MappingError(f"mapping {ref!r}: field name {name!r} is not letters, digits and _")
        parsed.append((name, parse_path(path)))
    return Mapping(str(data.get("name", ref)), tuple(parsed))


def shipped() -> list[str]:
    return sorted(p.stem for p in DATA.glob("*.toml"))
