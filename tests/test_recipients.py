"""Reading recipients from Slack message text and attached CSV files."""

from __future__ import annotations

import codecs
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.people.recipients import (
    IGNORED_KEEP,
    MAX_BYTES,
    Recipients,
    RecipientsError,
    merge,
    normalise_email,
    parse_csv,
    parse_message_text,
)

FAST = settings(max_examples=200, deadline=None)


# ---- the email validator -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice.Smith+vip@Example.CO.UK", "Alice.Smith+vip@example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("x@sub-domain.example.xn--p1ai", "x@sub-domain.example.xn--p1ai"),
        ("bob@", None),
        ("@example.com", None),
        ("x@y", None),
        ("x@y.c", None),
        ("x@y.c0m", None),
        ("a..b@example.com", None),
        (".a@example.com", None),
        ("a.@example.com", None),
        ("a b@example.com", None),
        ("a@b@example.com", None),
        ("a@-example.com", None),
        ("a@example-.com", None),
        ("a@example..com", None),
        ("jörg@example.de", None),
        ("a@bücher.de", None),
        ("a" * 65 + "@example.com", None),
        ("a@" + "b" * 63 + ".com", "a@" + "b" * 63 + ".com"),
        ("a@" + "b" * 64 + ".com", None),
    ],
)
def test_normalise_email(value: str, expected: str | None) -> None:
    assert normalise_email(value) == expected


def test_an_address_of_254_characters_is_the_longest_accepted() -> None:
    domain = ".".join(["d" * 60] * 4) + ".com"
    longest, too_long = (
        "a" * (253 - len(domain)) + "@" + domain,
        "a" * (254 - len(domain)) + "@" + domain,
    )
    assert (len(longest), len(too_long)) == (254, 255)
    assert normalise_email(longest) == longest
    assert normalise_email(too_long) is None


# ---- message text --------------------------------------------------------------------------


def test_mailto_wrapped_emails_as_slack_delivers_them() -> None:
    text = (
        "add <mailto:alice@example.com|alice@example.com>"
        " and <mailto:Bob@EXAMPLE.org|Bob@EXAMPLE.org>"
    )
    assert parse_message_text(text).emails == ("alice@example.com", "Bob@example.org")


def test_mailto_target_wins_over_its_label_and_query_is_dropped() -> None:
    text = "<mailto:real@example.com?subject=hi|label@elsewhere.com>"
    assert parse_message_text(text).emails == ("real@example.com",)


def test_plain_emails_with_punctuation_around_them() -> None:
    text = "Please add alice@example.com, bob@example.com; (carol@example.com). 'dan@example.com'!"
    assert parse_message_text(text).emails == (
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dan@example.com",
    )


def test_escaped_angle_brackets_and_ampersands_are_read_as_typed() -> None:
    text = "Ann &lt;ann@example.com&gt; and a&amp;b@example.com"
    assert parse_message_text(text).emails == ("ann@example.com", "a&b@example.com")


def test_mentions_channels_specials_and_links_are_not_recipients() -> None:
    text = (
        "<@U123> <@U456|bob> <#C123|general> <!here> <!subteam^S1|@team> "
        "<https://example.com|alice@example.com> <http://bob@example.com> @channel "
        "<#C1 carol@example.com> <!subteam^S1 dan@example.com>"
    )
    assert parse_message_text(text) == Recipients()


def test_customer_ids_with_or_without_a_space() -> None:
    text = "customer_id:abc123 Customer_ID: cus-9_8.7:6, customer_id:\tX1."
    assert parse_message_text(text).customer_ids == ("abc123", "cus-9_8.7:6", "X1")


def test_customer_id_limits() -> None:
    at_limit, too_long = "a" * 128, "a" * 129
    result = parse_message_text(f"customer_id:{at_limit} customer_id:{too_long}")
    assert result.customer_ids == (at_limit,)
    assert result.ignored == (f"customer_id:{too_long}",)


