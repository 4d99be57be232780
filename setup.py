"""Map the top-level folders into the package at build time: a wheel serves the site from anywhere.

The repository keeps templates/, static/, migrations/ and content/ at its top level (DESIGN.md,
Layout); a built package carries them as coe/resources/<name>. The metadata is in pyproject.toml.
"""

import os

from setuptools import find_packages, setup

RESOURCES = ("templates", "static", "migrations", "content")


def resource_packages() -> list[str]:
    """Every folder of the resource trees, as a data-only package of coe.resources."""
    found = []
    for name in RESOURCES:
        for folder, dirs, _files in os.walk(name):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
            found.append("coe.resources." + folder.replace(os.sep, "."))
    return found


packages = resource_packages()
setup(
    packages=find_packages(include=["coe", "coe.*"]) + packages,
    package_dir={f"coe.resources.{name}": name for name in RESOURCES},
    package_data={package: ["*"] for package in packages},
)
