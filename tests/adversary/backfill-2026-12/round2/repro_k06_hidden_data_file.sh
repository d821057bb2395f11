#!/bin/bash
/tmp/adv14/repro_case.sh k06_hidden_data_file
