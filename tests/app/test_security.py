"""Security headers, production mode (secret key, cookies, proxies) and body limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sipas import create_app
from sipas.config import PASSWORD_HASH_DEFAULT, ProductionConfigError
from sipas.models import Role, User
from tests.conftest import ROOT, make_app

STRONG_KEY = "0d9f4c2b7a1e6f3d8c5b2a9e7f1d4c6b"
UNIT = "QN-HALONG-TT"


def csp(response) -> dict[str, str]:
    """The Content-Security-Policy as {directive: sources}."""
    parts = (p.strip() for p in response.headers["Content-Security-Policy"].split(";"))
    return dict(p.split(" ", 1) for p in parts if p)


# ---- headers ----


def test_every_page_gets_a_strict_policy_with_a_fresh_nonce(demo_client):
    first, second = demo_client.get(f"/s/{UNIT}"), demo_client.get("/")
    policy = csp(first)
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "unsafe-inline" not in first.headers["Content-Security-Policy"]
    nonces = [
        re.search(r"'nonce-([^']+)'", csp(r)["script-src"]).group(1)
        for r in (first, second)
    ]
    assert nonces[0] != nonces[1]
    assert len(nonces[0]) >= 16


def test_other_security_headers(demo_client):
    response = demo_client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_hsts_only_over_https(demo_client):
    secure = demo_client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )


def test_error_pages_and_static_files_get_the_headers_too(demo_client):
    missing = demo_client.get("/s/NO-SUCH-UNIT")
    assert missing.status_code == 404
    assert "nonce-" in missing.headers["Content-Security-Policy"]
    with demo_client.get("/static/css/site.css") as static:
        assert static.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_back_office_pages_are_not_stored_public_pages_may_be(
    demo_app, demo_client, login_as
):
    assert "no-store" not in demo_client.get("/").headers.get("Cache-Control", "")
    assert demo_client.get("/auth/login").headers["Cache-Control"] == "no-store"
    login_as(demo_client, Role.admin)
    assert demo_client.get("/admin/").headers["Cache-Control"] == "no-store"
    assert demo_client.get("/").headers["Cache-Control"] == "no-store"
    with demo_client.get("/static/css/site.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("method", "path", "policy"),
    [
        ("get", f"/s/{UNIT}", "no-store"),
        ("get", f"/s/{UNIT}?step=access", "no-store"),
        ("post", f"/s/{UNIT}", "no-store"),
        ("get", f"/s/{UNIT}/thanks/00000000-0000-4000-8000-000000000000", "no-store"),
        ("get", "/api/ping", "no-store"),
        ("post", "/api/sync", "no-store"),
        ("get", f"/kiosk/{UNIT}", "private, no-cache"),
        ("get", f"/kiosk/{UNIT}/questionnaire.json", "private, no-cache"),
        ("get", "/kiosk/sw.js", "private, no-cache"),
    ],
)
def test_citizen_pages_and_the_kiosk_api_are_not_kept_by_shared_caches(
    demo_client, method, path, policy
):
    """Issue 18 item 13: a citizen's step, receipt or a device's answers are never
    kept by a proxy or a shared phone's cache; the kiosk's pages only privately."""
    response = getattr(demo_client, method)(path)
    assert response.headers["Cache-Control"] == policy


def test_no_template_has_an_inline_script_without_the_nonce():
    """Inline scripts are refused by the policy unless they carry the nonce; JSON
    data blocks are never run, so they need none."""
    offenders = []
    for path in (ROOT / "sipas" / "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8")):
            runs_inline = "src=" not in tag and "application/json" not in tag
            if runs_inline and "csp_nonce()" not in tag:
                offenders.append(f"{path.name}: {tag}")
            if re.search(r"\son[a-z]+=", tag):
                offenders.append(f"{path.name}: {tag}")
    assert offenders == []


def test_templates_have_no_style_attributes_or_inline_handlers():
    pattern = re.compile(r"""\s(style|on[a-z]+)\s*=\s*["']""")
    offenders = [
        path.name
        for path in Path(ROOT / "sipas" / "templates").rglob("*.html")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# ---- production mode ----


def production_app(tmp_path, **settings):
    settings.setdefault("PASSWORD_HASH_METHOD", PASSWORD_HASH_DEFAULT)
    return make_app(tmp_path / "sipas.db", PRODUCTION=True, **settings)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (None, "not set"),
        ("", "not set"),
        ("test-secret", "example"),
        ("change-me", "example"),
        ("Dev", "example"),
        ("a" * 31, "shorter than 32"),
    ],
)
def test_production_refuses_a_missing_weak_or_example_key(tmp_path, key, reason):
    with pytest.raises(ProductionConfigError) as raised:
        production_app(tmp_path, SECRET_KEY=key)
    assert "SIPAS_SECRET_KEY" in str(raised.value)
    assert reason in str(raised.value)


