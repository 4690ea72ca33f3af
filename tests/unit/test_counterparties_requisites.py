"""Requisites and contact data as properties (CP-1, CP-3, CP-4, CP-8), with hypothesis:

- every valid INN (10 and 12 digits), OGRN and OGRNIP is accepted — OGRNIPs whose
  remainder mod 13 is 10–12 (304500000000010) included, which python-stdnum 2.2 refuses;
- one-digit changes: the checks agree with the published formulas
  (integrations.md) for every single-digit change of a valid number, and refuse every one
  of them whenever the number's remainder cannot collide. The final ``mod 10`` of these
  checksums makes remainders 0 and 10 (and, for OGRNIP, 1/11 and 2/12) give the same
  check digit, so a change that only swaps a remainder for its twin is invisible to any
  correct implementation — the tests pin that exact rule rather than pretend otherwise;
- random text never raises: the checks return an error string or None, normalisers a
  value or None, and the card's parser, the search line and the register lookup answer
  ValidationFailed (never another error) — so the faces never answer 500.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from ecrm_core.counterparties.requisites import (
    LEGAL_FORMS,
    fold,
    inn_error,
    kpp_error,
    name_key,
    normalise_email,
    normalise_phone,
    ogrn_error,
)
from ecrm_core.kernel.errors import NotFound, ValidationFailed
from tests.fakes import fake_app

DIGITS = "0123456789"
INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN11_W = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_W = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
KINDS = ("legal_entity", "individual", "sole_proprietor")


# -- the published formulas, written out independently of the code under test --------------------


def _weighted(digits: str, weights) -> int:
    return sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11


def inn10(prefix: str) -> str:
    return prefix + str(_weighted(prefix, INN10_W) % 10)


def inn12(prefix: str) -> str:
    eleven = prefix + str(_weighted(prefix, INN11_W) % 10)
    return eleven + str(_weighted(eleven, INN12_W) % 10)


def ogrn(prefix: str) -> str:
    return prefix + str(int(prefix) % 11 % 10)


def ogrnip(prefix: str) -> str:
    return prefix + str(int(prefix) % 13 % 10)


def reference_valid(value: str, kind: str) -> bool:
    """Per integrations.md: is ``value`` a valid number of ``kind``?"""
    if not (value.isascii() and value.isdigit()):
        return False
    if kind == "inn10":
        return len(value) == 10 and inn10(value[:9]) == value
    if kind == "inn12":
        return len(value) == 12 and inn12(value[:10]) == value
    if kind == "ogrn":
        return len(value) == 13 and ogrn(value[:12]) == value
    return len(value) == 15 and value[0] == "3" and ogrnip(value[:14]) == value


def one_digit_changes(value: str):
    for i, old in enumerate(value):
        for new in DIGITS:
            if new != old:
                yield value[:i] + new + value[i + 1:]


CHECKS = {
    "inn10": lambda v: inn_error(v, "legal_entity"),
    "inn12": lambda v: inn_error(v, "sole_proprietor"),
    "ogrn": lambda v: ogrn_error(v, "legal_entity"),
    "ogrnip": lambda v: ogrn_error(v, "sole_proprietor"),
}


def remainder(value: str, kind: str) -> int:
    if kind == "inn10":
        return _weighted(value[:9], INN10_W)
    if kind == "inn12":
        return _weighted(value[:10], INN11_W)
    if kind == "ogrn":
        return int(value[:12]) % 11
    return int(value[:14]) % 13


#: Remainders whose check digit has a twin (r and r + 10 both give r % 10).
COLLIDING = {"inn10": {0, 10}, "inn12": {0, 10}, "ogrn": {0, 10},
             "ogrnip": {0, 1, 2, 10, 11, 12}}

prefix = lambda n: st.text(DIGITS, min_size=n, max_size=n)  # noqa: E731


# -- valid numbers are accepted ---------------------------------------------------------------------


@given(prefix(9))
@example("770708389")  # ПАО Сбербанк: 7707083893
def test_every_valid_inn10_is_accepted(p):
    assert inn_error(inn10(p), "legal_entity") is None


@given(prefix(10))
@example("5001007322")
def test_every_valid_inn12_is_accepted_for_people(p):
    value = inn12(p)
    assert inn_error(value, "sole_proprietor") is None
    assert inn_error(value, "individual") is None
    assert inn_error(value, "legal_entity") == "INN of this type has 10 digits"


@given(prefix(12))
@example("102770013219")  # 1027700132195
def test_every_valid_ogrn_is_accepted(p):
    assert ogrn_error(ogrn(p), "legal_entity") is None


@given(st.text(DIGITS, min_size=13, max_size=13).map(lambda s: "3" + s))
@example("30450000000001")  # 304500000000010: remainder 10
def test_every_valid_ogrnip_is_accepted(p):
    assert ogrn_error(ogrnip(p), "sole_proprietor") is None


@pytest.mark.parametrize(("value", "rest"), [
    ("304500000000010", 10), ("304500000000021", 11), ("304500000000032", 12)])
def test_ogrnips_with_remainder_ten_to_twelve(value, rest):
    assert int(value[:14]) % 13 == rest
    assert ogrn_error(value, "sole_proprietor") is None


# -- one-digit changes ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CHECKS))
@given(data=st.data())
def test_one_digit_changes_follow_the_formula(kind, data):
    size = {"inn10": 9, "inn12": 10, "ogrn": 12, "ogrnip": 13}[kind]
    make = {"inn10": inn10, "inn12": inn12, "ogrn": ogrn,
            "ogrnip": lambda p: ogrnip("3" + p)}[kind]
    valid = make(data.draw(prefix(size), label="prefix"))
    assert CHECKS[kind](valid) is None
    refused_all = True
    for changed in one_digit_changes(valid):
        accepted = CHECKS[kind](changed) is None
        assert accepted == reference_valid(changed, kind), changed
        refused_all &= not accepted
    if remainder(valid, kind) not in COLLIDING[kind]:
        assert refused_all, f"{valid}: a one-digit change was accepted"


@pytest.mark.parametrize(("valid", "kind"), [
    ("7707083893", "inn10"), ("500100732259", "inn12"), ("1027700132195", "ogrn"),
    ("304500000000010", "ogrnip")])
def test_changing_the_check_digit_is_always_refused(valid, kind):
    for digit in DIGITS:
        if digit != valid[-1]:
            assert CHECKS[kind](valid[:-1] + digit) is not None


def test_the_sberbank_requisites_refuse_every_one_digit_change():
    for changed in one_digit_changes("7707083893"):
        assert inn_error(changed, "legal_entity") is not None
    for changed in one_digit_changes("1027700132195"):
        assert ogrn_error(changed, "legal_entity") is not None


# -- random text never raises ----------------------------------------------------------------------


ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40) | st.text(
    "0123456789 +-()٠١٢٣٤٥٦٧٨٩²³\n\t\x00ABCDEFZ", max_size=20)


@given(ANY_TEXT, st.sampled_from(KINDS))
def test_checks_of_random_text_return_a_message_or_none(text, kind):
    for result in (inn_error(text, kind), kpp_error(text), ogrn_error(text, kind)):
        assert result is None or (isinstance(result, str) and result)
    if inn_error(text, kind) is None or ogrn_error(text, kind) is None:
        assert text.isascii() and text.isdigit()
    if kpp_error(text) is None:
        assert len(text) == 9 and text.isascii() and text.isalnum()


def _arabic_indic(value: str) -> str:
    return "".join(chr(0x660 + int(d)) for d in value)


@pytest.mark.parametrize("check", [
    lambda: inn_error(_arabic_indic("7707083893"), "legal_entity"),
    lambda: ogrn_error(_arabic_indic("1027700132195"), "legal_entity"),
    lambda: ogrn_error(_arabic_indic("304500000000010"), "sole_proprietor"),
    lambda: kpp_error(_arabic_indic("773601001")),
    lambda: kpp_error("773601001\n"),
    lambda: ogrn_error("1027700132195\n", "legal_entity"),
])
def test_only_ascii_digits_count_as_digits(check):
    """int() reads other scripts' digits, and ``$`` matches before a final newline: such
    values were once accepted as an OGRN or a KPP."""
    assert check() is not None


@given(ANY_TEXT)
def test_normalisers_never_crash_on_random_text(text):
    phone = normalise_phone(text)
    assert phone is None or (phone.startswith("+") and phone[1:].isdigit())
    email = normalise_email(text)
    assert email is None or "@" in email
    assert isinstance(fold(text), str)
    key = name_key(text)
    assert isinstance(key, str) and key == key.strip()


RUSSIAN = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


@given(st.text(RUSSIAN + string.ascii_lowercase, min_size=1, max_size=20),
       st.sampled_from(['ООО «{}»', 'ООО "{}"', '{}, ПАО', "ИП {}", "  {}  ", "АО '{}'"]))
def test_near_identical_names_share_a_key(word, shape):
    assume(fold(word) not in LEGAL_FORMS)
    base = name_key(word)
    assert name_key(shape.format(word.upper())) == base
    assert name_key(shape.format(word.replace("е", "ё"))) == base


@given(st.text(DIGITS, min_size=9, max_size=9),
       st.sampled_from(["8 ({0}{1}{2}) {3}{4}{5}-{6}{7}-{8}{9}", "+7 {0}{1}{2} {3}{4}{5} {6}{7} "
                        "{8}{9}", "8{0}{1}{2}{3}{4}{5}{6}{7}{8}{9}", "7-{0}{1}{2}-{3}{4}{5}-{6}"
                        "{7}-{8}{9}", "+7({0}{1}{2}){3}{4}{5}{6}{7}{8}{9}"]))
def test_a_mobile_number_in_any_common_format_normalises_the_same(rest, shape):
    digits = "9" + rest
    assert normalise_phone(shape.format(*digits)) == f"+7{digits}"


def _phonenumbers_e164(value: str) -> str | None:
    """What phonenumbers itself makes of ``value`` (the slow path of normalise_phone)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@given(st.sampled_from(["+7", "8", "7", "+8", "810", "+", ""]),
       st.lists(st.tuples(st.sampled_from(DIGITS), st.sampled_from(["", "", "", " ", "-", "(",
                                                                    ")", " (", ") "])),
                min_size=8, max_size=12))
