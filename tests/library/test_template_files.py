"""Templates download as Word, registers as Excel with their rules, produced at sync from the real library."""

from __future__ import annotations

import io
import re

import docx
import pytest
import yaml
from openpyxl import load_workbook

from coe.extensions import db
from coe.library.models import Document, DocumentFile
from tests.conftest import CONTENT

REGISTERS = ["risk-register", "raid-log", "issue-log", "change-log", "decision-log", "stakeholder-register",
             "lessons-learned", "benefits-register", "raci-matrix", "requirements-traceability-matrix"]


def download(pm_client, slug: str, fmt: str) -> bytes:
    response = pm_client.get(f"/library/templates/{slug}.{fmt}")
    assert response.status_code == 200, (slug, fmt)
    assert response.headers["Content-Disposition"] == f'attachment; filename="{slug}.{fmt}"'
    return response.data


def test_every_template_downloads_as_word_with_its_headings_and_tables(app, pm_client):
    with app.app_context():
        templates = db.session.execute(db.select(Document.slug, Document.title, Document.source)
                                       .where(Document.kind == "templates", Document.archived_at.is_(None))).all()
    assert len(templates) >= 25
    for slug, title, source in templates:
        document = docx.Document(io.BytesIO(download(pm_client, slug, "docx")))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert headings[0] == title, slug
        first_section = re.search(r"^## (.+)$", source, re.MULTILINE).group(1)
        assert first_section in headings, (slug, first_section)
        assert len(document.tables) == source.count("\n|---") + source.count("\n| ---") or document.tables, slug
        assert "{{gov." not in "\n".join(p.text for p in document.paragraphs), slug


def test_word_files_carry_the_coes_heading_style(pm_client):
    document = docx.Document(io.BytesIO(download(pm_client, "project-charter", "docx")))
    heading = document.styles["Heading 1"]
    assert str(heading.font.color.rgb) == "1F3A5F"


@pytest.mark.parametrize("slug", REGISTERS)
def test_registers_download_as_workbooks_with_validations_and_formulas(app, pm_client, slug):
    with app.app_context():
        source = db.session.scalar(db.select(Document.source).where(Document.slug == slug))
    spec = yaml.safe_load(source.split("\n---\n", 1)[0][4:])["register"]
    sheets = spec if isinstance(spec, list) else [spec]
    book = load_workbook(io.BytesIO(download(pm_client, slug, "xlsx")))
    assert book.sheetnames == [sheet["sheet"] for sheet in sheets] + ["About"]
    for sheet_spec in sheets:
        sheet = book[sheet_spec["sheet"]]
        headers = [cell.value for cell in sheet[1]]
        assert sheet.freeze_panes in ("A2", "B2")
        assert sheet["A1"].font.bold
        assert sheet.max_row >= 3  # the example rows, then room for the formulas
        validations = sheet.data_validations.dataValidation
        for header, rule in sheet_spec["columns"].items():
            column = headers.index(header)
            letter = sheet.cell(row=1, column=column + 1).column_letter
            (kind, arg), = rule.items()
            if kind == "formula":
                assert str(sheet[f"{letter}2"].value).startswith("="), (slug, header)
                continue
            applying = [v for v in validations if letter + "2" in str(v.sqref) or f"{letter}2:" in str(v.sqref)]
            assert applying, (slug, header)
            validation = applying[0]
            if kind == "list":
                assert validation.type == "list" and validation.formula1 == '"' + ",".join(arg) + '"'
            elif kind in ("whole", "decimal"):
                assert validation.type == kind and float(validation.formula1) == arg[0]
                assert float(validation.formula2) == arg[1]
            elif kind == "date":
                assert validation.type == "date"


def test_the_risk_scores_formula_multiplies_probability_by_impact(pm_client):
    sheet = load_workbook(io.BytesIO(download(pm_client, "risk-register", "xlsx")))["Risks"]
    headers = [cell.value for cell in sheet[1]]
    p, i, score = (sheet.cell(row=1, column=headers.index(h) + 1).column_letter for h in ("Probability", "Impact", "Score"))
    assert sheet[f"{score}2"].value == f"={p}2*{i}2"
    assert sheet[f"{score}150"].value == f"={p}150*{i}150"  # new rows compute too


def test_a_document_that_is_not_a_template_has_no_files(pm_client):
    assert pm_client.get("/library/methodologies/scrum.docx").status_code == 404
    assert pm_client.get("/library/templates/status-report.xlsx").status_code == 404


def test_files_are_produced_at_sync_and_stored_with_the_documents(app):
    with app.app_context():
        formats = dict(db.session.execute(db.select(DocumentFile.format, db.func.count())
                                          .group_by(DocumentFile.format)).all())
    assert formats["xlsx"] == len(REGISTERS)
    assert formats["docx"] >= 25


def test_the_document_page_offers_word_excel_and_markdown(pm_client):
    page = pm_client.get("/library/templates/risk-register").get_data(as_text=True)
    for label in ("Download for Word (.docx)", "Download for Excel (.xlsx)", "Markdown (.md)"):
        assert label in page
    assert "Download for Excel" not in pm_client.get("/library/templates/project-charter").get_data(as_text=True)


def test_every_governance_rule_is_shown_by_some_document(app):
    from coe.content.models import GovernanceParameter
    from coe.library.models import DocumentParameter

    with app.app_context():
        unused = set(db.session.scalars(db.select(GovernanceParameter.key))) - set(
            db.session.scalars(db.select(DocumentParameter.parameter_key)))
    assert unused == set()


@pytest.mark.parametrize("sentence", [
    # How the library stated its rules before they moved to governance.yml, each differently.
    "A risk scoring 15 or more is escalated to the sponsor within 5 working days.",
    "Escalate any risk scoring 15 or above to the steering committee at the next status report.",
    "Earned value management is required on projects from EUR 5M.",
    "Benefits are reviewed 6 and 12 months after closure.",
    "The G2 baseline is approved by the sponsor.",
    "Send the status report every Thursday by 17:00.",
])
def test_the_contradictions_the_library_had_are_refused_by_the_sync(app, sentence):
    from coe.content.governance import parse_governance, resolve
    from coe.content.context import SyncContext

    ctx = SyncContext(CONTENT)
    parse_governance(ctx)
    assert not ctx.problems
    problems = resolve(sentence, ctx.governance).problems
    assert problems and "literally" in problems[0][1], sentence
