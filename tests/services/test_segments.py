import pytest

from crm_sms.services.segments import count, split

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"


def septets(part):
    return sum(2 if char in GSM_EXTENSION else 1 for char in part)


def utf16_units(part):
    return len(part.encode("utf-16-le")) // 2


def test_empty_text_is_zero_segments_with_a_whole_segment_left():
    result = count("")
    assert (result.characters, result.units, result.segments, result.remaining) == (0, 0, 0, 160)
    assert result.encoding == "GSM-7"
    assert split("") == []


@pytest.mark.parametrize(
    "length, segments, per_segment, remaining",
    [
        (1, 1, 160, 159),
        (160, 1, 160, 0),
        (161, 2, 153, 145),
        (306, 2, 153, 0),
        (307, 3, 153, 152),
    ],
)
def test_gsm_text_fits_160_septets_alone_then_153_per_part(length, segments, per_segment, remaining):
    result = count("a" * length)
    assert (result.encoding, result.units) == ("GSM-7", length)
    assert (result.segments, result.per_segment, result.remaining) == (segments, per_segment, remaining)


def test_every_gsm_basic_character_is_one_septet():
    result = count(GSM_BASIC)
    assert (result.encoding, result.units, result.unicode_characters) == ("GSM-7", len(GSM_BASIC), ())


@pytest.mark.parametrize("char", list(GSM_EXTENSION))
def test_gsm_extension_characters_are_two_septets(char):
    result = count(char)
    assert (result.encoding, result.characters, result.units) == ("GSM-7", 1, 2)


@pytest.mark.parametrize("repeat, units, segments", [(80, 160, 1), (81, 162, 2)])
def test_eighty_euro_signs_fill_one_segment_and_eighty_one_need_two(repeat, units, segments):
    result = count("€" * repeat)
    assert (result.units, result.segments) == (units, segments)


def test_an_escape_pair_with_one_septet_left_starts_the_next_part():
    text = "a" * 152 + "€" + "b" * 10
    parts = split(text)
    assert parts == ["a" * 152, "€" + "b" * 10]
    assert all(septets(part) <= 153 for part in parts)
    assert count(text).remaining == 153 - 12


def test_a_moved_escape_pair_can_cost_one_segment_more_than_the_units_suggest():
    text = "a" * 152 + "€" + "a" * 152  # 306 septets, two parts' worth, but the € cannot straddle
    result = count(text)
    assert (result.units, result.segments) == (306, 3)
    assert [septets(part) for part in split(text)] == [152, 153, 1]


@pytest.mark.parametrize(
    "length, segments, per_segment, remaining",
    [
        (1, 1, 70, 69),
        (70, 1, 70, 0),
        (71, 2, 67, 63),
        (134, 2, 67, 0),
        (135, 3, 67, 66),
    ],
)
def test_ucs2_text_fits_70_units_alone_then_67_per_part(length, segments, per_segment, remaining):
    result = count("ç" * length)
    assert (result.encoding, result.units) == ("UCS-2", length)
    assert (result.segments, result.per_segment, result.remaining) == (segments, per_segment, remaining)


def test_an_emoji_with_one_unit_left_starts_the_next_part():
    text = "ç" * 66 + "😀" + "ç" * 5
    parts = split(text)
    assert parts == ["ç" * 66, "😀" + "ç" * 5]
    assert all(utf16_units(part) <= 67 for part in parts)
    assert count(text).units == 73


@pytest.mark.parametrize(
    "text, unicode_characters",
    [
        ("Merci, ça va ?", ("ç",)),
        ("Olá", ("á",)),
        ("Olá, ça va ? Olá !", ("á", "ç")),
        ("Thanks 😀👍😀", ("😀", "👍")),
    ],
)
def test_characters_outside_gsm_force_ucs2_and_are_reported_once_in_order(text, unicode_characters):
    result = count(text)
    assert (result.encoding, result.unicode_characters) == ("UCS-2", unicode_characters)


@pytest.mark.parametrize("text", ["Ça va", "¿Qué? Ñandu", "Grüße, Øystein"])
def test_accented_characters_in_the_gsm_set_keep_gsm7(text):
    assert count(text).encoding == "GSM-7"


def test_extension_characters_cost_one_unit_once_the_text_is_ucs2():
    result = count("€ç")
    assert (result.encoding, result.units) == ("UCS-2", 2)


def test_newline_and_carriage_return_are_one_septet_each():
    result = count("Hi\r\nthere\n")
    assert (result.encoding, result.units) == ("GSM-7", 10)


@pytest.mark.parametrize("text, characters, units", [("😀", 1, 2), ("a😀b", 3, 4), ("👍🏽", 2, 4)])
def test_characters_count_code_points_and_units_count_utf16(text, characters, units):
    result = count(text)
    assert (result.characters, result.units) == (characters, units)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "a" * 1000,
        "€" * 200,
        "a" * 152 + "€" * 3,
        "ç" * 300,
        "😀" * 100,
        "ç" + "😀" * 40 + "€{}" * 30,
    ],
)
def test_split_parts_join_back_to_the_text_one_per_segment(text):
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == count(text).segments
