import sys
# _addtype.py TABLE_FIELDS_LINE_PREFIX "types line"
p='job.yaml'; s=open(p).read()
anchor, line = sys.argv[1], sys.argv[2]
i = s.index(anchor); j = s.index("\n", s.index("]", i)) + 1
s = s[:j] + line + "\n" + s[j:]
open(p,'w').write(s)
