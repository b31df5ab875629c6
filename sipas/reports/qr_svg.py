"""A QR code as a small inline SVG (ReportLab's encoder, no extra dependency)."""

from __future__ import annotations

from markupsafe import Markup, escape
from reportlab.graphics.barcode import qrencoder

#: Light modules around the code, as the QR standard asks.
_QUIET_ZONE = 4


def qr_svg(data: str, title: str, pixels: int = 240) -> Markup:
    """An ``<svg role="img">`` of ``data`` with ``title`` as its accessible name."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    count = code.getModuleCount()
    size = count + 2 * _QUIET_ZONE
    path = "".join(
        f"M{col + _QUIET_ZONE} {row + _QUIET_ZONE}h1v1h-1z"
        for row in range(count)
        for col in range(count)
        if code.isDark(row, col)
    )
    return Markup(  # noqa: S704  (numbers, and the title escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{pixels}" '
        f'height="{pixels}" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f"<title>{escape(title)}</title>"
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
