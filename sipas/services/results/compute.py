"""Everything the dashboard and the PDF report show for a wave and a unit subtree.

One counted-patterns query feeds the subtree's indices, the ranking of the units
below it and every breakdown; each is a domain of the whole wave's design (never a
cut of its rows), so standard errors and df are those of `svyby`/`subset` in R.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import (
    Response,
    Unit,
    Wave,
)
from sipas.questionnaire import ItemType, Questionnaire
from sipas.reports.wave_results import (
    OVERALL,
    Change,
    GroupBreakdown,
    GroupRow,
    RankedUnit,
    ShareTable,
    Thresholds,
    WaveResults,
)
from sipas.services.questionnaires import parsed
from sipas.services.results import headline, sums
from sipas.services.results.packed import ChoiceReader
from sipas.services.results.query import Breakdown, domains_of
from sipas.services.units.tree import ancestors, subtree_ids
from sipas.stats.coded import Coded
from sipas.stats.compare import (
    Comparison,
    Standing,
    compare_domains,
    domain_standings,
    independent_difference,
    index_differences,
)
from sipas.stats.indices import (
    IndexResult,
    Indices,
    NodeResult,
    Options,
    without_psu_values,
)
from sipas.stats.shares import ranking

#: Sections of the questionnaire file whose questions the results break down by,
#: report as perception shares and rank as expectations (absent sections: omitted).
#: A section is of a kind when its code is one of the kind's codes, or one of them
#: followed by "_" (the national form asks perceptions per policy group:
#: ``perception_p1`` …, and its needs in ``needs``).
RESPONDENT_SECTION = "respondent"
PERCEPTION_SECTIONS = ("perception",)
EXPECTATION_SECTIONS = ("expectations", "needs")


def wave_results(
    wave: Wave,
    root: Unit | None = None,
    *,
    options: Options | None = None,
    thresholds: Thresholds | None = None,
    language: str = "vi",
    channel_labels: Mapping[str, str] | None = None,
    channel_title: str = "channel",
    group_items: Sequence[str] | None = None,
) -> WaveResults:
    """The results of ``wave`` for the subtree under ``root`` (None: every unit),
    broken down by channel and by ``group_items`` (default: every single-choice
    question about the respondent; each one costs a lookup per response)."""
    options = options or Options()
    thresholds = thresholds or Thresholds()
    questionnaire = parsed(wave.questionnaire)
    if group_items is None:
        group_items = respondent_items(questionnaire)
    data = sums.wave_data(wave)
    choices = ChoiceReader(wave)  # read once for breakdowns and shares
    in_scope = subtree_ids(root.id) if root is not None else None
    rows = data.rows_of_units(in_scope) if in_scope is not None else None
    indices = data.indices(options, rows)
    counts = data.patterns.count
    responses = int(counts[rows].sum() if rows is not None else counts.sum())
    units = {u for u in data.designs if in_scope is None or u in in_scope}
    # the units are compared with their scope; then no more comparisons
    ranked_units = _ranking(data, root, units, options, indices)
    indices = without_psu_values(indices, keep_overall_psus=True)
    breakdowns = [
        _breakdown(
            data, Breakdown.channel, channel_title, options, rows, channel_labels or {}
        )
    ]
    for code in group_items:
        # one query per question: grouping by several answers at once costs SQLite
        # far more than the sum of the single ones
        grouped = sums.breakdown_data(wave, data, code, choices)
        grouped_rows = grouped.rows_of_units(in_scope) if in_scope is not None else None
        item = questionnaire.item(code)
        labels = {c.code: c.label.get_text(language) for c in item.choices}
        breakdowns.append(
            _breakdown(
                grouped,
                code,
                item.label.get_text(language),
                options,
                grouped_rows,
                labels,
            )
        )
    earlier = [  # compared as independent samples: no per-PSU values needed
        (w, None if found is None else without_psu_values(found))
        for w in headline.earlier_rounds(wave)
        for found in [headline.scope_indices(w, in_scope, options)]
    ]
    previous, before = earlier[0] if earlier else (None, None)
    return WaveResults(
        wave=wave,
        root=root,
        questionnaire=questionnaire,
        options=options,
        thresholds=thresholds,
        language=language,
        responses=responses,
        responding_units=len(units),
        indices=indices,
        ranking=ranked_units,
        breakdowns=tuple(b for b in breakdowns if b.rows),
        perceptions=_share_tables(
            wave,
            questionnaire,
            PERCEPTION_SECTIONS,
            in_scope,
            options,
            language,
            ranked=False,
            choices=choices,
        ),
        expectations=_share_tables(
            wave,
            questionnaire,
            EXPECTATION_SECTIONS,
            in_scope,
            options,
            language,
            ranked=True,
            choices=choices,
        ),
        previous_wave=previous,
        changes=_changes(indices, before, options),
        breadcrumbs=tuple(ancestors(root)) if root is not None else (),
        design=data.design,
        key_shares=headline.key_shares(
            wave, questionnaire, in_scope, options, language, choices
        ),
        trend=headline.trend(wave, indices, earlier),
        node_changes=_node_changes(indices, before, options),
    )


def respondent_items(questionnaire: Questionnaire) -> list[str]:
    """Codes of the questions about the respondent that results can be broken
    down by."""
    return _items_in(
        questionnaire, (RESPONDENT_SECTION,), ItemType.single_choice, prefixes=False
    )


def _items_in(
    questionnaire: Questionnaire,
    kinds: Sequence[str],
    item_type: ItemType,
    *,
    prefixes: bool = True,
) -> list[str]:
    """Codes of the items of one type in the sections of ``kinds`` (their codes, or
    with ``prefixes`` those codes followed by "_"), in questionnaire order."""
    return [
        item.code
        for section in questionnaire.sections
        if section.code in kinds
        or (prefixes and section.code.startswith(tuple(f"{k}_" for k in kinds)))
        for item in section.items
        if item.type is item_type
    ]


def _breakdown(data, code, title, options, rows, labels) -> GroupBreakdown:
    """The indices per value of ``code`` among the subtree's records."""
    domains = domains_of(data.patterns, data.designs, code)
    groups = data.domain_indices(
        domains, options, rows, design_effects=False, compared=False
    )
    order = {value: k for k, value in enumerate(labels)}  # the questionnaire's order
    groups.sort(key=lambda group: (order.get(group[0], len(order)), group[0]))
    return GroupBreakdown(
        code,
        title,
        tuple(
            GroupRow(value, labels.get(value, value), indices)
            for value, indices in groups
            if value != ""
        ),
    )


