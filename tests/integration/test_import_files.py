"""Files as people have them, on SQLite and PostgreSQL: Excel's CSV (byte order mark,
semicolons, CRLF, decimal commas), a CRM's export (other headers, extra columns, cells over
several lines) and Excel workbooks (typed cells, several sheets, empty rows below the data).

The book they refer to is the sample one in tests/fixtures/csv (see test_import.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from bot.services.imports import SPECS, ImportKind, ImportRejected, ImportResult, import_table
from bot.services.imports.kinds import stage_entry_note
from bot.services.imports.local_dates import DateOrder
from bot.services.imports.reader import UnreadableFile, read_file
from storage.db import Database
from storage.models import Account, Contract, Meeting, User
from tests.integration.test_import import NOW, all_rows, fixture, import_text

REAL_WORLD = Path(__file__).parents[1] / "fixtures" / "real-world"


async def import_file(db: Database, kind: str, path: Path) -> ImportResult:
    table = read_file(path, kind=kind, known=SPECS[ImportKind(kind)].columns.known)
    async with db.unit_of_work() as session:
        return await import_table(session, kind=kind, table=table, now=NOW)


async def people(db: Database) -> None:
    for kind in ("teams", "users"):
        await import_text(db, kind, fixture(kind))


def workbook(path: Path, sheets: dict[str, list[list[Any]]], formats: dict[str, str]) -> Path:
    """A workbook with one sheet per entry; `formats` maps a header to its cells' number
    format, as a person formats a column in Excel."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for column, header in enumerate(rows[0], start=1):
            for line in range(2, len(rows) + 1):
                if header in formats:
                    sheet.cell(line, column).number_format = formats[header]
        # Formatted but empty cells below the data, as a spreadsheet keeps them.
        for line in range(len(rows) + 1, len(rows) + 4):
            sheet.cell(line, 1).number_format = "yyyy-mm-dd"
    book.save(path)
    return path


async def test_an_excel_csv_with_bom_semicolons_crlf_and_decimal_commas(db: Database) -> None:
    await people(db)
    result = await import_file(db, "accounts", REAL_WORLD / "accounts-excel-semicolons.csv")
    assert (result.created, result.source_name) == (3, "accounts-excel-semicolons.csv")
    assert result.warnings == ("Ignored column 'Region': not in the accounts format.",)
    accounts = await all_rows(db, Account, Account.name)
    assert [(a.name, a.stage, a.mrr, a.started_on, a.churn_reason) for a in accounts] == [
        ("Acme Corp", "growth", Decimal("12000.50"), date(2025, 1, 6), None),
        ("Globex", "onboarding", Decimal(0), date(2026, 2, 23), None),
        ("Initech", "renewal", Decimal(800), date(2024, 3, 1), "Budget cut; moved in-house"),
    ]
    assert accounts[0].exec_sponsor_id is not None
    # Midnight where each owner is: Ann's team is in New York, Bob is in Berlin.
    assert [a.stage_entered_at for a in accounts] == [
        datetime(2025, 11, 3, 5, tzinfo=UTC),
        datetime(2026, 2, 22, 23, tzinfo=UTC),
        datetime(2025, 12, 1, 5, tzinfo=UTC),
    ]


async def test_a_crm_export_with_its_own_headers_extra_columns_and_kinds(db: Database) -> None:
    await people(db)
    await import_text(db, "accounts", fixture("accounts"))
    result = await import_file(db, "meetings", REAL_WORLD / "meetings-crm.csv")
    assert result.created == 3
    assert result.warnings == (
        "Ignored columns 'Activity ID', 'Subject', 'Duration (min)': not in the meetings format.",
    )
    meetings = await all_rows(db, Meeting, Meeting.occurred_at)
    assert [(m.occurred_at, m.kind, m.recap_logged_at) for m in meetings] == [
        (
            datetime(2026, 2, 24, 9, tzinfo=UTC),
            "Kick-off call",
            datetime(2026, 2, 24, 11, tzinfo=UTC),
        ),
        (datetime(2026, 3, 2, 14, tzinfo=UTC), "qbr", datetime(2026, 3, 2, 16, 30, tzinfo=UTC)),
        (datetime(2026, 3, 5, 15, 30, tzinfo=UTC), "Demo", None),
    ]


