"""Seed cases (written with the harness): one or two per category, to show the form."""
from tests.transform.corpus.harness import ALL, case

CASES = [
    case("ior-out", "missed", """
        from plugin_sdk import Processor
        class P(Processor):
            def process(self, row, out):
                out |= {"x": row["a"]}
        """, reads={"a"}, writes={"x"}, must={"x"}),
    case("helper-built-dict", "missed", """
        from plugin_sdk import Processor
        def helper(row):
            d = dict()
            d["k"] = row.get("c")
            return d
        class P(Processor):
            def process(self, row, out):
                out.update(helper(row))
        """, reads={"c"}, writes={"k"}, must={"k"}),
    case("module-list-appended", "missed", """
        from plugin_sdk import Processor
        KEYS = ["a"]
        KEYS.append("b")
        class P(Processor):
            def process(self, row, out):
                for k in KEYS:
                    out["o_" + k] = row[k]
        """, reads={"a", "b"}, writes={"o_a", "o_b"}),
    case("clock-alias", "state", """
        import time
        from plugin_sdk import Processor
        _now = time.perf_counter_ns
        class P(Processor):
            def process(self, row, out):
                out["t"] = _now()
        """, writes={"t"}, prunable=False, effects={"clock"}),
    case("heap-on-self", "state", """
        import heapq
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.heap = []
            def process(self, row, out):
                heapq.heappush(self.heap, row["a"])
                out["m"] = self.heap[0]
        """, reads={"a"}, writes={"m"}, prunable=False),
    case("field-name-on-self", "precision", """
        from plugin_sdk import Processor
        class P(Processor):
            def __init__(self):
                self.field = "qty"
            def process(self, row, out):
                out["q"] = row.get(self.field)
        """, reads={"qty"}, writes={"q"}, must={"q"}, precise=True),
]
