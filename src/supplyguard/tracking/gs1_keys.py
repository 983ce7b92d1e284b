"""GS1 identifiers: EPC URIs and GS1 Digital Link URIs to one constrained canonical form.

The CBV 2.0 event hash compares identifiers in one form whatever syntax the capturing party used:
``urn:epc:id:sgtin:4012345.011111.9876`` and ``https://example.com/gtin/4012345111118/21/9876?x=1``
both become ``https://id.gs1.org/01/04012345111118/21/9876``. :func:`normalise_gs1_uri` returns that
form, or ``None`` when the value is not a GS1 identifier (the caller then keeps the value as it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

__all__ = ["gs1_check_digit", "normalise_gs1_uri"]

_DL_ROOT = "https://id.gs1.org"


@lru_cache(maxsize=65536)
def gs1_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit for a string of digits (weights 3, 1, 3, ... from the right)."""
    total = 3 * sum(map(int, digits[::-1][::2])) + sum(map(int, digits[::-1][1::2]))
    return str((10 - total % 10) % 10)


def _with_check(digits: str) -> str:
    return digits + gs1_check_digit(digits)


def _percent_encode(value: str) -> str:
    """Encode the characters GS1 Digital Link requires that EPC URIs may still carry literally."""
    for char, code in (("!", "%21"), ("(", "%28"), (")", "%29"), ("*", "%2A"), ("+", "%2B"), (",", "%2C")):
        value = value.replace(char, code)
    return value.replace(":", "%3A")


def _gtin(company_prefix: str, item_ref: str) -> str:
    """GTIN-14 from an EPC company prefix and item reference (indicator digit first)."""
    return _with_check(item_ref[:1] + company_prefix + item_ref[1:])


_CP = r"(\d{6,12})"
_SERIAL = r"((?:%[0-9A-Fa-f]{2}|[!'()*+,.0-9:;=A-Za-z_-])+)"


def _fixed(total: int) -> Callable[[str, str], bool]:
    return lambda cp, ref: len(cp) + len(ref) == total


_EpcRule = tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]


def _sgtin(m: re.Match[str]) -> str | None:
    cp, ir, serial = m.groups()
    if len(cp) + len(ir) != 13:
        return None
    return f"{_DL_ROOT}/01/{_gtin(cp, ir)}/21/{_percent_encode(serial)}"


def _sscc(m: re.Match[str]) -> str | None:
    cp, sr = m.groups()
    if len(cp) + len(sr) != 17:
        return None
    return f"{_DL_ROOT}/00/{_with_check(sr[:1] + cp + sr[1:])}"


def _sgln(m: re.Match[str]) -> str | None:
    cp, lr, ext = m.groups()
    if len(cp) + len(lr) != 12:
        return None
    gln = _with_check(cp + lr)
    return f"{_DL_ROOT}/414/{gln}" if ext == "0" else f"{_DL_ROOT}/414/{gln}/254/{_percent_encode(ext)}"


def _grai(m: re.Match[str]) -> str | None:
    cp, at, serial = m.groups()
    if len(cp) + len(at) != 12:
        return None
    return f"{_DL_ROOT}/8003/{_with_check('0' + cp + at)}{_percent_encode(serial or '')}"


def _giai(m: re.Match[str]) -> str | None:
    cp, ref = m.groups()
    return f"{_DL_ROOT}/8004/{cp}{_percent_encode(ref)}" if len(cp) + len(ref) <= 30 else None


def _gsrn(ai: str) -> Callable[[re.Match[str]], str | None]:
    def convert(m: re.Match[str]) -> str | None:
        cp, sr = m.groups()
        return f"{_DL_ROOT}/{ai}/{_with_check(cp + sr)}" if len(cp) + len(sr) == 17 else None

    return convert


def _gdti(m: re.Match[str]) -> str | None:
    cp, dt, serial = m.groups()
    if len(cp) + len(dt) != 12:
        return None
    return f"{_DL_ROOT}/253/{_with_check(cp + dt)}{_percent_encode(serial or '')}"


def _cpi(m: re.Match[str]) -> str | None:
    cp, ref, serial = m.groups()
    return f"{_DL_ROOT}/8010/{_percent_encode(cp + ref)}/8011/{serial}"


def _cpi_pattern(m: re.Match[str]) -> str | None:
    cp, ref = m.groups()
    return f"{_DL_ROOT}/8010/{_percent_encode(cp + ref)}"


def _sgcn(m: re.Match[str]) -> str | None:
    cp, cr, serial = m.groups()
    if len(cp) + len(cr) != 12:
        return None
    return f"{_DL_ROOT}/255/{_with_check(cp + cr)}{serial or ''}"


def _ginc(m: re.Match[str]) -> str | None:
    cp, ref = m.groups()
    return f"{_DL_ROOT}/401/{cp}{_percent_encode(ref)}" if len(cp) + len(ref) <= 30 else None


