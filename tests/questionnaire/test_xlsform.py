"""The XLSForm-style workbook: round trip with the YAML, each problem at its cell."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from babel.messages.pofile import read_po
from openpyxl import Workbook, load_workbook

from sipas.questionnaire import MAX_WORKBOOK_BYTES, ItemType, load_file, load_text
from sipas.questionnaire.xlsform import WorkbookError, read_workbook
from sipas.questionnaire.xlsform_write import write_workbook
from tests.conftest import ROOT
from tests.questionnaire.test_loader import MINIMAL

Edit = Callable[[Workbook], None]


def minimal_workbook(edit: Edit | None = None) -> bytes:
    """The loader tests' minimal questionnaire as a workbook, with ``edit`` applied.

    Layout: survey row 2 begins group ``main``, rows 3–5 are ``filter``, ``A1``
    (relevant in H4) and ``comment``; choices rows 2–7 are satisfaction5, 8–9 yes_no;
    factors row 2 is ``A`` (weight in D2).
    """
    return workbook_of(MINIMAL, edit)


def workbook_of(text: str, edit: Edit | None = None) -> bytes:
    """The questionnaire YAML ``text`` written as a workbook, with ``edit`` applied."""
    data = write_workbook(load_text(text, "form.yaml").definition)
    if edit is None:
        return data
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes) -> list[tuple[str | None, str, str]]:
    """(sheet, cell, English text) of each problem reading ``data``."""
    with pytest.raises(WorkbookError) as caught:
        read_workbook(data)
    return [
        (p.sheet, f"{p.column or ''}{p.row or ''}", p.text)
        for p in caught.value.problems
    ]


def in_vietnamese(data: bytes) -> list[str]:
    """The problems of reading ``data`` as the Vietnamese catalogue says them."""
    with pytest.raises(WorkbookError) as caught:
        read_workbook(data)
    path = ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    return [catalog[p.message].string % dict(p.params) for p in caught.value.problems]


def put(sheet: str, cell: str, value: object) -> Edit:
    def edit(workbook: Workbook) -> None:
        workbook[sheet][cell] = value

    return edit


@pytest.mark.parametrize("name", ["sipas-2017-v2.yaml", "sipas-2017.yaml"])
def test_shipped_questionnaire_round_trips_to_the_same_hash(name):
    loaded = load_file(ROOT / "questionnaires" / name)
    again = read_workbook(write_workbook(loaded.definition), "form.xlsx")
    assert again.definition == loaded.definition
    assert again.sha256 == loaded.sha256
    assert again.questionnaire == loaded.questionnaire


def test_minimal_workbook_reads_as_the_yaml():
    loaded = read_workbook(minimal_workbook())
    item = loaded.questionnaire.item("A1")
    assert item.type is ItemType.scale
    assert item.factor == "A"
    assert item.show_if is not None
    assert item.show_if.values == ("yes",)
    assert loaded.sha256 == load_text(MINIMAL, "mini.yaml").sha256


def test_xlsform_spellings_and_number_cells_are_accepted():
    def edit(workbook: Workbook) -> None:
        survey, choices = workbook["survey"], workbook["choices"]
        survey["A2"], survey["A6"] = "begin group", "end group"
        survey["G3"] = "TRUE"
        choices["B2"] = 1  # a number typed where the code "1" is meant
        workbook["factors"]["D2"] = "0,5"  # Vietnamese decimal comma

    loaded = read_workbook(minimal_workbook(edit))
    assert loaded.questionnaire.factors[0].weight == 0.5
    assert loaded.questionnaire.item("A1").choice_codes[0] == "1"


def test_text_starting_with_equals_stays_text_and_sheet_names_ignore_case():
    definition = load_text(MINIMAL, "mini.yaml").definition
    definition["sections"][0]["items"][2]["label"]["en"] = "=other comments"
    workbook = load_workbook(io.BytesIO(write_workbook(definition)))
    workbook["survey"].title = "renamed"  # openpyxl renames a clash of case to Survey1
    workbook["renamed"].title = "Survey"
    buffer = io.BytesIO()
    workbook.save(buffer)
    loaded = read_workbook(buffer.getvalue())
    assert loaded.questionnaire.item("comment").label["en"] == "=other comments"


BAD_CELLS = [
    pytest.param(
        put("survey", "A4", "likert satisfaction5"),
        "survey",
        "A4",
        "unknown type",
        id="unknown-type",
    ),
    pytest.param(
        put("survey", "D3", None),
        "survey",
        "D3",
        "“label::en” is empty",
        id="missing-english-label",
    ),
    pytest.param(
        put("survey", "B5", "filter"),
        "survey",
        "B5",
        "already used on row 3",
        id="duplicate-item-name",
    ),
    pytest.param(
        put("choices", "B3", "1"),
        "choices",
        "B3",
        "already used on row 2",
        id="duplicate-option",
    ),
    pytest.param(
        put("survey", "B5", "ý kiến"),
        "survey",
        "B5",
        "the name “ý kiến” must start with a letter and hold only letters without",
        id="name-not-a-code",
    ),
    pytest.param(
        put("survey", "B5", None),
        "survey",
        "B5",
        "“name” is empty",
        id="item-without-name",
    ),
    pytest.param(
        put("survey", "A4", "begin_group"),
        "survey",
        "A4",
        "groups cannot be nested",
        id="nested-group",
    ),
    pytest.param(
        put("survey", "A3", "select_one answers"),
        "survey",
        "A3",
        "“answers” is missing or empty",
        id="choice-list-missing",
    ),
    pytest.param(
        lambda workbook: workbook["choices"].delete_rows(8, 2),
        "survey",
        "A3",
        "the choice list “yes_no” is missing or empty",
        id="choice-list-gone",
    ),
    pytest.param(
        lambda workbook: [put("choices", f"B{row}", None)(workbook) for row in (8, 9)],
        "survey",
        "A3",
        "the choice list “yes_no” is missing or empty",
        id="choice-list-without-options",
    ),
    pytest.param(
        lambda workbook: workbook["factors"].append(["A", "Lặp", "Again"]),
        "factors",
        "A3",
        "the name “A” is already used on row 2",
        id="duplicate-factor",
    ),
    pytest.param(
        put("survey", "C5", None),
        "survey",
        "C5",
        "“label::vi” is empty: give the text in every language",
        id="missing-vietnamese-label",
    ),
    pytest.param(
        put("survey", "A3", "select_one"),
        "survey",
        "A3",
        "needs the name of a choice list",
        id="choice-list-not-named",
    ),
    pytest.param(
        put("survey", "H3", "${A1} = '1'"),
        "survey",
        "H3",
        "points forward to A1",
        id="relevant-forward",
    ),
    pytest.param(
        put("survey", "H4", "${ghost} = 'yes'"),
        "survey",
        "H4",
        "no such question",
        id="relevant-at-nothing",
    ),
    pytest.param(
        put("survey", "H4", "string-length(${filter}) > 0"),
        "survey",
        "H4",
        "cannot read the condition",
        id="relevant-unsupported",
    ),
    pytest.param(
        put("survey", "H4", "${filter} = 'maybe'"),
        "survey",
        "H4",
        "“maybe” is not an option of filter",
        id="relevant-not-an-option",
    ),
    pytest.param(
        put("survey", "H5", "${comment} = 'x'"),
        "survey",
        "H5",
        "points at the question itself",
        id="relevant-at-itself",
    ),
    pytest.param(
        put("factors", "D2", "nặng"),
        "factors",
        "D2",
        "“nặng” is not a number",
        id="weight-not-a-number",
    ),
    pytest.param(
        put("factors", "D2", 0),
        "factors",
        "D2",
        "the weight “0” must be above 0",
        id="weight-zero",
    ),
    pytest.param(
        put("survey", "C3", '=CONCAT("Có", " góp ý?")'),
        "survey",
        "C3",
        "formula",
        id="formula",
    ),
    pytest.param(
        lambda workbook: workbook["survey"].merge_cells("C3:D3"),
        "survey",
        "C3",
        "merged cells C3:D3",
        id="merged-cells",
    ),
    pytest.param(
        put("settings", "A3", "mini2"),
        "settings",
        "A3",
        "one row of values only",
        id="second-settings-row",
    ),
    pytest.param(
        put("survey", "A3", "select_on yes_no"),
        "survey",
        "A3",
        "unknown type “select_on yes_no”: did you mean “select_one”?",
        id="misspelt-type",
    ),
    pytest.param(
        put("survey", "H2", "${filter} = 'yes'"),
        "survey",
        "H2",
        "a group cannot have “relevant”",
        id="relevant-on-a-group",
    ),
    pytest.param(
        put("survey", "A5", "note"),
        "survey",
        "A5",
        "unknown type “note”",
        id="note",
    ),
    pytest.param(
        put("survey", "O1", "lable::vi"),
        "survey",
        "O1",
        "unknown column “lable::vi”: did you mean “label::vi”?",
        id="unknown-column",
    ),
    pytest.param(
        put("choices", "E7", None),
        "survey",
        "A4",
        "only code 9 is not_applicable",
        id="yaml-rule-placed-at-its-cell",
    ),
]


@pytest.mark.parametrize(("edit", "sheet", "cell", "words"), BAD_CELLS)
def test_each_bad_input_is_reported_at_its_cell(edit, sheet, cell, words):
    found = problems_of(minimal_workbook(edit))
    assert any(
        (where_sheet, where) == (sheet, cell) and words in text
        for where_sheet, where, text in found
    ), found


def test_all_problems_are_reported_at_once():
    def edit(workbook: Workbook) -> None:
        for change in (
            put("survey", "A4", "likert satisfaction5"),
            put("survey", "D5", None),
            put("factors", "D2", "heavy"),
        ):
            change(workbook)

    cells = {(sheet, cell) for sheet, cell, _ in problems_of(minimal_workbook(edit))}
    assert {("survey", "A4"), ("survey", "D5"), ("factors", "D2")} <= cells


def zip_bomb() -> bytes:
    """A small zip whose member unpacks to 201 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (201 * 1024 * 1024))
    return buffer.getvalue()


def zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "không phải bảng tính")
    return buffer.getvalue()


def with_broken(part: str) -> Callable[[], bytes]:
    """The minimal workbook with one of its XML parts replaced by junk."""

    def make() -> bytes:
        source = zipfile.ZipFile(io.BytesIO(minimal_workbook()))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for member in source.infolist():
                broken = member.filename == part
                archive.writestr(member, b"<junk" if broken else source.read(member))
        return buffer.getvalue()

    return make


def entity_bomb() -> bytes:
    """The minimal workbook whose first cell expands to a billion "lol"s."""
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" if i > 1 else "&lol;"}'
        + f'{(f"&lol{i - 1};" if i > 1 else "&lol;") * 9}">'
        for i in range(1, 10)
    )
    source = zipfile.ZipFile(io.BytesIO(minimal_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                text = content.decode().replace("<t>", "<t>&lol9;", 1)
                content = f"<!DOCTYPE worksheet [{entities}]>{text}".encode()
            archive.writestr(member, content)
    return buffer.getvalue()


def too_big() -> bytes:
    return b"\0" * (MAX_WORKBOOK_BYTES + 1)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        pytest.param(MINIMAL.encode, "not an Excel workbook", id="text-file"),
        pytest.param(zip_without_workbook, "not an Excel workbook", id="plain-zip"),
        pytest.param(bytes, "not an Excel workbook", id="empty"),
        pytest.param(
            with_broken("xl/workbook.xml"), "not an Excel workbook", id="bad-xml"
        ),
        pytest.param(
            with_broken("xl/worksheets/sheet1.xml"),
            "not an Excel workbook",
            id="bad-sheet-xml",
        ),
        pytest.param(entity_bomb, "not an Excel workbook", id="entity-bomb"),
        pytest.param(too_big, "the file is 21 MB; at most 20 MB", id="too-big"),
        pytest.param(zip_bomb, "unpacks to more than 200 MB", id="zip-bomb"),
    ],
)
def test_a_file_that_is_not_a_usable_workbook_is_refused(make, words):
    [(sheet, cell, text)] = problems_of(make())
    assert (sheet, cell) == (None, "")
    assert words in text


