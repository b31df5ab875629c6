"""Option shares of a wave's choice questions straight from the database.

One GROUP BY over the answers of the asked items only (driven by the answers' item
index), fetched as plain rows into numpy arrays: per (unit, PSU key, item, option)
the responses that chose it, and per (unit, key, item) those that answered. Every
sum into the per-PSU matrices of :mod:`sipas.stats` is an array operation, so a
wave whose responses are its PSUs (a million of them) costs the query's time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa

from sipas.extensions import db
from sipas.models import Answer, Response, ResponseStatus, Wave
from sipas.questionnaire import ItemType
from sipas.services.questionnaires import parsed
from sipas.services.results.packed import ChoiceReader, PackedChoices
from sipas.services.waves.design import UnitDesign, unit_designs
from sipas.stats.choice_codes import multiple_chosen, single_numbers
from sipas.stats.design import build_design
from sipas.stats.indices import Options
from sipas.stats.shares import (
    Share,
    SingletonCells,
    option_shares,
    shares_of,
    singleton_estimates,
)
from sipas.stats.sums import CriterionSums


@dataclass(frozen=True)
class Counts:
    """Grouped answer counts as columns: unit, PSU key (response id, or 0), item,
    option (None for "answered the item") and count."""

    unit: np.ndarray
    key: np.ndarray
    item: np.ndarray
    value: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, rows: list, with_value: bool) -> Counts:
        """From fetched rows (unit, key, item, [value,] count)."""
        columns = list(zip(*rows, strict=True)) if rows else [()] * (4 + with_value)
        value = columns[3] if with_value else [None] * len(columns[0])
        return cls(
            np.asarray(columns[0], np.int64),
            np.asarray(columns[1], np.int64),
            np.asarray(columns[2], object),
            np.asarray(value, object),
            np.asarray(columns[-1], np.int64),
        )

    def join(self, other: Counts) -> Counts:
        """These rows and ``other``'s."""
        return Counts(
            *(
                np.concatenate([getattr(self, f), getattr(other, f)])
                for f in ("unit", "key", "item", "value", "count")
            )
        )

    def where(self, mask: np.ndarray, value=None) -> Counts:
        """The rows of ``mask`` (their option renamed ``value`` if given)."""
        values = (
            self.value[mask] if value is None else np.full(mask.sum(), value, object)
        )
        return Counts(
            self.unit[mask], self.key[mask], self.item[mask], values, self.count[mask]
        )


def wave_shares(
    wave: Wave,
    item_codes: list[str],
    options: Options,
    within: Collection[int] | None = None,
    combined: Mapping[str, Mapping[str, Collection[str]]] | None = None,
    choices: ChoiceReader | None = None,
) -> dict[str, list[Share]]:
    """Share of each option of each item among those who answered it (SQL counts);
    with ``within``, among the responses of those units (a domain of the design);
    ``combined`` ({item: {name: options}}) adds the share of single-choice answers
    that chose any of ``options``, as one more option called ``name``. The
    responses' packed choices come from ``choices`` (read once for several calls)
    or are read here."""
    packed = (choices or ChoiceReader(wave)).of(within)
    questionnaire = parsed(wave.questionnaire)
    designs = unit_designs(wave)
    multiple = [
        c for c in item_codes if questionnaire.item(c).type is ItemType.multi_choice
    ]
    weight = np.zeros(max(designs, default=0) + 1)
    for unit_id, unit_design in designs.items():
        weight[unit_id] = unit_design.weight
    if designs and all(d.psu is None for d in designs.values()):
        # every response its own PSU: counts per unit are enough (no row per PSU)
        chosen, answered = _option_counts(
            wave, item_codes, multiple, False, within, packed
        )
        chosen = chosen.join(_combined(chosen, combined)) if combined else chosen
        columns = _share_columns(chosen, answered, combined)
        cells, labels = _singleton_cells(designs, columns, chosen, answered)
        estimates = singleton_estimates(cells, labels, options.lonely_psu)
        shares = shares_of(columns, estimates, options)
    else:
        design, per_response, psu_of = _wave_design(wave, designs)
        chosen, answered = _option_counts(
            wave, item_codes, multiple, per_response, within, packed
        )
        chosen = chosen.join(_combined(chosen, combined)) if combined else chosen
        columns = _share_columns(chosen, answered, combined)
        sums = _sums(design.n_psus, columns, chosen, answered, psu_of, weight)
        shares = option_shares(design, sums, columns, options)
    return {item: [s for s in shares if s.item == item] for item in item_codes}


def _share_columns(chosen: Counts, answered: Counts, combined) -> list:
    """The (item, option) columns: every option chosen, and every combined group
    of an item someone answered."""
    return sorted(
        {*zip(chosen.item.tolist(), chosen.value.tolist(), strict=True)}
        | {
            (i, n)
            for i in set(answered.item.tolist())
            for n in (combined or {}).get(i, {})
        }
    )


