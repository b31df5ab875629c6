"""Staff accounts: creation, passwords, roles and login throttling, all audited."""

from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from sipas.extensions import db
from sipas.models import AuditEvent, Role, Unit, User
from sipas.services import clock
from sipas.services.audit import record_event

#: Shortest password accepted.
PASSWORD_MIN_LENGTH = 10
#: Roles whose accounts must be tied to a unit subtree.
SCOPED_ROLES = (Role.analyst, Role.surveyor)


class AccountError(ValueError):
    """A change to an account that the rules refuse; ``message`` says why."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


#: Signs a username may hold besides Latin letters and digits.
USERNAME_SIGNS = frozenset(" .-_@")


def normalise_username(username: str) -> str:
    """NFKC (full-width and other compatibility forms as plain letters), trimmed;
    the form stored on the account."""
    return unicodedata.normalize("NFKC", username).strip()


def username_problem(name: str) -> str | None:
    """Why the normalised ``name`` is refused for a new account (lazy message), or
    None. Letters that only look Latin (Cyrillic "а", Greek "ο") and invisible
    characters (zero-width spaces, direction marks) would make a second "admin"."""
    if not name or len(name) > 80:
        return _l("The username must have 1 to 80 characters.")
    if not all(map(_allowed_in_username, name)):
        return _l(
            "The username may contain only Latin letters (Vietnamese accents "
            "allowed), digits, spaces and . _ - @; invisible characters and letters "
            "of other alphabets are refused."
        )
    return None


def _allowed_in_username(character: str) -> bool:
    """ASCII letters and digits, the signs, and Vietnamese letters: an ASCII letter
    with Vietnamese marks (â ă ê ô ơ ư, the five tones) or đ."""
    if character.isascii():
        return character.isalnum() or character in USERNAME_SIGNS
    if character in "đĐ":
        return True
    decomposed = unicodedata.normalize("NFD", character)
    base, marks = decomposed[0], set(decomposed[1:])
    return base.isascii() and base.isalpha() and marks <= _VIETNAMESE_MARKS


#: Combining marks of Vietnamese letters: grave, acute, circumflex, tilde, breve,
#: hook above, horn, dot below.
_VIETNAMESE_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323")


def find_user(username: str) -> User | None:
    """The account with ``username`` (NFC, case-insensitive), if any."""
    name = normalise_username(username)
    # SQLite's lower() folds ASCII only, so also match the name as typed.
    return db.session.scalar(
        sa.select(User).where(
            sa.or_(User.username == name, sa.func.lower(User.username) == name.lower())
        )
    )


def all_users() -> list[User]:
    """Every account, by username, with its unit loaded."""
    return list(
        db.session.scalars(
            sa.select(User)
            .options(sa.orm.joinedload(User.unit))
            .order_by(sa.func.lower(User.username))
        )
    )


def password_problem(
    password: str, username: str, user: User | None = None
) -> str | None:
    """Why ``password`` is refused for ``username`` (lazy message), or None."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _l(
            "The password must have at least %(n)d characters.", n=PASSWORD_MIN_LENGTH
        )
    if normalise_username(password).lower() == normalise_username(username).lower():
        return _l("The password must not be the username.")
    if user is not None and user.check_password(password):
        return _l("The new password must differ from the current one.")
    return None


def _check_password(password: str, username: str, user: User | None = None) -> None:
    problem = password_problem(password, username, user)
    if problem is not None:
        raise AccountError(problem)


def _check_scope(role: Role, unit: Unit | None) -> Unit | None:
    """The unit to store: required for scoped roles, dropped for admins."""
    if role is Role.admin:
        return None
    if unit is None:
        raise AccountError(_l("Analysts and surveyors need a unit."))
    return unit


