# The reference case of DESIGN.md, exactly:
#   source items(id, a, b) -> UDTF1[P1: a, b -> d] -> DimJoin J1 on b fetching c
#   -> UDTF2[P2: d -> e] -> sink engine(id, a, b, c, d, e)
# Expected pruning: a changes -> P1, P2 run, J1 skipped; b changes -> everything runs;
# c changes (dimension table) -> P2 skipped; any other field -> dropped at the source.
from plugin_sdk import UDTF, Processor


class P1(Processor):
    """d = "<a>:<b>"."""

    def process(self, row, out):
        out["d"] = f"{row['a']}:{row['b']}"


class P2(Processor):
    """e = d in upper case."""

    def process(self, row, out):
        out["e"] = str(row["d"]).upper()


class UDTF1(UDTF):
    processors = [P1]


class UDTF2(UDTF):
    processors = [P2]
