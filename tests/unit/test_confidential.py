import base64
import re

import pytest
from cryptography.exceptions import InvalidTag

from app.reports.confidential import Keyring, mask_phones, phone_hash, without_reporter_name

K1 = "k1:" + base64.b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.b64encode(b"2" * 32).decode()


def test_sealed_contact_opens_only_for_its_report_and_survives_rotation() -> None:
    old = Keyring.parse(K1)
    blob = old.seal({"name": "Lan", "phone": "0912345678"}, report_id="r1")
    assert b"0912345678" not in blob and b"Lan" not in blob
    assert old.open(blob, report_id="r1") == {"name": "Lan", "phone": "0912345678"}
    with pytest.raises(InvalidTag):
        old.open(blob, report_id="r2")  # bound to the report id
    rotated = Keyring.parse(f"{K2},{K1}")
    assert rotated.open(blob, report_id="r1")["phone"] == "0912345678"
    assert rotated.kid_of(rotated.seal({"name": None, "phone": "1"}, report_id="r")) == "k2"


def test_phone_hash_is_keyed_and_format_blind() -> None:
    assert phone_hash("0912 345 678", key="a") == phone_hash("+84912345678", key="a")
    assert phone_hash("0912345678", key="a") != phone_hash("0912345678", key="b")


@pytest.mark.parametrize("text", ["gọi 0912 345 678 nhé", "số +84 912.345.678",
                                  "nhà 024-3826-1234", "cccd 001203004567", "(024) 3826 1235",
                                  "0912  345  681", "0912\t345 678", "0912\u00a0345\u00a0678",
                                  "0912 - 345 - 678", "0912/345/678", "số (+84) 912 345 678"])
def test_phone_numbers_in_descriptions_are_masked(text: str) -> None:
    masked = mask_phones(text)
    assert re.sub(r"\D", "", masked) == ""  # every digit of these texts was the number
    assert "đã ẩn" in masked


@pytest.mark.parametrize("text", ["bé 4 tuổi, 2 ngày, năm 2024", "ngày 12/05/2024",
                                  "đòi 30.000.000 đồng", "lớp 10 11 12", "từ 2019 đến 2024"])
def test_ordinary_numbers_stay(text: str) -> None:
    assert mask_phones(text) == text


def test_the_reporter_s_name_is_masked_in_any_case_with_or_without_diacritics() -> None:
    text = "Tôi là Trần Thị Hoa. TRAN THI HOA sẽ gọi lại; bà Hoa Trần Thị thì không"
    assert without_reporter_name(text, "Trần  Thị Hoa") == (
        "Tôi là [người báo tin]. [người báo tin] sẽ gọi lại; bà Hoa Trần Thị thì không")
    assert without_reporter_name("Hoàng Thị Hoa", "Thị Hoa") == "Hoàng [người báo tin]"
    assert without_reporter_name("Anh An ăn cơm", "An") == "Anh An ăn cơm"  # too short
    assert without_reporter_name("Thảo ở đây", None) == "Thảo ở đây"
