"""The command line (`python -m planner`): the same services as the pages, for scripts, with
--json output; and the demo loader, which builds an establishment, options, TUPE cohorts and
consultations through those services. Top floor beside ui.
Imports every floor below."""
