"""Sub-commands of ``jubao``; see ``jubao.cli``."""
