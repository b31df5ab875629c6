"""Builders for test data: valid answers from a questionnaire, stored responses."""

from __future__ import annotations

import random
import uuid
from datetime import date
from pathlib import Path

import yaml

from sipas.extensions import db
from sipas.models import Channel, Unit, UnitLevel, Wave, WaveStatus, WaveUnit, Weighting
from sipas.questionnaire import Item, ItemType, Questionnaire, load_file
from sipas.questionnaire.logic import is_visible
from sipas.services import questionnaires
from sipas.services.questionnaires import latest_version, parsed
from sipas.services.responses import store as responses
from sipas.services.units.lookup import unit_by_code
from sipas.services.waves.lookup import wave_by_code

#: The shipped questionnaire files.
QUESTIONNAIRE_FILES = Path(__file__).resolve().parent.parent / "questionnaires"


def answer_for(item: Item, *, gave_feedback: bool = True) -> object:
    """A valid answer to ``item``; the filter before factor E follows the flag."""
    if item.code == "E_filter":
        return "yes" if gave_feedback else "no"
    if item.type is ItemType.scale:
        # satisfied throughout, but not the same score everywhere: identical answers
        # to every criterion raise the straight-lining signal (responses/quality.py)
        return "5" if item.code == "D3" else "4"
    if item.type is ItemType.single_choice:
        return item.choices[0].code
    if item.type is ItemType.multi_choice:
        return [choice.code for choice in item.choices[:2]]
    if item.type is ItemType.text:
        return "Cán bộ nhiệt tình, chu đáo."
    return str(item.min_value or 1)


def section_answers(
    questionnaire: Questionnaire, section_code: str, *, gave_feedback: bool = True
) -> dict[str, object]:
    """Valid answers for every item of one section, skip rules respected (the
    answers before it are those of `valid_answers`)."""
    section = questionnaire.sections[questionnaire.section_index(section_code)]
    answers = valid_answers(questionnaire, gave_feedback=gave_feedback)
    return {
        item.code: answers[item.code] for item in section.items if item.code in answers
    }


def valid_answers(
    questionnaire: Questionnaire, *, gave_feedback: bool = True
) -> dict[str, object]:
    """Valid answers to the whole questionnaire: the first option of a choice, so
    conditional procedure questions (an apology when late) stay unasked."""
    answers: dict[str, object] = {}
    for item in questionnaire.items:
        if is_visible(item, answers, questionnaire):
            answers[item.code] = answer_for(item, gave_feedback=gave_feedback)
    return answers


def demo_target(unit_code: str = "QN-HALONG-TT") -> tuple[Wave, Unit]:
    """The demo wave and one of its centres."""
    wave = wave_by_code("demo")
    unit = unit_by_code(unit_code)
    return wave, unit


def make_response(
    unit_code: str = "QN-HALONG-TT",
    answers: dict[str, object] | None = None,
    channel: Channel = Channel.web,
    response_uuid: uuid.UUID | None = None,
) -> responses.Recorded:
    """Store one response in the demo wave (answers default to a valid full set)."""
    wave, unit = demo_target(unit_code)
    questionnaire = parsed(wave.questionnaire)
    submission = responses.Submission(
        uuid=response_uuid or uuid.uuid4(), wave=wave, unit=unit, channel=channel
    )
    return responses.record(submission, answers or valid_answers(questionnaire))


