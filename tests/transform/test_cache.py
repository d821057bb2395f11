"""The analysis cache: re-analyze only what changed (and what imports it); never serve stale results."""
from __future__ import annotations

import textwrap
from pathlib import Path

from pruner.transform import transform

COMMON = textwrap.dedent('''
    from plugin_sdk import Processor
    PRICE = "price"
    class Base(Processor):
        def number(self, row, field):
            return float(row.get(field) or 0)
''')
USER = textwrap.dedent('''
    from common import PRICE, Base
    class UsesCommon(Base):
        def process(self, row, out):
            out["x"] = row[PRICE] + self.number(row, "cost")
''')
LEAF = textwrap.dedent('''
    from plugin_sdk import Processor
    class Leaf(Processor):
        def process(self, row, out):
            out["y"] = row["{field}"]
''')


def _plugins(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "common.py").write_text(COMMON)
    (folder / "user.py").write_text(USER)
    (folder / "leaf.py").write_text(LEAF.format(field="a"))
    return folder


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("*.json")}


def test_second_run_is_served_from_the_cache_and_equals_a_fresh_run(tmp_path: Path) -> None:
    plugins, cache = _plugins(tmp_path), tmp_path / "cache"
    first = transform([plugins], cache_dir=cache)
    assert len(_entries(cache)) == 3
    second = transform([plugins], cache_dir=cache)
    assert second.to_json() == first.to_json() == transform([plugins]).to_json()


def test_changing_a_leaf_reanalyzes_only_that_leaf(tmp_path: Path) -> None:
    plugins, cache = _plugins(tmp_path), tmp_path / "cache"
    transform([plugins], cache_dir=cache)
    before = _entries(cache)
    (plugins / "leaf.py").write_text(LEAF.format(field="b"))
    result = transform([plugins], cache_dir=cache)
    assert result.processor("Leaf").reads == {"b"}
    assert len(_entries(cache) - before) == 1          # one new entry: the leaf's


def test_changing_an_imported_module_reanalyzes_its_importers(tmp_path: Path) -> None:
    plugins, cache = _plugins(tmp_path), tmp_path / "cache"
    assert transform([plugins], cache_dir=cache).processor("UsesCommon").reads == {"price", "cost"}
    (plugins / "common.py").write_text(COMMON.replace('PRICE = "price"', 'PRICE = "amount"'))
    result = transform([plugins], cache_dir=cache)
    assert result.processor("UsesCommon").reads == {"amount", "cost"}
    assert result.to_json() == transform([plugins]).to_json()


def test_a_corrupt_cache_entry_is_a_miss_not_an_error(tmp_path: Path) -> None:
    plugins, cache = _plugins(tmp_path), tmp_path / "cache"
    transform([plugins], cache_dir=cache)
    for entry in cache.glob("*.json"):
        entry.write_text("{not json")
    assert transform([plugins], cache_dir=cache).to_json() == transform([plugins]).to_json()