@example("8", [(d, "") for d in "1012345678"])  # 810…: the international prefix
@example("8", [(d, "") for d in "0123456789"])
@example("+7", [(d, "") for d in "0000000000"])
def test_the_common_phone_forms_read_as_phonenumbers_reads_them(prefix, parts):
    """normalise_phone reads +7 / 8 and ten digits itself (an import's rows mostly come
    so); whatever it answers must be what phonenumbers answers for the same text."""
    text = prefix + "".join(d + sep for d, sep in parts)
    assert normalise_phone(text.strip()) == _phonenumbers_e164(text.strip())


@given(st.text(string.ascii_letters + string.digits, min_size=1, max_size=10),
       st.text(string.ascii_letters, min_size=1, max_size=10))
def test_email_domains_are_compared_in_lower_case(local, domain):
    assert normalise_email(f"{local}@{domain.upper()}.RU") == f"{local}@{domain.lower()}.ru"


# -- …and neither do the use cases that take them -----------------------------------------------


_APP: dict = {}


def _world():
    if not _APP:
        app, _storage = fake_app()
        director = app.org.found_company(
            "ООО «Ромашка»", {"login": "director", "password": "correct-horse",
                              "full_name": "Петров И."})
        catalog = app.catalogs.create(director.id, {"name": "Клиенты"})
        _APP.update(app=app, director=director.id, catalog=catalog.id)
    return _APP["app"], _APP["director"], _APP["catalog"]