def _singleton_cells(designs, columns, chosen: Counts, answered: Counts):
    """Per-unit counts (the cells of :class:`SingletonCells`) of a design whose
    responses are its PSUs, and the strata's labels."""
    # the designs count each unit's counted responses (none: not among them)
    units = np.asarray(sorted(designs), np.int64)
    counts = np.asarray([designs[u].responses for u in units.tolist()], np.int64)
    labels = sorted({designs[u].stratum for u in units.tolist()})
    number = {label: k for k, label in enumerate(labels)}
    shape = (len(units), len(columns))
    answered_of, chosen_of = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    position = {column: j for j, column in enumerate(columns)}
    j = np.asarray(
        [position[c] for c in zip(chosen.item, chosen.value, strict=True)], np.int64
    )
    np.add.at(chosen_of, (np.searchsorted(units, chosen.unit), j), chosen.count)
    cell = np.searchsorted(units, answered.unit)
    for item in set(answered.item.tolist()):
        mask = answered.item == item
        for column in (k for k, (i, _v) in enumerate(columns) if i == item):
            np.add.at(answered_of[:, column], cell[mask], answered.count[mask])
    cells = SingletonCells(
        stratum=np.asarray([number[designs[u].stratum] for u in units.tolist()]),
        weight=np.asarray([designs[u].weight for u in units.tolist()], float),
        rows=counts,
        answered=answered_of,
        chosen=chosen_of,
    )
    return cells, labels


def _sums(n_psus, columns, chosen: Counts, answered: Counts, psu_of, weight):
    """The per-PSU sums of the option columns: chosen over answered."""
    shape = (n_psus, len(columns))
    position = {column: j for j, column in enumerate(columns)}
    numerator, denominator = np.zeros(shape), np.zeros(shape)
    n_chosen, n_answered = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    j = np.fromiter(
        (position[c] for c in zip(chosen.item, chosen.value, strict=True)),
        np.int64,
        len(chosen.item),
    )
    p, w = psu_of(chosen.unit, chosen.key), weight[chosen.unit]
    np.add.at(numerator, (p, j), w * chosen.count)
    np.add.at(n_chosen, (p, j), chosen.count)
    p, w = psu_of(answered.unit, answered.key), weight[answered.unit]
    denominator_sq = np.zeros(len(columns))
    for item in set(answered.item.tolist()):
        rows = answered.item == item
        for column in (k for k, (i, _v) in enumerate(columns) if i == item):
            np.add.at(denominator[:, column], p[rows], w[rows] * answered.count[rows])
            np.add.at(n_answered[:, column], p[rows], answered.count[rows])
            denominator_sq[column] = (w[rows] ** 2 * answered.count[rows]).sum()
    return CriterionSums(
        satisfied_weight=numerator,
        answered_weight=denominator,
        answered_weight_sq=denominator_sq,
        answered_count=n_answered,
        satisfied_count=n_chosen,
        row_count=np.zeros(n_psus, np.int64),
        row_weight=np.zeros(n_psus),
    )


def _combined(chosen: Counts, combined) -> Counts:
    """The option counts of ``chosen`` again under the name of each group of
    ``combined`` their option belongs to (a single choice is in one group once). A
    group named as its own single option ("yes": ("yes",)) is that option's
    column: its rows are not counted twice."""
    found = chosen.where(np.zeros(len(chosen.item), bool))
    for item, groups in combined.items():
        for name, group in groups.items():
            mask = (chosen.item == item) & np.isin(chosen.value, list(group))
            found = found.join(chosen.where(mask & (chosen.value != name), name))
    return found


def _wave_design(wave: Wave, designs: dict[int, UnitDesign]):
    """The design of all counted responses, whether responses are its PSUs, and a
    function (unit ids, keys) → PSU numbers (arrays)."""
    per_response = any(d.psu is None for d in designs.values())
    if per_response:
        rows = db.session.connection().execute(
            sa.select(Response.unit_id, Response.id)
            .where(
                Response.wave_id == wave.id,
                Response.status == ResponseStatus.complete,
            )
            .order_by(Response.id)
        )
        units, keys = (np.asarray(c, np.int64) for c in _columns(rows.all(), 2))
    else:
        units = np.asarray(sorted(designs), np.int64)
        keys = np.zeros(len(units), np.int64)
    unit_list = units.tolist()
    strata = [designs[u].stratum for u in unit_list]
    psus = [
        designs[u].psu or f"response:{k}"
        for u, k in zip(unit_list, keys.tolist(), strict=True)
    ]
    design, psu_index = build_design(strata, psus)
    lookup = units if not per_response else keys

    def psu_of(unit_ids: np.ndarray, key_ids: np.ndarray) -> np.ndarray:
        found = key_ids if per_response else unit_ids
        return psu_index[np.searchsorted(lookup, found)]

    return design, per_response, psu_of


