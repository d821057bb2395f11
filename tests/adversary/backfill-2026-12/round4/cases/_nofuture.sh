sed -i 's/^from __future__ import annotations$//' plugins/item_processors.py
