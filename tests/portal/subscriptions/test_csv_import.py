"""`flask subscribers import FILE.csv`: bringing a list across, idempotent, strict per row."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.db import get_session
from portal.models import Subscriber
from portal.subscriptions.addresses import InvalidInput, normalise_address
from portal.subscriptions.csv_dialects import parse_time
from portal.subscriptions.csv_import import checked_address
from tests.conftest import AppFactory
from tests.portal.newsletter.email_editions import add_subscriber

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def invoke(app: Flask, *args: str) -> tuple[int, str, str]:
    """Run a command; return exit code, standard output and standard error."""
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    """Write a CSV file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def subscribers(app: Flask) -> dict[str, Subscriber]:
    """Return every subscriber by address."""
    with app.app_context():
        session = get_session()
        found = {s.email: s for s in session.scalars(select(Subscriber))}
        session.expunge_all()
        return found


def test_import_of_our_own_columns(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "email,first_name,status,confirmed_at,consent\n"
        "Ada@Example.COM,Ada,confirmed,2024-05-06T07:08:09Z,Signed up at the 2024 conference\n"
        "bob@example.com,,unsubscribed,,\n"
        "cy@example.com,Cy,,2023-01-02,\n",
    )
    code, out, err = invoke(app, "subscribers", "import", str(path))
    assert (code, err) == (0, ""), err
    assert out == (
        "Imported 3 subscribers (2 confirmed, 1 unsubscribed); 0 already here, kept as they "
        "were; 0 rows rejected.\n"
    )
    found = subscribers(app)
    ada = found["ada@example.com"]
    assert (ada.first_name, ada.status) == ("Ada", "confirmed")
    assert ada.confirmed_at == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    assert ada.consent_note == "Signed up at the 2024 conference"
    assert ada.consent_version == "imported"
    assert found["bob@example.com"].status == "unsubscribed"
    assert found["bob@example.com"].unsubscribed_at is not None
    assert found["bob@example.com"].confirmed_at is None
    # No consent column value: the record says where the reader came from.
    assert found["cy@example.com"].consent_note.startswith("Imported from list.csv on ")  # type: ignore[union-attr]
    assert found["cy@example.com"].confirmed_at == dt.datetime(2023, 1, 2, tzinfo=dt.UTC)


def test_listmonk_export_is_read_as_it_is(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "uuid,email,name,attributes,status,created_at,updated_at\n"
        'a1,ada@example.com,Ada Lovelace,"{""city"": ""London""}",enabled,'
        "2021-03-04 05:06:07.123456 +0000 UTC,2021-03-04 05:06:07.123456 +0000 UTC\n"
        "a2,bob@example.com,Bob,{},blocklisted,2021-03-05 05:06:07 +0000 UTC,\n",
    )
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 0
    assert "columns ignored: uuid, attributes, updated_at" in out
    found = subscribers(app)
    ada = found["ada@example.com"]
    assert (ada.first_name, ada.status) == ("Ada", "confirmed")
    assert ada.signed_up_at == dt.datetime(2021, 3, 4, 5, 6, 7, 123456, tzinfo=dt.UTC)
    assert found["bob@example.com"].status == "unsubscribed"


def test_mailtrain_export_is_read_as_it_is(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cid,status,HASH_EMAIL,EMAIL,MERGE_FIRST_NAME,MERGE_LAST_NAME\n"
        "x1,subscribed,h1,ada@example.com,Ada,Lovelace\n"
        "x2,unsubscribed,h2,bob@example.com,Bob,B\n"
        "x3,bounced,h3,cy@example.com,Cy,C\n"
        "x4,complained,h4,di@example.com,Di,D\n",
    )
    code, _, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 0
    found = subscribers(app)
    assert {email: s.status for email, s in found.items()} == {
        "ada@example.com": "confirmed",
        "bob@example.com": "unsubscribed",
        "cy@example.com": "bounced",
        "di@example.com": "unsubscribed",
    }
    assert found["ada@example.com"].first_name == "Ada"


def test_an_address_already_here_keeps_its_record(app: Flask, tmp_path: Path) -> None:
    add_subscriber(app, "left@example.com", "Lee")
    with app.app_context():
        session = get_session()
        left = session.scalars(select(Subscriber)).one()
        left.status = "unsubscribed"
        session.commit()
    path = write(tmp_path, "email,first_name,status\nLEFT@example.com,Someone,confirmed\n")
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 0
    assert "Imported 0 subscribers; 1 already here, kept as they were" in out
    kept = subscribers(app)["left@example.com"]
    # An unsubscribed reader is never subscribed again by an import.
    assert (kept.status, kept.first_name) == ("unsubscribed", "Lee")


