"""The reports slice's table: frozen report versions (content, its hash, approval)."""

from piccolo.columns import JSON, DoublePrecision, Integer, Text, Varchar
from piccolo.table import Table


class ReportVersion(Table, tablename="report_version"):
    """One frozen version of a month's report: its canonical JSON and SHA-256, never edited.

    A later generation that finds different figures adds a new draft (`changes` says what moved
    against the approved version, `based_on`); approving one marks the previously approved
    version of the month `superseded`."""

    month = Varchar(length=7, index=True)  # 2026-11
    version = Integer()  # 1, 2, ... per month
    status = Varchar(length=12, default="draft")  # draft | approved | superseded
    content = Text()  # the report as canonical JSON (sorted keys, no spaces)
    content_hash = Varchar(length=64)  # SHA-256 of content
    changes = JSON(default=[])  # [{section, scope, field, before, after}] against `based_on`
    based_on = Integer(null=True, default=None)  # the approved version compared with
    created_at = DoublePrecision()
    created_by = Varchar(length=150)
    approved_at = DoublePrecision(null=True, default=None)
    approved_by = Varchar(length=150, null=True, default=None)


class LeagueRulesDocument(Table, tablename="league_rules"):
    """The office's league rules (考核办法) as stored: one row per version, the highest in force."""

    version = Integer(unique=True)
    document = JSON()
    updated_at = DoublePrecision()
    updated_by = Varchar(length=150)


class MandatoryFieldsDocument(Table, tablename="report_mandatory"):
    """The office's mandatory field list (一机一档必填项) for 完整率: one row per version, the highest
    in force; none stored means data/report.toml's list."""

    version = Integer(unique=True)
    document = JSON()  # {"fields": [...], "class1": [...]}
    updated_at = DoublePrecision()
    updated_by = Varchar(length=150)


TABLES = (ReportVersion, LeagueRulesDocument, MandatoryFieldsDocument)
