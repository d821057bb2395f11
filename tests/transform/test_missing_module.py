"""PR004: an import of a module that is nowhere (a deleted plugin file) is named, not only its effects."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pruner.transform import transform

USER = textwrap.dedent('''
    import json
    from plugin_sdk import Processor
    from common import normalize
    from .sibling import X
    try:
        import surely_not_installed_module_xyz as fast
    except ImportError:
        fast = None

    class UsesCommon(Processor):
        def process(self, row, out):
            out["x"] = normalize(row["a"])
''')


def _codes(tmp_path: Path, cache: bool) -> list[tuple[str, int, str]]:
    plugins = tmp_path / "plugins"
    package = plugins / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "user.py").write_text(USER)
    analysis = transform([plugins], cache_dir=tmp_path / "cache" if cache else None)
    return sorted((d.code, d.line, d.message.split(" is ")[0]) for d in analysis.all_diagnostics()
                  if d.code == "PR004")


@pytest.mark.parametrize("cache", [False, True])
def test_a_missing_plugin_module_is_named_and_goes_away_when_it_is_back(tmp_path: Path, cache: bool) -> None:
    assert _codes(tmp_path, cache) == [("PR004", 4, "module 'common'"), ("PR004", 5, "module 'pkg.sibling'")]
    (tmp_path / "plugins/common.py").write_text("def normalize(v):\n    return str(v).lower()\n")
    (tmp_path / "plugins/pkg/sibling.py").write_text("X = 1\n")
    assert _codes(tmp_path, cache) == []
    (tmp_path / "plugins/common.py").unlink()          # deleted again: the cache must not hide it
    assert _codes(tmp_path, cache) == [("PR004", 4, "module 'common'")]


def test_a_module_of_another_jobs_plugin_folder_does_not_count_as_installed(reference: Path, tmp_path: Path) -> None:
    """A runtime in this process put the reference job's folder on sys.path; for another job's
    compile, `reference_udtfs` is still nowhere."""
    from pruner.planfile import read_plan
    from pruner.runtime.engine import Engine
    from pruner.spec import load_spec

    Engine(load_spec(reference / "job.yaml"), read_plan(reference / "job.plan"))
    plugins = tmp_path / "other"
    plugins.mkdir()
    (plugins / "user.py").write_text("from reference_udtfs import P1\n")
    found = [d for d in transform([plugins]).all_diagnostics() if d.code == "PR004"]
    assert [d.message.split(" is ")[0] for d in found] == ["module 'reference_udtfs'"]


SHOP_USER = textwrap.dedent('''
    from plugin_sdk import Processor
    from shop import round_usd

    class Price(Processor):
        def process(self, row, out):
            out["price_usd"] = round_usd(row["price"])
''')


@pytest.mark.parametrize("cache", [False, True])
def test_a_package_init_re_exports_from_its_own_modules(tmp_path: Path, cache: bool) -> None:
    """`from .pricing import round_usd` in shop/__init__.py is shop.pricing (found by an adversary:
    it was read as a module `pricing`, a false PR004, and the Processor was never pruned). What
    the helper does is followed, through the cache too: made impure, the Processor is unprunable."""
    plugins = tmp_path / "plugins"
    (plugins / "shop").mkdir(parents=True)
    (plugins / "shop/__init__.py").write_text("from .pricing import round_usd\n")
    (plugins / "shop/pricing.py").write_text("def round_usd(x):\n    return round(x, 2)\n")
    (plugins / "user.py").write_text(SHOP_USER)

    def analyzed():
        analysis = transform([plugins], cache_dir=tmp_path / "cache" if cache else None)
        facts = {p.class_name: p for m in analysis.modules for p in m.processors}["Price"]
        return [d.code for d in analysis.all_diagnostics()], facts

    codes, facts = analyzed()
    assert codes == [] and facts.prunable and set(facts.reads) == {"price"}
    (plugins / "shop/pricing.py").write_text("import random\n\n\ndef round_usd(x):\n    return round(x * random.random(), 2)\n")
    codes, facts = analyzed()
    assert "PR201" in codes and not facts.prunable
