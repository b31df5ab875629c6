"""SVG charts: well-formed, accessible, escaped, one mark per row."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from sipas.reports.svg import ChartRow, interval_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def rows() -> list[ChartRow]:
    return [
        ChartRow("Tiếp cận dịch vụ <A> & co", 0.8266, 0.801, 0.8502, "82,66%"),
        ChartRow("Thủ tục hành chính", 0.75, 0.70, 0.79, "75,00%", is_small=True),
        ChartRow("Chưa có câu trả lời", math.nan, math.nan, math.nan, "–"),
    ]


def chart(**kwargs) -> ET.Element:
    markup = interval_chart(
        rows(),
        title="Chỉ số <yếu tố>",
        desc="Thanh từ 0% đến 100%",
        tick_text=lambda v: f"{v * 100:.0f} %",
        **kwargs,
    )
    return ET.fromstring(str(markup))  # noqa: S314  (our own markup)


def test_the_chart_is_well_formed_and_accessible():
    root = chart()
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title.text == "Chỉ số <yếu tố>"  # escaped in the markup, intact as text
    assert desc.text == "Thanh từ 0% đến 100%"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_each_row_has_its_label_value_and_whisker():
    root = chart()
    groups = root.findall("svg:g", NS)
    assert len(groups) == 3
    texts = [["".join(t.itertext()) for t in g.findall("svg:text", NS)] for g in groups]
    assert texts[0] == ["Tiếp cận dịch vụ <A> & co", "82,66%"]
    assert texts[1] == ["Thủ tục hành chính", "75,00%"]
    # an undefined estimate keeps its label but draws nothing
    assert texts[2] == ["Chưa có câu trả lời"]
    assert groups[2].find("svg:rect", NS) is None
    assert len(groups[0].findall("svg:path", NS)) == 2  # halo and whisker


def test_bars_start_at_zero_and_are_proportional():
    root = chart()
    first, second = (g.find("svg:rect", NS) for g in root.findall("svg:g", NS)[:2])
    assert first.get("x") == second.get("x")
    ratio = float(first.get("width")) / float(second.get("width"))
    assert ratio == pytest.approx(0.8266 / 0.75, rel=1e-2)
    ticks = [t.text for t in root.findall("svg:text", NS)]
    assert ticks[0] == "0 %"
    assert ticks[-1] == "100 %"


def test_small_estimates_are_drawn_hollow_and_dashed():
    groups = chart().findall("svg:g", NS)
    small = groups[1].find("svg:rect", NS)
    assert small.get("fill") == "#ffffff"
    assert small.get("stroke-dasharray")
    assert groups[0].find("svg:rect", NS).get("stroke-dasharray") is None


def test_dots_zoom_to_the_intervals():
    root = chart(dots=True)
    assert len(root.findall(".//svg:circle", NS)) == 2
    ticks = [t.text for t in root.findall("svg:text", NS)]
    assert ticks[0] == "70 %"
    assert ticks[-1] == "90 %"


def test_long_labels_wrap_onto_lines_and_nothing_is_cut():
    label = (
        "Tiếp cận dịch vụ hành chính công của cơ quan hành chính nhà nước: "
        "công chức trực tiếp giải quyết công việc có thái độ giao tiếp lịch sự"
    )
    markup = interval_chart(
        [ChartRow(label, 0.5, 0.4, 0.6, "50%"), ChartRow("Ngắn", 0.6, 0.5, 0.7, "60%")],
        title="t",
        desc="d",
        tick_text=str,
    )
    root = ET.fromstring(str(markup))  # noqa: S314  (our own markup)
    first, second = root.findall("svg:g", NS)
    assert first.find("svg:title", NS).text.startswith(label)
    lines = [span.text for span in first.find("svg:text", NS).findall("svg:tspan", NS)]
    assert len(lines) >= 2
    assert " ".join(lines) == label
    assert "…" not in str(markup)
    # the long label's row is taller, so the next row starts below its last line
    first_bar, second_bar = (g.find("svg:rect", NS) for g in (first, second))
    last_line = float(first.find("svg:text", NS).findall("svg:tspan", NS)[-1].get("y"))
    assert float(second_bar.get("y")) > last_line
    assert float(first_bar.get("y")) < last_line
