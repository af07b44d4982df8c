"""Vitality platform components: one ComponentResource per architecture area, plus the settings layer."""