def create_user(
    username: str,
    password: str,
    role: Role,
    unit: Unit | None = None,
    *,
    actor: User | None = None,
    check_policy: bool = False,
) -> User:
    """Add an account with a hashed password.

    ``check_policy`` applies the password and scope rules (pages and commands);
    code that sets up accounts itself (demo data, tests) may skip them.
    """
    name = normalise_username(username)
    problem = username_problem(name)
    if problem is not None:
        raise AccountError(problem)
    if find_user(name) is not None:
        raise AccountError(_l("The username “%(name)s” is taken.", name=name))
    if check_policy:
        _check_password(password, name)
        unit = _check_scope(role, unit)
    user = User(username=name, role=role, unit=unit)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event(
        "user.create",
        user=actor,
        object_type="user",
        object_id=str(user.id),
        details={
            "username": name,
            "role": role.value,
            "unit": _code(unit),
        },
    )
    return user


def _code(unit: Unit | None) -> str | None:
    return unit.code if unit else None


def update_role(
    user: User, role: Role, unit: Unit | None, *, actor: User | None
) -> None:
    """Change ``user``'s role and unit scope; an admin may not demote themselves."""
    if actor is not None and actor.id == user.id and role is not Role.admin:
        raise AccountError(_l("You cannot remove your own administrator role."))
    unit = _check_scope(role, unit)
    before = {"role": user.role.value, "unit": _code(user.unit)}
    after = {"role": role.value, "unit": _code(unit)}
    if before == after:
        return
    user.role, user.unit = role, unit
    user.renew_session_stamp()  # the old session carried the old rights
    record_event(
        "user.update",
        user=actor,
        object_type="user",
        object_id=str(user.id),
        details={"username": user.username, "before": before, "after": after},
    )


def set_enabled(user: User, enabled: bool, *, actor: User | None) -> None:
    """Disable (ending every session) or enable ``user``; never oneself."""
    if actor is not None and actor.id == user.id and not enabled:
        raise AccountError(_l("You cannot disable your own account."))
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    if not enabled:
        user.renew_session_stamp()
    record_event(
        "user.enable" if enabled else "user.disable",
        user=actor,
        object_type="user",
        object_id=str(user.id),
        details={"username": user.username},
    )


def change_password(user: User, current: str, new: str) -> None:
    """The user's own change: checks the current password and the policy."""
    if not user.check_password(current):
        raise AccountError(_l("The current password is wrong."))
    _check_password(new, user.username, user)
    _store_password(user, new)
    record_event(
        "password.change", user=user, object_type="user", object_id=str(user.id)
    )


def reset_password(user: User, new: str, *, actor: User | None) -> None:
    """An administrator sets a new password for ``user``."""
    _check_password(new, user.username)
    _store_password(user, new)
    record_event(
        "user.password_reset",
        user=actor,
        object_type="user",
        object_id=str(user.id),
        details={"username": user.username},
    )


def _store_password(user: User, password: str) -> None:
    user.set_password(password)
    user.password_changed_at = clock.now()
    user.renew_session_stamp()


@dataclass(frozen=True)
class LoginOutcome:
    """The account that logged in, or why not: ``retry_at`` when throttled."""

    user: User | None = None
    retry_at: datetime | None = None


def authenticate(username: str, password: str, ip: str | None = None) -> LoginOutcome:
    """Check a login; refused while throttled, slowed while the account is under
    attack. Every outcome is audited."""
    name = normalise_username(username)[:80]
    retry_at = throttled_until(name, ip)
    if retry_at is not None:
        record_event("login_throttled", user=None, details={"username": name, "ip": ip})
        return LoginOutcome(retry_at=retry_at)
    _pause(slowdown_seconds(name))
    user = find_user(name)
    if user is None:
        _spend_a_password_check(password)  # unknown names answer as slowly as known
    if user is None or not user.is_enabled or not user.check_password(password):
        record_event(
            "login_failed", user=None, details={"username": name.lower(), "ip": ip}
        )
        return LoginOutcome()
    user.last_login_at = clock.now()
    record_event("login", user=user, details={"ip": ip})
    return LoginOutcome(user=user)


