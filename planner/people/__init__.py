"""People: who goes where in an option (mapping, suggestions, redeployment) and what it costs to
make (exit costs). Imports core, establishment and structures; nothing above."""