def test_junk_is_ignored_with_its_values_in_order_and_deduplicated() -> None:
    text = "bob@, x@y a..b@example.com bob@ customer_id:no/slash alice@example.com"
    result = parse_message_text(text)
    assert result.emails == ("alice@example.com",)
    assert result.ignored == ("bob@", "x@y", "a..b@example.com", "customer_id:no/slash")
    assert result.ignored_count == 4


def test_dedupe_is_case_insensitive_and_keeps_the_first_spelling() -> None:
    text = "Alice@Example.com alice@example.COM <mailto:ALICE@example.com|ALICE@example.com>"
    assert parse_message_text(text).emails == ("Alice@example.com",)


def test_customer_ids_dedupe_exactly() -> None:
    result = parse_message_text("customer_id:abc customer_id: abc customer_id:ABC")
    assert result.customer_ids == ("abc", "ABC")


def test_text_without_anyone_and_missing_text() -> None:
    assert parse_message_text("please make a segment") == Recipients()
    assert parse_message_text("") == Recipients()
    assert parse_message_text(None) == Recipients()


def test_identifiers_are_bunce_add_customers_items() -> None:
    result = parse_message_text("customer_id:c1 a@example.com customer_id:c2 b@example.com")
    assert result.count == 4
    assert result.identifiers() == [
        {"email": "a@example.com"},
        {"email": "b@example.com"},
        {"customer_id": "c1"},
        {"customer_id": "c2"},
    ]


def test_ten_thousand_emails_in_a_message_parse_quickly() -> None:
    text = " ".join(f"<mailto:u{i}@example.com|u{i}@example.com>" for i in range(10_000))
    started = time.perf_counter()
    result = parse_message_text(text)
    assert time.perf_counter() - started < 1.0
    assert result.count == 10_000


# ---- CSV files -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_with_header_takes_the_named_columns(delimiter: str) -> None:
    lines = [
        ["Name", "E-mail", "Customer ID", "Manager email"],
        ["Ann", "ann@example.com", "", "boss@example.com"],
        ["Ben", "", "cus_2", "boss@example.com"],
        ["Cat", "cat@example.com", "cus_3", ""],
    ]
    data = "\r\n".join(delimiter.join(line) for line in lines).encode()
    result = parse_csv(data)
    assert result.emails == ("ann@example.com", "cat@example.com")
    assert result.customer_ids == ("cus_2", "cus_3")
    assert result.ignored == ()


@pytest.mark.parametrize(
    "header", ["email", "EMAIL", "Email Address", "email_address", "e-mail", " Email "]
)
def test_email_header_spellings(header: str) -> None:
    assert parse_csv(f"{header},note\nann@example.com,x\n".encode()).emails == ("ann@example.com",)


@pytest.mark.parametrize("header", ["id", "ID", "customer_id", "Customer Id", "customer id"])
def test_customer_id_header_spellings(header: str) -> None:
    assert parse_csv(f"{header}\nabc\n".encode()).customer_ids == ("abc",)


def test_rows_with_nothing_valid_are_ignored_by_their_first_non_empty_cell() -> None:
    data = b"name,email,id\nAnn,,\nBen,not an email,\n,,c!d\nDee,dee@example.com,bad id\n"
    result = parse_csv(data)
    assert result.emails == ("dee@example.com",)
    assert result.ignored == ("Ann", "not an email", "c!d", "bad id")


def test_csv_without_header_scans_every_cell() -> None:
    data = b"ann@example.com,Ann\nBen,ben@example.com\ncustomer_id:c7,Cat\nDan,dan@\nEve,none\n"
    result = parse_csv(data)
    assert result.emails == ("ann@example.com", "ben@example.com")
    assert result.customer_ids == ("c7",)
    assert result.ignored == ("dan@", "Eve")


def test_an_unrecognised_header_row_is_not_reported_as_ignored() -> None:
    result = parse_csv(b"Full name;Mail\nAnn;ann@example.com\n")
    assert (result.emails, result.ignored) == (("ann@example.com",), ())


def test_single_column_without_header() -> None:
    assert parse_csv(b"ann@example.com\nben@example.com\n\n\n").emails == (
        "ann@example.com",
        "ben@example.com",
    )


