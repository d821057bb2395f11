#!/bin/bash
# Imprecision, not a miss: a key constant built by concatenation in item_common (PRICE_FIELD = "pri" + "ce"),
# imported into item_processors and passed to the inherited helper self.number(row, PRICE_FIELD), is not resolved:
# PR101 in item_common.number -> PriceBand reads every field -> PR502 cycle with CollectExtProps -> no plan written.
# With PRICE_FIELD = "price", or the same concatenation in item_processors itself, the job compiles.
set -e; d=/tmp/adv16/h04_min; rm -rf $d; cp -r /work/main/examples/ecommerce $d; cd $d; rm -rf .pruner-cache
printf '\nPRICE_FIELD = "pri" + "ce"\n' >> plugins/item_common.py
sed -i 's/self.number(row, PRICE) \* rate/self.number(row, PRICE_FIELD) * rate/; s/^    ItemProcessor,$/    ItemProcessor,\n    PRICE_FIELD,/' plugins/item_processors.py
/work/main/.venv/bin/pruner compile job.yaml -o /tmp/adv16/h04_min.plan 2>&1 | grep -E 'PR101|PR502|errors' | cut -c1-200