def test_missing_sheets_are_named():
    def edit(workbook: Workbook) -> None:
        del workbook["choices"]
        del workbook["factors"]

    found = problems_of(minimal_workbook(edit))
    assert ("choices", "", "the sheet “choices” is missing") in found
    assert ("factors", "", "the sheet “factors” is missing") in found


def test_missing_columns_are_named():
    def edit(workbook: Workbook) -> None:
        workbook["survey"].delete_cols(4)  # label::en
        workbook["choices"].delete_cols(1)  # list_name

    found = problems_of(minimal_workbook(edit))
    assert ("survey", "1", "the column “label::en” is missing") in found
    assert ("choices", "1", "the column “list_name” is missing") in found


def test_a_misspelt_sheet_is_pointed_at():
    def edit(workbook: Workbook) -> None:
        workbook["survey"].title = "Survery"

    found = problems_of(minimal_workbook(edit))
    assert (
        "survey",
        "",
        "the sheet “survey” is missing: is “Survery” meant to be it?",
    ) in found


def test_settings_without_values_still_reads_the_other_sheets():
    def edit(workbook: Workbook) -> None:
        workbook["settings"].delete_rows(2)
        workbook["survey"]["A4"] = "likert satisfaction5"

    found = problems_of(minimal_workbook(edit))
    assert ("settings", "", "the sheet has no row of values") in found
    assert ("settings", "A2", "“form_id” is empty") in found
    assert ("settings", "C2", "“title::vi” is empty") in found
    assert ("survey", "A4") in {(sheet, cell) for sheet, cell, _ in found}
    assert not [text for _, _, text in found if "lacks required key" in text]


def test_problems_read_in_vietnamese():
    def edit(workbook: Workbook) -> None:
        for change in (
            put("survey", "A4", "likert satisfaction5"),
            put("survey", "H5", "${filter} = 'có'"),
            put("factors", "D2", "nặng"),
        ):
            change(workbook)

    texts = in_vietnamese(minimal_workbook(edit))
    assert "không nhận ra kiểu “likert satisfaction5”" in texts[0]
    assert "“có” không phải là một lựa chọn của filter" in texts[1]
    assert "trọng số “nặng” không phải là số" in texts[2]
