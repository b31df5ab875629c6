"""Phone ballot stuffing (issue 18 item 2), through the /s/ steps: bursts of
completions for one unit from one address are marked, identical answers within a
burst excluded; honest phones sharing an address below the burst are left alone;
no address is stored, and the hashed sources are forgotten after their window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import RecentCompletion, Response, ResponseDraft, ResponseStatus
from sipas.questionnaire.quality import (
    DUPLICATE_ANSWERS,
    SOURCE_BURST,
    signal_bit,
    signal_mask,
)
from sipas.services.questionnaires import parsed
from sipas.services.responses import sources
from tests.factories import demo_target
from tests.survey.test_phone import walk_to_end

BURST = 3


@pytest.fixture
def phone(demo_app, demo_client, survey_page):
    """Finish one phone form (``phone(k, address)``): criteria answered in a
    pattern of ``k`` (same ``k``, same answers), the form open for ten minutes."""
    demo_app.config["QUALITY_SOURCE_BURST"] = BURST
    questionnaire = parsed(demo_target()[0].questionnaire)

    def finish(k: int = 0, address: str = "203.0.113.7") -> Response:
        demo_client.environ_base["REMOTE_ADDR"] = address
        walk_to_end(
            demo_client,
            survey_page,
            questionnaire,
            overrides=_varied(questionnaire, k),
            seen=lambda _page: _open_for_ten_minutes(),
        )
        return db.session.scalar(sa.select(Response).order_by(Response.id.desc()))

    return finish


def _open_for_ten_minutes() -> None:
    """Every open form started ten minutes ago: a person's pace, so only the
    source rules can speak."""
    db.session.execute(
        sa.update(ResponseDraft).values(
            started_at=datetime.now(UTC) - timedelta(minutes=10)
        )
    )
    db.session.commit()


def _varied(questionnaire, k: int) -> dict[str, dict[str, str]]:
    """Criteria scores 4 and 5 in turn, with criterion ``k`` scored 3: one set of
    answers per ``k``, never all the same."""
    overrides: dict[str, dict[str, str]] = {}
    for n, item in enumerate(questionnaire.criteria):
        section = next(s for s in questionnaire.sections if item in s.items)
        score = 3 if n == k else 4 + n % 2
        overrides.setdefault(section.code, {})[item.code] = str(score)
    return overrides


def test_a_burst_of_identical_forms_from_one_address_is_flagged(phone):
    stuffed = [phone(0) for _ in range(BURST + 3)]
    both = signal_mask((SOURCE_BURST, DUPLICATE_ANSWERS))
    for response in stuffed:
        db.session.refresh(response)
        assert response.quality_signals & both == both
        assert response.status is ResponseStatus.flagged
    # never dropped: every form was stored
    assert db.session.scalar(sa.select(sa.func.count(Response.id))) == len(stuffed)


def test_a_burst_of_different_answers_is_marked_and_still_counted(phone):
    burst = [phone(k) for k in range(BURST + 1)]
    for response in burst:
        db.session.refresh(response)
        assert response.quality_signals == signal_bit(SOURCE_BURST)
        assert response.status is ResponseStatus.complete


def test_phones_sharing_an_address_below_the_burst_are_left_alone(phone):
    shared = [phone(0) for _ in range(BURST)]
    # the same answers from other addresses are other people
    others = [phone(0, address=f"198.51.100.{n}") for n in range(BURST + 2)]
    for response in shared + others:
        db.session.refresh(response)
        assert response.quality_signals == 0
        assert response.status is ResponseStatus.complete


def test_no_address_is_stored_and_sources_expire(phone, demo_app):
    phone(0, address="203.0.113.99")
    rows = db.session.execute(sa.select(RecentCompletion)).scalars().all()
    assert len(rows) == 1
    assert "203.0.113.99" not in repr([(r.source_key, r.answers_digest) for r in rows])
    assert rows[0].source_key == sources.source_key("203.0.113.99")
    db.session.execute(
        sa.update(RecentCompletion).values(
            completed_at=datetime.now(UTC) - timedelta(minutes=11)
        )
    )
    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["sipas", "purge-drafts"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(RecentCompletion.id))) == 0


def test_forms_finished_faster_than_anyone_reads_are_excluded(demo_client, survey_page):
    """The form's time is the server's own (the draft's start), whatever a
    script claims: a questionnaire walked in a second is flagged, not dropped."""
    questionnaire = parsed(demo_target()[0].questionnaire)
    walk_to_end(
        demo_client, survey_page, questionnaire, overrides=_varied(questionnaire, 0)
    )
    response = db.session.scalar(sa.select(Response))
    assert response.status is ResponseStatus.flagged
    assert response.status_reason == "too_fast,far_too_fast"
