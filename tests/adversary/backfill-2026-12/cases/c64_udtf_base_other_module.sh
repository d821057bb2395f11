printf 'from plugin_sdk import UDTF\n\n\nclass BaseIndex(UDTF):\n    def __init__(self, *a, **k):\n        super().__init__(*a, **k)\n        self.tag = 1\n' > plugins/index_base.py