async def test_a_salesforce_export_with_its_headers_and_owners_by_name(db: Database) -> None:
    await people(db)
    result = await import_file(db, "accounts", REAL_WORLD / "accounts-salesforce.csv")
    assert result.created == 2
    assert result.warnings[:2] == (
        "Read 'Account Name' as name, 'Account Owner' as owner_email, 'Executive Sponsor' as "
        "exec_sponsor_email, 'Customer Since' as started_on, 'Monthly Recurring Revenue' as mrr.",
        "Ignored columns 'Account ID', 'Billing Country': not in the accounts format.",
    )
    users = {u.id: u.email for u in await all_rows(db, User, User.id)}
    accounts = await all_rows(db, Account, Account.name)
    assert [
        (a.name, users[a.owner_id], a.exec_sponsor_id and users[a.exec_sponsor_id], a.mrr)
        for a in accounts
    ] == [
        ("Acme Corp", "ann.lee@example.com", "hana@example.com", Decimal("12000.50")),
        ("Globex", "bob@example.com", None, Decimal(0)),
    ]
    # Meetings name their AM the same way, whatever the case and spacing of the name.
    meetings = (
        "Company Name,AM,Meeting Date,Type,Notes\n"
        "Acme Corp,  ann   LEE ,2026-03-02T14:00:00Z,QBR,Went through the renewal\n"
    )
    done = await import_text(db, "meetings", meetings)
    assert done.created == 1
    [meeting] = await all_rows(db, Meeting, Meeting.id)
    assert (users[meeting.am_id], meeting.kind, meeting.recap) == (
        "ann.lee@example.com",
        "qbr",
        "Went through the renewal",
    )


async def test_people_by_name_must_name_one_person_and_a_columns_own_name_wins(
    db: Database,
) -> None:
    await people(db)
    await import_text(
        db, "users", "email,name,role,team\nann.lee2@example.com,Ann Lee,am,Enterprise East\n"
    )
    header = "Account Name,Account Owner,Stage,Start Date\n"
    with pytest.raises(ImportRejected) as caught:
        await import_text(
            db,
            "accounts",
            header + "Acme Corp,Ann Lee,growth,2025-01-06\nGlobex,Ann Leigh,growth,2025-01-06\n",
        )
    assert [str(problem) for problem in caught.value.problems] == [
        'line 2: Account Owner: 2 users are named "Ann Lee" (ann.lee2@example.com, '
        "ann.lee@example.com): write the email",
        'line 3: Account Owner: no user named "Ann Leigh" (import users first, or write their '
        "email)",
    ]
    assert await all_rows(db, Account, Account.id) == []
    # Only people are named by people's names: an account called so is just not there.
    with pytest.raises(ImportRejected) as caught:
        await import_text(
            db, "meetings", "account,am,occurred_at\nAnn Lee,Ann Lee,2026-03-02 10:00\n"
        )
    assert [str(problem) for problem in caught.value.problems] == [
        'line 2: account: no account named "Ann Lee" (import accounts first)',
        'line 2: am: 2 users are named "Ann Lee" (ann.lee2@example.com, ann.lee@example.com): '
        "write the email",
    ]
    # With the column's own name there too, that one is read and the CRM's is ignored.
    both = (
        "Name,Owner Email,Account Owner,Stage,Started On\n"
        "Acme Corp,bob@example.com,Ann Lee,growth,2025-01-06\n"
    )
    result = await import_text(db, "accounts", both)
    assert result.warnings[0] == ("Ignored column 'Account Owner': not in the accounts format.")
    [acme] = await all_rows(db, Account, Account.id)
    bob = [u for u in await all_rows(db, User, User.id) if u.email == "bob@example.com"]
    assert acme.owner_id == bob[0].id
    # Two other names of one column: which one is meant is not guessed.
    with pytest.raises(ImportRejected) as caught:
        await import_text(db, "accounts", "Name,Owner,Account Owner,Stage,Started On\n")
    assert str(caught.value.problems[0]).startswith("line 1: header: repeated 'owner_email'.")


