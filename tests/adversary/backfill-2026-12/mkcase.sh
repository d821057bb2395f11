#!/bin/bash
# mkcase.sh NAME [eco|ref] : copy the example job into NAME/old and NAME/new
set -e
src=${2:-eco}
d=/tmp/adv10/$1
rm -rf $d; mkdir -p $d
for v in old new; do
  if [ $src = eco ]; then cp -r /work/main/examples/ecommerce $d/$v; else cp -r /work/main/examples/reference $d/$v; fi
  rm -rf $d/$v/.pruner-cache
done
