"""Who is calling a service function: every slice takes an Actor; accounts makes them from tokens."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is calling: the user behind a token, with role and (for contractors) contractor id."""

    user_id: int
    username: str
    role: str
    contractor_id: int | None
    # The user holds a temporary password: the API refuses everything but changing it (api/auth.py).
    must_change_password: bool = False

    @property
    def is_contractor(self) -> bool:
        return self.role == "contractor"
