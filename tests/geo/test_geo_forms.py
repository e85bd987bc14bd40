"""Forms of address the development set does not show, one rule per test."""

import pytest

from app.geo import resolve, resolve_address, units
from app.geo.types import Location


def _codes(text: str) -> tuple[str | None, str | None, str]:
    loc = resolve_address(text)
    return loc.province_code, loc.ward_code, loc.resolution


@pytest.mark.parametrize(
    ("text", "province", "ward", "resolution"),
    [
        # English type words, before or after the name
        ("Ben Nghe Ward, District 1, Ho Chi Minh City", "79", "26740", "legacy_converted"),
        ("Thanh Thoi An Commune, Can Tho City", "92", "31699", "exact"),
        ("Kim Ngan Commune, Quang Tri Province", "44", "19318", "exact"),
        # abbreviations and city aliases
        ("P.12, Q. Gò Vấp", "79", "26882", "legacy_converted"),
        ("p12 q go vap tphcm", "79", "26882", "legacy_converted"),
        ("Phuong 14, quan 3", "79", "27142", "legacy_converted"),
        ("F14, Q3, Sài Gòn", "79", "27142", "legacy_converted"),
        ("TT. Xuân Mai, H. Chương Mỹ, HN", "01", "10045", "legacy_converted"),
        ("xóm 2 - ph. hoài nhơn bắc - tỉnh gia lai", "52", "21655", "exact"),
        ("TX. Sơn Tây, Hà Nội", "01", None, "province_only"),
        ("150/12 Phan Dinh Phung St., Ward 4, Dist. 8", "79", "27418", "legacy_converted"),
        # an English type word first, right after a street
        ("No. 81 Nguyen Van Cu Street Ward Thuong Lac Dong Thap", "82", "29978", "exact"),
        # no diacritics, upper case, no commas, dashes as separators
        ("XÃ THẠNH THỚI AN, CẦN THƠ", "92", "31699", "exact"),
        ("xa dong hai huyen tien yen quang ninh", "22", "06877", "legacy_converted"),
        ("Xã Đông Hải - Huyện Tiên Yên - Quảng Ninh", "22", "06877", "legacy_converted"),
        # spaced dashes or no separators at all
        ("xa Duc Tho - Tinh Ha Tinh", "42", "18229", "exact"),
        ("gan cho - Xa Lien Phuong - Thuong Tin - Ha Noi", "01", "10210", "legacy_converted"),
        ("Xã Phùng Xá - Thạch Thất District - Hà Nội", "01", "10003", "legacy_converted"),
        ("tổ 7 Kim Ngân Quảng Trị", "44", "19318", "exact"),
        ("ấp Tân Lợi Mèo Vạc Commune Tỉnh Tuyên Quang", "08", "00769", "exact"),
        # text before the unit: house numbers, hamlets, landmarks
        ("số 7 đường số 3, thôn Đông, xã Kim Ngân, Quảng Trị", "44", "19318", "exact"),
        ("42 đường Lê Lợi, P. Chánh Hưng, tp hcm", "79", "27418", "exact"),
        # a hamlet named like a ward elsewhere does not win over the ward
        ("bản Nà Làng, Xã Hương Sơn, TP Hà Nội", "01", "10489", "exact"),
        ("Xã Hương Sơn, Nà Làng, Hà Nội", "01", "10489", "exact"),
        # a ward named like a province, a district named like its province
        ("xã Đồng Nai, Huyện Bù Đăng, tỉnh Bình Phước", "75", "25402", "legacy_converted"),
        ("xa Bang Lang, huyen Quang Binh, Ha Giang", "08", "01246", "legacy_converted"),
        # province only, old provinces map to today's
        ("tỉnh Điện Biên", "11", None, "province_only"),
        ("Da Nang", "48", None, "province_only"),
        ("Quảng Nam", "48", None, "province_only"),
        ("Thừa Thiên Huế", "46", None, "province_only"),
        ("Quận 1", "79", None, "province_only"),
        # no province named: a ward name unique in the country, a typed legacy district
        ("xã Thạnh Thới An", "92", "31699", "exact"),
        ("12 Nguyen Trai, P. Ben Thanh, Q1", "79", "26743", "legacy_converted"),
        # island districts without wards became special zones
        ("Huyện đảo Lý Sơn, Quảng Ngãi", "51", "21548", "legacy_converted"),
        ("Đặc khu Phú Quốc, An Giang", "91", "31078", "exact"),
        # big-endian order
        ("Hà Nội, Ba Vì, xã Phong Vân", "01", "09634", "legacy_converted"),
        # ... with bare names, the old district's name also naming one of today's wards
        ("Nghe An, Hoang Mai, Quynh Xuan", "40", "17125", "legacy_converted"),
        ("Cao Bằng, Quảng Hòa, Ngọc Động", "04", "01618", "legacy_converted"),
        ("Nghe An, Hoang Mai", "40", "17110", "exact"),
        # a place after a landmark, introduced by "ở"/"tại"
        ("gan UBND o Coc Lau", "15", "02896", "exact"),
        ("gần cầu ở Duy Nghĩa", "48", "20635", "exact"),
        ("gần UBND tại Giao Hưng", "37", "14179", "exact"),
        ("phuong thoi an, quan o mon, can tho", "92", "31153", "legacy_converted"),
        # a numbered ward in the capital named like its province
        ("Phường 3, TP Bạc Liêu", "96", "31825", "legacy_converted"),
    ],
)
def test_forms(text: str, province: str, ward: str | None, resolution: str) -> None:
    assert _codes(text) == (province, ward, resolution)


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("Xa Dong Haii, Huyen Tien Yen, Quang Ninh", "06877"),  # doubled letter
        ("xa Thanh Thoi Na, Can Tho", "31699"),  # swapped letters
        ("Xã Kim Ngn, Quảng Trị", "19318"),  # dropped letter
        ("Phuong Xuan Huuong - Da Lat, Tinh Lam Dong", "24781"),
        ("Xa Doong Tra Bong, Quang Ngai", "21127"),  # not the shorter "Trà Bồng" inside it
        # The name is an old ward of the district and a new ward of the province: one name,
        # not a tie between two candidates.
        ("tt. gành hà, huyện đông hải, tỉnh bạc liêu", "31972"),
        ("x. Thuann Hoa , Huyen Long My , Hau Giang", "31495"),
    ],
)
def test_one_letter_typos(text: str, ward: str) -> None:
    assert resolve_address(text).ward_code == ward


