sed -i 's/fields: \[url, position, is_main\]/fields: [position, is_main, url]/' job.yaml