def _gsin(m: re.Match[str]) -> str | None:
    cp, sr = m.groups()
    return f"{_DL_ROOT}/402/{_with_check(cp + sr)}" if len(cp) + len(sr) == 16 else None


def _itip(m: re.Match[str]) -> str | None:
    cp, ir, piece, total, serial = m.groups()
    if len(cp) + len(ir) != 13:
        return None
    base = f"{_DL_ROOT}/8006/{_gtin(cp, ir)}{piece}{total}"
    return base if not serial else f"{base}/21/{_percent_encode(serial)}"


def _upui(m: re.Match[str]) -> str | None:
    cp, ir, tpx = m.groups()
    if len(cp) + len(ir) != 13:
        return None
    base = f"{_DL_ROOT}/01/{_gtin(cp, ir)}"
    return base if not tpx else f"{base}/235/{_percent_encode(tpx)}"


def _pgln(m: re.Match[str]) -> str | None:
    cp, pr = m.groups()
    return f"{_DL_ROOT}/417/{_with_check(cp + pr)}" if len(cp) + len(pr) == 12 else None


def _lgtin(m: re.Match[str]) -> str | None:
    cp, ir, lot = m.groups()
    if len(cp) + len(ir) != 13:
        return None
    return f"{_DL_ROOT}/01/{_gtin(cp, ir)}/10/{_percent_encode(lot)}"


def _pattern_gtin(m: re.Match[str]) -> str | None:
    cp, ir = m.groups()
    return f"{_DL_ROOT}/01/{_gtin(cp, ir)}" if len(cp) + len(ir) == 13 else None


def _rule(pattern: str, convert: Callable[[re.Match[str]], str | None]) -> _EpcRule:
    return re.compile(pattern), convert


_EPC_RULES: dict[str, _EpcRule] = {
    "urn:epc:id:sgtin:": _rule(rf"{_CP}\.(\d{{1,7}})\.{_SERIAL}", _sgtin),
    "urn:epc:id:sscc:": _rule(rf"{_CP}\.(\d{{5,11}})", _sscc),
    "urn:epc:id:sgln:": _rule(rf"{_CP}\.(\d{{0,6}})\.{_SERIAL}", _sgln),
    "urn:epc:id:grai:": _rule(rf"{_CP}\.(\d{{0,6}})\.{_SERIAL}?", _grai),
    "urn:epc:id:giai:": _rule(rf"{_CP}\.{_SERIAL}", _giai),
    "urn:epc:id:gsrn:": _rule(rf"{_CP}\.(\d{{5,11}})", _gsrn("8018")),
    "urn:epc:id:gsrnp:": _rule(rf"{_CP}\.(\d{{5,11}})", _gsrn("8017")),
    "urn:epc:id:gdti:": _rule(rf"{_CP}\.(\d{{0,6}})\.{_SERIAL}?", _gdti),
    "urn:epc:id:cpi:": _rule(
        rf"{_CP}\.((?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])+)\.(\d{{1,12}})", _cpi
    ),
    "urn:epc:id:sgcn:": _rule(rf"{_CP}\.(\d{{0,6}})\.(\d{{0,12}})", _sgcn),
    "urn:epc:id:ginc:": _rule(rf"{_CP}\.{_SERIAL}", _ginc),
    "urn:epc:id:gsin:": _rule(rf"{_CP}\.(\d{{4,10}})", _gsin),
    "urn:epc:id:itip:": _rule(rf"{_CP}\.(\d{{1,7}})\.(\d{{2}})\.(\d{{2}})\.{_SERIAL}", _itip),
    "urn:epc:id:upui:": _rule(rf"{_CP}\.(\d{{1,7}})\.{_SERIAL}", _upui),
    "urn:epc:id:pgln:": _rule(rf"{_CP}\.(\d{{0,6}})", _pgln),
    "urn:epc:class:lgtin:": _rule(rf"{_CP}\.(\d{{1,7}})\.{_SERIAL}", _lgtin),
    "urn:epc:idpat:sgtin:": _rule(rf"{_CP}\.(\d{{1,7}})\.\*", _pattern_gtin),
    "urn:epc:idpat:grai:": _rule(rf"{_CP}\.(\d{{0,6}})\.\*()", _grai),
    "urn:epc:idpat:gdti:": _rule(rf"{_CP}\.(\d{{0,6}})\.\*()", _gdti),
    "urn:epc:idpat:sgcn:": _rule(rf"{_CP}\.(\d{{0,6}})\.\*()", _sgcn),
    "urn:epc:idpat:cpi:": _rule(
        rf"{_CP}\.((?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])+)\.\*", _cpi_pattern
    ),
    "urn:epc:idpat:itip:": _rule(rf"{_CP}\.(\d{{1,7}})\.(\d{{2}})\.(\d{{2}})\.\*()", _itip),
    "urn:epc:idpat:upui:": _rule(rf"{_CP}\.(\d{{1,7}})\.\*()", _upui),
}

