printf '{"USD": 1.0, "EUR": 1.5, "GBP": 1.27, "CNY": 0.5, "JPY": 0.0067}\n' > plugins/ratespkg/data/rates.json
