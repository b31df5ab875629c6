"""Accounts: throttled logins, session expiry and stamps, passwords, admin pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext

from sipas.extensions import db
from sipas.models import AuditEvent, Role, User
from sipas.models.base import utcnow
from sipas.services import accounts, clock
from sipas.services.units.lookup import unit_by_code
from tests.conftest import CSRF_PATTERN, STAFF_PASSWORD, login

ADMIN_PASSWORD = "admin-test-password"
MIN_LENGTH = "The password must have at least %(n)d characters."


def vi(app, message: str, **params: object) -> str:
    """``message`` as a Vietnamese visitor reads it (from the shipped catalog)."""
    with app.test_request_context(), force_locale("vi"):
        return gettext(message, **params)


def locked(app) -> str:
    """The refusal shown while throttled, with the retry time of the current lock."""
    return locked_for(app, "127.0.0.1")


def actions() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id))
    )


def token(client, path: str = "/auth/login") -> str:
    """A CSRF token of ``client``'s session, read from a form page."""
    html = client.get(path).get_data(as_text=True)
    return CSRF_PATTERN.search(html).group(1)


def move_clock(monkeypatch, minutes: float) -> None:
    """Make the accounts' clock run ``minutes`` ahead of real time."""
    later = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: later)


def user(name: str) -> User:
    db.session.expire_all()
    return accounts.find_user(name)


# --- throttling ----------------------------------------------------------------


def test_five_failures_lock_the_username_from_that_address_even_with_the_right_password(
    demo_app, demo_client
):
    for _ in range(5):
        response = login(demo_client, "admin", "wrong-password")
        assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    response = login(demo_client, "admin", ADMIN_PASSWORD)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert locked(demo_app) in html
    assert demo_client.get("/admin/").status_code == 302
    assert actions()[-1] == "login_throttled"
    failures = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="login_failed")
    ).all()
    assert [event.details for event in failures] == [
        {"username": "admin", "ip": "127.0.0.1"}
    ] * 5


def test_the_lock_says_when_to_retry_in_vietnam_time(demo_app, demo_client):
    for _ in range(5):
        login(demo_client, "admin", "wrong-password")
    first = db.session.scalar(
        sa.select(AuditEvent.occurred_at).filter_by(action="login_failed")
    )
    retry = clock.as_utc(first) + timedelta(minutes=15, hours=7)  # UTC+7
    html = login(demo_client, "admin", ADMIN_PASSWORD).get_data(as_text=True)
    assert retry.strftime("%d/%m/%Y %H:%M") in locked(demo_app)
    assert locked(demo_app) in html


def test_the_lock_ends_when_the_window_has_passed(demo_app, demo_client, monkeypatch):
    for _ in range(5):
        login(demo_client, "admin", "wrong-password")
    move_clock(monkeypatch, 14)
    message = locked(demo_app)
    response = login(demo_client, "admin", ADMIN_PASSWORD)
    assert message in response.get_data(as_text=True)
    move_clock(monkeypatch, 16)
    response = login(demo_client, "admin", ADMIN_PASSWORD)
    assert response.status_code == 302
    assert demo_client.get("/admin/").status_code == 200


def test_four_failures_then_success_do_not_lock(demo_client):
    for _ in range(4):
        login(demo_client, "admin", "wrong-password")
    assert login(demo_client, "admin", ADMIN_PASSWORD).status_code == 302


def test_one_address_trying_many_usernames_is_locked(demo_app, demo_client):
    for number in range(20):  # LOGIN_MAX_FAILURES_PER_ADDRESS
        login(demo_client, f"guess-{number}", "wrong-password")
    response = login(demo_client, "admin", ADMIN_PASSWORD)
    assert locked(demo_app) in response.get_data(as_text=True)
    assert accounts.throttled_until("someone-else", "10.9.9.9") is None