_KEY_ALIASES = (
    ("/gtin/", "/01/"),
    ("/itip/", "/8006/"),
    ("/cpid/", "/8010/"),
    ("/gln/", "/414/"),
    ("/party/", "/417/"),
    ("/gsrnp/", "/8017/"),
    ("/gsrn/", "/8018/"),
    ("/gcn/", "/255/"),
    ("/sscc/", "/00/"),
    ("/gdti/", "/253/"),
    ("/ginc/", "/401/"),
    ("/gsin/", "/402/"),
    ("/grai/", "/8003/"),
    ("/giai/", "/8004/"),
    ("/cpv/", "/22/"),
    ("/lot/", "/10/"),
    ("/ser/", "/21/"),
)
_DL_SHAPE = re.compile(
    r"^https?://[^/?#]*[^?#]*/(01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn"
    r"|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai)/\d{4}[^/]+"
)
_CANONICAL_DL = re.compile(
    r"^https://id\.gs1\.org/(01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/\d{4}"
)
_REROOT_KEYS = (
    "00",
    "01",
    "253",
    "255",
    "401",
    "402",
    "414",
    "417",
    "8003",
    "8004",
    "8006",
    "8010",
    "8017",
    "8018",
)
_C = r"[\"'\-.0-9;-?A-Z_a-z]"
_VALID_DL = re.compile(
    "|".join(
        (
            r"00/\d{18}",
            rf"01/\d{{14}}/21/{_C}{{0,20}}",
            rf"01/\d{{14}}/10/{_C}{{0,20}}",
            r"01/\d{14}",
            rf"01/\d{{14}}/235/{_C}{{0,28}}",
            rf"253/\d{{13}}{_C}{{0,17}}",
            r"255/\d{13}\d{0,12}",
            rf"401/{_C}{{0,30}}",
            r"402/\d{17}",
            r"414/\d{13}",
            rf"414/\d{{13}}/254/{_C}{{0,20}}",
            r"417/\d{13}",
            rf"8003/\d{{14}}{_C}{{0,16}}",
            rf"8004/{_C}{{0,30}}",
            rf"8006/\d{{18}}/21/{_C}{{0,20}}",
            rf"8006/\d{{18}}/10/{_C}{{0,20}}",
            r"8006/\d{18}",
            r"8010/[#\-/0-9A-Z]{0,30}/8011/\d{0,12}",
            r"8010/[#\-/0-9A-Z]{0,30}",
            r"8017/\d{18}",
            r"8018/\d{18}",
        )
    )
)
_CPV = re.compile(r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/22/[^/]{0,20}(/.*)?$")
_LOT_AND_SERIAL = re.compile(
    r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/10/[^/]{0,20}(/21/[^/]{0,20})$"
)


def _normalise_epc_urn(uri: str) -> str | None:
    for prefix, (pattern, convert) in _EPC_RULES.items():
        if uri.startswith(prefix):
            match = pattern.fullmatch(uri, len(prefix))
            return convert(match) if match else None
    return None


def _normalise_digital_link(uri: str) -> str | None:
    if _DL_SHAPE.match(uri) is None:
        return None
    uri = uri.split("?", 1)[0].split("#", 1)[0]
    for alias, ai in _KEY_ALIASES:
        uri = uri.replace(alias, ai)
    if _CANONICAL_DL.match(uri) is None:
        for key in _REROOT_KEYS:
            at = uri.find(f"/{key}/")
            if at != -1:
                uri = _DL_ROOT + uri[at:]
                break
    gtin = re.match(r"^https://id\.gs1\.org/01/(\d+)", uri)
    if gtin and len(gtin.group(1)) in (8, 12, 13):
        uri = uri.replace("/01/", "/01/" + "0" * (14 - len(gtin.group(1))), 1)
    cpv = _CPV.match(uri)
    if cpv:
        uri = cpv.group(1) + (cpv.group(2) or "")
    lot_serial = _LOT_AND_SERIAL.match(uri)
    if lot_serial:
        uri = lot_serial.group(1) + lot_serial.group(2)
    if not uri.startswith(_DL_ROOT + "/") or _VALID_DL.fullmatch(uri, len(_DL_ROOT) + 1) is None:
        return None
    return uri


def normalise_gs1_uri(value: str) -> str | None:
    """The constrained canonical GS1 Digital Link URI for an EPC URI or Digital Link, else ``None``."""
    if value.startswith("urn:epc:"):
        return _normalise_epc_urn(value)
    if value.startswith(("http://", "https://")):
        return _normalise_digital_link(value)
    return None
