"""Map the top-level folders into the package at build time: a wheel serves the site from anywhere.

The repository keeps templates/, static/, migrations/ and content/ at its top level (DESIGN.md,
Layout); a built package carries them as coe/resources/<name>. The metadata is in pyproject.toml.
"""

from setuptools import find_packages, setup

RESOURCES = ("templates", "static", "migrations", "content")

setup(
    packages=find_packages(include=["coe", "coe.*"]) + [f"coe.resources.{name}" for name in RESOURCES],
    package_dir={f"coe.resources.{name}": name for name in RESOURCES},
    package_data={f"coe.resources.{name}": ["**/*"] for name in RESOURCES},
)
