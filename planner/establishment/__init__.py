"""The establishment: the current structure's posts and people (the register), reading and
checking uploaded files, the import that replaces it, the export, and the reference data
(pay spine, grades, partners).

Imports core only. What must follow an import on higher floors (rebasing options, TUPE
cohorts, equality records) joins through core.hooks instead of an import upward."""
