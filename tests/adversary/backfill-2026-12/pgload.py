#!/work/main/.venv/bin/python
"""Load a Debezium ecommerce stream into PostgreSQL as real transactions.

pgload.py setup DB                       drop+create DB with items/item_images/sellers (REPLICA IDENTITY FULL)
pgload.py slot DB NAME                   create a wal2json logical slot
pgload.py apply DB STREAM START END [--txn N] [--sleep S]
                                         apply messages [START, END) in transactions of N messages
"""
import json, sys, time
import psycopg2

HOST = "host=127.0.0.1 port=55441 user=postgres"

COLS = {
    "sellers": [("seller_id", "bigint"), ("seller_name", "text"), ("seller_level", "bigint"), ("seller_region", "text"),
                ("seller_rating", "double precision"), ("seller_status", "text")],
    "items": [("id", "bigint"), ("title", "text"), ("subtitle", "text"), ("brand", "text"), ("category_id", "bigint"),
              ("price", "double precision"), ("original_price", "double precision"), ("currency", "text"),
              ("inventory", "bigint"), ("sold_count", "bigint"), ("status", "text"), ("seller_id", "bigint"),
              ("attributes", "text"), ("tags", "text"), ("description", "text"), ("weight_g", "bigint"),
              ("length_mm", "bigint"), ("width_mm", "bigint"), ("height_mm", "bigint"), ("color", "text"),
              ("size", "text"), ("material", "text"), ("created_at", "bigint"), ("updated_at", "bigint"),
              ("rating", "double precision"), ("review_count", "bigint"), ("is_promoted", "boolean"),
              ("shipping_template", "text"), ("origin_country", "text"), ("ext_warranty_months", "bigint"),
              ("ext_energy_class", "text"), ("internal_note", "text")],
    "item_images": [("id", "bigint"), ("item_id", "bigint"), ("url", "text"), ("position", "bigint"), ("is_main", "boolean")],
}
PK = {"sellers": "seller_id", "items": "id", "item_images": "id"}


def conn(db):
    c = psycopg2.connect(f"{HOST} dbname={db}")
    return c


def setup(db):
    c = psycopg2.connect(f"{HOST} dbname=postgres")
    c.autocommit = True
    cur = c.cursor()
    cur.execute("SELECT slot_name FROM pg_replication_slots WHERE database = %s", (db,))
    for (s,) in cur.fetchall():
        cur.execute("SELECT pg_drop_replication_slot(%s)", (s,))
    cur.execute(f"DROP DATABASE IF EXISTS {db}")
    cur.execute(f"CREATE DATABASE {db}")
    c.close()
    c = conn(db)
    cur = c.cursor()
    for t, cols in COLS.items():
        cur.execute(f"CREATE TABLE {t} (" + ", ".join(f'"{n}" {ty}' for n, ty in cols) + f', PRIMARY KEY ("{PK[t]}"))')
        cur.execute(f"ALTER TABLE {t} REPLICA IDENTITY FULL")
    c.commit()


def slot(db, name):
    c = conn(db)
    c.autocommit = True
    c.cursor().execute("SELECT pg_create_logical_replication_slot(%s, 'wal2json')", (name,))


def apply(db, stream, start, end, txn=1, sleep=0.0):
    msgs = [json.loads(l) for l in open(stream)][start:end]
    c = conn(db)
    cur = c.cursor()
    n = 0
    for m in msgs:
        t = m["source"]["table"]
        pk = PK[t]
        if m["op"] in ("r", "c"):
            a = m["after"]
            ks = list(a)
            cur.execute(f"INSERT INTO {t} (" + ", ".join(f'"{k}"' for k in ks) + ") VALUES (" + ", ".join(["%s"] * len(ks)) + ")",
                        [a[k] for k in ks])
        elif m["op"] == "u":
            a = m["after"]
            ks = [k for k in a if k != pk]
            cur.execute(f"UPDATE {t} SET " + ", ".join(f'"{k}" = %s' for k in ks) + f' WHERE "{pk}" = %s',
                        [a[k] for k in ks] + [a[pk]])
        elif m["op"] == "d":
            cur.execute(f'DELETE FROM {t} WHERE "{pk}" = %s', [m["before"][pk]])
        n += 1
        if n % txn == 0:
            c.commit()
            if sleep:
                time.sleep(sleep)
    c.commit()
    print(f"applied {len(msgs)} messages [{start},{end})", file=sys.stderr)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "setup":
        setup(sys.argv[2])
    elif cmd == "slot":
        slot(sys.argv[2], sys.argv[3])
    elif cmd == "apply":
        args = sys.argv[2:]
        txn, sleep = 1, 0.0
        if "--txn" in args:
            i = args.index("--txn"); txn = int(args[i + 1]); del args[i:i + 2]
        if "--sleep" in args:
            i = args.index("--sleep"); sleep = float(args[i + 1]); del args[i:i + 2]
        apply(args[0], args[1], int(args[2]), int(args[3]), txn, sleep)
