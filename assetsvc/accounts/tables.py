"""Account tables: users, tokens, login attempts and throttles, and the credential key check."""

from piccolo.columns import (
    Boolean, DoublePrecision, ForeignKey, Integer, OnDelete, Timestamptz, Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from assetsvc.registry.tables import Contractor


class User(Table, tablename="account_user"):
    """A person: admin (video office), auditor, or contractor bound to one contractor."""

    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=200)
    role = Varchar(length=12)  # admin | auditor | contractor
    contractor = ForeignKey(references=Contractor, null=True, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    # Set with a temporary password (`user add --temporary`): every request but changing it is refused.
    must_change_password = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Token(Table, tablename="account_token"):
    """A bearer token (login session or long-lived API token); only its SHA-256 is stored."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    kind = Varchar(length=8)  # session (bearer login) | browser (cookie login) | api
    name = Varchar(length=100, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table, tablename="account_login_attempt"):
    """One login attempt, kept for the rate limit (shared by every process on the database)."""

    username = Varchar(length=64, index=True)
    client = Varchar(length=64, index=True)
    success = Boolean()
    at = Timestamptz(default=TimestamptzNow(), index=True)


class LoginThrottle(Table, tablename="account_login_throttle"):
    """Failed-login counter of one client address (`addr:...`) or one account (`user:...`).

    Rows are locked while an attempt is admitted, so parallel attempts are counted one by one;
    instants are Unix seconds."""

    key = Varchar(length=100, unique=True)
    failures = Integer(default=0)
    window_start = DoublePrecision(default=0.0)
    last_failure_at = DoublePrecision(default=0.0)