VALUE = st.one_of(ANY_TEXT, st.none(), st.integers(), st.booleans(), st.floats(),
                  st.lists(st.text(max_size=5), max_size=3),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
FIELDS = ("type", "name", "full_name", "inn", "kpp", "ogrn", "phone", "sms_phone", "email",
          "mailing_email", "status", "parent_id", "extra", "export_1c", "legal_address")


@given(st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=8))
def test_the_card_parser_answers_only_validation_failures(data):
    app, _director, _catalog = _world()
    try:
        values = app.counterparties.parse(data)
    except ValidationFailed as exc:
        assert exc.errors and all(isinstance(m, str) for m in exc.errors.values())
        return
    for name in ("inn", "ogrn"):
        assert values.get(name, "") == "" or values[name].isascii()


@given(VALUE, st.one_of(st.integers(-3, 3), ANY_TEXT))
def test_the_search_line_answers_only_validation_failures(text, page):
    app, director, _catalog = _world()
    try:
        app.counterparties.search(director, text, page)
    except ValidationFailed as exc:
        assert set(exc.errors) <= {"q", "page"}


@given(VALUE)
def test_the_register_lookup_refuses_bad_inns_cleanly(inn):
    app, director, _catalog = _world()
    try:
        app.counterparties.from_registry(director, inn)
    except ValidationFailed as exc:
        assert set(exc.errors) == {"inn"}
    except NotFound:
        pass  # a valid INN the (empty) fake register does not know