def test_typo_in_province() -> None:
    assert _codes("Quang Ngi") == ("51", None, "province_only")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "khong biet",
        "trên núi",
        "N/A",
        "không rõ địa chỉ",
        "Việt Nam",
        "?",
        "xã Tân Thành",
    ],
)
def test_nothing_resolvable_is_unresolved(text: str) -> None:
    # "xã Tân Thành": dozens of provinces have one, so naming none of them is not a guess we make
    assert resolve_address(text) == Location(resolution="unresolved")


def test_split_legacy_ward_gives_official_default_and_candidates() -> None:
    loc = resolve_address("Hà Nội, quận Ba Đình, phường Kim Mã")
    assert (loc.resolution, loc.ward_code, loc.ambiguous) == ("legacy_converted", "00008", True)
    assert [c.ward_code for c in loc.candidates] == ["00004", "00025"]
    assert [c.ward_name for c in loc.candidates] == ["Phường Ba Đình", "Phường Giảng Võ"]


def test_name_shared_in_a_province_type_word_decides() -> None:
    both = resolve_address("Dong Tien, Thanh Hoa")
    assert both.ambiguous and {both.ward_code, *(c.ward_code for c in both.candidates)} == {
        "15853",
        "15724",
    }
    assert resolve_address("phuong dong tien, thanh hoa").ward_code == "15853"
    assert resolve_address("xa dong tien, thanh hoa").ward_code == "15724"
    # with diacritics the name alone decides
    assert resolve_address("Đồng Tiến, Thanh Hóa") == resolve_address("xã Đồng Tiến, Thanh Hóa")
    accented = resolve_address("Xã Cẩm Giàng, Hải Phòng")
    assert (accented.ward_code, accented.ambiguous) == ("10903", False)
    assert resolve_address("Cam Giang, Hai Phong").ambiguous


