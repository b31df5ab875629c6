"""An analyst in a real browser downloads the responses for statistics (the stats
CSV) of a round larger than one batch: the file is the one `flask sipas export`
writes, byte for byte, a hostile comment in it cannot become a formula, and the
download is in the audit trail once."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from sipas.extensions import db
from sipas.models import AuditEvent, Role
from sipas.services import accounts, synthetic
from sipas.services.questionnaires import parsed
from sipas.services.results import exports
from sipas.services.waves.lookup import wave_by_code
from tests.e2e.conftest import demo_app, serving
from tests.factories import make_response, valid_answers

pytestmark = pytest.mark.e2e

ANALYST, PASSWORD = "analyst-e2e", "correct-horse-battery-1"
#: Responses in the round: the whole round, and the centre below alone (about 45 %
#: of them by its population), each take more than one batch of the export.
RESPONSES = 3 * exports.BATCH
CENTRE = "QN-TTHCC"
#: A comment that must reach the analyst's spreadsheet as text, never as a formula.
HOSTILE = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def big_round(tmp_path_factory):
    """A server of its own with the demo data, an analyst and a round of
    ``RESPONSES`` responses."""
    app = demo_app(tmp_path_factory.mktemp("downloads"))
    with app.app_context():
        wave = wave_by_code("demo")
        synthetic.add_demo_responses(wave, RESPONSES, seed=13)
        answers = {**valid_answers(parsed(wave.questionnaire)), "comment": HOSTILE}
        make_response(CENTRE, answers)
        accounts.create_user(ANALYST, PASSWORD, Role.analyst)
        db.session.commit()
    with serving(app) as served:
        yield served


@pytest.fixture
def analyst(browser, big_round):
    """A desktop browser window, logged in as the analyst, that accepts downloads."""
    url, app = big_round
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{url}/auth/login")
    page.get_by_label(vi(app, "Username")).fill(ANALYST)
    page.get_by_label(vi(app, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=vi(app, "Log in")).click()
    page.wait_for_url(f"{url}/admin/**")
    yield page
    context.close()


def vi(app, message: str) -> str:
    """The Vietnamese interface text of ``message``."""
    with app.test_request_context(), force_locale("vi"):
        return _(message)


def cli_export(app, tmp_path, *unit: str) -> bytes:
    """The stats CSV as `flask sipas export demo --format csv` writes it."""
    target = tmp_path / "cli.csv"
    args = ["sipas", "export", "demo", "--format", "csv", "-o", str(target)]
    with app.app_context():  # as `flask` gives its commands
        result = app.test_cli_runner().invoke(args=[*args, *unit])
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def web_exports(app) -> list[dict]:
    """Details of the downloads the pages recorded (the command's say ``cli``)."""
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "export.csv")
            .order_by(AuditEvent.id)
        ).all()
        return [e.details for e in events if not e.details.get("cli")]


@pytest.mark.parametrize("unit", [None, CENTRE], ids=["whole-round", "one-unit"])
def test_the_csv_download_is_the_cli_export(
    big_round, analyst, tmp_path, output_dir, unit
):
    url, app = big_round
    page = analyst
    before = web_exports(app)
    page.goto(f"{url}/admin/results/demo" + (f"?unit={unit}" if unit else ""))
    page.screenshot(
        path=str(output_dir / f"analyst-downloads-{unit or 'round'}.png"),
        full_page=False,
    )
    link = page.get_by_role("link", name=vi(app, "Responses for statistics (CSV)"))
    with page.expect_download() as download:
        link.click()
    assert download.value.failure() is None
    expected = f"sipas-demo-{unit}.csv" if unit else "sipas-demo.csv"
    assert download.value.suggested_filename == expected
    served = tmp_path / "web.csv"
    download.value.save_as(served)

    data = served.read_bytes()
    assert data == cli_export(app, tmp_path, *(["--unit", unit] if unit else []))
    rows = data.decode("utf-8-sig").count("\n") - 1
    assert rows > exports.BATCH
    assert b',"\'=HYPERLINK(""http://x"",""y"")",' in data
    assert b',"=HYPERLINK' not in data
    assert web_exports(app)[len(before) :] == [
        {"wave": "demo", "unit": unit, "format": "csv"}
    ]


def test_the_parquet_download_opens_in_pyarrow(
    big_round, analyst, tmp_path, output_dir
):
    url, app = big_round
    page = analyst
    page.goto(f"{url}/admin/results/demo")
    link = page.get_by_role(
        "link", name=vi(app, "Responses for pandas, R, DuckDB (Parquet)")
    )
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "analyst-downloads-parquet.png"))
    page.set_viewport_size({"width": 360, "height": 740})
    link.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "analyst-downloads-parquet-phone.png"))
    with page.expect_download() as download:
        link.click()
    assert download.value.failure() is None
    assert download.value.suggested_filename == "sipas-demo.parquet"
    served = tmp_path / "web.parquet"
    download.value.save_as(served)
    table = pq.read_table(served)
    target = tmp_path / "cli.parquet"
    args = ["sipas", "export", "demo", "--format", "parquet", "-o", str(target)]
    with app.app_context():
        assert app.test_cli_runner().invoke(args=args).exit_code == 0
    assert table.equals(pq.read_table(target))
    assert table.num_rows == RESPONSES + 1
    comments = table.column("comment").to_pylist()
    assert HOSTILE in comments  # text, as typed: Parquet cells are never formulas
