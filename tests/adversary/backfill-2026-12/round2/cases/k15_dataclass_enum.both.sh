cat > plugins/cfg.py <<'PY'
import dataclasses, enum
def _limit():
    return 10
class Level(enum.Enum):
    LOW = 10
    HIGH = 100
@dataclasses.dataclass
class Cfg:
    limit: int = dataclasses.field(default_factory=_limit)
    top: int = Level.HIGH.value
PY
python3 - <<'P2'
p='plugins/item_processors.py'; s=open(p).read()
s=s.replace("import json\n","import json\nfrom cfg import Cfg\n",1)
s=s.replace("elif inventory < LOW_STOCK:","elif inventory < Cfg().limit:")
s=s.replace('status = "in_stock"','status = "in_stock" if inventory < Cfg().top else "plenty"')
open(p,'w').write(s)
P2