async def test_a_european_excel_csv_with_a_sep_line_local_dates_and_euro_amounts(
    db: Database,
) -> None:
    await people(db)
    await import_text(db, "accounts", fixture("accounts"))
    path = REAL_WORLD / "contracts-excel-sep-line.csv"
    table = read_file(path, kind="contracts", known=SPECS[ImportKind.CONTRACTS].headers)
    assert [line for line, _ in table.rows] == [2, 3, 4, 5]  # the sep= line is line 1
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "contracts", path)
    assert caught.value.hint == (
        "Dates such as “28.02.2027” are written day/month/year: import the file again with "
        "--dates dmy."
    )
    async with db.unit_of_work() as session:
        result = await import_table(
            session, kind="contracts", table=table, now=NOW, dates=DateOrder.DMY
        )
    assert result.created == 3
    contracts = await all_rows(db, Contract, Contract.start_on)
    assert [(c.start_on, c.end_on, c.value, c.auto_renew) for c in contracts] == [
        (date(2024, 3, 1), date(2026, 2, 28), Decimal("9600.50"), False),
        (date(2026, 2, 23), date(2027, 2, 22), Decimal("18000.00"), False),
        (date(2026, 3, 1), date(2027, 2, 28), Decimal("144000.00"), True),
    ]


async def test_an_excel_workbook_reads_the_sheet_named_after_the_kind(
    db: Database, tmp_path: Path
) -> None:
    await people(db)
    path = workbook(
        tmp_path / "book.xlsx",
        {
            "Read me": [["This workbook holds our book of accounts"]],
            "Accounts": [
                ["Name", "Owner Email", "Stage", "MRR", "Started On", "Notes"],
                ["Acme Corp", "ann.lee@example.com", "Growth", 12000.5, date(2025, 1, 6), 3],
                ["Globex", "bob@example.com", "onboarding", 0.1 + 0.2, datetime(2026, 2, 23), None],
                [None, None, None, None, None, None],
                ["Initech", "ann.lee@example.com", "renewal", 800, datetime(2024, 3, 1), "x"],
            ],
            "Contracts": [
                ["Account", "Start On", "End On", "Value", "Auto Renew"],
                ["Acme Corp", date(2025, 1, 6), date(2026, 1, 5), 144000, True],
                ["Globex", datetime(2026, 2, 23), datetime(2027, 2, 22), 1234.56, False],
            ],
        },
        {"MRR": '"€"#,##0.00', "Started On": "dd.mm.yyyy", "Value": "#,##0.00"},
    )
    accounts = await import_file(db, "accounts", path)
    assert (accounts.created, accounts.source_name) == (3, "book.xlsx (sheet Accounts)")
    assert accounts.warnings == (
        "Ignored column 'Notes': not in the accounts format.",
        stage_entry_note(3),
    )
    rows = await all_rows(db, Account, Account.name)
    assert [(a.name, a.stage, a.mrr, a.started_on) for a in rows] == [
        ("Acme Corp", "growth", Decimal("12000.50"), date(2025, 1, 6)),
        ("Globex", "onboarding", Decimal("0.30"), date(2026, 2, 23)),
        ("Initech", "renewal", Decimal(800), date(2024, 3, 1)),
    ]
    contracts = await import_file(db, "contracts", path)
    assert contracts.created == 2
    stored = await all_rows(db, Contract, Contract.start_on)
    assert [(c.start_on, c.end_on, c.value, c.auto_renew) for c in stored] == [
        (date(2025, 1, 6), date(2026, 1, 5), Decimal(144000), True),
        (date(2026, 2, 23), date(2027, 2, 22), Decimal("1234.56"), False),
    ]