def make_unit(
    code: str,
    name: str | None = None,
    level: UnitLevel = UnitLevel.centre,
    parent: Unit | None = None,
) -> Unit:
    """Add one unit (flushed, so it has an id)."""
    unit = Unit(code=code, name=name or f"Đơn vị {code}", level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_previous_wave(
    current: Wave, responses: int, seed: int, title: str = "Đợt trước"
) -> Wave:
    """A closed wave of 2025 over the same units and design as ``current``, with
    ``responses`` synthetic responses (flushed, not committed)."""
    from datetime import date

    from sipas.services import synthetic

    previous = wave_like(
        current,
        code="previous",
        title=title,
        questionnaire=current.questionnaire,
        status=WaveStatus.closed,
        starts_on=date(2025, 1, 1),
    )
    synthetic.add_demo_responses(previous, responses, seed=seed)
    return previous


def wave_like(current: Wave, **fields: object) -> Wave:
    """A new wave with ``fields`` (code, title, questionnaire, status, …) over the
    units, populations and design of ``current`` (flushed)."""
    wave = Wave(
        strata_level=current.strata_level,
        psu_level=current.psu_level,
        weighting=current.weighting,
        **fields,
    )
    wave.wave_units = [
        WaveUnit(unit=wu.unit, population=wu.population, target_sample=wu.target_sample)
        for wu in current.wave_units
    ]
    db.session.add(wave)
    db.session.flush()
    return wave


#: Shares of the headline perception answers in `scored_answers` (near published
#: provincial levels: a few percent harassed or paying extra, under 10% late).
PERCEPTION_ODDS = {
    ("harassment", "yes"): 0.04,
    ("unofficial_payment", "yes"): 0.03,
    ("on_time", "late"): 0.08,
}


def scored_answers(
    questionnaire: Questionnaire, rng: random.Random, satisfied: float
) -> dict[str, object]:
    """Valid answers whose scale items are satisfied (4 or 5) with probability
    ``satisfied``, else 2 or 3; perceptions drawn at `PERCEPTION_ODDS`, trips
    mostly once or twice."""
    answers: dict[str, object] = {}
    for item in questionnaire.items:
        if not is_visible(item, answers, questionnaire):
            continue
        answer = answer_for(item)
        if item.type is ItemType.scale:
            good = rng.random() < satisfied
            answer = rng.choice(["4", "5"] if good else ["2", "3"])
        elif item.code == "trips":
            answer = rng.choices(["1", "2", "3", "4plus"], [60, 30, 7, 3])[0]
        for (code, option), odds in PERCEPTION_ODDS.items():
            if item.code == code:
                others = [c.code for c in item.choices if c.code != option]
                answer = option if rng.random() < odds else others[0]
        answers[item.code] = answer
    return answers


def add_scored_responses(
    wave: Wave, unit_code: str, count: int, satisfied: float, seed: int
) -> None:
    """``count`` web responses from one unit of ``wave`` (see `scored_answers`)."""
    rng = random.Random(f"{seed}-{unit_code}")  # noqa: S311  (test data)
    questionnaire = parsed(wave.questionnaire)
    unit = unit_by_code(unit_code)
    responses.record_many(
        [
            (
                responses.Submission(
                    uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                    wave=wave,
                    unit=unit,
                    channel=Channel.web,
                ),
                scored_answers(questionnaire, rng, satisfied),
            )
            for _ in range(count)
        ]
    )


#: A province of the exit-survey fixture: its centres, by code, with their names
#: (long, as real ones are) and how satisfied their visitors are.
EXIT_SURVEY_CENTRES = {
    "TN-TTHCC": ("Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm", 0.93),
    "TN-DONGHAI": ("Bộ phận Một cửa phường Đông Hải (trung tâm cũ)", 0.85),
    "TN-BACSON": ("Bộ phận tiếp nhận và trả kết quả xã Bắc Sơn", 0.84),
    "TN-NAMTHANH": ("Bộ phận Một cửa phường Nam Thành", 0.80),
    "TN-TAYLAM": ("Bộ phận Một cửa xã Tây Lâm", 0.62),
}


def exit_survey_units() -> dict[str, Unit]:
    """The fixture province and its centres (made once)."""
    province = unit_by_code("TN") or make_unit(
        "TN", "Tỉnh Thử Nghiệm", level=UnitLevel.province
    )
    return {
        code: unit_by_code(code) or make_unit(code, name, parent=province)
        for code, (name, _satisfied) in EXIT_SURVEY_CENTRES.items()
    }


def make_exit_survey(
    code: str,
    starts_on: date,
    per_centre: int = 150,
    seed: int = 1,
    shift: float = 0.0,
    status: WaveStatus = WaveStatus.open,
    questionnaire: str = "sipas-2017",
) -> Wave:
    """A round of the fixture province as a provincial exit survey (each centre a
    stratum, people sampled at random inside), centres differing clearly; ``shift``
    moves every centre's satisfaction (an earlier round)."""
    units = exit_survey_units()
    wave = Wave(
        code=code,
        title=f"Khảo sát sự hài lòng năm {starts_on.year}",
        questionnaire=latest_version(questionnaire),
        starts_on=starts_on,
        status=WaveStatus.open,
        strata_level=UnitLevel.centre,
        psu_level=None,
        weighting=Weighting.unit_population,
    )
    wave.wave_units = [
        WaveUnit(unit=unit, population=2000 + 500 * k)
        for k, unit in enumerate(units.values())
    ]
    db.session.add(wave)
    db.session.flush()
    for unit_code, (_name, satisfied) in EXIT_SURVEY_CENTRES.items():
        add_scored_responses(wave, unit_code, per_centre, satisfied + shift, seed)
    wave.status = status
    db.session.flush()
    return wave


def sample_whole_centres(wave: Wave) -> Wave:
    """Give ``wave`` the design the demo had before issue 15 (one stratum, each
    centre one PSU), under which no two centres can be compared (committed)."""
    wave.strata_level = UnitLevel.province
    wave.psu_level = UnitLevel.centre
    db.session.commit()
    return wave


#: Code of the current national form (QĐ 1001/QĐ-BNV) and of its test round.
NATIONAL_FORM = "sipas-2023"
NATIONAL_WAVE = "national"


def make_national_wave(code: str = NATIONAL_WAVE) -> Wave:
    """An open round on the national form over the demo centres, the demo round
    closed so that the centres' phones, kiosks and desks collect for this one
    (committed)."""
    demo_wave = wave_by_code("demo")
    demo_wave.status = WaveStatus.closed
    wave = wave_like(
        demo_wave,
        code=code,
        title="Khảo sát sự hài lòng theo phương pháp quốc gia",
        questionnaire=latest_version(NATIONAL_FORM),
        starts_on=date(2026, 6, 1),
        status=WaveStatus.open,
    )
    db.session.commit()
    return wave


#: Code of the test questionnaire with two domains (`add_domain_questionnaire`).
DOMAIN_FORM = "test-domains"
#: Its domains: code → (Vietnamese name, English name, weight, factors under it).
DOMAINS = {
    "ACCESS": ("Tiếp cận và thủ tục hành chính", "Access and procedures", 0.6, "AB"),
    "SERVICE": ("Phục vụ và kết quả giải quyết", "Service and results", 0.4, "CDE"),
}


def add_domain_questionnaire(directory: Path) -> str:
    """Store the 2017 v2 form as `DOMAIN_FORM` with a declared two-domain tree
    (SIPAS = 0,6·access + 0,4·service, each domain the mean of its factors, as the
    national form weighs its domains); returns its code."""
    source = QUESTIONNAIRE_FILES / "sipas-2017-v2.yaml"
    form = load_file(source).questionnaire
    tree = [
        {
            "code": code,
            "label": {"vi": vi, "en": en},
            "weight": weight,
            "children": [
                {
                    "code": factor.code,
                    "label": dict(factor.name),
                    "items": [item.code for item in form.criteria_of(factor.code)],
                }
                for factor in form.factors
                if factor.code in factors
            ],
        }
        for code, (vi, en, weight, factors) in DOMAINS.items()
    ]
    text = source.read_text(encoding="utf-8").replace(
        "code: sipas-2017\n", f"code: {DOMAIN_FORM}\n", 1
    )
    text += "\n" + yaml.safe_dump({"indices": tree}, allow_unicode=True)
    path = directory / f"{DOMAIN_FORM}.yaml"
    path.write_text(text, encoding="utf-8")
    questionnaires.sync([path])
    return DOMAIN_FORM


def filled_demo_wave(count: int, seed: int) -> Wave:
    """The demo wave with ``count`` more synthetic responses, committed."""
    from sipas.services import synthetic

    wave = wave_by_code("demo")
    assert synthetic.add_demo_responses(wave, count, seed=seed) == count
    db.session.commit()
    return wave
