"""Library pages: browse, read, download, search (HTML and JSON), and the admins' content status."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from coe.auth import policy
from coe.competency.services import competency_names
from coe.errors import NotFound
from coe.extensions import db, limiter
from coe.registry import registry
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
    sort = request.args.get("sort", "title")
    params = services.BrowseInput(
        kind=kind if kind in KINDS else "", tag=request.args.get("tag", ""),
        competency=request.args.get("competency", ""), sort=sort if sort in services.SORTS else "title",
        page=max(1, request.args.get("page", 1, type=int) or 1))
    return render_template(
        "library/browse.html", result=services.browse(params), params=params, kind_titles=KIND_TITLES,
        competency_names=competency_names(), show_review=policy.can(current_user, "content.review_status"),
        review_due=services.review_due, browse_url=_browse_urls(params),
    )


def _browse_urls(params: services.BrowseInput):
    """The library's address with some filters changed (None keeps the current one, "" drops it). A page of
    the library links to itself a few hundred times (facets, tags, sorts, pages): a template macro per link
    cost more than the rest of the page."""
    url_for = current_app.jinja_env.globals["url_for"]  # the memoised one

    def browse_url(k: str | None = None, t: str | None = None, c: str | None = None, s: str | None = None,
                   p: int = 1) -> str:
        kind, tag = params.kind if k is None else k, params.tag if t is None else t
        competency, sort = params.competency if c is None else c, params.sort if s is None else s
        return url_for("library.browse", kind=kind or None, tag=tag or None, competency=competency or None,
                       sort=sort if sort != "title" else None, page=p if p > 1 else None)

    return browse_url


@bp.route("/library/governance")
def governance():
    policy.require(current_user, "library.read")
    return render_template("library/governance.html", sections=services.governance_overview(), kind_labels=KIND_LABELS)


@bp.route("/library/<kind>/<slug>")
def document(kind: str, slug: str):
    policy.require(current_user, "library.read")
    doc = services.document_page(_kind(kind), slug)
    services.count_view(doc.id)
    return render_template(
        "library/document.html", doc=doc, related=doc.related, next_review=services.next_review(doc),
        file_formats=doc.file_formats, review_due=services.review_due(doc), competency_names=competency_names(),
        kind_labels=KIND_LABELS,
        kind_titles=KIND_TITLES, panels=services.document_panels(current_user, f"{doc.kind}/{doc.slug}"),
    )


@bp.route("/library/<kind>/<slug>.md")
def document_source(kind: str, slug: str):
    policy.require(current_user, "library.read")
    doc = services.get_document(_kind(kind), slug)
    return Response(doc.source, mimetype="text/markdown", headers={
        "Content-Disposition": f'attachment; filename="{doc.slug}.md"',
        "X-Content-Type-Options": "nosniff",
    })


@bp.route("/library/<kind>/<slug>.<any(docx, xlsx):fmt>")
def document_file(kind: str, slug: str, fmt: str):
    policy.require(current_user, "library.read")
    file = services.get_document_file(_kind(kind), slug, fmt)
    return Response(file.content, mimetype=services.FILE_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{slug}.{fmt}"',
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


def _search_urls(params: services.SearchInput):
    """``search_url(**changes)``: the results page with these parameters changed, as ``url_for`` writes it.

    A results page links to every facet value; building each link through the URL map cost more
    than the search itself.
    """
    base = url_for("library.search")
    current = {"q": params.q, "kind": params.kind, "tag": params.tag, "competency": params.competency}

    def search_url(page: int = 1, **changes: str) -> str:
        values = {**current, **changes}
        pairs = [("q", values["q"])] + [(key, values[key]) for key in ("kind", "tag", "competency") if values[key]]
        if page > 1:
            pairs.append(("page", page))
        return f"{base}?{urlencode(pairs, safe=URL_SAFE, quote_via=quote)}"

    return search_url


URL_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in a query string


def _person_key() -> str:
    return f"person:{current_user.get_id() if current_user.is_authenticated else get_remote_address()}"


# A person reading results searches a few times a minute; a script hammering the index, far more.
# The page and the API share one allowance per person (COE_SEARCH_LIMIT, default 120 per minute).
search_limit = limiter.shared_limit(lambda: current_app.config["COE_SEARCH_LIMIT"], scope="search",
                                    key_func=_person_key)


@bp.route("/search")
@search_limit
def search():
    params, results = _run_search()
    return render_template("library/search.html", params=params, results=results, search_url=_search_urls(params),
                           kind_labels=registry().search_kind_labels(), competency_names=competency_names(),
                           result_url=registry().search_url)


@bp.route("/api/search")
@search_limit
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
            "url": registry().search_url(hit.kind, hit.ref.split("/", 1)[1]),
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
