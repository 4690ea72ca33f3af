"""Russian requisites and contact data as value checks (CP-1, CP-4, CP-8).

INN checksums come from python-stdnum; OGRN/OGRNIP are checked here because
python-stdnum 2.2 omits the final ``mod 10`` for OGRNIP (integrations.md). Phones are
normalised to E.164 (``+7…``) with phonenumbers, Russian numbering by default."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from stdnum.ru import inn as _inn

from ecrm_core.kernel.fields import EMAIL_RE

# ASCII digits only, to the very end: ``\d`` would take other scripts' digits (which
# int() reads, so "١٠٢٧…" passed the OGRN check) and ``$`` a trailing newline.
KPP_RE = re.compile(r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}\Z")
DIGITS = re.compile(r"^[0-9]+\Z")


def inn_error(value: str, kind: str) -> str | None:
    """None when ``value`` is a valid INN for a counterparty of ``kind``."""
    if not DIGITS.match(value):
        return "INN consists of digits only"
    expected = 10 if kind == "legal_entity" else 12
    if len(value) != expected:
        return f"INN of this type has {expected} digits"
    # the digits and the length are checked: the check digits alone (is_valid would
    # clean and check them again, half the cost of an imported row's validation)
    if expected == 10:
        valid = _inn.calc_company_check_digit(value) == value[-1]
    else:
        valid = _inn.calc_personal_check_digits(value) == value[-2:]
    if not valid:
        return "INN checksum does not match"
    return None


def kpp_error(value: str) -> str | None:
    return None if KPP_RE.match(value) else "KPP is 9 characters: 4 digits, 2 digits or letters, 3 digits"


def ogrn_error(value: str, kind: str) -> str | None:
    """OGRN (13 digits) for legal entities, OGRNIP (15 digits, first digit 3) otherwise."""
    if not DIGITS.match(value):
        return "OGRN consists of digits only"
    if kind == "legal_entity":
        if len(value) != 13:
            return "OGRN has 13 digits"
        if int(value[:12]) % 11 % 10 != int(value[12]):
            return "OGRN checksum does not match"
        return None
    if len(value) != 15:
        return "OGRNIP has 15 digits"
    if value[0] != "3":
        return "OGRNIP starts with 3"
    if int(value[:14]) % 13 % 10 != int(value[14]):
        return "OGRNIP checksum does not match"
    return None


#: Separators people type inside a Russian number: ``8 (913) 123-45-67``.
_PHONE_SEPARATORS = str.maketrans("", "", " ()-")
#: The commonest forms — ``+7`` or a leading ``8`` (not ``810``, the international
#: prefix) and ten digits — which phonenumbers reads as ``+7`` and the same ten digits
#: (tests/unit/test_requisites.py checks the two agree). Parsing them here spares an
#: import ~30 µs of phonenumbers a row.
_RU_PHONE = re.compile(r"(?:\+7|8(?=[2-9]))([0-9]{10})\Z")


def normalise_phone(value: str) -> str | None:
    """E.164 form of a phone (``+79131234567``), or None when it is not a phone number.
    Numbers without a country code are read as Russian (8… and local forms)."""
    common = _RU_PHONE.match(value.translate(_PHONE_SEPARATORS))
    if common:
        return "+7" + common.group(1)
    try:
        parsed = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    value = value.strip()
    if not EMAIL_RE.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


#: Legal forms dropped when names are compared (CP-3: "ignoring legal form").
LEGAL_FORMS = (
    "общество с ограниченной ответственностью", "публичное акционерное общество",
    "закрытое акционерное общество", "открытое акционерное общество",
    "непубличное акционерное общество", "акционерное общество",
    "индивидуальный предприниматель", "федеральное государственное унитарное предприятие",
    "государственное унитарное предприятие", "муниципальное унитарное предприятие",
    "автономная некоммерческая организация", "некоммерческое партнерство",
    "ооо", "пао", "зао", "оао", "нао", "ао", "ип", "фгуп", "гуп", "муп", "ано", "нп",
    "llc", "ltd", "inc", "jsc", "gmbh",
)
_FORMS_RE = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(f) for f in sorted(LEGAL_FORMS, key=len, reverse=True))
    + r")(?![\w])"
)
_NOT_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Case- and ё-insensitive form used by search: casefolded, ё→е, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(text.split())


def name_key(name: str) -> str:
    """The key two near-identical names share (CP-3): folded, legal forms, quotes and
    punctuation dropped. «ООО "Ромашка"» and 'ромашка ооо' have the same key."""
    folded = fold(name)
    folded = _FORMS_RE.sub(" ", folded)
    return " ".join(_NOT_WORD.sub(" ", folded).split())


BIK_RE = re.compile(r"^04[0-9]{7}\Z")
ACCOUNT_WEIGHTS = (7, 1, 3) * 8


def bik_error(value: str) -> str | None:
    """A Russian bank's BIK: 9 digits starting with 04."""
    return None if BIK_RE.match(value) else "BIK has 9 digits and starts with 04"


def account_error(account: str, bik: str, correspondent: bool = False) -> str | None:
    """A settlement (or correspondent) account of 20 digits checked against the bank's
    BIK by the Bank of Russia's control key: the weighted sum (7, 1, 3, …) of the BIK's
    last three digits — for a correspondent account "0" and the BIK's 5th and 6th — and
    the 20 digits is a multiple of 10."""
    if not DIGITS.match(account) or len(account) != 20:
        return "an account has 20 digits"
    if bik_error(bik):
        return None  # the BIK's own message names the problem
    prefix = "0" + bik[4:6] if correspondent else bik[-3:]
    digits = prefix + account
    total = sum(int(d) * w for d, w in zip(digits, ACCOUNT_WEIGHTS, strict=False))
    return None if total % 10 == 0 else "the account does not match the bank's BIK"