def ranking_groups(
    root: Unit | None, units: Sequence[Unit]
) -> tuple[Unit | None, dict[int, Unit]]:
    """The level to rank: the children of ``root`` holding ``units`` (the
    responding ones), going one level down while there is only one of them.
    Returns (root, unit id → group)."""
    paths = {unit.id: [*ancestors(unit), unit] for unit in units}
    depth = len(ancestors(root)) + 1 if root is not None else 0
    while True:
        groups = {u: path[depth] for u, path in paths.items() if len(path) > depth}
        distinct = {unit.id for unit in groups.values()}
        if len(distinct) != 1 or len(groups) < len(paths):
            return root, groups
        root = next(iter(groups.values()))
        depth += 1


def _ranking(
    data: sums.WaveData,
    root: Unit | None,
    units: set[int],
    options: Options,
    scope: Indices,
) -> tuple[RankedUnit, ...]:
    """The units one level below the root, best SIPAS first, with marks where two
    units cannot be told apart."""
    _root, groups = ranking_groups(root, [data.designs[u].unit for u in units])
    if len({g.id for g in groups.values()}) < 2:
        return ()
    group_units = {g.code: g for g in groups.values()}
    label_of_unit = {u: g.code for u, g in groups.items()}
    lookup = np.full(max(data.designs) + 1, len(group_units), dtype=np.int64)
    labels = tuple(sorted(group_units))
    for unit_id, code in label_of_unit.items():
        lookup[unit_id] = labels.index(code)
    domains = Coded(labels, lookup[data.patterns.unit_id])
    inside = lookup[data.patterns.unit_id] < len(labels)
    results = dict(data.domain_indices(domains, options, inside, design_effects=False))
    order = sorted(results, key=lambda c: (-_value(results[c].overall), c))
    found = _comparisons(data, results, order, options)

    def with_result(code: str, result: Comparison) -> tuple[str, ...]:
        return tuple(other for other in order if found.get((code, other)) is result)

    def next_is(position: int, result: Comparison) -> bool:
        if position + 1 == len(order):
            return False
        return found.get((order[position], order[position + 1])) is result

    return tuple(
        RankedUnit(
            unit=group_units[code],
            rank=position + 1,
            indices=without_psu_values(results[code]),
            indistinguishable=with_result(code, Comparison.indistinguishable),
            tied_with_next=next_is(position, Comparison.indistinguishable),
            untestable=with_result(code, Comparison.untestable),
            untestable_with_next=next_is(position, Comparison.untestable),
            standings=_standings(data, results[code], scope, options),
        )
        for position, code in enumerate(order)
    )