def test_quoted_fields_with_delimiters_and_newlines() -> None:
    data = (
        b'name,email,notes\n"Smith, Ann",ann@example.com,"line one\nline, two"\n'
        b'"Jones; Ben","ben@example.com","say ""hi"""\n"Cat\nMultiline",,"x"\n'
    )
    result = parse_csv(data)
    assert result.emails == ("ann@example.com", "ben@example.com")
    assert result.ignored == ("Cat Multiline",)


def test_utf8_bom_is_not_part_of_the_header() -> None:
    data = (
        codecs.BOM_UTF8 + "email,manager\nann@example.com,boss@example.com\nnobody,Ñandú\n".encode()
    )
    result = parse_csv(data)
    assert result.emails == ("ann@example.com",)  # only the email column, so the header was seen
    assert result.ignored == ("nobody",)


def test_latin1_file_falls_back_to_latin1() -> None:
    data = "name;email\nZoë;zoe@example.com\nJosé;\n".encode("latin-1")
    result = parse_csv(data)
    assert result.emails == ("zoe@example.com",)
    assert result.ignored == ("José",)


def test_utf16_export_with_bom() -> None:
    data = "email\tname\r\nann@example.com\tÄnn\r\n".encode("utf-16")
    assert parse_csv(data).emails == ("ann@example.com",)


def test_empty_and_blank_files() -> None:
    assert parse_csv(b"") == Recipients()
    assert parse_csv(b"\n\n , \n") == Recipients()
    assert parse_csv(b"email\n") == Recipients()


def test_ten_thousand_rows_parse_quickly() -> None:
    rows = "\n".join(f"User {i},user{i}@example.com,cus_{i}" for i in range(10_000))
    data = f"name,email,customer_id\n{rows}\n".encode()
    started = time.perf_counter()
    result = parse_csv(data)
    assert time.perf_counter() - started < 1.0
    assert (len(result.emails), len(result.customer_ids)) == (10_000, 10_000)
    assert result.emails[-1] == "user9999@example.com"


def test_ignored_values_are_bounded_but_all_counted() -> None:
    data = "\n".join(["email"] + [f"nobody {i}" for i in range(IGNORED_KEEP + 500)]).encode()
    result = parse_csv(data)
    assert len(result.ignored) == IGNORED_KEEP
    assert result.ignored[0] == "nobody 0"
    assert result.ignored_count == IGNORED_KEEP + 500


def test_a_huge_ignored_cell_is_clipped() -> None:
    result = parse_csv(b'email\n"' + b"x" * 100_000 + b'"\n')
    assert len(result.ignored[0]) <= 200
    assert result.ignored[0].endswith("…")


