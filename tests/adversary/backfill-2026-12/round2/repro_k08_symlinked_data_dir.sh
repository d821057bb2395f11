#!/bin/bash
/tmp/adv14/repro_case.sh k08_symlinked_data_dir
