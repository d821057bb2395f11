python3 - <<'P2'
import yaml
p='job.yaml'; s=open(p).read()
s=s.replace("  - filter: F1\n    class: item_processors.ActiveOnly\n","")
s=s.replace("  - dimjoin: seller\n","  - filter: F1\n    class: item_processors.ActiveOnly\n  - dimjoin: seller\n")
open(p,'w').write(s)
P2
