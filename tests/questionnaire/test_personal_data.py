"""Finding and masking phone numbers, ID numbers and e-mail addresses (pure)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sipas.questionnaire.personal_data import (
    MASK,
    Kind,
    contains_personal_data,
    find_personal_data,
    mask_personal_data,
)

MASKED = [
    ("Gọi 0912345678 nhé", "Gọi 09••••••78 nhé"),
    ("sđt: 0912 345 678", "sđt: 09•• ••• •78"),
    ("0912.345.678", "09••.•••.•78"),
    ("091-234-5678", "09•-•••-••78"),
    ("0912 - 345 - 678", "09•• - ••• - •78"),
    ("+84 912 345 678", "+84 ••• ••• •78"),
    ("(+84) 912 345 678", "(+84) ••• ••• •78"),
    ("84912345678", "84•••••••78"),
    ("sđt0912345678.", "sđt09••••••78."),
    ("(0203) 3123 456", "(02••) •••• •56"),
    ("0203 3123 456", "02•• •••• •56"),
    ("024 3825 1234", "02• •••• ••34"),
    ("01234567890", "01•••••••90"),
    ("ĐT 0912345678 - 0987654321", "ĐT 09••••••78 - 09••••••21"),
    ("lần 3 0912345678", "lần 3 09••••••78"),
    ("Số 0300000000 tỉnh cấp", "Số 03••••••00 tỉnh cấp"),
    ("０９１２３４５６７８", "０９••••••７８"),
    ("CCCD 001234567890", "CCCD ••••••••••90"),
    ("CCCD: 001 234 567 890", "CCCD: ••• ••• ••• •90"),
    ("CMND 123456789", "CMND •••••••89"),
    ("CMND số 123 456 789.", "CMND số ••• ••• •89."),
    ("hộ chiếu B1234567", "hộ chiếu ••••••67"),
    ("email nguyenvana@gmail.com", "email n•••••••••@gmail.com"),
    ("Thư: Nguyen.Van-A@ubnd.gov.vn.", "Thư: N•••••••••••@ubnd.gov.vn."),
    ("nguyễn@gmail.com", "n•••••@gmail.com"),
    ("abc [at] gmail [dot] com", "a•• [at] gmail [dot] com"),
    ("abc (at) gmail.com", "a•• (at) gmail.com"),
    ("abc @ gmail.com", "a•• @ gmail.com"),
    ("a@b.vn", "•@b.vn"),
    ("ｔｅｓｔ＠ｇｍａｉｌ．ｃｏｍ", "ｔ•••＠ｇｍａｉｌ．ｃｏｍ"),
    # spellings that hid a number or an address (issue 18 item 12)
    ("0912–345–678", "09••–•••–•78"),
    ("0912 — 345 — 678", "09•• — ••• — •78"),
    ("0912/345/678", "09••/•••/•78"),
    ("0912_345_678", "09••_•••_•78"),
    ("0912,345,678", "09••,•••,•78"),
    ("0912   345   678", "09••   •••   •78"),
    ("O912 345 678", "O9•• ••• •78"),
    ("0912 345 67O", "09•• ••• •7O"),
    ("٠٩١٢٣٤٥٦٧٨", "٠٩••••••٧٨"),
    ("০৯১২৩৪৫৬৭৮", "০৯••••••৭৮"),
    ("nguyenvana at gmail dot com", "n••••••••• at gmail dot com"),
    ("thư: van.a AT ubnd dot gov dot vn", "thư: v•••• AT ubnd dot gov dot vn"),
    ("nguyen–van@gmail.com", "n•••••••••@gmail.com"),
    ("03–O–000 0000", "03–•–••• ••00"),
]

LEFT_ALONE = [
    "Năm 2024 tôi đến 3 lần.",
    "Lệ phí 500.000 đồng là cao.",
    "Tổng 1.500.000.000 đ.",
    "Mất 123.456.789 đồng",
    "123456789 đồng",
    "84.300.000.000 đồng",
    "1 234 567 890 đồng",
    "tổng 1 234 567 890",
    "Hẹn ngày 12/03/2024, trả ngày 20-03-2024.",
    "Câu 12 khó hiểu.",
    "3 thủ tục, 2 lần bổ sung.",
    "Quyết định 1234/QĐ-UBND",
    "Hotline 1900 1234 không ai nghe, gọi 113 cũng vậy.",
    "Mã hồ sơ 000.00.12.H42-240312-0001",
    "Từ 8h đến 17h30, phòng 205.",
    "Chờ 45 phút, 0,5% hồ sơ trễ hạn.",
    "Không có ý kiến gì thêm @cán bộ.",
    "Tỷ lệ 100%",
    "Hẹn 03/05/2024 10 giờ, trả 12/03/2024 12/03/2024.",
    "Tháng 03/2024 0912 hồ sơ",
    "Tỷ lệ 0,5, 0,7, 0,9, 0,3, 0,2 mỗi tháng",
    "gọi O9I2 hoặc 1OO lần",
    "2024 2024 3",
    "Cán bộ chấm bài tại phường chấm điểm",
    "Phòng 2O5, tầng 3 – 4, ngày 12–15/3",
    "Zoo 2024 – 2025 và 1900 – 1234",
    "",
]


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_real_looking_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked
    assert contains_personal_data(text)


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert find_personal_data(text) == ()
    assert mask_personal_data(text) == text


def test_findings_say_kind_and_place() -> None:
    text = "Gọi 0912345678 hoặc a.b@x.vn, CCCD 001234567890, hộ chiếu C7654321"
    findings = find_personal_data(text)
    assert [f.kind for f in findings] == [
        Kind.phone,
        Kind.email,
        Kind.citizen_id,
        Kind.passport,
    ]
    assert [text[f.start : f.end] for f in findings] == [
        "0912345678",
        "a.b@x.vn",
        "001234567890",
        "C7654321",
    ]


# --- properties --------------------------------------------------------------

WORDS = (
    "thủ tục hành chính cán bộ tiếp nhận hồ sơ nhanh chóng chậm trễ hài lòng "
    "không rất tốt phường xã huyện tỉnh Quảng Ninh ý kiến đề nghị cải thiện "
    "năm 2024 500.000 đồng câu 12 lần 3 ngày 12/03/2024 1.500.000 đ 17h30 45 phút"
).split()
SEPARATORS = st.sampled_from(["", " ", ".", "-"])
#: Around the data. An ID number must stand alone, so "năm 2024 123456789" (a
#: number just one space away) is ambiguous and left alone: no bare space here.
PUNCTUATION = st.sampled_from([", ", ": ", " (", " - ", ". ", " số ", "\n"])


@st.composite
def grouped(draw: st.DrawFn, digits: str) -> str:
    """``digits`` cut into groups of two or more joined by one separator style."""
    separator = draw(SEPARATORS)
    cuts = sorted(draw(st.sets(st.sampled_from(range(2, len(digits) - 1, 2)))))
    pieces = [
        digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)
    ]
    return separator.join(pieces)


@st.composite
def phones(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["3", "5", "7", "8", "9"]))
    national = prefix + draw(st.text("0123456789", min_size=8, max_size=8))
    landline = "2" + draw(st.text("0123456789", min_size=9, max_size=9))
    number = draw(st.sampled_from([national, landline]))
    body = draw(grouped(number))
    lead = draw(st.sampled_from(["0", "+84 ", "+84", "84", "(+84) "]))
    return lead + body


@st.composite
def citizen_ids(draw: st.DrawFn) -> str:
    cccd = "0" + draw(st.text("0123456789", min_size=11, max_size=11))
    cmnd = draw(st.sampled_from("0123")) + draw(
        st.text("0123456789", min_size=8, max_size=8)
    )
    if draw(st.booleans()):
        return draw(grouped(cccd))
    return draw(st.sampled_from([cmnd, f"{cmnd[:3]} {cmnd[3:6]} {cmnd[6:]}"]))


passports = st.builds(
    lambda letter, digits: letter + digits,
    st.sampled_from("BCNP"),
    st.text("0123456789", min_size=7, max_size=7),
)
LOCAL = st.text("abcdefghijklmnopqrstuvwxyzđễ0123456789", min_size=1, max_size=12)
emails = st.builds(
    lambda local, dot, domain, tld: f"{local}{dot}x@{domain}.{tld}",
    LOCAL,
    st.sampled_from(["", ".", "_", "+"]),
    st.sampled_from(["gmail", "yahoo", "quangninh.gov", "ubnd-ha-long"]),
    st.sampled_from(["com", "vn", "com.vn"]),
)
personal_data = st.one_of(phones(), citizen_ids(), passports, emails)

#: Separators that hid a phone number: dashes, "/", "_", "," and runs of spaces.
HIDING_SEPARATORS = st.sampled_from(
    ["–", "—", " – ", "/", "_", ",", "   ", "    ", "\u2212"]
)
#: Digit scripts a number may be typed in (zero of each: Arabic-Indic, Extended
#: Arabic-Indic, Devanagari, Bengali, Thai, full-width, mathematical bold).
DIGIT_ZEROS = st.sampled_from(
    [0x30, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE]
)


@st.composite
def hidden_phones(draw: st.DrawFn) -> str:
    """A mobile number spelt to slip past a plain pattern."""
    digits = (
        "0"
        + draw(st.sampled_from("35789"))
        + draw(st.text("0123456789", min_size=8, max_size=8))
    )
    zero = draw(DIGIT_ZEROS)
    shown = "".join(chr(zero + int(d)) for d in digits)
    if zero == 0x30 and draw(st.booleans()):  # letter O for some zeros
        shown = "".join(
            draw(st.sampled_from(["0", "O", "o"])) if d == "0" else d for d in shown
        )
    separator = draw(HIDING_SEPARATORS)
    cuts = sorted(draw(st.sets(st.sampled_from(range(2, 9)), min_size=1)))
    return separator.join(
        shown[a:b] for a, b in zip([0, *cuts], [*cuts, len(shown)], strict=True)
    )


spelt_emails = st.builds(
    lambda local, at, domain, dot, tld: f"{local}{at}{domain}{dot}{tld}",
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12),
    st.sampled_from([" at ", " AT ", "  at  "]),
    st.sampled_from(["gmail", "yahoo", "ubnd-ha-long"]),
    st.sampled_from([" dot ", " DOT "]),
    st.sampled_from(["com", "vn"]),
)
sentences = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)


def _digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


@settings(max_examples=300)
@given(sentences, PUNCTUATION, personal_data, PUNCTUATION, sentences)
def test_embedded_personal_data_is_masked(
    before: str, left: str, data: str, right: str, after: str
) -> None:
    text = f"{before}{left}{data}{right}{after}"
    masked = mask_personal_data(text)
    start = len(before) + len(left)
    shown = masked[start : start + len(data)]
    assert MASK in shown
    if "@" in data:  # the local part shows its first character at most
        assert set(shown.split("@")[0][1:]) <= {MASK}
    else:
        assert len(_digits_of(shown)) <= 4
    assert masked[:start] == text[:start]


@settings(max_examples=300)
@given(sentences, PUNCTUATION, st.one_of(hidden_phones(), spelt_emails), PUNCTUATION)
def test_hidden_spellings_are_masked(
    before: str, left: str, data: str, right: str
) -> None:
    text = f"{before}{left}{data}{right}"
    masked = mask_personal_data(text)
    start = len(before) + len(left)
    shown = masked[start : start + len(data)]
    assert masked[:start] == text[:start]
    if " at " in data.lower():
        local = data.split(" ")[0]
        assert shown.startswith(local[0] + MASK * (len(local) - 1) + " ")
    else:  # at most the first and last two digits (or O's) stay
        assert len(re.sub(r"[^\doO]", "", shown)) <= 4
    assert mask_personal_data(masked) == masked


@given(sentences, PUNCTUATION, personal_data, PUNCTUATION, sentences)
def test_masking_is_idempotent(
    before: str, left: str, data: str, right: str, after: str
) -> None:
    once = mask_personal_data(f"{before}{left}{data}{right}{after}")
    assert mask_personal_data(once) == once
    assert find_personal_data(once) == ()


@given(st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join))
def test_text_without_personal_data_is_unchanged(text: str) -> None:
    assert mask_personal_data(text) == text


@given(st.text(max_size=80))
def test_any_text_masks_idempotently_and_keeps_its_length(text: str) -> None:
    once = mask_personal_data(text)
    assert len(once) == len(text)
    assert mask_personal_data(once) == once
