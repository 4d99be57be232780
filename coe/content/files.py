"""Reading content files safely: size, encoding and YAML errors become problems with line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from coe.content.context import SyncContext

MAX_BYTES = 256 * 1024


def read_bytes(ctx: SyncContext, path: Path, max_bytes: int = MAX_BYTES) -> bytes | None:
    """Return the file's bytes, or record a problem if it is too large or unreadable."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            ctx.problem(path, f"is {size // 1024} KiB; the limit is {max_bytes // 1024} KiB. Split it into smaller documents.")
            return None
        return path.read_bytes()
    except OSError as exc:
        ctx.problem(path, f"cannot be read ({exc.strerror}).")
        return None


def decode(ctx: SyncContext, path: Path, raw: bytes) -> str | None:
    """Return the text of UTF-8 bytes, or record where the first bad byte sits."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        ctx.problem(path, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8.", line)
        return None
    return text.lstrip("\ufeff")


class LineDict(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]
    raw: dict[str, str]  # each scalar value exactly as written (so version 2.10 stays "2.10")

    def line_of(self, key) -> int:
        return self.key_lines.get(str(key), self.line)


# libyaml's parser when present (much faster on a large library), with the safe constructor.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):
    """A safe loader whose mappings are LineDicts; ``line_offset`` shifts lines for front matter."""

    line_offset = 0

    def construct_yaml_map(self, node):
        data = LineDict()
        data.line = node.start_mark.line + 1 + self.line_offset
        data.key_lines = {str(key.value): key.start_mark.line + 1 + self.line_offset for key, _ in node.value}
        data.raw = {str(key.value): value.value for key, value in node.value if isinstance(value, yaml.ScalarNode)}
        yield data
        data.update(self.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)


def load_yaml(ctx: SyncContext, path: Path, text: str, line_offset: int = 0) -> Any:
    """Parse YAML whose mappings are LineDicts; record a problem and return None on error."""
    loader = _LineLoader(text)
    loader.line_offset = line_offset
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + line_offset if mark else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = " (a value containing ': ' must be quoted)" if "mapping values" in str(reason) else ""
        ctx.problem(path, f"is not well-formed YAML: {reason}{hint}.", line)
        return None
    finally:
        loader.dispose()


def read_yaml_file(ctx: SyncContext, path: Path) -> Any:
    """Read, decode and parse a YAML file, recording every problem on the way."""
    raw = read_bytes(ctx, path)
    if raw is None:
        return None
    text = decode(ctx, path, raw)
    if text is None:
        return None
    return load_yaml(ctx, path, text)