@pytest.mark.sqlite_only(reason="row checks do not touch the database")
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("not-an-address,Ada,confirmed,", "the email address is not usable"),
        ("two@example.com three@example.com,,,", "Enter one email address only."),
        ("ada@example.com,,pending,", "status 'pending': this reader never confirmed"),
        ("ada@example.com,,Member,", "unknown status 'Member' (known: blacklisted, "),
        ("ada@example.com,,confirmed,yesterday", "'yesterday' is not a date and time"),
        ("ada@example.com,,confirmed,2999-01-01", "'2999-01-01' is in the future"),
        ("ada\u200b@example.com,,,", "invisible or text-direction characters"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_why(
    app: Flask, tmp_path: Path, row: str, reason: str
) -> None:
    path = write(tmp_path, f"email,first_name,status,confirmed_at\ngood@example.com,,,\n{row}\n")
    code, out, err = invoke(app, "subscribers", "import", str(path))
    assert code == 1
    assert f"{path}:3: rejected: " in err and reason in err
    assert "Imported 1 subscriber (1 confirmed)" in out and "1 row rejected" in out
    assert "Error: 1 row rejected (listed above)" in err
    assert set(subscribers(app)) == {"good@example.com"}


def test_a_second_run_changes_nothing(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "email,first_name,status\nada@example.com,Ada,\nbob@example.com,,unsubscribed\nbad,,\n",
    )
    assert invoke(app, "subscribers", "import", str(path))[0] == 1
    before = {e: (s.id, s.status, s.signed_up_at) for e, s in subscribers(app).items()}
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 1  # the bad row is still bad
    assert "Imported 0 subscribers; 2 already here" in out
    assert {e: (s.id, s.status, s.signed_up_at) for e, s in subscribers(app).items()} == before


@pytest.mark.sqlite_only(reason="no database difference in reading the file")
def test_repeated_address_keeps_the_strictest_status(app: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "email,status\nada@example.com,confirmed\nADA@example.com,unsubscribed\n"
        "ada@example.com,confirmed\n",
    )
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 0 and "2 repeated rows merged" in out
    assert subscribers(app)["ada@example.com"].status == "unsubscribed"


@pytest.mark.sqlite_only(reason="no database difference in reading the file")
def test_a_name_that_looks_like_a_link_is_left_out_not_the_reader(
    app: Flask, tmp_path: Path
) -> None:
    path = write(tmp_path, "email,first_name\nada@example.com,Visit www.spam.example\n")
    code, _, err = invoke(app, "subscribers", "import", str(path))
    assert code == 0
    assert f"{path}:2: first name left out: A name cannot contain a web address" in err
    assert subscribers(app)["ada@example.com"].first_name is None


@pytest.mark.sqlite_only(reason="no database difference in reading the file")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"name,city\nAda,London\n", "no email column: the header is name, city"),
        (b"email\n\xff\xfeada@example.com\n", "the file is not UTF-8 text"),
    ],
)
def test_an_unusable_file_imports_nothing(
    app: Flask, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    code, _, err = invoke(app, "subscribers", "import", str(path))
    assert code == 1 and message in err and "Nothing imported." in err
    assert "Traceback" not in err
    assert subscribers(app) == {}


@pytest.mark.sqlite_only(reason="no database difference in reading the file")
def test_a_spreadsheet_file_with_bom_short_rows_and_blank_lines(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("\ufeffEmail Address,First Name\r\nada@example.com\r\n\r\n,\r\n".encode())
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    assert code == 0 and "Imported 1 subscriber (1 confirmed)" in out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-06T07:08:09Z", dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)),
        ("2024-05-06T09:08:09+02:00", dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)),
        ("2024-05-06 07:08:09", dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)),
        ("2024-05-06", dt.datetime(2024, 5, 6, tzinfo=dt.UTC)),
        (
            "2024-05-06 07:08:09.1234567 +0100 CET",
            dt.datetime(2024, 5, 6, 6, 8, 9, 123456, tzinfo=dt.UTC),
        ),
        ("", None),
    ],
)
def test_times_in_the_forms_lists_write(raw: str, expected: dt.datetime | None) -> None:
    assert parse_time(raw, NOW) == expected


def test_a_hundred_thousand_rows_in_under_30_seconds(app: Flask, tmp_path: Path) -> None:
    rows = (
        f"reader{n}@example-{n % 97}.com,Reader,,2024-01-01T00:00:00Z\n" for n in range(100_000)
    )
    path = write(tmp_path, "email,first_name,status,confirmed_at\n" + "".join(rows))
    started = time.perf_counter()
    code, out, _ = invoke(app, "subscribers", "import", str(path))
    took = time.perf_counter() - started
    assert code == 0 and "Imported 100000 subscribers (100000 confirmed)" in out
    assert took < 30, took
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Subscriber)) == 100_000
    print(f"100,000 rows imported in {took:.1f} s")


@pytest.mark.parametrize(
    "raw",
    [
        "Ada.Lovelace+news@Example.COM",
        " -di_x%y@example.co.uk ",
        "a@bücher.example",
        "a@XN--BCHER-KVA.example",
        "a..b@example.com",
        ".a@example.com",
        "a@example",
        "a@-example.com",
        "a@example..com",
        "a@localhost",
        "a@example.invalid",
        "a@123.45.67.89",
        "a@[1.2.3.4]",
        "x" * 65 + "@example.com",
        "x" * 64 + "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 60 + ".com",
        '"quoted"@example.com',
        "ünïcode@example.com",
        "a@b@example.com",
        "",
    ],
)
def test_the_quick_address_check_agrees_with_the_form(raw: str) -> None:
    def outcome(check: Callable[[str], str]) -> str:
        try:
            return check(raw)
        except InvalidInput as error:
            return f"refused: {error}"

    assert outcome(checked_address) == outcome(normalise_address)


def test_our_own_export_imports_into_another_portal(make_app: AppFactory, tmp_path: Path) -> None:
    first, second = make_app(), make_app()
    add_subscriber(first, "ada@example.com", "Ada")
    add_subscriber(first, "bob@example.com")
    exported = first.test_cli_runner().invoke(args=["subscribers", "export"])
    assert exported.exit_code == 0
    path = write(tmp_path, exported.stdout)
    code, out, _ = invoke(second, "subscribers", "import", str(path))
    assert code == 0 and "Imported 2 subscribers (2 confirmed)" in out
    assert "columns ignored: consent_version" in out
    before, after = subscribers(first), subscribers(second)
    assert set(after) == set(before)
    for email, old in before.items():
        new = after[email]
        assert (new.first_name, new.status) == (old.first_name, old.status)
        assert (new.signed_up_at, new.confirmed_at) == (old.signed_up_at, old.confirmed_at)
