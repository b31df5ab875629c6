"""Published results (/ket-qua): the list of published rounds, a round's page, a
unit's page and the poster for its service hall. Anyone may open them; a round that
is not (or no longer) published is a 404. Pages are cacheable: no session cookie,
``Cache-Control: public`` and an ETag that changes with the publication."""

from __future__ import annotations

import io

from flask import abort, make_response, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from sipas.i18n import current_language
from sipas.models import Unit, Wave
from sipas.public.blueprint import bp
from sipas.public.cache import kept, round_state
from sipas.reports.published import POSTER_SIZE_NAMES
from sipas.services.clock import as_utc
from sipas.services.results.publication import (
    published_results,
    published_tag,
    render_published_page,
)
from sipas.services.waves.lookup import (
    published_unit_or_404,
    published_wave_or_404,
    published_waves,
)

#: How long browsers and shared caches may keep a published page (seconds).
MAX_AGE = 600


@bp.get("/ket-qua")
def published_list() -> ResponseReturnValue:
    """The rounds whose results are public, newest publication first."""
    page = render_template("public/results/list.html", waves=published_waves())
    return _cacheable(make_response(page), None)


@bp.get("/ket-qua/<wave_code>")
def published_wave(wave_code: str) -> ResponseReturnValue:
    """A published round's results for the whole province."""
    return _published_page(published_wave_or_404(wave_code), None)


@bp.get("/ket-qua/<wave_code>/<unit_code>")
def published_unit(wave_code: str, unit_code: str) -> ResponseReturnValue:
    """A published round's results for one unit (and the units below it)."""
    wave = published_wave_or_404(wave_code)
    return _published_page(wave, published_unit_or_404(wave, unit_code))


@bp.get("/ket-qua/<wave_code>/<unit_code>/ap-phich.pdf")
def published_poster(wave_code: str, unit_code: str) -> ResponseReturnValue:
    """The printable poster of a unit's published results (``?size=a4`` or a3)."""
    # ReportLab is imported when a PDF is made, not when the app starts
    from sipas.reports.results_poster_pdf import render_results_poster

    size = request.args.get("size", "a4").lower()
    if size not in POSTER_SIZE_NAMES:
        abort(404)
    wave = published_wave_or_404(wave_code)
    unit = published_unit_or_404(wave, unit_code)
    tag = published_tag(wave, unit, f"poster-{size}", round_state(wave))
    if request.if_none_match.contains(tag):
        return _cacheable(Response(status=304), tag, wave)
    page_url = url_for(
        ".published_unit", wave_code=wave.code, unit_code=unit.code, _external=True
    )
    data = kept(
        wave.code,
        f"{tag}-{page_url}",
        lambda: render_results_poster(
            published_results(wave, unit), page_url, size, current_language()
        ),
    )
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        download_name=f"sipas-{wave.code}-{unit.code}-{size}.pdf",
    )
    return _cacheable(response, tag, wave)


def _published_page(wave: Wave, unit: Unit | None) -> ResponseReturnValue:
    """The page of a published round (or one unit of it); a 304 when the visitor
    already holds this version."""
    tag = published_tag(wave, unit, "page", round_state(wave))
    if request.if_none_match.contains(tag):
        return _cacheable(Response(status=304), tag, wave)
    page = kept(wave.code, tag, lambda: render_published_page(wave, unit).encode())
    return _cacheable(make_response(page), tag, wave)


def _cacheable(response: Response, tag: str | None, wave: Wave | None = None):
    """Public caching headers; the language comes from a cookie, hence Vary."""
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.vary.add("Cookie")
    if tag is not None:
        response.set_etag(tag)
    if wave is not None and wave.published_at is not None:
        response.last_modified = as_utc(wave.published_at)
    return response
