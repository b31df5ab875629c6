"""How a published round was made, told in one paragraph a citizen can follow:
who was asked, how many, how they were chosen, and when."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from sipas.i18n import format_day, format_number
from sipas.models import UnitLevel, Wave, Weighting
from sipas.reports.wave_results import WaveResults

#: The places people were chosen in, by the level of the units (plural, in a
#: sentence).
PLACES = {
    UnitLevel.province: _l("provinces"),
    UnitLevel.district: _l("districts"),
    UnitLevel.commune: _l("communes and wards"),
    UnitLevel.centre: _l("service centres"),
}


def method_paragraph(results: WaveResults) -> str:
    """Who was asked, how many, the design in words and the dates."""
    wave = results.wave
    sentences = [
        _(
            "People who had just used a public administrative service were asked "
            "to fill in the anonymous questionnaire “%(questionnaire)s”.",
            questionnaire=results.questionnaire.title.get_text(results.language),
        ),
        ngettext(
            "%(responses)s people answered at %(offices)s office.",
            "%(responses)s people answered at %(offices)s offices.",
            results.responding_units,
            responses=format_number(results.responses),
            offices=format_number(results.responding_units),
        ),
        _choice_sentence(wave),
        _weighting_sentence(wave),
    ]
    dates = _dates_sentence(wave)
    if dates:
        sentences.append(dates)
    return " ".join(sentences)


def _choice_sentence(wave: Wave) -> str:
    """How the people were chosen, from the round's design."""
    if wave.psu_level is not None:
        return _(
            "First some %(places)s were chosen, then people served there were "
            "asked; the margins of error below allow for this two-step choice.",
            places=PLACES[wave.psu_level],
        )
    if wave.strata_level is not None:
        return _(
            "At each of the %(places)s, people were chosen at random among those "
            "served, so each place has its own result and the places can be "
            "compared.",
            places=PLACES[wave.strata_level],
        )
    return _("People were chosen at random among all those served in the period.")


def _weighting_sentence(wave: Wave) -> str:
    if wave.weighting is Weighting.unit_population:
        return _(
            "In the overall figures each office counts in proportion to the number "
            "of people it served, so a small office does not weigh as much as a "
            "large one."
        )
    return _("Every answer counts the same.")


def _dates_sentence(wave: Wave) -> str:
    start, end = format_day(wave.starts_on), format_day(wave.ends_on)
    if start and end:
        return _("The survey ran from %(start)s to %(end)s.", start=start, end=end)
    if start:
        return _("The survey began on %(start)s.", start=start)
    return ""
