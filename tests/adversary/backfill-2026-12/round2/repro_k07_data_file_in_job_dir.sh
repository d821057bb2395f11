#!/bin/bash
/tmp/adv14/repro_case.sh k07_data_file_in_job_dir
