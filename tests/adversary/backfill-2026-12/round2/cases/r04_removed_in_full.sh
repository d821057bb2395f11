bash ../../cases/c11_filter_cond.sh
bash ../../cases/c15_remove_processor.sh