def _columns(rows: Sequence, width: int) -> list:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def _option_counts(wave, item_codes, multiple, per_response, within, packed):
    """Counts of the responses per (unit, PSU key, item, option), and per (unit,
    key, item) of those that answered: the option counts' sum for a single choice,
    distinct responses for a multiple choice. From the responses' packed choices
    when they all have them (``packed``), else from the answer rows."""
    if packed is not None and all(packed.layout.slot(c) for c in item_codes):
        chosen, answered_multiple = _packed_counts(packed, item_codes, per_response)
    else:
        chosen, answered_multiple = _row_counts(
            wave, item_codes, multiple, per_response, within
        )
    answered = chosen.where(~np.isin(chosen.item, multiple))
    if multiple:
        answered = answered.join(answered_multiple)
    return chosen, answered


def _packed_counts(
    packed: PackedChoices, item_codes: Sequence[str], per_response: bool
) -> tuple[Counts, Counts]:
    """The option counts, and the responses that answered each multiple choice,
    per (unit, key) from packed choices, in the order the grouped query gives."""
    if per_response:
        group = np.arange(len(packed.unit_id))
        units, keys = packed.unit_id, packed.response_id
    else:
        units, group = np.unique(packed.unit_id, return_inverse=True)
        keys = np.zeros(len(units), np.int64)
    chosen, answered = _CountRows(units, keys), _CountRows(units, keys)
    for code in item_codes:
        slot = packed.layout.slot(code)
        assert slot is not None  # noqa: S101  (the caller checked)
        size = len(slot.options)
        if slot.multiple:
            choice = multiple_chosen(packed.matrix, slot)
            who, option = np.nonzero(choice)
            answered.add(code, np.unique(group[choice.any(axis=1)], return_counts=True))
        else:
            numbers = single_numbers(packed.matrix, slot)
            who = np.flatnonzero(numbers)
            option = numbers[who] - 1
        cells, counts = np.unique(group[who] * size + option, return_counts=True)
        chosen.add(code, (cells // size, counts), slot.options, cells % size)
    return chosen.counts(), answered.counts()


class _CountRows:
    """Counted rows of several items, put together in (unit, key, item, value)
    order."""

    def __init__(self, units: np.ndarray, keys: np.ndarray) -> None:
        self.units, self.keys = units, keys
        self.parts: list[
            tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
        ] = []

    def add(self, item, grouped, options=(None,), option=None) -> None:
        """Counts of ``item`` per group (and per option number, if given)."""
        groups, counts = grouped
        number = np.zeros(len(counts), np.int64) if option is None else option
        # an option's place among the item's options in text order, as SQL sorts
        text_order = np.argsort(np.argsort(np.asarray(options, object)))
        values = np.asarray(options, object)[number]
        self.parts.append((item, groups, values, text_order[number], counts))

    def counts(self) -> Counts:
        """The rows as Counts, sorted as SQL's GROUP BY gives them."""
        if not self.parts:
            return Counts.of([], with_value=True)
        groups, values, value_rank, counts = (
            np.concatenate([part[k] for part in self.parts]) for k in (1, 2, 3, 4)
        )
        item = np.concatenate([np.full(len(p[1]), p[0], object) for p in self.parts])
        item_rank = np.unique(item, return_inverse=True)[1].reshape(-1)
        unit, key = self.units[groups], self.keys[groups]
        order = np.lexsort((value_rank, item_rank, key, unit))
        return Counts(
            unit[order],
            key[order],
            item[order],
            values[order],
            counts[order].astype(np.int64),
        )


def _row_counts(wave, item_codes, multiple, per_response, within=None):
    """The option counts, and the responses that answered each multiple choice,
    from the answer rows (one grouped query each)."""
    key = Response.id if per_response else sa.literal_column("0")
    # a constant is selected but never grouped by (SQL reads GROUP BY 0 as a position)
    keys = [Response.unit_id, Response.id] if per_response else [Response.unit_id]
    # "+ 0" and the cast keep the responses' indexes out of the plan: the asked
    # items' answers drive the join (their item index, in response order), each
    # finding its response by key. With the indexes SQLite takes a large wave's
    # responses first and seeks every one's answers: 2-3x slower at 1M.
    counted = [
        Response.wave_id + 0 == wave.id,
        sa.cast(Response.status, sa.String) == ResponseStatus.complete.value,
    ]
    if within is not None:
        counted.append(Response.unit_id.in_(sorted(within)))

    def grouped(items, *columns):
        statement = (
            sa.select(Response.unit_id, key, Answer.item_code, *columns)
            .select_from(Answer)
            .join(Response, Response.id == Answer.response_id)
            .where(*counted, Answer.item_code.in_(items))
            .group_by(*keys, Answer.item_code, *columns[:-1])
        )
        return db.session.connection().execute(statement).all()

    chosen = Counts.of(grouped(item_codes, Answer.value, sa.func.count()), True)
    distinct = sa.func.count(sa.distinct(Answer.response_id))
    answered = Counts.of(grouped(multiple, distinct), False) if multiple else None
    return chosen, answered