def from_address(app, address: str):
    """A new browser whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """The slowdowns logins waited (recorded instead of slept)."""
    waited: list[float] = []
    monkeypatch.setattr(accounts, "_pause", waited.append)
    return waited


def test_strangers_failing_from_many_addresses_cannot_lock_the_account_out(
    demo_app, pauses
):
    for number in range(10):
        stranger = from_address(demo_app, f"203.0.113.{number}")
        login(stranger, "admin", "wrong-password")
    owner = from_address(demo_app, "10.0.1.1")
    assert login(owner, "admin", ADMIN_PASSWORD).status_code == 302
    assert owner.get("/admin/").status_code == 200
    assert "login_throttled" not in actions()
    # slowed, not locked: a second more per failure beyond five, capped
    assert pauses == [0.0] * 5 + [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]


def test_an_address_that_failed_is_refused_for_that_account_while_others_get_in(
    demo_app, pauses
):
    guesser = from_address(demo_app, "203.0.113.7")
    for _ in range(5):
        login(guesser, "admin", "wrong-password")
    response = login(guesser, "admin", ADMIN_PASSWORD)
    assert locked_for(demo_app, "203.0.113.7") in response.get_data(as_text=True)
    assert actions()[-1] == "login_throttled"
    owner = from_address(demo_app, "10.0.1.1")
    assert login(owner, "admin", ADMIN_PASSWORD).status_code == 302
    assert login(guesser, "analyst-guess", "wrong-password").status_code == 200
    assert actions()[-1] == "login_failed"  # other usernames from it: not yet refused


def locked_for(app, address: str) -> str:
    """The refusal an address reads while it is throttled for "admin"."""
    retry = accounts.throttled_until("admin", address)
    assert retry is not None
    with app.test_request_context(), force_locale("vi"):
        from sipas.auth.views import format_moment

        return gettext(
            "Too many failed logins. Please try again after %(time)s.",
            time=format_moment(retry),
        )


def test_a_successful_login_clears_the_username_count(demo_app, monkeypatch):
    client = demo_app.test_client()
    other = {"REMOTE_ADDR": "10.0.0.%d"}
    for number in range(4):
        client.environ_base["REMOTE_ADDR"] = other["REMOTE_ADDR"] % number
        login(client, "admin", "wrong-password")
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302
    client.post("/auth/logout", data={"csrf_token": token(client)})
    client.environ_base["REMOTE_ADDR"] = "10.0.1.2"
    login(client, "admin", "wrong-password")
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 302


def test_limits_come_from_the_configuration(demo_app):
    demo_app.config["LOGIN_MAX_FAILURES"] = 2
    client = demo_app.test_client()
    login(client, "admin", "wrong-password")
    login(client, "admin", "wrong-password")
    assert login(client, "admin", ADMIN_PASSWORD).status_code == 200


# --- sessions --------------------------------------------------------------------


def test_session_cookie_is_permanent_httponly_and_lax(demo_client):
    response = login(demo_client, "admin", ADMIN_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    assert "Secure" not in cookie


def test_secure_cookie_can_be_switched_on(demo_app):
    demo_app.config["SESSION_COOKIE_SECURE"] = True
    client = demo_app.test_client()
    response = login(client, "admin", ADMIN_PASSWORD)
    assert "Secure" in response.headers["Set-Cookie"]


def test_lifetime_follows_the_setting(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path / "x.db", SESSION_LIFETIME_MINUTES=30)
    assert app.permanent_session_lifetime == timedelta(minutes=30)


def test_idle_session_expires_and_login_keeps_next(demo_app, demo_client, monkeypatch):
    login(demo_client, "admin", ADMIN_PASSWORD)
    move_clock(monkeypatch, 479)
    assert demo_client.get("/admin/").status_code == 200  # activity renews the session
    move_clock(monkeypatch, 479 + 479)
    assert demo_client.get("/admin/users").status_code == 200
    move_clock(monkeypatch, 479 + 479 + 481)
    response = demo_client.get("/admin/users")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")
    assert "next=%2Fadmin%2Fusers" in response.location
    assert "session_expired" in actions()
    html = demo_client.get(response.location).get_data(as_text=True)
    assert vi(demo_app, "Your session has expired. Please log in again.") in html


def test_login_goes_to_next_when_local_only(demo_client):
    page = demo_client.get("/auth/login?next=/admin/audit").get_data(as_text=True)
    csrf = CSRF_PATTERN.search(page).group(1)
    data = {"csrf_token": csrf, "username": "admin", "password": ADMIN_PASSWORD}
    response = demo_client.post("/auth/login?next=/admin/audit", data=data)
    assert response.location == "/admin/audit"
    demo_client.post("/auth/logout", data={"csrf_token": token(demo_client)})
    data["csrf_token"] = token(demo_client)
    response = demo_client.post("/auth/login?next=//evil.example/x", data=data)
    assert response.location == "/admin/"


def _autofocused(page: str) -> list[str]:
    """Names of the inputs of ``page`` that take the focus when it opens."""
    inputs = re.findall(r"<input[^>]*>", page)
    return [
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in inputs
        if re.search(r"\sautofocus[\s=>]", tag)
    ]


def test_login_puts_the_cursor_where_typing_starts(demo_client):
    page = demo_client.get("/auth/login").get_data(as_text=True)
    assert _autofocused(page) == ["username"]
    data = {"csrf_token": CSRF_PATTERN.search(page).group(1), "username": "admin"}
    wrong = demo_client.post("/auth/login", data={**data, "password": "not-it"})
    # the username is kept: the password is what to type again
    assert _autofocused(wrong.get_data(as_text=True)) == ["password"]
    blank = demo_client.post("/auth/login", data={**data, "username": ""})
    assert _autofocused(blank.get_data(as_text=True)) == ["username"]


def test_logout_is_audited_and_ends_the_session(demo_client):
    login(demo_client, "admin", ADMIN_PASSWORD)
    response = demo_client.post("/auth/logout", data={"csrf_token": token(demo_client)})
    assert response.status_code == 302
    assert actions()[-1] == "logout"
    assert demo_client.get("/admin/").status_code == 302


def test_a_cookie_saved_before_logout_no_longer_opens_a_session(demo_app):
    client = demo_app.test_client()
    login(client, "admin", ADMIN_PASSWORD)
    saved = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": token(client)})
    replay = demo_app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/admin/").status_code == 302


def test_the_csrf_token_of_the_login_page_dies_with_the_login(demo_app):
    client = demo_app.test_client()
    before = token(client)
    login(client, "admin", ADMIN_PASSWORD)
    assert token(client, "/auth/password") != before
    refused = client.post(
        "/auth/password",
        data={"csrf_token": before, "current": ADMIN_PASSWORD, "new": "x" * 12},
    )
    assert refused.status_code == 400


def test_an_unknown_username_costs_a_password_check(demo_app, monkeypatch):
    checked = []
    original = accounts.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        checked.append(password)
        return original(hashed, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    with demo_app.test_request_context():
        outcome = accounts.authenticate("nobody-by-this-name", "a-guess-123")
    assert outcome.user is None
    assert checked == ["a-guess-123"]


def test_surveyor_lands_on_the_account_page(demo_app, login_as):
    client = demo_app.test_client()
    surveyor = login_as(client, Role.surveyor, unit=unit_by_code("QN-HALONG-TT"))
    page = client.get("/auth/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert surveyor.username in html
    assert vi(demo_app, "Surveyor") in html
    assert "QN-HALONG-TT" in html
    assert "/auth/password" in html


def test_surveyor_login_redirect(demo_app):
    accounts.create_user(
        "dtv", STAFF_PASSWORD, Role.surveyor, unit_by_code("QN-HALONG-TT")
    )
    db.session.commit()
    client = demo_app.test_client()
    response = login(client, "dtv", STAFF_PASSWORD)
    expected = (
        "/entry/" if "entry.index" in demo_app.view_functions else "/auth/account"
    )
    assert response.location == expected


def test_csrf_token_missing_is_refused(demo_client):
    response = demo_client.post(
        "/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 400
    login(demo_client, "admin", ADMIN_PASSWORD)
    response = demo_client.post("/admin/users/1/disable")
    assert response.status_code == 400
    assert user("admin").is_enabled


# --- change of password -----------------------------------------------------------


def change(client, current: str, new: str, again: str | None = None):
    return client.post(
        "/auth/password",
        data={
            "csrf_token": token(client, "/auth/password"),
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
    )


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        (STAFF_PASSWORD, "short-1", None, MIN_LENGTH),
        (STAFF_PASSWORD, "{username}", None, "The password must not be the username."),
        (
            STAFF_PASSWORD,
            STAFF_PASSWORD,
            None,
            "The new password must differ from the current one.",
        ),
        (
            STAFF_PASSWORD,
            "a-long-new-pass",
            "another-long-pass",
            "The two new passwords differ.",
        ),
        ("not-my-password", "a-long-new-pass", None, "The current password is wrong."),
    ],
)
def test_password_policy_errors_in_vietnamese(
    demo_app, login_as, current, new, again, message
):
    client = demo_app.test_client()
    account = login_as(client, Role.analyst, unit=unit_by_code("QN"))
    response = change(client, current, new.format(username=account.username), again)
    assert response.status_code == 200
    assert vi(demo_app, message, n=10) in response.get_data(as_text=True)
    assert user(account.username).check_password(STAFF_PASSWORD)
    assert "password.change" not in actions()


def test_password_change_ends_other_sessions(demo_app, login_as):
    client, thief = demo_app.test_client(), demo_app.test_client()
    account = login_as(client, Role.analyst, unit=unit_by_code("QN"))
    login(thief, account.username, STAFF_PASSWORD)
    assert thief.get("/admin/").status_code == 200
    response = change(client, STAFF_PASSWORD, "a-brand-new-password")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200  # this session goes on
    assert thief.get("/admin/").status_code == 302  # the other one is dead
    changed = user(account.username)
    assert changed.check_password("a-brand-new-password")
    assert changed.password_changed_at is not None
    assert actions()[-1] == "password.change"


def test_disabling_ends_the_sessions(demo_app, login_as):
    client = demo_app.test_client()
    account = login_as(client, Role.analyst, unit=unit_by_code("QN"))
    assert client.get("/admin/").status_code == 200
    accounts.set_enabled(user(account.username), False, actor=None)
    db.session.commit()
    assert client.get("/admin/").status_code == 302
    assert login(client, account.username, STAFF_PASSWORD).status_code == 200


def test_sessions_from_before_the_stamp_are_refused(demo_client):
    login(demo_client, "admin", ADMIN_PASSWORD)
    with demo_client.session_transaction() as session:
        user_id, _sep, stamp = session["_user_id"].partition(":")
        assert stamp == user("admin").session_stamp
        session["_user_id"] = user_id  # a cookie without the stamp
    assert demo_client.get("/admin/").status_code == 302


# --- accounts pages ---------------------------------------------------------------


@pytest.fixture
def admin_client(demo_client):
    login(demo_client, "admin", ADMIN_PASSWORD)
    return demo_client


def post(client, path: str, **data):
    return client.post(
        path, data={"csrf_token": token(client, "/auth/password"), **data}
    )


def test_users_list_shows_role_scope_state_and_last_login(demo_app, admin_client):
    accounts.create_user(
        "phantich", STAFF_PASSWORD, Role.analyst, unit_by_code("QN-CAMPHA")
    )
    db.session.commit()
    html = admin_client.get("/admin/users").get_data(as_text=True)
    assert "phantich" in html
    assert vi(demo_app, "Analyst") in html
    assert "Phường Cẩm Phả" in html
    assert vi(demo_app, "Never") in html  # phantich never logged in
    assert vi(demo_app, "Administrator") in html


def test_create_account(admin_client):
    response = post(
        admin_client,
        "/admin/users/new",
        username="Điều tra 1",
        role="surveyor",
        unit="QN-HALONG-TT",
        new_password="mat-khau-du-dai",
        new_password_again="mat-khau-du-dai",
    )
    assert response.status_code == 302
    created = user("Điều tra 1")
    assert created.role is Role.surveyor
    assert created.unit.code == "QN-HALONG-TT"
    assert created.check_password("mat-khau-du-dai")
    event = db.session.scalars(
        sa.select(AuditEvent).filter_by(action="user.create")
    ).all()[-1]
    assert event.user_id == user("admin").id
    assert event.details["unit"] == "QN-HALONG-TT"


def create_admin(client, username: str):
    """Post the new-account form for an administrator called ``username``."""
    return post(
        client,
        "/admin/users/new",
        username=username,
        role="admin",
        unit="",
        new_password="long-enough-pass",
        new_password_again="long-enough-pass",
    )


LOOK_ALIKE = (
    "The username may contain only Latin letters (Vietnamese accents allowed), "
    "digits, spaces and . _ - @; invisible characters and letters of other "
    "alphabets are refused."
)


@pytest.mark.parametrize(
    "username",
    [
        "\u0430dmin",  # Cyrillic а
        "adm\u0131n",  # dotless ı
        "\u03bfperator",  # Greek ο
        "ad\u200bmin",  # zero-width space
        "admin\u200d",  # zero-width joiner
        "\u202eadmin",  # right-to-left override
        "a\u0300\u0300dmin",  # stacked combining marks
    ],
)
def test_create_refuses_look_alike_and_invisible_characters(
    demo_app, admin_client, username
):
    html = create_admin(admin_client, username).get_data(as_text=True)
    assert vi(demo_app, LOOK_ALIKE) in html
    assert "ký tự vô hình" in vi(demo_app, LOOK_ALIKE)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_full_width_usernames_are_stored_and_found_as_plain_letters(admin_client):
    response = create_admin(admin_client, "ｎｇｕｙễｎ－２")
    assert response.status_code == 302
    assert user("nguyễn-2").username == "nguyễn-2"
    assert user("ｎｇｕｙễｎ－２").username == "nguyễn-2"


def test_create_refuses_missing_unit_weak_password_and_duplicates(
    demo_app, admin_client
):
    base = {"role": "analyst", "unit": "", "username": "x1"}
    html = post(
        admin_client,
        "/admin/users/new",
        **base,
        new_password="short",
        new_password_again="short",
    ).get_data(as_text=True)
    assert vi(demo_app, "Analysts and surveyors need a unit.") in html
    assert vi(demo_app, MIN_LENGTH, n=10) in html
    html = create_admin(admin_client, "ADMIN").get_data(as_text=True)
    assert vi(demo_app, "The username “%(name)s” is taken.", name="ADMIN") in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_admin_scope_is_ignored(admin_client):
    post(
        admin_client,
        "/admin/users/new",
        username="boss2",
        role="admin",
        unit="QN",
        new_password="long-enough-pass",
        new_password_again="long-enough-pass",
    )
    assert user("boss2").unit is None


def test_edit_role_and_scope(admin_client):
    account = accounts.create_user(
        "pt", STAFF_PASSWORD, Role.analyst, unit_by_code("QN")
    )
    db.session.commit()
    assert admin_client.get(f"/admin/users/{account.id}").status_code == 200
    response = post(
        admin_client, f"/admin/users/{account.id}", role="surveyor", unit="QN-UONGBI-TT"
    )
    assert response.status_code == 302
    changed = user("pt")
    assert (changed.role, changed.unit.code) == (Role.surveyor, "QN-UONGBI-TT")
    event = db.session.scalars(sa.select(AuditEvent)).all()[-1]
    assert event.action == "user.update"
    assert event.details["before"] == {"role": "analyst", "unit": "QN"}


def test_admin_cannot_demote_or_disable_themselves(demo_app, admin_client):
    me = user("admin")
    html = post(
        admin_client, f"/admin/users/{me.id}", role="analyst", unit="QN"
    ).get_data(as_text=True)
    assert vi(demo_app, "You cannot remove your own administrator role.") in html
    response = post(admin_client, f"/admin/users/{me.id}/disable")
    assert response.status_code == 302
    html = admin_client.get(response.location).get_data(as_text=True)
    assert vi(demo_app, "You cannot disable your own account.") in html
    me = user("admin")
    assert me.role is Role.admin
    assert me.is_enabled


def test_disable_and_enable(admin_client, demo_app):
    account = accounts.create_user(
        "dtv2", STAFF_PASSWORD, Role.surveyor, unit_by_code("QN")
    )
    db.session.commit()
    assert post(admin_client, f"/admin/users/{account.id}/disable").status_code == 302
    assert not user("dtv2").is_enabled
    assert login(demo_app.test_client(), "dtv2", STAFF_PASSWORD).status_code == 200
    assert post(admin_client, f"/admin/users/{account.id}/enable").status_code == 302
    assert user("dtv2").is_enabled
    assert login(demo_app.test_client(), "dtv2", STAFF_PASSWORD).status_code == 302
    assert actions()[-4:] == ["user.disable", "login_failed", "user.enable", "login"]


def test_reset_password(admin_client, demo_app):
    account = accounts.create_user(
        "dtv3", STAFF_PASSWORD, Role.surveyor, unit_by_code("QN")
    )
    db.session.commit()
    other = demo_app.test_client()
    login(other, "dtv3", STAFF_PASSWORD)
    path = f"/admin/users/{account.id}/password"
    html = post(
        admin_client, path, new_password="dtv3", new_password_again="dtv3"
    ).get_data(as_text=True)
    assert vi(demo_app, MIN_LENGTH, n=10) in html
    response = post(
        admin_client,
        path,
        new_password="reset-by-admin-1",
        new_password_again="reset-by-admin-1",
    )
    assert response.status_code == 302
    assert user("dtv3").check_password("reset-by-admin-1")
    assert other.get("/auth/account").status_code == 302
    assert actions()[-1] == "user.password_reset"


def test_admin_resetting_own_password_stays_logged_in(admin_client):
    me = user("admin")
    post(
        admin_client,
        f"/admin/users/{me.id}/password",
        new_password="my-new-admin-pw",
        new_password_again="my-new-admin-pw",
    )
    assert admin_client.get("/admin/users").status_code == 200


def test_unknown_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999").status_code == 404
