"""CSV import of people: all or nothing, every bad row reported by line."""

from __future__ import annotations

import io

from coe.auth.models import Person
from coe.extensions import db


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Person.id)))


def _upload(client, text: str, name: str = "people.csv"):
    return client.submit("/admin/people/import", {"file": (io.BytesIO(text.encode()), name)},
                         content_type="multipart/form-data")


def test_admin_imports_people_with_roles(app, admin_client, make_team):
    make_team("Digital Delivery")
    csv_text = ("email,name,team,role_profile,roles,time_zone\n"
                "dana@example.org,Dana Whitfield,Digital Delivery,pm,,Europe/London\n"
                "raj@example.org,Raj Menon,digital delivery,senior-pm,mentor;lead,Asia/Kolkata\n")
    response = _upload(admin_client, csv_text)
    assert response.status_code == 302
    with app.app_context():
        raj = db.session.scalar(db.select(Person).where(Person.email == "raj@example.org"))
        assert raj.roles == ["learner", "mentor", "lead"]
        assert raj.led_teams[0].name == "Digital Delivery"
        assert raj.time_zone == "Asia/Kolkata"
        assert raj.password_hash is None


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(app, admin_client, make_team, make_person):
    make_team("Digital Delivery")
    make_person("existing@example.org")
    before = _count(app)
    csv_text = ("email,name,team,role_profile,roles\n"
                "good@example.org,Good Row,Digital Delivery,pm,\n"
                "not-an-email,Bad Email,Digital Delivery,pm,\n"
                "existing@example.org,Existing,Digital Delivery,pm,\n"
                "x@example.org,Wrong Team,Nowhere,pm,\n"
                "y@example.org,Wrong Profile,Digital Delivery,wizard,\n"
                "z@example.org,Wrong Role,Digital Delivery,pm,overlord\n"
                "good@example.org,Twice,Digital Delivery,pm,\n")
    response = _upload(admin_client, csv_text)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported" in page
    assert "Line 3:" in page and "not a valid email address" in page
    assert "Line 4:" in page and "existing@example.org already belongs" in page
    assert "Line 5:" in page and "no team is called" in page
    assert "Line 6:" in page and "unknown role profile" in page
    assert "Line 7:" in page and "unknown role(s) overlord" in page
    assert "Line 8:" in page and "appears already at line 2" in page
    assert _count(app) == before


def test_the_import_names_problems_in_the_forms_own_words(app, admin_client):
    from coe.auth.people import PersonRules, name_problem

    csv_text = ("email,name,team,role_profile,roles,time_zone\n"
                f"long@example.org,{'N' * 121},,pm,,UTC\n"
                "formula@example.org,=HYPERLINK(1),,pm,,UTC\n"
                "minus@example.org,-2+3,,pm,,UTC\n"
                "zone@example.org,Zoe Zone,,pm,,Mars/Olympus\n")
    page = _upload(admin_client, csv_text).get_data(as_text=True)
    assert f"Line 2: {name_problem('N' * 121)}" in page
    assert "Line 3: the name starts with “=”, which spreadsheets read as a formula; remove it" in page
    assert "Line 4: the name starts with “-”" in page
    assert "Line 5: unknown time zone “Mars/Olympus”" in page
    form_page = admin_client.submit("/admin/people/new", {
        "email": "zone@example.org", "display_name": "Zoe Zone", "team_id": "0", "role_profile": "pm",
        "time_zone": "Mars/Olympus"}).get_data(as_text=True)
    assert "Unknown time zone “Mars/Olympus”" in form_page
    assert _count(app) == 1


def test_nul_characters_in_the_file_are_refused_with_their_line(app, admin_client):
    page = _upload(admin_client, "email,name,team,role_profile,roles\na@example.org,A\x00B,,pm,\n").get_data(as_text=True)
    assert "Line 2: contains a NUL character" in page
    assert _count(app) == 1


def test_an_unbalanced_quote_is_refused_not_folded_into_a_name(app, admin_client):
    csv_text = ('email,name,team,role_profile,roles\n'
                'a@example.org,"Ann Opened,,pm,\n'
                'b@example.org,Bea Next,,pm,\n')
    page = _upload(admin_client, csv_text).get_data(as_text=True)
    assert "Nothing was imported" in page and "Line 2:" in page and "quote" in page
    assert _count(app) == 1


def test_a_repeated_column_is_refused(app, admin_client):
    page = _upload(admin_client, "email,name,team,role_profile,roles,name\na@example.org,A,,pm,,B\n").get_data(as_text=True)
    assert "Line 1: the column(s) name appear more than once" in page
    assert _count(app) == 1


def test_missing_columns_are_named(app, admin_client):
    response = _upload(admin_client, "email,name\nsolo@example.org,Solo\n")
    assert "lacks the column(s) team, role_profile, roles" in response.get_data(as_text=True)
    assert _count(app) == 1


def test_non_utf8_file_is_refused(app, admin_client):
    response = admin_client.submit("/admin/people/import",
                                   {"file": (io.BytesIO("email,name\nj\xf6rg@example.org,J\xf6rg\n".encode("latin-1")), "p.csv")},
                                   content_type="multipart/form-data")
    assert "not UTF-8" in response.get_data(as_text=True)
    assert _count(app) == 1


def test_cli_import_reports_lines_and_imports_nothing_on_error(app, runner, tmp_path, make_team):
    make_team("Digital Delivery")
    bad = tmp_path / "bad.csv"
    bad.write_text("email,name,team,role_profile,roles\nok@example.org,OK,Digital Delivery,pm,\n,No Email,,pm,\n")
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0
    assert "line 3:" in result.output
    assert _count(app) == 0
    good = tmp_path / "good.csv"
    good.write_text("email,name,team,role_profile,roles\nok@example.org,OK,Digital Delivery,pm,admin\n")
    result = runner.invoke(args=["users", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 people" in result.output
    assert _count(app) == 1


def test_unreadable_csv_is_reported_not_a_crash(app, admin_client):
    huge = "x" * 200_000
    response = _upload(admin_client, f"email,name,team,role_profile,roles\na@example.org,\"{huge}\",,pm,\n")
    assert response.status_code == 200
    assert "not readable as CSV" in response.get_data(as_text=True)
    assert _count(app) == 1
