"""A synthetic library for the benchmarks: the real content's framework, governance and tags, plus N documents.

Each generated document is about one of the real documents, as real libraries hold many
documents on each topic: four words in five come from its topic document, one in five from the
whole library (``topic_share``). Word frequencies therefore look like the CoE's writing, and a
word is common in the documents of its topics rather than in every document. With
``topic_share=0`` every document draws from one bag of all the library's words, so that every
common word is in nearly every document: the worst case for a search that matches any word.
Documents carry tags and competencies from the real vocabularies and split into kinds as a real
library does: most are practices, a tenth are templates.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
KIND_WEIGHTS = {"methodologies": 0.2, "templates": 0.1, "practices": 0.7}


def topics() -> list[list[str]]:
    """The words of each real library document, repeated as often as it uses them."""
    found = []
    for path in sorted((CONTENT / "library").rglob("*.md")):
        body = path.read_text().split("\n---\n", 1)[-1]
        found.append([w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", body)])
    return found


def vocabulary() -> list[str]:
    """The words of the real library, repeated as often as it uses them."""
    return [word for topic in topics() for word in topic]


def make_corpus(folder: Path, count: int, words: list[str], rng: random.Random, keep_real: bool = False,
                topic_share: float = 0.8) -> None:
    """Write ``count`` generated documents (and, with ``keep_real``, the real library too) under ``folder``."""
    subjects = topics()
    for name in ("competencies", "governance.yml", "tags.yml", "synonyms.yml"):
        source = CONTENT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    if keep_real:
        shutil.copytree(CONTENT / "library", folder / "library")
    tags = list(yaml.safe_load((CONTENT / "tags.yml").read_text()))
    framework = yaml.safe_load((CONTENT / "competencies" / "framework.yml").read_text())
    competencies = [c["code"] for area in framework["areas"] for c in area["competencies"]]
    kinds = list(KIND_WEIGHTS)
    for kind in kinds:
        (folder / "library" / kind).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        kind = rng.choices(kinds, weights=list(KIND_WEIGHTS.values()))[0]
        subject = rng.choice(subjects)

        def word() -> str:
            return rng.choice(subject if rng.random() < topic_share else words)

        title = " ".join(word() for _ in range(rng.randint(3, 6))).title()
        paragraphs = []
        written = 0
        while written < 480:
            length = rng.randint(40, 90)
            paragraphs.append(" ".join(word() for _ in range(length)) + ".")
            written += length
        rows = "\n".join(f"| {word()} | {word()} {word()} |" for _ in range(3))
        body = (f"## {word().title()} {word()}\n\n{paragraphs[0]}\n\n"
                f"| Item | Detail |\n|---|---|\n{rows}\n\n" + "\n\n".join(paragraphs[1:]))
        front = (f"---\ntitle: \"{title}\"\nsummary: \"{' '.join(word() for _ in range(14))}\"\n"
                 f"tags: [{', '.join(rng.sample(tags, 2))}]\ncompetencies: [{', '.join(rng.sample(competencies, 2))}]\n"
                 f"owner: Standards Lead\nowner_name: Dana Whitfield\nversion: \"1.0\"\nreviewed: 2026-06-01\n"
                 f"review_every: 12\n---\n\n")
        (folder / "library" / kind / f"doc-{n:05d}.md").write_text(front + body)


def make_queries(words: list[str], count: int, rng: random.Random) -> list[str]:
    distinct = sorted(set(words))
    common = [w for w in distinct if words.count(w) >= 3] if len(distinct) < 5000 else distinct
    return [" ".join(rng.choice(common) for _ in range(rng.randint(1, 3))) for _ in range(count)]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]
