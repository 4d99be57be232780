"""The lead's dashboard: gaps and summaries on hand-made data, filters, who sees which teams, exports, query counts."""

from __future__ import annotations

import csv
import io
import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from openpyxl import load_workbook
from sqlalchemy import event, select

from coe.audit import AuditEvent
from coe.auth.models import Person
from coe.competency import profile
from coe.extensions import db
from coe.registry import TeamSection, registry

AREA = "business-acumen"  # pm targets: business-case 3, benefits-realisation 3, strategic-alignment 2,
# organisational-change 3, compliance 3


@pytest.fixture
def teams(app, make_person, make_team):
    """Team A led by Lena: Ana (gaps, a pending and a flagged self-rating), Ben (meets all), Cleo (no profile);
    team B: Dan, with gaps everywhere; a PM, a mentor and an admin."""
    a, b = make_team("Digital Delivery"), make_team("Finance Transformation")
    ids = {
        "lead": make_person("lena@example.org", name="Lena Lead", leads=(a,), team_id=None,
                            role_profile="program-manager"),
        "ana": make_person("ana@example.org", name="Ana Alves", team_id=a, role_profile="pm"),
        "ben": make_person("ben@example.org", name="Ben Brandt", team_id=a, role_profile="pm"),
        "cleo": make_person("cleo@example.org", name="Cleo Chen", team_id=a, role_profile=None),
        "dan": make_person("dan@example.org", name="Dan Dorsey", team_id=b, role_profile="senior-pm"),
        "other_lead": make_person("olga@example.org", name="Olga Other", leads=(b,), team_id=b),
        "mentor": make_person("mentor@example.org", name="Max Mentor", mentor=True),
        "admin": make_person("admin@example.org", name="Ada Admin", admin=True),
        "team_a": a, "team_b": b,
    }
    with app.app_context():
        lead, ana, ben, cleo, dan = (db.session.get(Person, ids[k]) for k in ("lead", "ana", "ben", "cleo", "dan"))

        def val(person, code, level):
            profile.validate(lead, person, code, level, "", "lead")

        profile.self_assess(ana, "business-case", 2)
        val(ana, "business-case", 3)  # met, validated
        val(ana, "benefits-realisation", 1)
        profile.self_assess(ana, "benefits-realisation", 3)  # 1 validated, pending, calibration flag, gap 2
        profile.self_assess(ana, "strategic-alignment", 2)  # met on a self-assessment, pending
        val(ana, "compliance", 4)  # above target: met
        for code, level in {"business-case": 3, "benefits-realisation": 3, "strategic-alignment": 2,
                            "organisational-change": 3, "compliance": 3}.items():
            val(ben, code, level)
        profile.self_assess(cleo, "business-case", 2)
        profile.self_assess(dan, "business-case", 1)
        db.session.commit()
    return ids


def client_for(app, email):
    client = app.test_client()
    assert client.login(email).status_code == 302
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_summary_arithmetic_on_hand_made_data(app, teams, ctx):
    from coe.dashboard import services

    lead = db.session.get(Person, teams["lead"])
    scope = services.scope_for(lead)
    summary = services.summary(scope, services.Filters(area=AREA))
    assert (summary.people, summary.with_targets, summary.meeting_all) == (3, 2, 1)
    assert summary.share_meeting_all == 0.5
    assert [(g.competency, g.people_short, g.levels_short) for g in summary.largest] == [
        ("organisational-change", 1, 3), ("benefits-realisation", 1, 2)]
    assert summary.awaiting_validation == 3  # Ana's benefits and strategic alignment, Cleo's business case
    assert summary.calibration_flags == 1  # Ana: self 3 against validated 1


def test_heat_map_cells_follow_the_level_rules(app, teams, ctx):
    from coe.dashboard import services

    lead = db.session.get(Person, teams["lead"])
    heat = services.heat_map(services.scope_for(lead), services.Filters(area=AREA, sort="gap"))
    assert [row.name for row in heat.rows] == ["Ana Alves", "Ben Brandt", "Cleo Chen"]
    ana = heat.rows[0]
    assert (ana.total_gap, ana.met, ana.targeted) == (5, 3, 5)
    cells = ana.cells
    assert (cells["business-case"].level, cells["business-case"].validated, cells["business-case"].gap) == (3, True, 0)
    benefits = cells["benefits-realisation"]
    assert (benefits.level, benefits.validated, benefits.gap, benefits.pending, benefits.needs_calibration) == (
        1, True, 2, True, True)
    strategic = cells["strategic-alignment"]
    assert (strategic.level, strategic.validated, strategic.gap, strategic.pending) == (2, False, 0, True)
    assert (cells["organisational-change"].level, cells["organisational-change"].gap) == (0, 3)
    assert (cells["compliance"].level, cells["compliance"].gap) == (4, 0)
    assert all(cell.gap is None for cell in heat.rows[2].cells.values())  # Cleo has no role profile


