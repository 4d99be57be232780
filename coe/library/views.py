"""Library pages: browse, read, download, search (HTML and JSON), and the admins' content status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_login import current_user

from coe.auth import policy
from coe.competency.services import competency_names
from coe.errors import NotFound
from coe.extensions import db
from coe.library import services
from coe.library.models import KIND_LABELS, KIND_TITLES, KINDS

bp = Blueprint("library", __name__)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound("There is no such part of the library.")
    return kind


@bp.route("/library")
def browse():
    policy.require(current_user, "library.read")
    kind = request.args.get("kind", "")
    tag = request.args.get("tag", "")
    competency = request.args.get("competency", "")
    result = services.browse(kind=kind if kind in KINDS else "", tag=tag, competency=competency)
    return render_template(
        "library/browse.html", result=result, kind=kind, tag=tag, competency=competency,
        kind_titles=KIND_TITLES, competency_names=competency_names(),
        show_review=policy.can(current_user, "content.review_status"), review_due=services.review_due,
    )


@bp.route("/library/governance")
def governance():
    policy.require(current_user, "library.read")
    return render_template("library/governance.html", sections=services.governance_overview(), kind_labels=KIND_LABELS)


@bp.route("/library/<kind>/<slug>")
def document(kind: str, slug: str):
    policy.require(current_user, "library.read")
    doc = services.get_document(_kind(kind), slug)
    return render_template(
        "library/document.html", doc=doc, related=services.related(doc), next_review=services.next_review(doc),
        review_due=services.review_due(doc), competency_names=competency_names(), kind_labels=KIND_LABELS,
        kind_titles=KIND_TITLES,
    )


@bp.route("/library/<kind>/<slug>.md")
def document_source(kind: str, slug: str):
    policy.require(current_user, "library.read")
    doc = services.get_document(_kind(kind), slug)
    return Response(doc.source, mimetype="text/markdown", headers={
        "Content-Disposition": f'attachment; filename="{doc.slug}.md"',
        "X-Content-Type-Options": "nosniff",
    })


def _run_search():
    """Search with the request's parameters; commit the zero-result count it may record."""
    policy.require(current_user, "library.read")
    params = services.SearchInput(
        q=request.args.get("q", ""), kind=request.args.get("kind", ""), tag=request.args.get("tag", ""),
        competency=request.args.get("competency", ""), page=max(1, request.args.get("page", 1, type=int) or 1),
    )
    results = services.search(params)
    db.session.commit()
    return params, results


@bp.route("/search")
def search():
    params, results = _run_search()
    return render_template("library/search.html", params=params, results=results, kind_labels=KIND_LABELS,
                           competency_names=competency_names())


@bp.route("/api/search")
def api_search():
    params, results = _run_search()
    return jsonify(
        query=params.q, kind=params.kind, tag=params.tag, competency=params.competency,
        total=results.total, page=results.page, pages=results.pages,
        suggestion=results.suggestion, error=results.error,
        facets={"kind": results.kind_counts, "tag": results.tag_counts},
        results=[{
            "title": hit.title, "kind": hit.kind, "ref": hit.ref, "summary": hit.summary,
            "snippet_html": hit.snippet, "tags": hit.tags,
            "url": url_for("library.document", kind=hit.kind, slug=hit.ref.split("/", 1)[1]),
        } for hit in results.hits],
    )


@bp.route("/admin/content")
def content_status():
    policy.require(current_user, "content.review_status")
    ok, index_detail = services.index_health()
    return render_template(
        "library/content_status.html", status=services.content_status(), index_ok=ok, index_detail=index_detail,
        due=services.documents_needing_review(), misses=services.frequent_misses(), kind_titles=KIND_TITLES,
    )
