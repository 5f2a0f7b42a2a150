"""YAML front matter that remembers the line every key stands on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from portal.editions.records import EditionFileError, Problem


class LineMap(dict[str, Any]):
    """A YAML mapping that knows its own line and the line of each key."""

    line: int = 1
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are LineMaps; duplicate keys are errors, not overwrites."""


def _construct_line_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[LineMap]:
    data = LineMap()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise yaml.MarkedYAMLError(
                problem=f"key {key!r} is not text", problem_mark=key_node.start_mark
            )
        if key in data:
            raise yaml.MarkedYAMLError(
                problem=f"key '{key}' appears twice", problem_mark=key_node.start_mark
            )
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> object:
    # PyYAML raises a bare ValueError for 2021-02-31; make it a marked error with a line.
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        raise yaml.MarkedYAMLError(
            problem=f"'{node.value}' is not a real date", problem_mark=node.start_mark
        ) from None


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_line_map)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def split_front_matter(text: str, path: Path) -> tuple[str, str]:
    """Return the front matter and the body of a `---` delimited file."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise EditionFileError([Problem(path, 1, "expected '---' to open the front matter")])
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            return "\n".join(lines[1 : number - 1]), "\n".join(lines[number:])
    raise EditionFileError(
        [Problem(path, 1, "the front matter opened here is never closed by '---'")]
    )


def load_front_matter(front: str, path: Path, first_line: int = 2) -> LineMap:
    """Parse YAML that starts on `first_line` of its file into a LineMap with file line numbers."""
    try:
        data = yaml.load("\n" * (first_line - 1) + front, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise EditionFileError([Problem(path, line, f"YAML: {error.problem}")]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
        raise EditionFileError(
            [Problem(path, 1, f"YAML: {error.__class__.__name__}: {error}")]
        ) from None
    if not isinstance(data, LineMap):
        raise EditionFileError([Problem(path, 1, "the front matter must be a mapping of keys")])
    return data
