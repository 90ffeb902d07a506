"""The QR encoder: the same symbol as the qrcode library, for any poster URL."""

from __future__ import annotations

import qrcode
import qrcode.constants
from hypothesis import given, settings
from hypothesis import strategies as st

from posters import qr

slug = st.from_regex(r"34\d{4}-(r|[cevsf]\d{4,6})\.[A-Za-z0-9_-]{11}", fullmatch=True)
text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=150)


def _library_matrix(data: str) -> tuple[int, list[list[bool]]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.version, code.get_matrix()


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(slug.map(lambda s: f"https://jubao.example.gov.cn/report/?src={s}"), text))
def test_same_symbol_as_the_library(data: str) -> None:
    version, matrix = _library_matrix(data)
    symbol = qr.encode(data)
    assert symbol.version == version
    assert [list(row) for row in symbol.rows] == matrix
