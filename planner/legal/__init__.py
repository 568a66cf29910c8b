"""The legal clocks: collective consultation (TULRCA s.188, HR1, notice), TUPE transfers and
measures, the calendar of dates, and the s.188(4) disclosure letter.

Imports core, establishment, structures and people; shares a floor with equality (neither
imports the other)."""