def test_names_come_from_units_and_codes_are_official() -> None:
    loc = resolve_address("P. Phủ Lý, Tỉnh Ninh Bình")
    assert (loc.ward_code, loc.ward_name) == ("13285", "Phường Phủ Lý")
    assert loc.province_name == units.province("37").name  # type: ignore[union-attr]
    # the package numbers Phủ Lý 13291 (draft list); its name is what we return
    assert units.ward("13291").name == loc.ward_name  # type: ignore[union-attr]


def test_ward_code_wins_and_gives_its_province() -> None:
    loc = resolve(ward_code="19318", province_code="01", address="Hà Nội")
    assert (loc.resolution, loc.province_code, loc.ward_code) == ("exact", "44", "19318")
    # a package (draft-list) code is read too and answered with the official code
    assert resolve(ward_code="27160").ward_code == "27154"


def test_province_code_constrains_the_address() -> None:
    # "Phường 1" exists in many provinces; the caller's province picks the right one
    loc = resolve(address="Tân Lợi", province_code="79")
    assert loc.province_code == "79"
    assert resolve(address="xã Tân Thành", province_code="96").province_code == "96"
    only = resolve(address="khong biet", province_code="11")
    assert (only.resolution, only.province_code, only.ward_code) == ("province_only", "11", None)


def test_coordinates() -> None:
    loc = resolve(lat=10.7733, lon=106.6992)
    assert (loc.resolution, loc.province_code, loc.ward_code) == ("coordinates", "79", "26743")
    # the address wins when it names a ward
    assert resolve(address="Xã Kim Ngân, Quảng Trị", lat=10.77, lon=106.69).ward_code == "19318"
    # when it names only a province, the nearest ward inside that province
    inside = resolve(address="Đồng Nai", lat=10.95, lon=106.82)
    assert (inside.resolution, inside.province_code) == ("coordinates", "75")


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(0.0, 0.0), (48.85, 2.35), (13.7, 100.5), (20.0, 100.0), (16.0, 115.0), (float("nan"), 106.0)],
)
def test_coordinates_outside_vietnam_are_unresolved(lat: float, lon: float) -> None:
    assert resolve(lat=lat, lon=lon) == Location(resolution="unresolved")


def test_coordinates_outside_vietnam_fall_back_to_the_province() -> None:
    loc = resolve(address="tỉnh Điện Biên", lat=48.85, lon=2.35)
    assert (loc.resolution, loc.province_code) == ("province_only", "11")


@pytest.mark.parametrize(
    "landmark",
    [
        "cuối làng",
        "bờ đê",
        "nghĩa trang",
        "gần trường",
        "so nha 12",
        "can ho chung cu",
        "ngoài đường",
        "nha van hoa",
        "bản Nà Làng",
        "chợ đêm",
    ],
)
@pytest.mark.parametrize(
    ("province", "code"), [("Hà Nội", "01"), ("Ninh Bình", "37"), ("Đồng Nai", "75")]
)
def test_a_landmark_before_the_province_is_not_a_ward(
    landmark: str, province: str, code: str
) -> None:
    # "bờ đê" folds to Bồ Đề and "làng" to Láng; "so nha" joins to Sơn Hà: none is meant here
    assert _codes(f"{landmark}, {province}") == (code, None, "province_only")
