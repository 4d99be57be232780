"""The framework's ceiling on this machine: the smallest Flask apps, served exactly as coe is.

    gunicorn 'ceiling:hello()'   # one route answering a fixed string
    gunicorn 'ceiling:page()'    # one route rendering a Jinja template over one SQLAlchemy query

``bench/run.py`` starts both beside coe and reports coe's throughput as a ratio of hello-world's.
``page()`` reads the SQLite file named by ``CEILING_DATABASE`` (created by ``seed_page_database``).
"""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from sqlalchemy import Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<ul>{% for item in items %}<li><a href="/items/{{ item.id }}">{{ item.title }}</a> {{ item.summary }}</li>{% endfor %}</ul>
</main></body></html>"""


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400))


def hello() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def index():
        return "Hello, World!"

    return app


def page() -> Flask:
    app = Flask(__name__)
    engine = create_engine(f"sqlite:///{os.environ['CEILING_DATABASE']}")

    @app.get("/")
    def index():
        with Session(engine) as session:
            items = session.scalars(select(Item).order_by(Item.id).limit(20)).all()
            return render_template_string(PAGE, title="Twenty items", items=items)

    return app


def seed_page_database(path: str) -> None:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(Item(title=f"Item {n}", summary=f"The summary of item {n}, one line long.")
                        for n in range(1, 201))
        session.commit()
    engine.dispose()
