"""Full-text search with Whoosh: the one package that imports whoosh.

storage     index generations on disk, published atomically, shared between threads
analysis    the analyser (question words are stop words) and the schema
parsing     natural and strict queries, acronyms, compounds, bounded wildcards, spelling
scoring     Whoosh's ranking, with counts and facets from the same pass
vectors     questions (ORs of terms) ranked with numpy arrays, as Whoosh ranks them
snippets    the matched passages, marked from the character offsets the index stores
"""

from coe.library.search.results import Hit, IndexUnavailable, QueryError, SearchRequest, SearchResults
from coe.library.search.scoring import search
from coe.library.search.storage import Generation, SearchIndex

__all__ = ["Generation", "Hit", "IndexUnavailable", "QueryError", "SearchIndex", "SearchRequest", "SearchResults",
           "search"]