async def test_a_reports_title_above_its_header_is_skipped_and_rows_keep_their_numbers(
    db: Database, tmp_path: Path
) -> None:
    await people(db)
    # A CRM's formatted report: a title, who ran it and when, a blank row, then the table.
    path = workbook(
        tmp_path / "report.xlsx",
        {
            "Accounts by owner": [
                ["Accounts by owner"],
                ["Run by Lea Park on 2026-03-09", None, None, None],
                [None, None, None, None],
                ["Account Name", "Account Owner", "Stage", "Start Date"],
                ["Acme Corp", "Ann Lee", "Growth", date(2025, 1, 6)],
                ["Globex", "Bob Stone", "paused", date(2026, 2, 23)],
            ]
        },
        {},
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "accounts", path)
    assert [str(p) for p in caught.value.problems] == [
        "line 6: stage: unknown value 'paused' (expected one of: onboarding, adaptation, "
        "growth, renewal)"
    ]
    csv_report = (
        "Accounts by owner\n"
        '"Run by Lea Park on 2026-03-09"\n'
        "\n"
        "Account Name;Account Owner;Stage;Start Date\n"
        "Acme Corp;Ann Lee;Growth;2025-01-06\n"
        "Globex;Bob Stone;onboarding;2026-02-23\n"
    )
    result = await import_text(db, "accounts", csv_report)
    assert result.created == 2
    assert result.warnings[0] == (
        "The header is line 4: the lines above it (a report's title?) were skipped."
    )
    accounts = await all_rows(db, Account, Account.name)
    assert [(a.name, a.stage, a.started_on) for a in accounts] == [
        ("Acme Corp", "growth", date(2025, 1, 6)),
        ("Globex", "onboarding", date(2026, 2, 23)),
    ]


async def test_a_workbook_with_bad_cells_names_the_sheet_and_its_row_numbers(
    db: Database, tmp_path: Path
) -> None:
    await people(db)
    path = workbook(
        tmp_path / "accounts.xlsx",
        {
            "Sheet1": [
                ["name", "owner_email", "stage", "started_on"],
                ["Acme Corp", "ann.lee@example.com", "growth", date(2025, 1, 6)],
                [None, None, None, None],
                ["Globex", "bob@example.com", "paused", "23/02/2026"],
            ]
        },
        {},
    )
    with pytest.raises(ImportRejected) as caught:
        await import_file(db, "accounts", path)
    assert caught.value.message == "accounts.xlsx: nothing imported, 1 bad row."
    assert [str(p) for p in caught.value.problems] == [
        "line 4: stage: unknown value 'paused' (expected one of: onboarding, adaptation, growth, "
        "renewal)",
        "line 4: started_on: not a date (expected YYYY-MM-DD): '23/02/2026' (see the note on "
        "dates below)",
    ]
    assert caught.value.hint == (
        "Dates such as “23/02/2026” are written day/month/year: import the file again with "
        "--dates dmy. Fix the other lines listed first."
    )
    assert await all_rows(db, Account, Account.name) == []


def test_files_that_are_neither_csv_in_utf8_nor_a_workbook_are_refused_with_advice(
    tmp_path: Path,
) -> None:
    old = tmp_path / "accounts.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    broken = tmp_path / "accounts.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip file")
    latin1 = tmp_path / "accounts.csv"
    latin1.write_bytes("name\nZürich\n".encode("latin-1"))
    messages = []
    for path in (old, broken, latin1):
        with pytest.raises(UnreadableFile) as caught:
            read_file(path, kind="accounts", known=("name",))
        messages.append(str(caught.value))
    assert messages[0] == (
        "Cannot read accounts.xls: it is an old Excel workbook (.xls); save it as an Excel "
        "Workbook (.xlsx) or as “CSV UTF-8” and import it again."
    )
    assert messages[1].startswith("Cannot read accounts.xlsx as an Excel workbook (.xlsx): ")
    assert messages[2] == (
        "Cannot read accounts.csv: it is not UTF-8 text (line 2 is not). Excel on Windows saves "
        "“CSV (Comma delimited)” in cp1252, where line 2 reads “Zürich”: if that is right, "
        "import it again with --encoding cp1252; otherwise save it as “CSV UTF-8” (or as an "
        "Excel Workbook, .xlsx) and import it again."
    )
    assert read_file(latin1, kind="accounts", known=("name",), encoding="cp1252").rows == [
        (1, ["name"]),
        (2, ["Zürich"]),
    ]