#: How the slowdown waits (tests replace it to count the seconds).
_pause = time.sleep


def _spend_a_password_check(password: str) -> None:
    """Check ``password`` against a hash no account has, as long as a real check
    takes: the answer's timing must not tell which usernames exist."""
    check_password_hash(
        _unmatchable_hash(current_app.config["PASSWORD_HASH_METHOD"]), password
    )


@cache
def _unmatchable_hash(method: str) -> str:
    """A hash of a random password, made once per hashing method."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def end_sessions(user: User) -> None:
    """End every session of ``user`` (logging out: a copied cookie stops working)."""
    user.renew_session_stamp()


def throttled_until(username: str, ip: str | None) -> datetime | None:
    """When logins for ``username`` from ``ip`` are allowed again, if refused now.

    Counted from the audit log within LOGIN_WINDOW_MINUTES: LOGIN_MAX_FAILURES
    failures for this username from this address, or LOGIN_MAX_FAILURES_PER_ADDRESS
    from this address for any usernames, refuse that address until the oldest of
    those failures leaves the window. Failures from other addresses never refuse
    this one (strangers must not be able to lock an account out): they only slow
    the account down (slowdown_seconds). A successful login clears the username's
    count (not the address's, which a guesser could otherwise reset with an account
    of their own).
    """
    if not ip:
        return None
    window = _window()
    failed = _failures_since(clock.now() - window)
    by_pair = _failures_of(username, failed).where(_from_address(ip))
    by_address = failed.where(_from_address(ip))
    blocks = [
        _nth_latest(by_pair, int(current_app.config["LOGIN_MAX_FAILURES"])),
        _nth_latest(
            by_address, int(current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"])
        ),
    ]
    ends = [clock.as_utc(moment) + window for moment in blocks if moment is not None]
    return max(ends) if ends else None


def slowdown_seconds(username: str) -> float:
    """How long a login for ``username`` waits before its password is checked.

    Beyond LOGIN_MAX_FAILURES failures within the window (from any addresses), each
    further failure adds a second, up to LOGIN_SLOWDOWN_MAX_SECONDS: guessing from
    many addresses gets slow, while the right password still gets in.
    """
    limit = int(current_app.config["LOGIN_MAX_FAILURES"])
    failed = _failures_of(username, _failures_since(clock.now() - _window()))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(failed.subquery()))
    excess = (count or 0) - limit + 1
    cap = float(current_app.config["LOGIN_SLOWDOWN_MAX_SECONDS"])
    return min(float(excess), cap) if excess > 0 else 0.0


def _window() -> timedelta:
    return timedelta(minutes=int(current_app.config["LOGIN_WINDOW_MINUTES"]))


def _failures_since(since: datetime) -> sa.Select:
    return sa.select(AuditEvent.occurred_at).where(
        AuditEvent.action == "login_failed", AuditEvent.occurred_at > since
    )


def _failures_of(username: str, failed: sa.Select) -> sa.Select:
    """``failed`` narrowed to ``username`` since its last successful login."""
    name = normalise_username(username).lower()
    by_name = failed.where(AuditEvent.details["username"].as_string() == name)
    last_login = _last_login(name)
    if last_login is not None:
        by_name = by_name.where(AuditEvent.occurred_at > last_login)
    return by_name


def _from_address(ip: str) -> sa.ColumnElement[bool]:
    return AuditEvent.details["ip"].as_string() == ip


def _nth_latest(query: sa.Select, n: int) -> datetime | None:
    """The n-th most recent failure time of ``query`` (None if there are fewer)."""
    return db.session.scalar(
        query.order_by(AuditEvent.occurred_at.desc()).offset(n - 1).limit(1)
    )


def _last_login(name: str) -> datetime | None:
    user = find_user(name)
    if user is None:
        return None
    return db.session.scalar(
        sa.select(sa.func.max(AuditEvent.occurred_at)).where(
            AuditEvent.action == "login", AuditEvent.user_id == user.id
        )
    )