def test_the_heat_map_matches_the_profile_page_rules(app, teams, ctx):
    """The dashboard's levels and gaps are the ones a person's own profile computes from the ratings."""
    from coe.dashboard import services

    admin = db.session.get(Person, teams["admin"])
    heat = services.heat_map(services.scope_for(admin), services.Filters())
    for row in heat.rows:
        person = db.session.get(Person, row.person_id)
        levels, gaps = profile.levels_and_gaps(person)
        for code, cell in row.cells.items():
            known = levels.get(code)
            assert cell.level == (known.level if known else 0), (row.name, code)
            assert cell.validated == (known.validated if known else False), (row.name, code)
        assert row.total_gap == sum(gap.size for gap in gaps), row.name


def test_the_lead_sees_their_team_with_marked_cells_and_drill_down_links(app, teams):
    page = text(client_for(app, "lena@example.org").get(f"/team?area={AREA}"))
    assert "Ana Alves" in page and "Ben Brandt" in page and "Cleo Chen" in page
    assert "Dan Dorsey" not in page
    assert f'href="/people/{teams["ana"]}/competencies"' in page
    assert "<caption>" in page and 'scope="row"' in page and 'scope="colgroup"' in page
    cell = re.search(rf'data-cell="{teams["ana"]}-benefits-realisation">(.*?)</td>', page, re.S).group(1)
    assert "1✓!*" in cell and "−2" in cell and "level 1, validated; target 3, 2 short" in cell
    assert "a newer self-assessment of 3 awaits validation" in cell
    self_cell = re.search(rf'data-cell="{teams["ana"]}-strategic-alignment">(.*?)</td>', page, re.S).group(1)
    assert "2?" in self_cell and "level 2, self-assessed" in self_cell
    assert 'data-card="people">3<' in page and 'data-card="share">50%' in page


def test_filters_narrow_the_people_and_the_competencies(app, teams):
    lead = client_for(app, "lena@example.org")
    page = text(lead.get(f"/team?profile=pm&area={AREA}"))
    assert "Ana Alves" in page and "Cleo Chen" not in page
    assert "Compliance" in page and "Risk management" not in page
    page = text(lead.get(f"/team?team={teams['team_a']}"))
    assert "Ana Alves" in page and "Risk management" in page
    assert lead.get("/team?profile=astronaut").status_code == 400
    assert lead.get("/team?area=nowhere").status_code == 400


def test_sorting_by_total_gap_puts_the_largest_first(app, teams):
    page = text(client_for(app, "lena@example.org").get(f"/team?area={AREA}&sort=gap"))
    assert page.index("Ana Alves") < page.index("Ben Brandt")
    page = text(client_for(app, "lena@example.org").get(f"/team?area={AREA}&sort=profile"))
    assert page.index("Ben Brandt") < page.index("Cleo Chen")  # without a profile last


def test_a_lead_never_sees_another_team_and_pms_and_mentors_are_refused(app, teams):
    lead = client_for(app, "lena@example.org")
    for path in ("/team", "/team/export.csv", "/team/export.xlsx", "/team/trend", "/team/trend.svg"):
        assert lead.get(f"{path}?team={teams['team_b']}").status_code == 403, path
        assert lead.get(path).status_code == 200, path
        for email in ("ana@example.org", "mentor@example.org"):
            assert client_for(app, email).get(path).status_code == 403, (email, path)


def test_an_admin_sees_the_whole_organisation_or_any_team(app, teams):
    admin = client_for(app, "admin@example.org")
    page = text(admin.get("/team"))
    assert "The whole organisation" in page and "Dan Dorsey" in page and "Ana Alves" in page
    page = text(admin.get(f"/team?team={teams['team_b']}"))
    assert "Dan Dorsey" in page and "Ana Alves" not in page
    assert admin.get("/team?team=9999").status_code == 404


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_export_says_what_the_page_shows_and_is_audited(app, teams):
    lead = client_for(app, "lena@example.org")
    response = lead.get(f"/team/export.csv?area={AREA}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv(response)
    assert {row["person"] for row in rows} == {"Ana Alves", "Ben Brandt", "Cleo Chen"}
    assert len(rows) == 3 * 5  # one line per person and competency of the area
    page = text(lead.get(f"/team?area={AREA}"))
    ids = {"Ana Alves": teams["ana"], "Ben Brandt": teams["ben"], "Cleo Chen": teams["cleo"]}
    for row in rows:
        cell = re.search(rf'data-cell="{ids[row["person"]]}-{row["competency code"]}">(.*?)</td>', page,
                         re.S).group(1)
        spoken = re.search(r'visually-hidden">(.*?)</span>', cell).group(1)
        expected = (f"level {row['current level']}, {row['source']}" if row["current level"] else "not rated")
        if row["target"]:
            expected += f"; target {row['target']}, " + ("met" if row["gap"] == "0" else f"{row['gap']} short")
        assert spoken.startswith(expected), (row, spoken)
    benefits = next(r for r in rows if r["person"] == "Ana Alves" and r["competency code"] == "benefits-realisation")
    assert benefits["last validated"] and benefits["source"] == "validated"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "team.export"))
        assert event.actor_id == teams["lead"] and event.detail["format"] == "csv"


