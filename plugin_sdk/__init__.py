"""What plugin authors import: Processor, UDTF and the escape-hatch declarations."""
from plugin_sdk.declarations import always_run, pure, reads, writes
from plugin_sdk.processor import UDTF, Processor

__all__ = ["Processor", "UDTF", "reads", "writes", "always_run", "pure"]