def test_a_file_over_the_limit_is_refused_with_a_sentence() -> None:
    with pytest.raises(RecipientsError) as excinfo:
        parse_csv(b"a@example.com\n" * (MAX_BYTES // 14 + 1))
    assert excinfo.value.reason == "too_large"
    assert str(excinfo.value).startswith("The file is larger than 1 MB")
    line = b"a@example.com\n"
    at_limit = line * (MAX_BYTES // len(line)) + b"\n" * (MAX_BYTES % len(line))
    assert len(at_limit) == MAX_BYTES
    assert parse_csv(at_limit).emails == ("a@example.com",)


def test_a_smaller_limit_is_named_in_the_message() -> None:
    with pytest.raises(RecipientsError, match="larger than 2 kB"):
        parse_csv(b"x" * 2001, max_bytes=2000)


def test_binary_files_are_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    with pytest.raises(RecipientsError, match="doesn't look like a CSV file") as excinfo:
        parse_csv(png)
    assert excinfo.value.reason == "not_csv"
    assert isinstance(excinfo.value, ValueError)


def test_a_spreadsheet_is_refused_with_its_own_reason() -> None:
    with pytest.raises(RecipientsError, match="doesn't look like a CSV file") as excinfo:
        parse_csv(b"PK\x03\x04\x14\x00\x06\x00")
    assert excinfo.value.reason == "spreadsheet"


def test_a_field_beyond_the_csv_modules_limit_is_refused_not_crashed() -> None:
    with pytest.raises(RecipientsError) as excinfo:
        parse_csv(b'"' + b"x" * 200_000 + b'"\n')
    assert excinfo.value.reason == "not_csv"


# ---- merge ---------------------------------------------------------------------------------


def test_merge_dedupes_across_message_and_file() -> None:
    message = parse_message_text("Ann@Example.com customer_id:c1 bob@")
    file = parse_csv(b"email,id\nann@example.com,c2\ncat@example.com,c1\n,bad id\n")
    merged = merge(message, file)
    assert merged.emails == ("Ann@example.com", "cat@example.com")
    assert merged.customer_ids == ("c1", "c2")
    assert merged.ignored == ("bob@", "bad id")
    assert merged.ignored_count == 2
    assert merge() == Recipients()


def test_merge_keeps_counting_what_a_part_did_not_keep() -> None:
    big = Recipients(ignored=("a", "b"), ignored_count=5000)
    merged = merge(big, Recipients(ignored=("b", "c")))
    assert merged.ignored == ("a", "b", "c")
    assert merged.ignored_count == 5000 - 2 + 3


def test_ignored_count_is_never_below_the_kept_values() -> None:
    assert Recipients(ignored=("a", "b")).ignored_count == 2


# ---- properties ----------------------------------------------------------------------------

ATOM = st.text(alphabet="abcXYZ019._%+-'", min_size=1, max_size=8)
LETTERS = "abcxyzABCXYZ"
VALID_EMAIL = st.builds(
    lambda local, host, tld: f"{local}@{host}.{tld}",
    st.lists(st.text(LETTERS + "019_%+-", min_size=1, max_size=6), min_size=1, max_size=3).map(
        ".".join
    ),
    st.text(LETTERS + "019", min_size=1, max_size=8),
    st.text(LETTERS, min_size=2, max_size=6),
)
FRAGMENT = (
    VALID_EMAIL
    | ATOM
    | st.sampled_from(["@", "<", ">", "|", "mailto:", "customer_id:", " ", ",", ";", "\n"])
    | st.sampled_from(["&amp;", "&lt;", "&gt;", "<@U1>", "<!here>", "<https://x.io|y@z.io>"])
    | st.text(max_size=6)
)
MESSAGE = st.lists(FRAGMENT, max_size=30).map("".join) | st.text(
    alphabet=st.characters(codec=None, categories=None), max_size=300
)


def assert_well_formed(result: Recipients) -> None:
    """Every returned value passes its validator and nothing is listed twice."""
    assert all(normalise_email(e) == e for e in result.emails)
    assert len({e.lower() for e in result.emails}) == len(result.emails)
    assert all(re.fullmatch(r"[A-Za-z0-9_.:-]{1,128}", c) for c in result.customer_ids)
    assert len(set(result.customer_ids)) == len(result.customer_ids)
    assert len(set(result.ignored)) == len(result.ignored) <= result.ignored_count
    assert len(result.ignored) <= IGNORED_KEEP


@FAST
@given(MESSAGE)
def test_any_message_text_parses_to_valid_recipients(text: str) -> None:
    assert_well_formed(parse_message_text(text))


@FAST
@given(st.lists(VALID_EMAIL, min_size=1, max_size=20), st.sampled_from([" ", ", ", ";\n"]))
def test_every_valid_email_in_a_message_is_found(emails: list[str], separator: str) -> None:
    text = separator.join(f"<mailto:{e}|{e}>" if i % 2 else e for i, e in enumerate(emails))
    found = parse_message_text(text).emails
    assert [e.lower() for e in found] == list(dict.fromkeys(e.lower() for e in emails))


@FAST
@given(
    st.one_of(
        st.binary(max_size=3000),
        st.tuples(
            st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b"PK\x03\x04", b"email,"]),
            st.binary(max_size=500),
        ).map(b"".join),
        MESSAGE.map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
)
def test_any_bytes_parse_or_raise_recipients_error(data: bytes) -> None:
    try:
        result = parse_csv(data, max_bytes=2500)
    except RecipientsError as error:
        assert error.reason in ("too_large", "spreadsheet", "not_csv")
        return
    assert_well_formed(result)
