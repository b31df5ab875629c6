"""The questionnaire checks' findings in the reader's language.

The pure checks (sipas.questionnaire: builder, checks, index tree, loader) write
their findings as English sentences, for the files' authors at a terminal. Here each
sentence is matched against its template, and the template and the names in it (a
"what" such as "item A1") are translated through the catalogues. A sentence that
matches no template is shown as it is: nothing is lost, it is only in English.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext as _

from sipas.questionnaire.xlsform_relevant import N_

#: What a finding is about ("%(what)s" in the templates below).
WHATS = (
    N_("item %(code)s show_if"),
    N_("item %(code)s"),
    N_("factor %(code)s"),
    N_("section %(code)s"),
    N_("index node %(code)s"),
    N_("an index node"),
    N_("option '%(option)s' of '%(list)s'"),
    N_("option of '%(list)s'"),
    N_("an option of '%(list)s'"),
    N_("option '%(option)s'"),
    N_("the questionnaire file"),
    N_("the questionnaire"),
    N_("the title"),
    N_("the description"),
    N_("a factor"),
    N_("a section"),
    N_("an item"),
    N_("questionnaire"),
    N_("factor"),
    N_("section"),
    N_("item"),
)

#: The findings, most specific first.
MESSAGES = (
    N_('%(what)s code %(value)s is not a string; quote it, e.g. "%(plain)s"'),
    N_("%(what)s code %(value)s is not a valid code"),
    N_("%(what)s code is empty"),
    N_("%(what)s must give a text per language"),
    N_("%(what)s has unknown language '%(language)s'"),
    N_("%(what)s lacks the '%(language)s' text"),
    N_("%(what)s has an empty '%(language)s' text"),
    N_("%(what)s '%(key)s' must be a whole number"),
    N_("%(what)s '%(key)s' must be at least %(minimum)s"),
    N_("%(what)s %(key)s must be a positive number"),
    N_("%(what)s '%(key)s' must be true or false"),
    N_("%(what)s '%(key)s' must be a non-empty list"),
    N_("unknown key '%(key)s' in %(what)s"),
    N_("%(what)s lacks required key '%(key)s'"),
    N_("%(what)s must be a mapping"),
    N_("languages must be %(languages)s (Vietnamese first)"),
    N_("duplicate factor code '%(code)s'"),
    N_("choice_lists must map names to lists"),
    N_("choice list name %(name)s is not a string"),
    N_("choice list '%(list)s' must be a non-empty list"),
    N_("duplicate option code '%(option)s' in '%(list)s'"),
    N_("duplicate section code '%(code)s'"),
    N_("factor '%(code)s' has no criteria"),
    N_("item code '%(code)s' is reserved for a file column"),
    N_("duplicate item code '%(code)s'"),
    N_("item %(code)s has unknown type %(value)s (%(known)s)"),
    N_("%(type)s item %(code)s cannot have choices"),
    N_("%(type)s item %(code)s needs a choice list"),
    N_("item %(code)s uses unknown choice list '%(list)s'"),
    N_("scale item %(code)s: list '%(list)s' must hold codes 1–5 (and 9 at most)"),
    N_("scale item %(code)s: in '%(list)s' only code 9 is not_applicable"),
    N_("item %(code)s: only scale items belong to a factor"),
    N_("item %(code)s names unknown factor '%(factor)s'"),
    N_("item %(code)s: show_if points at itself"),
    N_("item %(code)s: show_if points at '%(target)s', which is not an earlier item"),
    N_("item %(code)s: show_if 'in' must be a non-empty list"),
    N_("item %(code)s: '%(key)s' applies to %(type)s items only"),
    N_("item %(code)s: max %(max)s exceeds its options"),
    N_("item %(code)s: %(value)s is not an option of %(target)s"),
    N_("the index tree contains a cycle"),
    N_("index node %(code)s has both children and items"),
    N_("index node %(code)s has no items"),
    N_("duplicate index node code '%(code)s'"),
    N_("index node %(code)s aggregate must be one of %(choices)s, not %(value)s"),
    N_("index node %(code)s names unknown item '%(item)s'"),
    N_(
        "index node %(code)s: item %(item)s is not a criterion "
        "(a scale item with a factor)"
    ),
    N_("item %(item)s is in index nodes %(first)s and %(code)s"),
    N_("YAML syntax: %(reason)s"),
    N_("duplicate key '%(key)s'"),
    N_("cannot read file: %(error)s"),
)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: What a placeholder may hold: a key is one word; anything else, any text.
_GROUPS = {"key": r"\w+"}


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>{_GROUPS.get(part, '.+?')})"
        for index, part in enumerate(parts)
    )
    return re.compile(regex, re.DOTALL)


def _translate(text: str, templates: tuple[str, ...]) -> str | None:
    for template in templates:
        found = _pattern(template).fullmatch(text)
        if found is not None:
            params = found.groupdict()
            if "what" in params:
                params["what"] = _translate(params["what"], WHATS) or params["what"]
            return _(template, **params)  # noqa: INT001 - the templates above, N_
    return None


def translated(message: str) -> str:
    """``message`` of a questionnaire check in the current language."""
    return _translate(message, MESSAGES) or message
