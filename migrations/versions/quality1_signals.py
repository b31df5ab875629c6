"""Quality signals on responses; stored responses judged again by the new decision
(one signal marks a response for review and it counts, two exclude it)

Revision ID: quality1a2b3c4d
Revises: security1a2b3c4d
Create Date: 2026-12-04

Everything here is set-based (a few UPDATE statements per questionnaire version and
channel), never one row at a time. The rules are frozen copies of those of
sipas/questionnaire/quality.py as of this revision, so the migration keeps meaning
the same when the app's rules grow; the thresholds come from the app's settings
when it runs inside the app (``flask db upgrade``), else their defaults.

Only statuses the rules set are judged again: flagged with a rule's reason, or
complete without a reason. A status an administrator set (accepted, restored,
voided: always with a reason) and kiosk responses kept with invalid answers stay.
"""

import itertools
import json

import sqlalchemy as sa
from alembic import op

revision = "quality1a2b3c4d"
down_revision = "security1a2b3c4d"
branch_labels = None
depends_on = None

#: (code, bit, weight) of each signal in this revision; exclusion at weight 2.
SIGNALS = (
    ("straight_lining", 1, 1),
    ("too_fast", 2, 1),
    ("far_too_fast", 8, 2),
    ("device_rate", 4, 1),
)
EXCLUDE_AT = 2
#: far_too_fast: under this share of the floor pace
FAR_TOO_FAST_SHARE = 0.5
STRAIGHT_LINING_MIN_CRITERIA = 10
#: The reasons the rules of the previous revision flagged a response with.
OLD_REASONS = ("too_fast", "device_rate", "straight_lining")
#: channel: (setting, default minimum seconds per answered question)
SECONDS_PER_ANSWER = {
    "web": ("QUALITY_SECONDS_PER_ANSWER_WEB", 1.0),
    "kiosk": ("QUALITY_SECONDS_PER_ANSWER_KIOSK", 1.5),
    "interview": ("QUALITY_SECONDS_PER_ANSWER_INTERVIEW", 2.0),
}
MAX_PER_DEVICE_MINUTE = ("QUALITY_MAX_PER_DEVICE_MINUTE", 3)


def _setting(name, default):
    """The app's setting when the migration runs inside the app, else ``default``."""
    try:
        from flask import current_app

        return current_app.config.get(name, default)
    except (ImportError, RuntimeError):
        return default


def _criteria(definition) -> list[str]:
    """Scale items with a factor (as the app defines criteria)."""
    if isinstance(definition, str):
        definition = json.loads(definition)
    return [
        item["code"]
        for section in definition["sections"]
        for item in section["items"]
        if item.get("type") == "scale" and item.get("factor")
    ]


def _mark_straight_lining(connection):
    versions = connection.execute(
        sa.text("SELECT id, definition FROM questionnaire_versions")
    ).fetchall()
    statement = sa.text(
        "UPDATE responses SET quality_signals = quality_signals | 1 "
        "WHERE questionnaire_id = :version AND id IN ("
        " SELECT a.response_id FROM answers a"
        " WHERE a.item_code IN :codes AND a.value IN ('1', '2', '3', '4', '5')"
        " GROUP BY a.response_id"
        " HAVING COUNT(*) >= :least AND COUNT(DISTINCT a.value) = 1)"
    ).bindparams(sa.bindparam("codes", expanding=True))
    for version_id, definition in versions:
        codes = _criteria(definition)
        if codes:
            connection.execute(
                statement,
                {"version": version_id, "codes": codes,
                 "least": STRAIGHT_LINING_MIN_CRITERIA},
            )


def _mark_too_fast(connection):
    statement = sa.text(
        "UPDATE responses SET quality_signals = quality_signals | :bit "
        "WHERE channel = :channel AND duration_seconds IS NOT NULL"
        " AND duration_seconds < :seconds * ("
        "  SELECT COUNT(DISTINCT a.item_code) FROM answers a"
        "  WHERE a.response_id = responses.id)"
    )
    for channel, (name, default) in SECONDS_PER_ANSWER.items():
        seconds = float(_setting(name, default))
        connection.execute(statement, {"channel": channel, "seconds": seconds, "bit": 2})
        far = seconds * FAR_TOO_FAST_SHARE
        connection.execute(statement, {"channel": channel, "seconds": far, "bit": 8})


def _mark_device_rate(connection):
    if connection.dialect.name == "postgresql":
        since = "responses.submitted_at - interval '1 minute'"
    else:  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text
        since = "strftime('%Y-%m-%d %H:%M:%f', responses.submitted_at, '-60 seconds')"
    name, default = MAX_PER_DEVICE_MINUTE
    connection.execute(
        sa.text(
            "UPDATE responses SET quality_signals = quality_signals | 4 "
            "WHERE status_reason = 'device_rate' OR ("
            " device_code IS NOT NULL AND channel <> 'paper' AND ("
            "  SELECT COUNT(*) FROM responses r2"
            "  WHERE r2.device_code = responses.device_code"
            f"  AND r2.submitted_at > {since}"
            "   AND (r2.submitted_at < responses.submitted_at"
            "    OR (r2.submitted_at = responses.submitted_at"
            "        AND r2.id < responses.id))"
            " ) + 1 > :limit)"
        ),
        {"limit": int(_setting(name, default))},
    )


def _weight_sql() -> str:
    return " + ".join(
        f"(CASE WHEN (quality_signals & {bit}) <> 0 THEN {weight} ELSE 0 END)"
        for _code, bit, weight in SIGNALS
    )


def _reason_sql() -> str:
    """The status reason of an excluded response: its signal codes."""
    cases = []
    for size in range(1, len(SIGNALS) + 1):
        for combination in itertools.combinations(SIGNALS, size):
            if sum(weight for _c, _b, weight in combination) >= EXCLUDE_AT:
                mask = sum(bit for _c, bit, _w in combination)
                codes = ",".join(code for code, _b, _w in combination)
                cases.append(f"WHEN {mask} THEN '{codes}'")
    return f"CASE quality_signals {' '.join(cases)} ELSE 'quality' END"


def _decide_again(connection):
    old = ", ".join(f"'{reason}'" for reason in OLD_REASONS)
    by_rules = (
        "((status = 'complete' AND status_reason IS NULL)"
        f" OR (status = 'flagged' AND status_reason IN ({old})))"
    )
    connection.execute(
        sa.text(
            f"UPDATE responses SET status = 'flagged', status_reason = {_reason_sql()}"
            f" WHERE {by_rules} AND {_weight_sql()} >= {EXCLUDE_AT}"
        )
    )
    connection.execute(
        sa.text(
            "UPDATE responses SET status = 'complete', status_reason = NULL"
            f" WHERE status = 'flagged' AND status_reason IN ({old})"
            f" AND {_weight_sql()} < {EXCLUDE_AT}"
        )
    )


def upgrade():
    # add_column, never a batch rebuild: answers cascade from responses
    op.add_column(
        "responses",
        sa.Column("quality_signals", sa.Integer(), server_default="0", nullable=False),
    )
    connection = op.get_bind()
    _mark_straight_lining(connection)
    _mark_too_fast(connection)
    _mark_device_rate(connection)
    _decide_again(connection)


def downgrade():
    # statuses stay as judged; only the signals go
    op.drop_column("responses", "quality_signals")