def test_production_refuses_the_key_generated_into_instance(tmp_path, monkeypatch):
    """Without SIPAS_SECRET_KEY the key would come from instance/secret_key."""
    monkeypatch.setenv("SIPAS_PRODUCTION", "1")
    monkeypatch.delenv("SIPAS_SECRET_KEY", raising=False)
    monkeypatch.setenv("SIPAS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ProductionConfigError, match="SIPAS_SECRET_KEY is not set"):
        create_app()


def test_production_refuses_the_test_suites_cheap_password_hashing(tmp_path):
    """make_app gives the suite a cheap hash; production mode must never run so."""
    with pytest.raises(ProductionConfigError, match="PASSWORD_HASH_METHOD"):
        production_app(
            tmp_path, SECRET_KEY=STRONG_KEY, PASSWORD_HASH_METHOD="pbkdf2:sha256:1"
        )


def test_passwords_are_hashed_with_scrypt_by_default(app):
    user = User(username="hash-check", role=Role.admin)
    with app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"] = PASSWORD_HASH_DEFAULT
        user.set_password("a long enough password")
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("a long enough password")


def test_production_with_a_strong_key_has_secure_cookies(tmp_path):
    app = production_app(tmp_path, SECRET_KEY=STRONG_KEY)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    page = app.test_client().get("/auth/login", base_url="https://localhost")
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if "session=" in c)
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_an_explicit_cookie_setting_wins_in_production(tmp_path):
    app = production_app(tmp_path, SECRET_KEY=STRONG_KEY, SESSION_COOKIE_SECURE=False)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_outside_production_cookies_are_not_secure_only(app):
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["REMEMBER_COOKIE_SECURE"] is False


# ---- trusted proxies ----

FORWARDED = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_without_trusted_proxies(demo_client):
    response = demo_client.get("/", headers=FORWARDED)
    assert "Strict-Transport-Security" not in response.headers


def test_one_trusted_proxy_makes_https_and_the_client_address_right(tmp_path):
    app = make_app(tmp_path / "sipas.db", TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/whoami-test")
    def whoami():
        from flask import request

        seen.update(address=request.remote_addr, secure=request.is_secure)
        return "ok"

    response = app.test_client().get("/whoami-test", headers=FORWARDED)
    assert seen == {"address": "203.0.113.5", "secure": True}
    assert "Strict-Transport-Security" in response.headers


# ---- request sizes ----


def test_a_body_over_the_site_limit_gets_the_friendly_413(demo_client):
    response = demo_client.post(
        f"/s/{UNIT}", data={"form_id": "x", "comment": "a" * (300 * 1024)}
    )
    assert response.status_code == 413
    assert "nonce-" in response.headers["Content-Security-Policy"]
    assert 'lang="vi"' in response.get_data(as_text=True)


def test_form_limits_are_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    assert app.config["MAX_FORM_MEMORY_SIZE"] == 256 * 1024
    assert app.config["MAX_FORM_PARTS"] == 1000


def targets_upload(size: int) -> dict:
    """A multipart body made by hand: the test client's own would spool a large
    file to a temporary file it leaves open when the server refuses early."""
    boundary = "sipas-test-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="table"; filename="targets.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "unit_code,population,target_sample\n"
    )
    body = head.encode() + b"#" * size + f"\r\n--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_the_targets_upload_accepts_more_than_the_site_limit(
    demo_app, demo_client, login_as
):
    login_as(demo_client, Role.admin)
    demo_app.config["WTF_CSRF_ENABLED"] = False
    url = "/admin/waves/demo/targets/import"
    larger = demo_client.post(url, **targets_upload(1024 * 1024))
    assert larger.status_code == 400  # read and refused as unreadable, not 413
    too_large = demo_client.post(url, **targets_upload(6 * 1024 * 1024))
    assert too_large.status_code == 413


def test_the_larger_upload_limit_is_for_logged_in_users_only(demo_client):
    url = "/admin/waves/demo/targets/import"
    response = demo_client.post(url, **targets_upload(1024 * 1024))
    assert response.status_code == 413


def test_processes_starting_together_share_one_generated_key(tmp_path):
    """Workers (or two test runs) that start at once never read a half-written key
    nor end up with different keys."""
    from concurrent.futures import ThreadPoolExecutor

    from sipas.config import _instance_secret_key

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _instance_secret_key(tmp_path), range(32)))
    assert len(keys) == 1
    assert len(keys.pop()) == 64
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_nginx_example_sets_every_header_the_app_trusts():
    """Issue 18 item 13: behind nginx the app believes X-Forwarded-For, -Proto and
    -Host (ProxyFix); a header nginx does not set itself is passed on as the client
    wrote it, so the documented server block must set all three."""
    text = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, re.DOTALL)
    location = next(b for b in blocks if "proxy_pass http://127.0.0.1:8000" in b)
    set_headers = set(re.findall(r"proxy_set_header\s+(\S+)\s", location))
    trusted = {"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"}
    assert trusted <= set_headers