def _standings(
    data: sums.WaveData, unit: Indices, scope: Indices, options: Options
) -> dict[str, Standing]:
    """Where a unit stands against its scope on every index both estimate."""
    theirs = _by_code(scope)
    pairs = {
        code: (mine.estimate, theirs[code].estimate)
        for code, mine in _by_code(unit).items()
        if code in theirs
    }
    return domain_standings(data.design, pairs, options.level, options.lonely_psu)


def _value(result: IndexResult) -> float:
    value = result.estimate.value
    return value if np.isfinite(value) else -1.0


def _comparisons(data, results, order, options) -> dict[tuple[str, str], Comparison]:
    """How the SIPAS of every pair of units compares, both ways round."""
    found = {}
    for first, second in itertools.combinations(order, 2):
        a, b = results[first].overall.estimate, results[second].overall.estimate
        result = compare_domains(data.design, a, b, options.level, options.lonely_psu)
        found[first, second] = found[second, first] = result
    return found


def _share_tables(
    wave, questionnaire, kinds, in_scope, options, language, *, ranked, choices=None
):
    """Option shares of the choice questions of the sections of ``kinds``."""
    codes = _items_in(questionnaire, kinds, ItemType.single_choice)
    codes += _items_in(questionnaire, kinds, ItemType.multi_choice)
    if not codes:
        return ()
    shares = sums.wave_shares(wave, codes, options, within=in_scope, choices=choices)
    tables = []
    for code in codes:
        item = questionnaire.item(code)
        rows = ranking(shares[code]) if ranked else shares[code]
        labels = {c.code: c.label.get_text(language) for c in item.choices}
        tables.append(
            ShareTable(code, item.label.get_text(language), tuple(rows), labels)
        )
    return tuple(tables)


def previous_wave(wave: Wave) -> Wave | None:
    """The latest earlier wave of the same questionnaire that has responses."""
    earlier = headline.earlier_rounds(wave)
    return earlier[0] if earlier else None


def _changes(
    indices: Indices, before: Indices | None, options: Options
) -> tuple[Change, ...]:
    """Each index against the previous wave's (the subtree followed across
    mergers), tested as two independent samples."""
    if before is None:
        return ()
    differences = dict(
        index_differences(
            indices, before, partial(independent_difference, level=options.level)
        )
    )
    now = _by_code(indices)
    then = _by_code(before)
    return tuple(
        Change(code, now[code], then[code], difference)
        for code, difference in differences.items()
    )


def _node_changes(
    indices: Indices, before: Indices | None, options: Options
) -> tuple[Change, ...]:
    """Each node of the tree below the root against the previous wave's node of the
    same code (independent samples); the root is SIPAS, in `_changes`."""
    if before is None or indices.tree is None or before.tree is None:
        return ()
    then = {node.code: node for node in before.tree.walk()}
    changes = []
    for node in list(indices.tree.walk())[1:]:
        earlier = then.get(node.code)
        if earlier is None or earlier is before.tree:
            continue
        now, previous = _as_index(node), _as_index(earlier)
        values = (now.estimate.value, previous.estimate.value)
        if not np.isfinite(values).all():
            continue
        difference = independent_difference(
            now.estimate, previous.estimate, level=options.level
        )
        changes.append(Change(node.code, now, previous, difference))
    return tuple(changes)


def _as_index(node: NodeResult) -> IndexResult:
    return IndexResult(node.code, node.estimate, node.interval)


def _by_code(indices: Indices) -> dict[str, IndexResult]:
    results = {r.code: r for r in (*indices.criteria, *indices.factors)}
    results[OVERALL] = indices.overall
    return results


def responding_root_choices(wave: Wave) -> Sequence[Unit]:
    """Units of the wave and their ancestors: the subtrees one can ask results for."""
    unit_ids = db.session.scalars(
        sa.select(Response.unit_id).where(Response.wave_id == wave.id).distinct()
    ).all()
    found: dict[int, Unit] = {}
    for unit in db.session.scalars(sa.select(Unit).where(Unit.id.in_(unit_ids))):
        for node in (*ancestors(unit), unit):
            found[node.id] = node
    return sorted(found.values(), key=lambda u: (len(ancestors(u)), u.name))
