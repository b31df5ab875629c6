"""Database models; import from here so every table is registered on the metadata."""

from sipas.models.audit import AuditEvent
from sipas.models.devices import Device
from sipas.models.imports import ImportBatch
from sipas.models.jobs import Job, JobKind, JobStatus
from sipas.models.paper import PaperEntry, PaperForm
from sipas.models.questionnaires import QuestionnaireVersion
from sipas.models.responses import (
    Answer,
    Channel,
    RecentCompletion,
    Response,
    ResponseDraft,
    ResponseStatus,
)
from sipas.models.units import OfficialEra, Unit, UnitLevel
from sipas.models.users import Role, User
from sipas.models.waves import Wave, WaveStatus, WaveUnit, Weighting

__all__ = [
    "Answer",
    "AuditEvent",
    "Channel",
    "Device",
    "ImportBatch",
    "Job",
    "JobKind",
    "JobStatus",
    "OfficialEra",
    "PaperEntry",
    "PaperForm",
    "QuestionnaireVersion",
    "RecentCompletion",
    "Response",
    "ResponseDraft",
    "ResponseStatus",
    "Role",
    "Unit",
    "UnitLevel",
    "User",
    "Wave",
    "WaveStatus",
    "WaveUnit",
    "Weighting",
]

# isort: split
from sipas.models.rate_limits import RateLimitCounter  # noqa: E402

__all__ += ["RateLimitCounter"]
