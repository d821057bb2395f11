#!/bin/bash
# repro_case.sh CASE : build CASE/old and CASE/new from examples/ecommerce + cases/CASE*.sh, run the harness on the bundled stream
cd /tmp/adv16 && STREAMS=" " ./runcase.sh "$1" 2>&1 | head -${LINES_SHOWN:-14}
