#!/bin/bash
cd /tmp/adv15 && LINES_SHOWN=12 ./repro_case.sh p14_class_body_effect
