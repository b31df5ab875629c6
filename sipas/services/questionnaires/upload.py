"""A questionnaire brought as a file (a workbook or YAML): read and checked, kept
until the administrator has seen its preview, then published as a frozen version.

The pending file waits in ``instance/uploads`` (sipas.services.uploads) under a
random token, never as a row: every page and query that lists versions or offers
them to a round sees published versions only, with no flag to forget, and the file
is read and checked again when it is published, so nothing on disk is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from flask_babel import gettext as _

from sipas.models import User, Wave
from sipas.questionnaire import (
    LoadedQuestionnaire,
    Problem,
    QuestionnaireError,
    SheetProblem,
    WorkbookError,
    load_text,
    read_workbook,
)
from sipas.questionnaire.xlsform_sheets import MAX_WORKBOOK_BYTES
from sipas.services import uploads
from sipas.services.audit import record_event
from sipas.services.questionnaires.lookup import waves_on_code
from sipas.services.questionnaires.messages import translated
from sipas.services.questionnaires.store import Stored, store, version_by_sha256

#: Largest file accepted, workbook or YAML (the workbook reader's own limit).
MAX_UPLOAD_BYTES = MAX_WORKBOOK_BYTES
#: The same, as people read it.
MAX_UPLOAD_MB = MAX_WORKBOOK_BYTES // (1024 * 1024)
#: File name endings read as workbooks and as YAML.
WORKBOOK_SUFFIXES = (".xlsx",)
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class UploadProblem:
    """One problem of an uploaded file, where it is and what it is (translated)."""

    message: str
    sheet: str | None = None
    cell: str | None = None  #: e.g. "H4"
    header: str | None = None  #: the column's heading, e.g. "relevant"
    line: int | None = None  #: line of a YAML file

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.sheet or ''}:{self.line}: {self.message}"
        if self.sheet is not None:
            return f"{self.sheet}!{self.cell or ''}: {self.message}"
        return self.message


class UploadRefused(Exception):
    """The file cannot become a questionnaire; ``problems`` lists all of it."""

    def __init__(self, problems: list[UploadProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, self.problems)))


def _sheet_problem(found: SheetProblem) -> UploadProblem:
    cell = f"{found.column or ''}{found.row or ''}" or None
    params = dict(found.params)
    if found.message == "%(message)s":  # a finding of the checks, placed at its cell
        params["message"] = translated(str(params["message"]))
    message = _(found.message, **params)  # noqa: INT001 - ids marked N_
    return UploadProblem(message, found.sheet, cell, found.header)


def _yaml_problem(found: Problem, name: str) -> UploadProblem:
    return UploadProblem(translated(found.message), sheet=name, line=found.line)


def too_large() -> str:
    """The refusal of a file over the size limit."""
    return _("The file is larger than %(limit)d MB.", limit=MAX_UPLOAD_MB)


def _refuse(message: str) -> UploadRefused:
    return UploadRefused([UploadProblem(message)])


def read_upload(filename: str, data: bytes) -> LoadedQuestionnaire:
    """Read and check an uploaded file; every problem at once in UploadRefused."""
    name = PurePath(filename.replace("\\", "/")).name or "questionnaire"
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(too_large())
    suffix = PurePath(name).suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        try:
            return read_workbook(data, name)
        except WorkbookError as error:
            raise UploadRefused([_sheet_problem(p) for p in error.problems]) from error
    if suffix in YAML_SUFFIXES:
        return _read_yaml(name, data)
    raise _refuse(_("Choose an Excel workbook (.xlsx) or a YAML file (.yaml, .yml)."))


def _read_yaml(name: str, data: bytes) -> LoadedQuestionnaire:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refuse(_("The file is not UTF-8 text.")) from error
    try:
        return load_text(text, name)
    except QuestionnaireError as error:
        raise UploadRefused([_yaml_problem(p, name) for p in error.problems]) from error


def check_upload(filename: str, data: bytes, user: User) -> LoadedQuestionnaire:
    """Read an uploaded file and audit the attempt, refused or not."""
    details: dict[str, object] = {"file": filename[:200], "bytes": len(data)}
    try:
        loaded = read_upload(filename, data)
    except UploadRefused as refused:
        details["problems"] = len(refused.problems)
        record_event("questionnaire.upload", user=user, details=details)
        raise
    details |= {"code": loaded.questionnaire.code, "sha256": loaded.sha256}
    record_event("questionnaire.upload", user=user, details=details)
    return loaded


# -- between the preview and the publication ----------------------------------------


def keep_pending(filename: str, data: bytes, owner: int | None = None) -> str:
    """Keep a checked upload of user ``owner`` for its preview; the token finds it
    again."""
    name = PurePath(filename.replace("\\", "/")).name
    return uploads.keep(name.encode("utf-8") + b"\0" + data, owner)


def pending(token: str) -> tuple[str, bytes] | None:
    """The file name and bytes of a kept upload (None: unknown or expired)."""
    kept = uploads.load(token)
    if kept is None or b"\0" not in kept:
        return None
    name, _sep, data = kept.partition(b"\0")
    return name.decode("utf-8", "replace"), data


def discard_pending(token: str) -> None:
    """Forget a kept upload."""
    uploads.discard(token)


@dataclass(frozen=True)
class Publication:
    """What publishing did: the version holding the content, whether it is new, and
    the rounds that stay on earlier versions of the same code."""

    stored: Stored
    waves_kept: tuple[Wave, ...]


def rounds_staying(loaded: LoadedQuestionnaire) -> list[Wave]:
    """Rounds on another version of this code: they keep theirs when it is published."""
    same = version_by_sha256(loaded.sha256)
    code = loaded.questionnaire.code
    return [w for w in waves_on_code(code) if same is None or w.questionnaire != same]


def publish(loaded: LoadedQuestionnaire, user: User | None) -> Publication:
    """Store ``loaded`` as a new frozen version (nothing if the content is known)."""
    kept = tuple(rounds_staying(loaded))
    stored = store(loaded, user)
    version = stored.version
    record_event(
        "questionnaire.publish",
        user=user,
        object_type="questionnaire_version",
        object_id=str(version.id),
        details={
            "code": version.code,
            "revision": version.revision,
            "sha256": version.sha256,
            "source": version.source,
            "is_new": stored.is_new,
        },
    )
    return Publication(stored, kept if stored.is_new else ())
