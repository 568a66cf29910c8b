"""Structures: options derived from the establishment, the reporting hierarchy and its layout,
pay and on-costs, costing against the envelope, the live edit preview, and rebasing options
onto a new establishment.

Imports core and establishment. Status changes are checked through core.hooks' gates, which
higher floors (equality) register."""