def test_exports_of_a_lead_hold_only_their_teams(app, teams):
    rows = _csv(client_for(app, "lena@example.org").get("/team/export.csv"))
    assert "Dan Dorsey" not in {row["person"] for row in rows}
    assert {row["person"] for row in _csv(client_for(app, "admin@example.org").get("/team/export.csv"))} >= {
        "Dan Dorsey", "Ana Alves"}
    book = load_workbook(io.BytesIO(client_for(app, "lena@example.org").get("/team/export.xlsx").data))
    names = [row[0] for row in book["Heat map"].iter_rows(min_row=2, values_only=True)]
    assert names == ["Ana Alves", "Ben Brandt", "Cleo Chen"]


def test_the_workbook_heat_map_says_what_the_page_shows(app, teams):
    lead = client_for(app, "lena@example.org")
    book = load_workbook(io.BytesIO(lead.get(f"/team/export.xlsx?area={AREA}").data))
    rows = list(book["Heat map"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Person", "Team", "Role profile", "Total gap", "Targets met")
    ana = next(row for row in rows if row[0] == "Ana Alves")
    assert ana[3:5] == (5, "3 of 5")
    cells = dict(zip(rows[0][5:], ana[5:]))
    assert cells["Business Acumen: Benefits realisation"] == "1 ✓ (−2)"
    assert cells["Business Acumen: Strategic alignment"] == "2 self (met)"
    assert cells["Business Acumen: Organisational change and adoption"] == "— (−3)"


def test_every_team_section_is_on_the_page_and_in_the_workbook(app, teams):
    seen = []

    def context(person_ids):
        seen.append(list(person_ids))
        return {"count": len(person_ids)}

    template = "<p id='sec'>{{ section.count }} on the list</p><p id='spread'>{{ count }} by name</p>"
    app.jinja_env.loader = ChoiceLoader([DictLoader({"test/_section.html": template}), app.jinja_env.loader])
    registry(app).add_team_section(TeamSection(
        "coverage", "Mentoring coverage", "test/_section.html", 20, context,
        lambda ids: ("Coverage", ["person id"], [[i] for i in ids])))
    lead = client_for(app, "lena@example.org")
    page = text(lead.get("/team?profile=pm"))
    assert "Mentoring coverage" in page and "<p id='sec'>2 on the list</p>" in page
    assert "<p id='spread'>2 by name</p>" in page
    assert sorted(seen[-1]) == sorted([teams["ana"], teams["ben"]])
    book = load_workbook(io.BytesIO(lead.get("/team/export.xlsx?profile=pm").data))
    # The heat map first, then one sheet per section that has one (the domains' own, and this one).
    assert book.sheetnames[0] == "Heat map" and "Coverage" in book.sheetnames
    assert sorted(row[0] for row in book["Coverage"].iter_rows(min_row=2, values_only=True)) == sorted(
        [teams["ana"], teams["ben"]])


def test_a_name_that_looks_like_a_formula_stays_text_in_the_exports(app, teams):
    with app.app_context():
        db.session.get(Person, teams["ana"]).display_name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    lead = client_for(app, "lena@example.org")
    assert {row["person"] for row in _csv(lead.get("/team/export.csv"))} >= {"'=HYPERLINK(\"http://x\")"}
    book = load_workbook(io.BytesIO(lead.get("/team/export.xlsx").data))
    cell = next(row[0] for row in book["Heat map"].iter_rows(min_row=2) if "HYPERLINK" in str(row[0].value))
    assert cell.data_type == "s"


QUERY_BOUND = 30
HOME_QUERY_BOUND = 40


def _statements(app, client, path) -> int:
    count = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: count.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(count)


def test_the_page_and_exports_run_a_fixed_number_of_queries_whatever_the_team_size(app, teams, make_person):
    lead = client_for(app, "lena@example.org")
    paths = ("/team", "/team?sort=gap", "/team/export.csv", "/team/export.xlsx", "/team/trend", "/team/trend.svg",
             "/")
    for path in paths:  # what is read once per content generation (names, offerings) is read here
        lead.get(path)
    before = {path: _statements(app, lead, path) for path in paths}
    extra = [make_person(f"extra{n}@example.org", team_id=teams["team_a"]) for n in range(25)]
    with app.app_context():
        lena = db.session.get(Person, teams["lead"])
        for n, person_id in enumerate(extra):
            person = db.session.get(Person, person_id)
            profile.self_assess(person, "risk-management", 1 + n % 5)
            profile.validate(lena, person, "planning", 2, "", "lead")
        db.session.commit()
    after = {path: _statements(app, lead, path) for path in paths}
    assert after == before
    home = after.pop("/")
    assert max(after.values()) <= QUERY_BOUND, after
    # The home page gathers every domain's panels (next step, sessions, gaps, the lead's cards...).
    assert home <= HOME_QUERY_BOUND, home
