"""Equality: monitoring records (special-category data, hr only), the analysis of who an option
puts at risk, suppression of small numbers, the three checkpoints and their status gates, and
the Word report.

Imports core, establishment, structures and people; shares a floor with legal."""
